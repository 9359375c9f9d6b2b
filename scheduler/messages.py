"""A task's message as admins write it, and the rules it must meet before it is stored:
Discord's limits, colours, and which mentions it makes (ARCHITECTURE section 6).

Discord-free: whether the creator *may* make those mentions depends on their permissions in
a channel, which `discordside.checks.approve_mentions` judges with these helpers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from scheduler.errors import ScheduleError
from storage import Embed, MentionPolicy, Mentions, Variant

__all__ = [
    "CONTENT_MAX",
    "DESCRIPTION_MAX",
    "EMBED_TOTAL_MAX",
    "FOOTER_MAX",
    "MAX_VARIANTS",
    "TITLE_MAX",
    "URL_MAX",
    "MessageDraft",
    "check_mention_policy",
    "combine_mentions",
    "from_options",
    "keep_still_approved",
    "mentions_in",
    "parse_colour",
]

CONTENT_MAX = 2000
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FOOTER_MAX = 2048
EMBED_TOTAL_MAX = 6000
URL_MAX = 2000
MAX_VARIANTS = 20

ROLE_MENTION = re.compile(r"<@&(\d{15,21})>")
EVERYONE = re.compile(r"@(everyone|here)\b")
HTTP_URL = re.compile(r"^https?://\S+$")
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
    """What a task posts, as a form holds it: plain content and/or an embed."""

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
        if self.image_url and not HTTP_URL.match(self.image_url):
            raise ScheduleError(
                "The image URL must start with http:// or https:// and have no spaces.",
                example="https://example.com/banner.png",
            )
        return self

    def variant(self) -> Variant:
        """The stored form (one of the payload's variants)."""
        embed = None
        if self.has_embed:
            embed = Embed(
                title=self.title,
                description=self.description,
                footer=self.footer,
                image_url=self.image_url,
                color=self.color,
            )
        return Variant(content=self.content, embed=embed)

    @classmethod
    def from_variant(cls, variant: Variant) -> MessageDraft:
        embed = variant.embed or Embed()
        return cls(
            content=variant.content,
            title=embed.title,
            description=embed.description,
            footer=embed.footer,
            image_url=embed.image_url,
            color=embed.color,
        )


def from_options(message: str | None, title: str | None, color: str | None) -> MessageDraft:
    """The draft from command options: with a title or colour the message becomes an embed."""
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
    return bool(EVERYONE.search(text)), {int(r) for r in ROLE_MENTION.findall(text)}


def check_mention_policy(draft: MessageDraft, policy: MentionPolicy) -> None:
    """The guild's `mention_policy` of `none` refuses @everyone, @here and role mentions."""
    everyone, roles = mentions_in(draft)
    if (everyone or roles) and policy == MentionPolicy.NONE:
        raise ScheduleError(
            "This server's mention policy is `none`: scheduled messages may not mention "
            "@everyone, @here or roles. Remove the mention, or ask an admin to change "
            "`/scheduler config mention_policy`."
        )


def combine_mentions(approvals: Iterable[Mentions]) -> Mentions:
    """Everything approved in any of `approvals` (a task's several variants)."""
    everyone, roles = False, set[int]()
    for approved in approvals:
        everyone = everyone or approved.everyone
        roles.update(approved.roles)
    return Mentions(everyone=everyone, roles=tuple(sorted(roles)), users=True)


def keep_still_approved(
    approved: Mentions, previous: Mentions | None, others: Sequence[MessageDraft]
) -> Mentions:
    """`approved` (for the message just saved) plus what was approved before for the other
    variants and is still used by them."""
    previous = previous or Mentions()
    everyone = any(mentions_in(d)[0] for d in others) and previous.everyone
    used_roles: set[int] = set().union(*(mentions_in(d)[1] for d in others)) if others else set()
    kept_roles = used_roles & set(previous.roles)
    return Mentions(
        everyone=approved.everyone or everyone,
        roles=tuple(sorted(set(approved.roles) | kept_roles)),
        users=True,
    )
