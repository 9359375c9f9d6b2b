"""The rules that need the running bot's view of a guild: what the bot may do in a channel,
which mentions a member may make there, who may manage Cadence.

Called by the slash commands (`cogs/`) and the web API (`web/`) alike, with the guild,
member and channel objects of the running bot; the Discord-free rules are in
`scheduler.rules` and `scheduler.messages`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

import discord

from scheduler.errors import EntryProblems, ScheduleError
from scheduler.messages import (
    EVERYONE,
    ROLE_MENTION,
    MessageDraft,
    check_mention_policy,
    combine_mentions,
)
from scheduler.transfer import ImportProblem, entry_field
from storage import (
    ChannelDestination,
    Destination,
    MentionPolicy,
    Mentions,
    NewTask,
    ThreadDestination,
    WebhookDestination,
)

__all__ = [
    "MANAGE_SERVER",
    "PERMISSION_LABELS",
    "Postable",
    "approve_mentions",
    "check_can_embed",
    "check_channel",
    "check_import_entries",
    "check_import_entry",
    "check_manager_role",
    "check_setting_channel",
    "check_viewer_role",
    "manager_refusal",
    "manages_server",
    "missing_permissions",
    "webhook_parent",
]

Postable = discord.TextChannel | discord.Thread
"""Where a task may post: a text or announcement channel, or a thread."""


MANAGE_SERVER = "the Manage Server permission"
"""The permission that lets a member manage Cadence's settings (Administrator implies it)."""


def manages_server(permissions: discord.Permissions) -> bool:
    """Manage Server or Administrator: who may change Cadence's settings and API tokens.
    (A guild owner's guild permissions include both.)"""
    return permissions.manage_guild or permissions.administrator


def manager_refusal(
    member: discord.Member, permissions: discord.Permissions, manager_role_id: int | None
) -> str | None:
    """Why `member` may not manage Cadence's tasks (None: they may): Manage Server,
    Administrator, or the guild's manager role."""
    if manages_server(permissions):
        return None
    if manager_role_id and any(role.id == manager_role_id for role in member.roles):
        return None
    needed = MANAGE_SERVER
    if manager_role_id:
        needed += f" or the <@&{manager_role_id}> role"
    return f"You need {needed} to use Cadence's commands in this server."


PERMISSION_LABELS: dict[str, str] = {
    "view_channel": "View Channel",
    "send_messages": "Send Messages",
    "send_messages_in_threads": "Send Messages in Threads",
    "embed_links": "Embed Links",
    "manage_webhooks": "Manage Webhooks",
}
"""discord.py's permission names, as Discord's settings show them."""


def missing_permissions(
    guild: discord.Guild, channel: Postable, *, embed: bool, webhooks: bool = False
) -> list[str]:
    """What the bot lacks to post in `channel` (discord.py permission names, in the order of
    `PERMISSION_LABELS`): seeing it, sending there (in threads, for a thread), and when asked
    embedding links and managing webhooks (on the parent, for a thread). Empty: it may."""
    found = guild.get_channel_or_thread(channel.id)
    resolved = found if isinstance(found, discord.TextChannel | discord.Thread) else channel
    perms = resolved.permissions_for(guild.me)
    is_thread = isinstance(resolved, discord.Thread)
    needed = [
        ("view_channel", perms.view_channel),
        (
            "send_messages_in_threads" if is_thread else "send_messages",
            perms.send_messages_in_threads if is_thread else perms.send_messages,
        ),
    ]
    if embed:
        needed.append(("embed_links", perms.embed_links))
    if webhooks:
        needed.append(("manage_webhooks", webhook_parent(resolved) is not None))
    return [name for name, granted in needed if not granted]


def check_channel(
    guild: discord.Guild, channel: Postable, *, embed: bool
) -> ChannelDestination | ThreadDestination:
    """The bot must be able to post (and embed) there; returns the stored destination."""
    resolved = guild.get_channel_or_thread(channel.id) or channel
    missing = missing_permissions(guild, channel, embed=embed)
    if missing:
        raise ScheduleError(
            f"I can't post in {resolved.mention}: I'm missing "
            f"{', '.join(PERMISSION_LABELS[name] for name in missing)} there. "
            "Give me those permissions in the channel settings, or pick another channel."
        )
    if isinstance(resolved, discord.Thread):
        parent = getattr(resolved, "parent_id", None)
        return ThreadDestination(channel_id=parent or resolved.id, thread_id=resolved.id)
    return ChannelDestination(channel_id=resolved.id)


def check_setting_channel(guild: discord.Guild, channel_id: int, option: str) -> int:
    """The id of a channel a setting (`/scheduler config dev_channel:` …) may name: a text
    channel of this guild where the bot can post embeds; else a ScheduleError naming
    `option`."""
    resolved = guild.get_channel_or_thread(channel_id)
    if resolved is None:
        raise ScheduleError(
            f"{option}: channel {channel_id} is not in this server. Nothing was changed.",
            example=f"{option}: #cadence-log",
        )
    if not isinstance(resolved, discord.TextChannel):
        raise ScheduleError(
            f"{option}: {resolved.mention} is not a text channel. Nothing was changed.",
            example=f"{option}: #cadence-log",
        )
    missing = missing_permissions(guild, resolved, embed=True)
    if missing:
        raise ScheduleError(
            f"{option}: I can't post embeds in {resolved.mention}: I'm missing "
            f"{', '.join(PERMISSION_LABELS[name] for name in missing)} there. Give me those "
            "permissions in the channel settings, or pick another channel. Nothing was changed.",
            example=f"{option}: #cadence-log",
        )
    return resolved.id


def check_manager_role(guild: discord.Guild, role_id: int) -> int:
    """The id of a role that may be the manager role: one of this guild's, neither @everyone
    nor managed by an integration; else a ScheduleError."""
    return _check_granted_role(
        guild, role_id, "manager_role", "manage tasks", "the people who schedule posts"
    )


def check_viewer_role(guild: discord.Guild, role_id: int) -> int:
    """The id of a role that may be the viewer role (read-only on the dashboard and API): as
    for the manager role."""
    return _check_granted_role(
        guild, role_id, "viewer_role", "see every task", "the people who may read the schedule"
    )


_ROLE_EXAMPLES = {"manager_role": "@Schedulers", "viewer_role": "@Editors"}


def _check_granted_role(
    guild: discord.Guild, role_id: int, option: str, rights: str, holders: str
) -> int:
    """A role Cadence grants rights to must be one of this guild's, given to chosen members:
    not @everyone (every member would get the rights), not an integration's role."""
    example = f"{option}: {_ROLE_EXAMPLES[option]}"
    role = guild.get_role(role_id)
    if role is None:
        raise ScheduleError(f"{option}: role {role_id} is not in this server.", example=example)
    if role.is_default():
        raise ScheduleError(
            f"@everyone can't be the {option.replace('_', ' ')}: it would let every member "
            f"{rights}. Pick a role given to {holders}.",
            example=example,
        )
    if role.managed:
        raise ScheduleError(
            f"{role.mention} is managed by an integration and can't be given to members. "
            "Pick another role.",
            example=example,
        )
    return role.id


def check_can_embed(guild: discord.Guild, destinations: Iterable[Destination]) -> None:
    """An embed needs Embed Links where the task posts (a webhook may always embed)."""
    for destination in destinations:
        if isinstance(destination, WebhookDestination):
            continue
        target = guild.get_channel_or_thread(destination.target_id)
        if isinstance(target, discord.TextChannel | discord.Thread):
            check_channel(guild, target, embed=True)


def webhook_parent(channel: Postable) -> discord.TextChannel | discord.ForumChannel | None:
    """The channel whose webhook posts in `channel` (its parent for a thread), when the bot
    may manage webhooks there."""
    parent = channel.parent if isinstance(channel, discord.Thread) else channel
    if parent is None or not parent.permissions_for(parent.guild.me).manage_webhooks:
        return None
    return parent


def approve_mentions(
    draft: MessageDraft,
    *,
    author: discord.Member,
    channel: discord.abc.GuildChannel | discord.Thread,
    policy: MentionPolicy,
) -> Mentions:
    """The mentions the task may make, or a ScheduleError naming the one it may not."""
    check_mention_policy(draft, policy)
    text = draft.all_text()
    wants_everyone = EVERYONE.search(text)
    role_ids = sorted({int(r) for r in ROLE_MENTION.findall(text)})
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
    return Mentions(everyone=bool(wants_everyone), roles=tuple(role_ids), users=True)


def check_import_entries(
    guild: discord.Guild, member: discord.Member, tasks: Sequence[NewTask], policy: MentionPolicy
) -> tuple[list[ImportProblem], list[NewTask]]:
    """Channels must exist here and take our posts; mentions must be the importer's to make.
    `tasks` are a whole planned import, in the document's order. Returns the problems, and
    the tasks with their destinations and approved mentions as this server and this member
    make them (a file's claims are never kept)."""
    problems: list[ImportProblem] = []
    checked: list[NewTask] = []
    for number, new in enumerate(tasks, start=1):
        try:
            checked.append(check_import_entry(guild, member, new, policy))
        except ScheduleError as exc:
            message = f"Entry {number} ({new.name}): {exc.message}"
            problems.append(ImportProblem(entry_field(number - 1, exc), message))
    return problems, checked


def check_import_entry(
    guild: discord.Guild, member: discord.Member, new: NewTask, policy: MentionPolicy
) -> NewTask:
    """One entry of an import, or the web API's task body (see `check_import_entries`);
    webhooks are made afterwards. Raises `InvalidEntryError` with every problem by field
    (``destinations[0].channel_id``, ``payload.variants[0]``); its message is the first."""
    embed = any(v.embed is not None for v in new.payload.variants)
    problems = EntryProblems()
    destinations: list[Destination] = []
    first: Postable | None = None
    for index, dest in enumerate(new.destinations):
        with problems.at(f"destinations[{index}].channel_id"):
            channel, stored = _checked_destination(guild, dest, embed=embed)
            destinations.append(stored)
            first = first or channel
    approvals: list[Mentions] = []
    for index, variant in enumerate(new.payload.variants):
        with problems.at(f"payload.variants[{index}]"):
            draft = MessageDraft.from_variant(variant).validate()
            if first is not None:
                approvals.append(
                    approve_mentions(draft, author=member, channel=first, policy=policy)
                )
    problems.raise_if_any()
    payload = replace(new.payload, mentions=combine_mentions(approvals))
    return replace(new, payload=payload, destinations=tuple(destinations))


def _checked_destination(
    guild: discord.Guild, dest: Destination, *, embed: bool
) -> tuple[Postable, Destination]:
    """Where `dest` posts in this guild, and the destination as stored for it."""
    target = dest.target_id
    channel = guild.get_channel_or_thread(target)
    if channel is None:
        raise ScheduleError(f"channel {target} is not in this server")
    if not isinstance(channel, discord.TextChannel | discord.Thread):
        raise ScheduleError(f"{channel.mention} is not a text channel or thread")
    stored: Destination = check_channel(guild, channel, embed=embed)
    if isinstance(dest, WebhookDestination):
        parent = webhook_parent(channel)
        if not isinstance(parent, discord.TextChannel):
            raise ScheduleError(f"I need Manage Webhooks in {channel.mention}")
        thread_id = stored.thread_id if isinstance(stored, ThreadDestination) else None
        stored = WebhookDestination(
            channel_id=parent.id,
            name=dest.name,
            avatar_url=dest.avatar_url,
            thread_id=thread_id,
        )
    elif (
        isinstance(dest, ChannelDestination)
        and dest.publish
        and channel.type == discord.ChannelType.news
    ):
        stored = ChannelDestination(channel_id=channel.id, publish=True)
    return channel, stored
