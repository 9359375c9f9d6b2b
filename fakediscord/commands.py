"""Application commands: Discord's validation rules and the stored (synced) command trees."""

from __future__ import annotations

import logging
from typing import Any

from fakediscord.errors import ErrorTree
from fakediscord.world import World

log = logging.getLogger(__name__)

CHAT_INPUT, USER_COMMAND, MESSAGE_COMMAND = 1, 2, 3
SUBCOMMAND, GROUP = 1, 2
MAX_PER_KIND = {CHAT_INPUT: 100, USER_COMMAND: 15, MESSAGE_COMMAND: 15}


def valid_name(name: Any, *, chat_input: bool = True) -> bool:
    """Discord's name rule: 1-32 characters; for slash commands word characters, lowercase."""
    if not isinstance(name, str) or not 1 <= len(name) <= 32:
        return False
    if not chat_input:
        return True
    if name != name.lower():
        return False
    return all(ch.isalnum() or ch in "-_'" for ch in name)


def command_size(command: dict[str, Any]) -> int:
    """Characters counted toward the combined-size cap (longest localization counted)."""
    return (
        _text_size(command, "name")
        + _text_size(command, "description")
        + sum(_option_size(o) for o in command.get("options") or [])
    )


def _text_size(obj: dict[str, Any], key: str) -> int:
    sizes = [len(str(obj.get(key) or ""))]
    localized = obj.get(f"{key}_localizations") or {}
    sizes.extend(len(str(v)) for v in localized.values())
    return max(sizes)


def _option_size(option: dict[str, Any]) -> int:
    total = _text_size(option, "name") + _text_size(option, "description")
    for choice in option.get("choices") or []:
        total += _text_size(choice, "name") + len(str(choice.get("value", "")))
    return total + sum(_option_size(o) for o in option.get("options") or [])


def validate_commands(commands: Any, *, char_cap: int) -> None:
    """Raise 400 50035 with Discord's index-keyed errors when a bulk overwrite is invalid."""
    tree = ErrorTree()
    if not isinstance(commands, list):
        tree.add((), "BASE_TYPE_ARRAY", "Must be an array.")
        tree.raise_if_any()
    seen: set[tuple[int, str]] = set()
    counts: dict[int, int] = {}
    for index, command in enumerate(commands):
        if not isinstance(command, dict):
            tree.add((index,), "MODEL_TYPE_CONVERT", "Only dictionaries may be used.")
            continue
        validate_command(tree, (index,), command, char_cap=char_cap)
        kind = int(command.get("type", CHAT_INPUT))
        key = (kind, str(command.get("name")))
        if key in seen:
            tree.add(
                (index, "name"),
                "APPLICATION_COMMANDS_DUPLICATE_NAME",
                f"Application command names must be unique ({key[1]})",
            )
        seen.add(key)
        counts[kind] = counts.get(kind, 0) + 1
    for kind, count in counts.items():
        if count > MAX_PER_KIND.get(kind, 100):
            tree.add((), "APPLICATION_COMMANDS_TOO_MANY", f"Too many commands of type {kind}")
    tree.raise_if_any()


def validate_command(
    tree: ErrorTree, path: tuple[str | int, ...], command: dict[str, Any], *, char_cap: int
) -> None:
    """Check one command (name, description, options, size) into ``tree``."""
    kind = int(command.get("type", CHAT_INPUT))
    if kind not in (CHAT_INPUT, USER_COMMAND, MESSAGE_COMMAND, 4):
        tree.add((*path, "type"), "BASE_TYPE_CHOICES", "Value must be one of {1, 2, 3, 4}.")
        return
    chat = kind == CHAT_INPUT
    if not valid_name(command.get("name"), chat_input=chat):
        tree.add((*path, "name"), "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
    description = command.get("description") or ""
    if chat:
        _check_description(tree, path, description)
    elif description:
        tree.add(
            (*path, "description"),
            "APPLICATION_COMMAND_CONTEXT_MENU_DESCRIPTION",
            "Context menu commands cannot have description",
        )
    options = command.get("options") or []
    if options and not chat:
        tree.add(
            (*path, "options"),
            "APPLICATION_COMMAND_OPTIONS_INVALID",
            "Only slash commands take options",
        )
    _check_options(tree, (*path, "options"), options, depth=0)
    if command_size(command) > char_cap:
        tree.add(
            path, "APPLICATION_COMMAND_TOO_LARGE", f"Command exceeds maximum size ({char_cap})"
        )


def _check_description(tree: ErrorTree, path: tuple[str | int, ...], description: Any) -> None:
    if not isinstance(description, str) or description == "":
        tree.add((*path, "description"), "BASE_TYPE_REQUIRED", "This field is required")
    elif len(description) > 100:
        tree.too_long((*path, "description"), 100)


def _check_options(
    tree: ErrorTree, path: tuple[str | int, ...], options: list[dict[str, Any]], *, depth: int
) -> None:
    if len(options) > 25:
        tree.too_long(path, 25)
    kinds = {int(o.get("type", 0)) for o in options if isinstance(o, dict)}
    if kinds & {SUBCOMMAND, GROUP} and kinds - {SUBCOMMAND, GROUP}:
        tree.add(
            path,
            "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
            "Sub-command and sub-command group option types are mutually exclusive "
            "to all other types",
        )
    names: set[str] = set()
    optional_seen = False
    for index, option in enumerate(options):
        here = (*path, index)
        kind = int(option.get("type", 0))
        if not 1 <= kind <= 11:
            tree.add((*here, "type"), "BASE_TYPE_CHOICES", "Value must be one of 1..11.")
            continue
        if not valid_name(option.get("name")):
            tree.add((*here, "name"), "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
        if option.get("name") in names:
            tree.add(
                (*here, "name"),
                "APPLICATION_COMMAND_OPTION_NAME_ALREADY_EXISTS",
                "Option names must be unique",
            )
        names.add(str(option.get("name")))
        _check_description(tree, here, option.get("description"))
        if kind in (SUBCOMMAND, GROUP):
            if (kind == GROUP and depth > 0) or (kind == SUBCOMMAND and depth > 1):
                tree.add(here, "APPLICATION_COMMAND_OPTIONS_INVALID", "Sub-commands nest too deep")
            children = option.get("options") or []
            if kind == GROUP and any(int(c.get("type", 0)) != SUBCOMMAND for c in children):
                tree.add(
                    (*here, "options"),
                    "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
                    "A sub-command group may only contain sub-commands",
                )
            _check_options(tree, (*here, "options"), children, depth=depth + 1)
            continue
        required = bool(option.get("required", False))
        if required and optional_seen:
            tree.add(
                here,
                "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                "Required options must be placed before non-required options",
            )
        optional_seen = optional_seen or not required
        _check_choices(tree, here, option)


def _check_choices(tree: ErrorTree, here: tuple[str | int, ...], option: dict[str, Any]) -> None:
    choices = option.get("choices") or []
    if option.get("autocomplete") and choices:
        tree.add(
            (*here, "autocomplete"),
            "APPLICATION_COMMAND_AUTOCOMPLETE_INVALID",
            "Autocomplete cannot be set on options with choices",
        )
    if len(choices) > 25:
        tree.too_long((*here, "choices"), 25)
    for position, choice in enumerate(choices):
        name = choice.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            tree.add(
                (*here, "choices", position, "name"),
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 100 in length.",
            )
        value = choice.get("value")
        if isinstance(value, str) and len(value) > 100:
            tree.too_long((*here, "choices", position, "value"), 100)


class CommandRegistry:
    """The synced command trees (global and per guild), stored as Discord returns them."""

    def __init__(self, world: World) -> None:
        self.world = world

    def _scope(self, guild_id: int | None) -> list[dict[str, Any]]:
        app = self.world.application
        if guild_id is None:
            return app.global_commands
        return app.guild_commands.setdefault(guild_id, [])

    def commands(self, guild_id: int | None) -> list[dict[str, Any]]:
        """The commands of a scope (global when ``guild_id`` is None)."""
        return list(self._scope(guild_id))

    def overwrite(
        self, guild_id: int | None, commands: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """Bulk overwrite: keep the ids of commands with the same name and type."""
        old = {(int(c.get("type", 1)), c["name"]): c for c in self._scope(guild_id)}
        stored = [
            self._normalize(c, guild_id, old.get((int(c.get("type", 1)), c["name"])))
            for c in commands
        ]
        scope = self._scope(guild_id)
        scope[:] = stored
        log.debug("commands: %d stored for %s", len(stored), guild_id or "global")
        return list(stored)

    def upsert(self, guild_id: int | None, command: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Create or replace one command by name and type; True when it was created."""
        scope = self._scope(guild_id)
        key = (int(command.get("type", 1)), command["name"])
        for index, existing in enumerate(scope):
            if (int(existing.get("type", 1)), existing["name"]) == key:
                scope[index] = self._normalize(command, guild_id, existing)
                return scope[index], False
        stored = self._normalize(command, guild_id, None)
        scope.append(stored)
        return stored, True

    def get(self, guild_id: int | None, command_id: int) -> dict[str, Any] | None:
        """A command of the scope by id."""
        for command in self._scope(guild_id):
            if int(command["id"]) == command_id:
                return command
        return None

    def delete(self, guild_id: int | None, command_id: int) -> bool:
        """Remove a command; False when it did not exist."""
        scope = self._scope(guild_id)
        before = len(scope)
        scope[:] = [c for c in scope if int(c["id"]) != command_id]
        return len(scope) != before

    def find(
        self, guild_id: int | None, name: str, kind: int = CHAT_INPUT
    ) -> dict[str, Any] | None:
        """The command a user in ``guild_id`` would see under ``name`` (guild scope first)."""
        scopes = [guild_id, None] if guild_id is not None else [None]
        for scope in scopes:
            for command in self._scope(scope):
                if command["name"] == name and int(command.get("type", 1)) == kind:
                    return command
        return None

    def _normalize(
        self, command: dict[str, Any], guild_id: int | None, existing: dict[str, Any] | None
    ) -> dict[str, Any]:
        data = dict(command)
        data["id"] = existing["id"] if existing else str(self.world.snowflakes.next())
        data["application_id"] = str(self.world.application.id)
        data["version"] = str(self.world.snowflakes.next())
        # Discord fills in what the request left out or sent as null, so a client never reads
        # a null where Discord has a value: discord.py sends ``integration_types: null`` and
        # ``contexts: null`` unless the bot set them, and Discord answers ``[0]`` (guild
        # install) and null (no restriction) for them.
        _default(data, "type", CHAT_INPUT)
        _default(data, "description", "")
        _default(data, "options", [])
        _default(data, "nsfw", False)
        permissions = data.get("default_member_permissions")
        data["default_member_permissions"] = None if permissions is None else str(int(permissions))
        _default(data, "dm_permission", True)
        data.setdefault("contexts", None)
        _default(data, "integration_types", [0])
        if guild_id is not None:
            data["guild_id"] = str(guild_id)
        return data


def _default(data: dict[str, Any], key: str, value: Any) -> None:
    """Set ``key`` to Discord's default when it is absent or null."""
    if data.get(key) is None:
        data[key] = value
