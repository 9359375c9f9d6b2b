"""Discord's checks on message bodies: content, embeds, nonce, allowed mentions, components."""

from __future__ import annotations

from typing import Any

from fakediscord.errors import ErrorTree, empty_message

CONTENT_LIMIT = 2000
EMBEDS_LIMIT = 10
EMBED_TOTAL_LIMIT = 6000
NONCE_LIMIT = 25
MENTION_PARSE_VALUES = frozenset({"users", "roles", "everyone"})
# suppress embeds, ephemeral, suppress notifications, components v2
ALLOWED_CREATE_FLAGS = (1 << 2) | (1 << 6) | (1 << 12) | (1 << 15)

_EMBED_TEXT_LIMITS = (("title", 256), ("description", 4096))


def validate_message_body(
    body: dict[str, Any],
    *,
    file_count: int = 0,
    require_content: bool = True,
    check_nonce: bool = True,
) -> None:
    """Raise Discord's 400 answers for a message create/edit body.

    Parameters
    ----------
    body:
        The JSON body (or ``payload_json``) of the request.
    file_count:
        How many files were uploaded with it.
    require_content:
        False for edits, where an absent field keeps its old value.
    check_nonce:
        Whether a ``nonce`` is meaningful here (channel messages only).
    """
    tree = ErrorTree()
    content = body.get("content")
    if content is not None and not isinstance(content, str):
        tree.add(("content",), "BASE_TYPE_STRING", "Must be a string.")
    elif isinstance(content, str) and len(content) > CONTENT_LIMIT:
        tree.too_long(("content",), CONTENT_LIMIT)
    embeds = body.get("embeds")
    if embeds is not None:
        _check_embeds(tree, embeds)
    if check_nonce and body.get("nonce") is not None:
        _check_nonce(tree, body["nonce"])
    if body.get("allowed_mentions") is not None:
        _check_allowed_mentions(tree, body["allowed_mentions"])
    if body.get("components"):
        _check_components(tree, body["components"])
    tree.raise_if_any()
    if require_content and is_empty(body, file_count):
        raise empty_message()


def is_empty(body: dict[str, Any], file_count: int = 0) -> bool:
    """Discord's "empty message": no content, embed, file, sticker, component or poll."""
    content = body.get("content")
    has_content = isinstance(content, str) and content.strip() != ""
    has_attachments = file_count > 0 or bool(
        [a for a in body.get("attachments") or [] if isinstance(a, dict) and "url" in a]
    )
    return not (
        has_content
        or body.get("embeds")
        or has_attachments
        or body.get("sticker_ids")
        or body.get("components")
        or body.get("poll")
    )


def embed_length(embed: dict[str, Any]) -> int:
    """Characters Discord counts toward the 6000 total of a message's embeds."""
    total = len(str(embed.get("title") or "")) + len(str(embed.get("description") or ""))
    for field in embed.get("fields") or []:
        total += len(str(field.get("name") or "")) + len(str(field.get("value") or ""))
    total += len(str((embed.get("footer") or {}).get("text") or ""))
    total += len(str((embed.get("author") or {}).get("name") or ""))
    return total


def _check_embeds(tree: ErrorTree, embeds: Any) -> None:
    if not isinstance(embeds, list):
        tree.add(("embeds",), "BASE_TYPE_ARRAY", "Must be an array.")
        return
    if len(embeds) > EMBEDS_LIMIT:
        tree.too_long(("embeds",), EMBEDS_LIMIT)
        return
    total = 0
    for index, embed in enumerate(embeds):
        if not isinstance(embed, dict):
            tree.add(("embeds", index), "MODEL_TYPE_CONVERT", "Only dictionaries may be used.")
            continue
        _check_embed(tree, index, embed)
        total += embed_length(embed)
    if total > EMBED_TOTAL_LIMIT:
        tree.add(
            ("embeds",),
            "MAX_EMBED_SIZE_EXCEEDED",
            f"Embed size exceeds maximum size of {EMBED_TOTAL_LIMIT}",
        )


def _check_embed(tree: ErrorTree, index: int, embed: dict[str, Any]) -> None:
    for key, limit in _EMBED_TEXT_LIMITS:
        value = embed.get(key)
        if value is not None and len(str(value)) > limit:
            tree.too_long(("embeds", index, key), limit)
    color = embed.get("color")
    if color is not None and (not isinstance(color, int) or not 0 <= color <= 0xFFFFFF):
        tree.add(("embeds", index, "color"), "NUMBER_TYPE_MAX", "int value should be <= 16777215.")
    fields = embed.get("fields") or []
    if len(fields) > 25:
        tree.too_long(("embeds", index, "fields"), 25)
    for position, field in enumerate(fields[:25]):
        for key, limit in (("name", 256), ("value", 1024)):
            value = field.get(key) if isinstance(field, dict) else None
            if value is None or str(value) == "":
                tree.required(("embeds", index, "fields", position, key))
            elif len(str(value)) > limit:
                tree.too_long(("embeds", index, "fields", position, key), limit)
    footer = embed.get("footer")
    if isinstance(footer, dict) and len(str(footer.get("text") or "")) > 2048:
        tree.too_long(("embeds", index, "footer", "text"), 2048)
    author = embed.get("author")
    if isinstance(author, dict) and len(str(author.get("name") or "")) > 256:
        tree.too_long(("embeds", index, "author", "name"), 256)
    for key in ("image", "thumbnail"):
        media = embed.get(key)
        if isinstance(media, dict) and not str(media.get("url") or "").startswith(
            ("http://", "https://", "attachment://")
        ):
            tree.add(
                ("embeds", index, key, "url"),
                "URL_TYPE_INVALID_URL",
                "Not a well formed URL.",
            )


def _check_nonce(tree: ErrorTree, nonce: Any) -> None:
    if isinstance(nonce, bool) or not isinstance(nonce, (str, int)):
        tree.add(("nonce",), "BASE_TYPE_STRING", "Must be a string or an integer.")
    elif len(str(nonce)) > NONCE_LIMIT:
        tree.too_long(("nonce",), NONCE_LIMIT)


def _check_allowed_mentions(tree: ErrorTree, allowed: Any) -> None:
    if not isinstance(allowed, dict):
        tree.add(("allowed_mentions",), "MODEL_TYPE_CONVERT", "Only dictionaries may be used.")
        return
    parse = allowed.get("parse") or []
    for index, value in enumerate(parse):
        if value not in MENTION_PARSE_VALUES:
            tree.add(
                ("allowed_mentions", "parse", index),
                "BASE_TYPE_CHOICES",
                f"Value must be one of {sorted(MENTION_PARSE_VALUES)}.",
            )
    for kind in ("users", "roles"):
        listed = allowed.get(kind) or []
        if len(listed) > 100:
            tree.too_long(("allowed_mentions", kind), 100)
        if listed and kind in parse:
            tree.add(
                ("allowed_mentions",),
                "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                f'parse:["{kind}"] and {kind}: [ids...] are mutually exclusive.',
            )


def _check_components(tree: ErrorTree, components: Any) -> None:
    if not isinstance(components, list):
        tree.add(("components",), "BASE_TYPE_ARRAY", "Must be an array.")
        return
    seen: set[str] = set()
    ids: set[int] = set()
    for path, component in walk_components(components):
        _check_component_id(tree, path, component.get("id"), ids)
        custom_id = component.get("custom_id")
        if custom_id is None:
            continue
        if len(str(custom_id)) > 100:
            tree.too_long(("components", *path, "custom_id"), 100)
        if custom_id in seen:
            tree.add(
                ("components", *path, "custom_id"),
                "COMPONENT_CUSTOM_ID_DUPLICATED",
                "Component custom id cannot be duplicated",
            )
        seen.add(custom_id)
    if len(components) > 40:
        tree.too_long(("components",), 40)


def _check_component_id(
    tree: ErrorTree, path: tuple[str | int, ...], value: Any, ids: set[int]
) -> None:
    """A component's own ``id``: absent (Discord numbers it) or a unique 32-bit integer."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**31:
        tree.add(("components", *path, "id"), "NUMBER_TYPE_COERCE", "Value is not int32.")
    elif value in ids:
        tree.add(
            ("components", *path, "id"),
            "COMPONENT_ID_DUPLICATED",
            "Component id cannot be duplicated",
        )
    elif value != 0:  # 0 means "number it for me"
        ids.add(value)


def walk_components(
    components: list[dict[str, Any]], path: tuple[str | int, ...] = ()
) -> list[tuple[tuple[str | int, ...], dict[str, Any]]]:
    """Every component in a (possibly nested) component list, with its path."""
    found: list[tuple[tuple[str | int, ...], dict[str, Any]]] = []
    for index, component in enumerate(components):
        if not isinstance(component, dict):
            continue
        here = (*path, index)
        found.append((here, component))
        if isinstance(component.get("components"), list):
            found.extend(walk_components(component["components"], (*here, "components")))
        if isinstance(component.get("component"), dict):
            found.extend(walk_components([component["component"]], (*here, "component")))
        if isinstance(component.get("accessory"), dict):
            found.extend(walk_components([component["accessory"]], (*here, "accessory")))
    return found
