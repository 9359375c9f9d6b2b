"""The engine's `Deliverer`, implemented with discord.py: channels, threads, announcement
channels (auto-publish) and webhooks (custom name and avatar)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import aiohttp
import discord

from discordside.members import lookup_for
from scheduler.protocols import (
    Delivery,
    DeliveryError,
    Notice,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from storage import ChannelDestination, Embed, Mentions, NoticeLevel, WebhookDestination

if TYPE_CHECKING:
    from discord.ext import commands

log = logging.getLogger(__name__)

_View = tuple[discord.Guild, Any, "discord.Member | None"]
"""What a mention check looks at: the guild, the channel (or thread) and the creator."""

# Discord error codes that mean the destination is gone: pause the task at once.
UNKNOWN_CHANNEL = 10003
UNKNOWN_WEBHOOK = 10015
MISSING_ACCESS = 50001
MISSING_PERMISSIONS = 50013


def build_embed(data: Embed | None) -> discord.Embed | None:
    """A discord.Embed from a stored message variant's embed."""
    if data is None:
        return None
    embed = discord.Embed(
        title=data.title or None, description=data.description or None, colour=data.color
    )
    if data.footer:
        embed.set_footer(text=data.footer)
    if data.image_url:
        embed.set_image(url=data.image_url)
    for item in data.fields:
        embed.add_field(name=item.name, value=item.value, inline=item.inline)
    return embed


def build_allowed_mentions(approved: Mentions) -> discord.AllowedMentions:
    """Only what was approved when the task was saved may ping."""
    roles = [discord.Object(r) for r in approved.roles]
    return discord.AllowedMentions(
        everyone=approved.everyone,
        roles=roles or False,
        users=approved.users,
        replied_user=False,
    )


class DiscordDeliverer:
    """Posts a task's message; turns discord.py's errors into the engine's two kinds.

    `notify`, when set, receives a notice when a post goes out with mentions muted because
    its creator may no longer make them (ARCHITECTURE section 6).
    """

    def __init__(self, bot: commands.Bot, notify: Callable[[Notice], None] | None = None) -> None:
        self._bot = bot
        self.notify = notify
        self._muted_told: set[int] = set()

    async def deliver(self, delivery: Delivery) -> int:
        try:
            return await self._send(delivery)
        except DeliveryError:
            raise
        except discord.Forbidden as exc:
            raise _forbidden(exc, delivery) from exc
        except discord.NotFound as exc:
            raise _not_found(exc, delivery) from exc
        except discord.DiscordServerError as exc:
            raise TransientDeliveryError(
                f"Discord answered {exc.status}", code=exc.code, status=exc.status
            ) from exc
        except discord.HTTPException as exc:
            if exc.status == 429 or exc.status >= 500:
                raise TransientDeliveryError(
                    f"Discord answered {exc.status}", code=exc.code, status=exc.status
                ) from exc
            raise PermanentDeliveryError(
                f"Discord refused the message ({exc.status}, code {exc.code}): {exc.text[:200]}",
                code=exc.code,
                status=exc.status,
                fix="Check the message with /schedule run dry_run:true and edit it.",
            ) from exc
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise TransientDeliveryError(f"network error: {type(exc).__name__}") from exc

    async def _send(self, delivery: Delivery) -> int:
        destination = delivery.destination
        message = delivery.message
        content = message.content or None
        embed = build_embed(message.embed)
        mentions = build_allowed_mentions(await self._still_allowed(delivery))
        if isinstance(destination, WebhookDestination):
            return await self._send_webhook(destination, content, embed, mentions)
        channel = self._bot.get_partial_messageable(destination.target_id)
        kwargs: dict[str, Any] = {"allowed_mentions": mentions, "nonce": delivery.nonce}
        if embed is not None:
            kwargs["embed"] = embed
        sent = await channel.send(content, **kwargs)
        if isinstance(destination, ChannelDestination) and destination.publish:
            await self._publish(sent, delivery)
        return sent.id

    async def _still_allowed(self, delivery: Delivery) -> Mentions:
        """The approved mentions, less those the creator may no longer make.

        Judged from the gateway's cache when it holds the guild and the channel, with the
        creator from the member lookup (`discordside.members`); otherwise (before the
        gateway is ready, or while a guild is still loading) from the guild, channel and
        member fetched over REST. The check never passes for
        lack of a cache: a guild or channel the bot cannot fetch mutes the mentions (the
        post then fails on its own), and any other REST error fails the attempt, which is
        retried like a failed post.
        """
        approved = delivery.allowed_mentions
        if not approved.everyone and not approved.roles:
            return approved
        view = await self._cached_view(delivery) or await self._fetched_view(delivery)
        if view is None:
            return replace(approved, everyone=False, roles=())
        guild, channel, member = view
        may_everyone = member is not None and channel.permissions_for(member).mention_everyone
        kept_roles = [
            r
            for r in approved.roles
            if may_everyone
            or (member is not None and (role := guild.get_role(r)) is not None and role.mentionable)
        ]
        everyone = approved.everyone and may_everyone
        if everyone == approved.everyone and kept_roles == list(approved.roles):
            return approved
        self._tell_muted(delivery, left=member is None)
        return replace(approved, everyone=everyone, roles=tuple(kept_roles))

    async def _cached_view(self, delivery: Delivery) -> _View | None:
        """Guild and channel from the gateway's cache, when it holds them; the creator from
        the member lookup (discord.py's cache, else a short-lived copy fetched over REST:
        with MEMBER_CACHE=needed the gateway keeps no members)."""
        guild = self._bot.get_guild(delivery.guild_id) if delivery.guild_id else None
        target = _target_id(delivery)
        if guild is None or target is None:
            return None
        channel = guild.get_channel_or_thread(target)
        if channel is None:
            return None
        member = None
        if delivery.created_by:
            member = await lookup_for(self._bot).member(guild, delivery.created_by)
        return guild, channel, member

    async def _fetched_view(self, delivery: Delivery) -> _View | None:
        """Guild, channel and creator over REST; None when the bot cannot see them."""
        target = _target_id(delivery)
        if delivery.guild_id is None or target is None:
            return None
        try:
            guild = await self._bot.fetch_guild(delivery.guild_id, with_counts=False)
            channel = await guild.fetch_channel(target)
            if isinstance(channel, discord.Thread):  # a thread takes its parent's rights
                channel = await guild.fetch_channel(channel.parent_id)
        except (discord.NotFound, discord.Forbidden, discord.InvalidData):
            return None
        member: discord.Member | None = None
        if delivery.created_by:
            try:
                member = await guild.fetch_member(delivery.created_by)
            except discord.NotFound:
                member = None  # left the server
        log.debug("Task %s: mentions checked over REST", delivery.task_id)
        return guild, channel, member

    def _tell_muted(self, delivery: Delivery, *, left: bool) -> None:
        if self.notify is None or delivery.task_id in self._muted_told:
            return
        self._muted_told.add(delivery.task_id)
        why = "has left the server" if left else "may no longer mention them"
        self.notify(
            Notice(
                guild_id=delivery.guild_id,
                level=NoticeLevel.WARNING,
                kind="mentions_muted",
                title=f"Task {delivery.task_name!r} posted with mentions muted",
                body=(
                    f"The member who created it {why}, so its @everyone/@here or role "
                    "mentions no longer ping. Edit the task (its new editor's rights count), "
                    "or remove the mentions."
                ),
                task_id=delivery.task_id,
            )
        )

    async def _publish(self, sent: discord.Message, delivery: Delivery) -> None:
        try:
            await sent.publish()
        except discord.HTTPException as exc:
            # The post is out; a failed crosspost is worth a log line, not a failed run.
            log.warning(
                "Task %s: posted but could not publish message %s: %s",
                delivery.task_id,
                sent.id,
                exc,
            )

    async def _send_webhook(
        self,
        destination: WebhookDestination,
        content: str | None,
        embed: discord.Embed | None,
        mentions: discord.AllowedMentions,
    ) -> int:
        webhook = discord.Webhook.partial(
            destination.webhook_id or 0, destination.webhook_token or "", client=self._bot
        )
        kwargs: dict[str, Any] = {"wait": True, "allowed_mentions": mentions}
        if embed is not None:
            kwargs["embed"] = embed
        if destination.name:
            kwargs["username"] = destination.name
        if destination.avatar_url:
            kwargs["avatar_url"] = destination.avatar_url
        if destination.thread_id:
            kwargs["thread"] = discord.Object(destination.thread_id)
        sent = await webhook.send(content or discord.utils.MISSING, **kwargs)
        return sent.id


def _target_id(delivery: Delivery) -> int | None:
    return delivery.destination.target_id or None


def _where(delivery: Delivery) -> str:
    return f"<#{delivery.destination.target_id}>"


def _forbidden(exc: discord.Forbidden, delivery: Delivery) -> PermanentDeliveryError:
    where = _where(delivery)
    needs = "View Channel, Send Messages and Embed Links"
    if exc.code == MISSING_ACCESS:
        reason = f"the bot cannot see {where} (Missing Access)"
    else:
        reason = f"the bot may not post in {where} (Missing Permissions)"
    return PermanentDeliveryError(
        reason,
        code=exc.code,
        status=exc.status,
        fix=f"Give the bot {needs} in {where}, then /schedule resume if it was paused.",
    )


def _not_found(exc: discord.NotFound, delivery: Delivery) -> PermanentDeliveryError:
    where = _where(delivery)
    if exc.code == UNKNOWN_WEBHOOK:
        return PermanentDeliveryError(
            f"the webhook for {where} was deleted (Unknown Webhook)",
            code=exc.code,
            status=exc.status,
            pause_now=True,
            fix="Set the destination again with /schedule destinations, then /schedule resume.",
        )
    return PermanentDeliveryError(
        f"{where} no longer exists (Unknown Channel)",
        code=exc.code,
        status=exc.status,
        pause_now=exc.code == UNKNOWN_CHANNEL,
        fix="Choose another channel with /schedule edit, then /schedule resume.",
    )
