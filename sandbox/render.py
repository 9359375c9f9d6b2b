"""Discord messages as terminal text: embeds as titled blocks, timestamps and mentions made
readable, components as numbered choices."""

from __future__ import annotations

import re
import textwrap
from datetime import UTC, datetime
from typing import Any

_TIMESTAMP = re.compile(r"<t:(-?\d+)(?::([tTdDfFR]))?>")
_CHANNEL = re.compile(r"<#(\d+)>")
_ROLE = re.compile(r"<@&(\d+)>")
_USER = re.compile(r"<@!?(\d+)>")
_ESCAPED = re.compile(r"\\([\\*_~`|>\[\]<])")


class Names:
    """Turns ids into names for display (channels, roles, members of the sandbox guild)."""

    def __init__(self, guild: Any, now: Any) -> None:
        self.guild = guild
        self.now = now  # a callable returning the current aware datetime

    def text(self, value: str) -> str:
        value = _TIMESTAMP.sub(self._timestamp, value)
        value = _CHANNEL.sub(lambda m: "#" + self._channel(int(m.group(1))), value)
        value = _ROLE.sub(lambda m: "@" + self._role(int(m.group(1))), value)
        value = _USER.sub(lambda m: "@" + self._user(int(m.group(1))), value)
        return _ESCAPED.sub(r"\1", value).replace("**", "")

    def _timestamp(self, match: re.Match[str]) -> str:
        instant = datetime.fromtimestamp(int(match.group(1)), UTC)
        if match.group(2) == "R":
            return relative(instant, self.now())
        return instant.strftime("%Y-%m-%d %H:%M:%S UTC")

    def _channel(self, channel_id: int) -> str:
        channel = self.guild.world.channel(channel_id)
        return channel.name if channel is not None else str(channel_id)

    def _role(self, role_id: int) -> str:
        role = self.guild.roles.get(role_id)
        return role.name if role is not None else str(role_id)

    def _user(self, user_id: int) -> str:
        user = self.guild.world.users.get(user_id)
        return user.username if user is not None else str(user_id)


def relative(instant: datetime, now: datetime) -> str:
    seconds = int((instant - now).total_seconds())
    span = abs(seconds)
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute"), (1, "second")):
        if span >= size or size == 1:
            amount = span // size
            words = f"{amount} {unit}{'s' if amount != 1 else ''}"
            return f"in {words}" if seconds >= 0 else f"{words} ago"
    return "now"


def message_lines(data: dict[str, Any], names: Names, *, indent: str = "  ") -> list[str]:
    """Content, then each embed as a block with its fields."""
    lines: list[str] = []
    content = data.get("content") or ""
    if content:
        lines += [indent + line for line in names.text(content).splitlines()]
    for embed in data.get("embeds") or []:
        lines += embed_lines(embed, names, indent=indent)
    for attachment in data.get("attachments") or []:
        lines.append(f"{indent}[file: {attachment.get('filename')}]")
    return lines


def embed_lines(embed: dict[str, Any], names: Names, *, indent: str = "  ") -> list[str]:
    bar = indent + "│ "
    out = [indent + "┌─ " + names.text(embed.get("title") or "(embed)")]
    description = embed.get("description")
    if description:
        out += [bar + line for line in _wrap(names.text(description))]
    for field in embed.get("fields") or []:
        out.append(bar + names.text(field.get("name", "")) + ":")
        out += [bar + "  " + line for line in _wrap(names.text(field.get("value", "")))]
    footer = (embed.get("footer") or {}).get("text")
    out.append(indent + "└─ " + (names.text(footer) if footer else ""))
    return out


def _wrap(text: str) -> list[str]:
    lines: list[str] = []
    for line in text.splitlines() or [""]:
        lines += textwrap.wrap(line, 96) or [""]
    return lines


def components(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Buttons and selects of a message, in order, flattened out of their action rows."""
    found: list[dict[str, Any]] = []
    for row in data.get("components") or []:
        for item in row.get("components") or []:
            if item.get("type") in (2, 3, 5, 6, 7, 8) and not item.get("disabled"):
                found.append(item)
    return found


def component_lines(items: list[dict[str, Any]], names: Names, guild: Any) -> list[str]:
    lines = []
    for number, item in enumerate(items, start=1):
        if item["type"] == 2:
            lines.append(f"  [{number}] {item.get('label') or item.get('custom_id')}")
        else:
            lines.append(
                f"  [{number}] {item.get('placeholder') or 'choose'}: "
                + ", ".join(
                    f"{n}) {label}"
                    for n, (label, _) in enumerate(select_options(item, guild), start=1)
                )
            )
    if lines:
        lines.append("  (type: click N, or select N a b ... to choose options by number)")
    return lines


def select_options(item: dict[str, Any], guild: Any) -> list[tuple[str, Any]]:
    """(label, value) pairs a select offers; channel selects list the guild's channels."""
    if item["type"] == 3:
        return [(o.get("label", o["value"]), o["value"]) for o in item.get("options") or []]
    if item["type"] == 8:
        allowed = set(item.get("channel_types") or [])
        return [
            ("#" + c.name, c)
            for c in sorted(guild.channels.values(), key=lambda c: (c.position, c.id))
            if not allowed or int(c.type) in allowed
        ]
    if item["type"] == 6:
        return [("@" + r.name, r) for r in guild.roles.values()]
    return [("@" + m.user.username, m) for m in guild.members.values()]
