"""Reading a slash command typed as in Discord: `/schedule every name:ping interval:10s
channel:#general message:hello world`, with option types taken from the synced tree."""

from __future__ import annotations

import difflib
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = range(3, 12)
TYPE_NAMES = {
    STRING: "text",
    INTEGER: "whole number",
    BOOLEAN: "true/false",
    USER: "@member",
    CHANNEL: "#channel",
    ROLE: "@role",
    MENTIONABLE: "@member or @role",
    NUMBER: "number",
    ATTACHMENT: "file path",
}
_OPTION = re.compile(r"^([a-z0-9_-]+):(.*)$", re.DOTALL)


class CommandLineError(ValueError):
    """What the person typed cannot be sent; the message says why and how to fix it."""


@dataclass
class ParsedCommand:
    path: str  # "schedule every"
    leaf: dict[str, Any]  # the subcommand's definition
    raw: dict[str, str] = field(default_factory=dict)


def leaf_commands(tree: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """Every runnable command as (path, definition), e.g. ("schedule cron", {...})."""
    out: list[tuple[str, dict[str, Any]]] = []

    def walk(prefix: str, node: dict[str, Any]) -> None:
        children = [o for o in node.get("options") or [] if o["type"] in (1, 2)]
        if not children:
            out.append((prefix, node))
            return
        for child in children:
            walk(f"{prefix} {child['name']}", child)

    for command in tree:
        if int(command.get("type", 1)) == 1:
            walk(command["name"], command)
    return sorted(out, key=lambda item: item[0])


def parse_line(line: str, tree: list[dict[str, Any]]) -> ParsedCommand:
    """Split `/a b opt:value ...` into the command path and its raw option texts."""
    try:
        tokens = shlex.split(line.strip().lstrip("/"))
    except ValueError as exc:
        raise CommandLineError(f"Could not read that line ({exc}); check your quotes.") from None
    if not tokens:
        raise CommandLineError("Type a command such as /schedule list, or help.")
    leaves = dict(leaf_commands(tree))
    words: list[str] = []
    while tokens and not _OPTION.match(tokens[0]):
        words.append(tokens.pop(0))
        if " ".join(words) in leaves:
            break
    path = " ".join(words)
    if path not in leaves:
        close = difflib.get_close_matches(path, list(leaves), n=3, cutoff=0.6)
        hint = f" Did you mean {' or '.join('/' + p for p in close)}?" if close else ""
        raise CommandLineError(f"Unknown command /{path}.{hint} Type help for the list.")
    leaf = leaves[path]
    names = {o["name"] for o in leaf.get("options") or []}
    raw: dict[str, str] = {}
    current: str | None = None
    for token in tokens:
        match = _OPTION.match(token)
        if match and match.group(1) in names:
            current = match.group(1)
            raw[current] = match.group(2)
        elif current is None:
            raise CommandLineError(
                f"“{token}” is not an option of /{path}. Options: {', '.join(sorted(names))}."
            )
        else:
            raw[current] = f"{raw[current]} {token}"
    missing = [
        o["name"] for o in leaf.get("options") or [] if o.get("required") and o["name"] not in raw
    ]
    if missing:
        raise CommandLineError(f"/{path} needs {', '.join(missing)}. Type help {path} for details.")
    return ParsedCommand(path=path, leaf=leaf, raw=raw)


def convert(parsed: ParsedCommand, guild: Any) -> dict[str, Any]:
    """Option values with the types the command tree declares; names resolved in `guild`."""
    out: dict[str, Any] = {}
    definitions = {o["name"]: o for o in parsed.leaf.get("options") or []}
    for name, text in parsed.raw.items():
        kind = int(definitions[name]["type"])
        out[name] = _value(name, kind, text.strip(), guild)
    return out


def _value(name: str, kind: int, text: str, guild: Any) -> Any:
    if kind == INTEGER:
        try:
            return int(text)
        except ValueError:
            raise CommandLineError(f"{name} takes a whole number, not “{text}”.") from None
    if kind == NUMBER:
        try:
            return float(text)
        except ValueError:
            raise CommandLineError(f"{name} takes a number, not “{text}”.") from None
    if kind == BOOLEAN:
        lowered = text.lower()
        if lowered in ("true", "yes", "1", "on"):
            return True
        if lowered in ("false", "no", "0", "off"):
            return False
        raise CommandLineError(f"{name} takes true or false, not “{text}”.")
    if kind == CHANNEL:
        return _named(guild, "channel", text.lstrip("#"), name)
    if kind == ROLE:
        return _named(guild, "role", text.lstrip("@"), name)
    if kind in (USER, MENTIONABLE):
        return _named(guild, "member", text.lstrip("@"), name)
    if kind == ATTACHMENT:
        path = Path(text).expanduser()
        if not path.is_file():
            raise CommandLineError(f"{name}: no file at {text}.")
        return (path.name, path.read_bytes())
    return text


def _named(guild: Any, what: str, text: str, option: str) -> Any:
    try:
        return getattr(guild, f"{what}_named")(text)
    except (KeyError, LookupError, ValueError):
        raise CommandLineError(f"{option}: no {what} named “{text}” in the sandbox.") from None


def describe_command(path: str, leaf: dict[str, Any]) -> str:
    """`help` text for one command."""
    lines = [f"/{path}: {leaf.get('description', '')}"]
    for option in leaf.get("options") or []:
        need = "required" if option.get("required") else "optional"
        kind = TYPE_NAMES.get(int(option["type"]), "value")
        choices = option.get("choices")
        if choices:
            kind = " | ".join(str(c["value"]) for c in choices)
        lines.append(f"    {option['name']}: {kind} ({need}) - {option.get('description', '')}")
    return "\n".join(lines)
