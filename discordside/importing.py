"""An import of a `/schedule export` document into a guild, all or nothing, whichever door
asks (`/schedule import` with a file, `POST /api/v1/guilds/{guild_id}/import` with a body).

The steps, written once: check every entry (`scheduler.transfer.plan_import`), then check the
channels and mentions as this guild and this member make them
(`discordside.checks.check_import_entries`), then make the webhooks, then delete the tasks
being replaced and create the new ones in one transaction (`TaskControl.import_tasks`). When
any entry is wrong nothing is written and every problem is returned.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import discord

from discordside.checks import check_import_entries
from discordside.webhooks import with_webhooks
from scheduler.clock import Clock
from scheduler.control import TaskControl
from scheduler.rules import TaskRules
from scheduler.transfer import ImportProblem, plan_import
from storage import Task, TaskRepository

__all__ = ["ImportOutcome", "import_document"]


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    """What an import did: every problem (and nothing written), or what it wrote."""

    problems: Sequence[ImportProblem] = ()
    created: Sequence[Task] = ()
    replaced: Sequence[str] = field(default_factory=tuple)
    """The names in the document that replaced existing tasks."""
    removed: Sequence[Task] = ()
    """The existing tasks deleted for them (a name may match more than one, see below)."""

    @property
    def ok(self) -> bool:
        return not self.problems


async def import_document(
    document: Any,
    *,
    guild: discord.Guild,
    member: discord.Member,
    replace: bool,
    tasks: TaskRepository,
    rules: TaskRules,
    control: TaskControl,
    clock: Clock,
    via: str | None = None,
) -> ImportOutcome:
    """Import `document` into `guild` as `member` (whose rights approve channels and mentions,
    and who is the audit's actor); `replace` lets entries replace tasks of the same name;
    `via` names the door in the audit entries when it is not a slash command."""
    existing = await tasks.list_for_guild(guild.id)
    zone = await rules.zone(guild.id, None)
    plan = plan_import(
        document,
        guild_id=guild.id,
        actor_id=member.id,
        now=clock.now(),
        existing_names=[t.name for t in existing],
        replace=replace,
        default_zone=zone.effective,
        min_interval_seconds=rules.min_interval_seconds,
        max_tasks=rules.max_tasks_per_guild,
    )
    if plan.problems:
        return ImportOutcome(problems=plan.problems)
    policy = await rules.mention_policy(guild.id)
    problems, checked = check_import_entries(guild, member, plan.tasks, policy)
    if problems:
        return ImportOutcome(problems=problems)
    made = [await with_webhooks(guild, new) for new in checked]
    # Names are the same "in any case" (casefold); SQLite's NOCASE folds ASCII only, so
    # "Äpfel" and "äpfel" can both exist: replacing either replaces both.
    replaced = {name.casefold() for name in plan.replaces}
    removed = [old for old in existing if old.name.casefold() in replaced]
    created = await control.import_tasks(removed, made, actor_id=member.id, via=via)
    return ImportOutcome(created=created, replaced=tuple(plan.replaces), removed=removed)
