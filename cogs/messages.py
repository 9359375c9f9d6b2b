"""A task's message as admins write it: validated against Discord's limits, colours and the
mentions its creator may make (DESIGN section 6), before anything is stored."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import discord

from scheduler.errors import ScheduleError
from storage import MentionPolicy

CONTENT_MAX = 2000
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FOOTER_MAX = 2048
EMBED_TOTAL_MAX = 6000
URL_MAX = 2000

_ROLE_MENTION = re.compile(r"<@&(\d{15,21})>")
_EVERYONE = re.compile(r"@(everyone|here)\b")
_HEX = re.compile(r"^(?:#|0x)?([0-9a-fA-F]{6})$")
_NAMED = {
    "red": 0xE74C3C,
    "orange": 0xE67E22,
    "yellow": 0xF1C40F,
    "green": 0x2ECC71,
    "teal": 0x1ABC9C,
    "blue": 0x3498DB,
    "blurple": 0x5865F2,
    "purple": 0x9B59B6,
    "pink": 0xE91E63,
    "gold": 0xF1C40F,
    "grey": 0x95A5A6,
    "gray": 0x95A5A6,
    "white": 0xFFFFFF,
    "black": 0x000001,
}


def parse_colour(text: str) -> int:
    """`#ff8800`, `ff8800`, `0xff8800` or a name such as `orange`."""
    cleaned = text.strip().lower()
    if cleaned in _NAMED:
        return _NAMED[cleaned]
    match = _HEX.match(cleaned)
    if match is None:
        names = ", ".join(sorted(_NAMED)[:8])
        raise ScheduleError(
            f'"{text[:40]}" is not a colour. Use a hex code or a name ({names}, ...).',
            example="color: #ff8800",
        )
    return int(match.group(1), 16)


@dataclass(frozen=True, slots=True)
class MessageDraft:
    """What a task posts: plain content and/or an embed."""

    content: str = ""
    title: str = ""
    description: str = ""
    footer: str = ""
    image_url: str = ""
    color: int | None = None

    @property
    def has_embed(self) -> bool:
        return bool(self.title or self.description or self.footer or self.image_url)

    def all_text(self) -> str:
        return "\n".join((self.content, self.title, self.description, self.footer))

    def validate(self) -> MessageDraft:
        """Refuse what Discord would refuse, with a message that says how to fix it."""
        if not self.content.strip() and not self.has_embed:
            raise ScheduleError(
                "The message is empty. Write some text, or an embed title or description.",
                example="message: Stand-up in 5 minutes!",
            )
        _limit("The message", self.content, CONTENT_MAX)
        _limit("The title", self.title, TITLE_MAX)
        _limit("The embed description", self.description, DESCRIPTION_MAX)
        _limit("The footer", self.footer, FOOTER_MAX)
        total = len(self.title) + len(self.description) + len(self.footer)
        if total > EMBED_TOTAL_MAX:
            raise ScheduleError(
                f"The embed has {total} characters; Discord allows {EMBED_TOTAL_MAX} in all. "
                "Shorten the description."
            )
        if self.image_url and not re.match(r"^https?://\S+$", self.image_url):
            raise ScheduleError(
                "The image URL must start with http:// or https:// and have no spaces.",
                example="https://example.com/banner.png",
            )
        return self

    def variant(self) -> dict[str, Any]:
        """The stored form (one entry of `payload.variants`)."""
        out: dict[str, Any] = {}
        if self.content:
            out["content"] = self.content
        if self.has_embed:
            embed: dict[str, Any] = {}
            for key in ("title", "description", "footer", "image_url"):
                if getattr(self, key):
                    embed[key] = getattr(self, key)
            if self.color is not None:
                embed["color"] = self.color
            out["embed"] = embed
        return out

    @classmethod
    def from_variant(cls, variant: dict[str, Any]) -> MessageDraft:
        embed = variant.get("embed") or {}
        return cls(
            content=variant.get("content", ""),
            title=embed.get("title", ""),
            description=embed.get("description", ""),
            footer=embed.get("footer", ""),
            image_url=embed.get("image_url", ""),
            color=embed.get("color"),
        )


def from_options(message: str | None, title: str | None, color: str | None) -> MessageDraft:
    """The draft from slash options: with a title or colour the message becomes an embed."""
    colour = parse_colour(color) if color else None
    text = (message or "").replace("\\n", "\n")
    if title or colour is not None:
        return MessageDraft(title=title or "", description=text, color=colour)
    return MessageDraft(content=text)


def _limit(what: str, text: str, limit: int) -> None:
    if len(text) > limit:
        raise ScheduleError(
            f"{what} has {len(text)} characters; Discord allows {limit}. Shorten it, or use "
            "an embed (title and description) for longer text."
        )


def mentions_in(draft: MessageDraft) -> tuple[bool, set[int]]:
    """(mentions @everyone or @here, role ids mentioned) in a message."""
    text = draft.all_text()
    return bool(_EVERYONE.search(text)), {int(r) for r in _ROLE_MENTION.findall(text)}


def merge_approved(
    approved: dict[str, Any], previous: Any, others: list[MessageDraft]
) -> dict[str, Any]:
    """`approved` (for the message just saved) plus what was approved before for the other
    variants and is still used by them."""
    previous = previous if isinstance(previous, dict) else {}
    everyone = any(mentions_in(d)[0] for d in others) and bool(previous.get("everyone"))
    used_roles: set[int] = set().union(*(mentions_in(d)[1] for d in others)) if others else set()
    kept_roles = used_roles & {int(r) for r in previous.get("roles", [])}
    return {
        "everyone": bool(approved["everyone"]) or everyone,
        "roles": sorted(set(approved["roles"]) | kept_roles),
        "users": True,
    }


def approve_mentions(
    draft: MessageDraft,
    *,
    author: discord.Member,
    channel: discord.abc.GuildChannel | discord.Thread,
    policy: MentionPolicy,
) -> dict[str, Any]:
    """The mentions the task may make, or a ScheduleError naming the one it may not."""
    text = draft.all_text()
    wants_everyone = _EVERYONE.search(text)
    role_ids = sorted({int(r) for r in _ROLE_MENTION.findall(text)})
    if (wants_everyone or role_ids) and policy == MentionPolicy.NONE:
        raise ScheduleError(
            "This server's mention policy is `none`: scheduled messages may not mention "
            "@everyone, @here or roles. Remove the mention, or ask an admin to change "
            "`/scheduler config mention_policy`."
        )
    perms = channel.permissions_for(author)
    if wants_everyone and not perms.mention_everyone:
        raise ScheduleError(
            f"You may not mention @{wants_everyone.group(1)} in {channel.mention}, so a task "
            "you create may not either. Remove the mention."
        )
    for role_id in role_ids:
        role = author.guild.get_role(role_id)
        if role is None:
            raise ScheduleError(f"The message mentions a role that does not exist (<@&{role_id}>).")
        if not (role.mentionable or perms.mention_everyone):
            raise ScheduleError(
                f"You may not mention {role.mention} (it is not mentionable and you lack "
                "Mention @everyone, @here and All Roles). Remove the mention."
            )
    return {"everyone": bool(wants_everyone), "roles": role_ids, "users": True}
