"""Making the webhook a task posts through (its custom name and avatar are the task's)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import discord

from discordside.checks import Postable, webhook_parent
from scheduler.errors import ScheduleError
from storage import Destination, NewTask, WebhookDestination

__all__ = ["webhook_destination", "with_webhook", "with_webhooks"]


async def webhook_destination(
    channel: Postable, *, name: str, avatar_url: str | None
) -> WebhookDestination:
    """A new webhook in `channel` (its parent, for a thread) posting as `name`."""
    parent = webhook_parent(channel)
    if parent is None:
        raise ScheduleError(
            f"To post with a custom name I need Manage Webhooks in {channel.mention}. "
            "Give me that permission, or choose “Post as the bot”."
        )
    hook = await parent.create_webhook(name="Cadence", reason="Cadence scheduled posts")
    return WebhookDestination(
        channel_id=parent.id,
        webhook_id=hook.id,
        webhook_token=hook.token,
        name=name,
        avatar_url=avatar_url or None,
        thread_id=channel.id if isinstance(channel, discord.Thread) else None,
    )


async def with_webhook(guild: discord.Guild, claim: WebhookDestination) -> WebhookDestination:
    """An imported webhook destination (already checked) with a webhook made for it."""
    channel = guild.get_channel(claim.channel_id)
    assert isinstance(channel, discord.TextChannel)
    hook = await channel.create_webhook(name="Cadence", reason="Cadence import")
    return replace(claim, webhook_id=hook.id, webhook_token=hook.token)


async def with_webhooks(
    guild: discord.Guild, new: NewTask, *, keep: Sequence[Destination] = ()
) -> NewTask:
    """`new` with a webhook made for each webhook destination (checked already by
    `check_import_entry`). One that matches a destination in `keep` (same channel, thread,
    name and avatar: an edit that left it alone) keeps that destination's webhook."""
    destinations: list[Destination] = []
    for dest in new.destinations:
        if isinstance(dest, WebhookDestination):
            kept = next((old for old in keep if _same_webhook(old, dest)), None)
            dest = kept if kept is not None else await with_webhook(guild, dest)
        destinations.append(dest)
    return replace(new, destinations=tuple(destinations))


def _same_webhook(old: Destination, claim: WebhookDestination) -> bool:
    return (
        isinstance(old, WebhookDestination)
        and old.webhook_id is not None
        and (old.channel_id, old.thread_id, old.name, old.avatar_url)
        == (claim.channel_id, claim.thread_id, claim.name, claim.avatar_url)
    )
