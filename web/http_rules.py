"""Small HTTP rules of the API, each written once: JSON Merge Patch (RFC 7396), entity tags and
`If-Match` (RFC 9110), opaque paging cursors, and request bodies that must be JSON."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from web.problems import Problem

__all__ = [
    "JSON_TYPES",
    "MERGE_PATCH_TYPES",
    "CursorCodec",
    "check_if_match",
    "etag_for",
    "merge_patch",
    "read_json_body",
]

_MISSING = object()


def merge_patch(target: Any, patch: Any) -> Any:
    """Apply a JSON Merge Patch: objects merge key by key, `null` removes, the rest replaces.

    Neither argument is changed; the result shares no mutable part with `patch`."""
    if not isinstance(patch, Mapping):
        return _copy(patch)
    result = dict(target) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key, _MISSING), value)
    return result


def _copy(value: Any) -> Any:
    if isinstance(value, list):
        return [_copy(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _copy(v) for k, v in value.items()}
    return value


def etag_for(kind: str, identity: int, version: int) -> str:
    """A strong entity tag for version `version` of one resource."""
    return f'"{kind}-{identity}-v{version}"'


def check_if_match(header: str | None, current: str) -> None:
    """Refuse a change without `If-Match` (428) or with a stale one (412).

    `If-Match: *` matches any current version; a list matches when one of its tags does;
    weak tags (`W/"…"`) never match, as RFC 9110 requires for `If-Match`."""
    if header is None or not header.strip():
        raise Problem(
            428,
            "This change needs an If-Match header with the task's current ETag (from a GET), "
            "so that it cannot overwrite someone else's change unseen.",
            kind="precondition-required",
        )
    tags = [tag.strip() for tag in header.split(",") if tag.strip()]
    if "*" in tags or current in tags:
        return
    raise Problem(
        412,
        "The task changed since you read it (its ETag is now "
        f"{current}). GET it again, reapply your change, and send the new ETag in If-Match.",
        kind="precondition-failed",
        headers={"ETag": current},
    )


class CursorCodec:
    """Opaque, signed paging cursors bound to one guild and one listing.

    A cursor names the last item of the page (e.g. its id); it is signed with a key kept by
    the server, so a client cannot forge a position, and it is bound to the guild and the
    filters it was made for, so a cursor is refused anywhere else with the same answer as a
    malformed one."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def encode(self, scope: str, position: Mapping[str, Any]) -> str:
        payload = json.dumps({"s": scope, "p": dict(position)}, separators=(",", ":")).encode()
        mac = hmac.new(self._key, payload, hashlib.sha256).digest()[:16]
        return base64.urlsafe_b64encode(mac + payload).decode().rstrip("=")

    def decode(self, scope: str, cursor: str) -> dict[str, Any]:
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        except (binascii.Error, ValueError):
            raise _bad_cursor() from None
        mac, payload = raw[:16], raw[16:]
        expected = hmac.new(self._key, payload, hashlib.sha256).digest()[:16]
        if len(raw) <= 16 or not hmac.compare_digest(mac, expected):
            raise _bad_cursor()
        data = json.loads(payload)
        if data.get("s") != scope or not isinstance(data.get("p"), dict):
            raise _bad_cursor()
        return dict(data["p"])


def _bad_cursor() -> Problem:
    return Problem(
        400,
        "The cursor is not one this listing gave out. Start again without a cursor and follow "
        "next_cursor from each page.",
        kind="bad-cursor",
    )


JSON_TYPES = ("application/json",)
MERGE_PATCH_TYPES = ("application/merge-patch+json", "application/json")
"""What a JSON Merge Patch may be sent as: RFC 7396's own type, or plain JSON."""


async def read_json_body(
    request: web.Request, *, allow_empty: bool = False, media_types: tuple[str, ...] = JSON_TYPES
) -> Any:
    """The request's JSON body: 415 when it is not one of `media_types`, 400 when it does not
    parse. The OpenAPI document lists the same types for the route's body."""
    raw = await request.read()
    if not raw.strip():
        if allow_empty:
            return {}
        raise Problem(400, "This request needs a JSON body.", kind="missing-body")
    if request.content_type not in media_types:
        raise Problem(
            415,
            f"Send the body as JSON with the header Content-Type: {media_types[-1]}.",
            kind="unsupported-media-type",
        )
    try:
        return json.loads(raw)
    except RecursionError:
        raise Problem(400, "The body is nested too deeply.", kind="malformed-json") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise Problem(400, f"The body is not valid JSON: {exc}.", kind="malformed-json") from None
