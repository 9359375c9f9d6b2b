"""A task body of the web API (the export entry) checked as `/schedule import` checks one
entry, and as the creator of the token could make it: the same rulebook, field by field.

`scheduler.entries.check_entry` checks the entry's shape, schedule, zone and message limits;
`discordside.checks.check_import_entry` its channels, the bot's permissions there and the
mentions the member may make; `TaskRules` the name (unique in the guild) and the room left
(MAX_TASKS_PER_GUILD). Every problem is answered at once, as a 422 listing each field."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import discord

from discordside.checks import check_import_entry
from scheduler.entries import EntryContext, check_entry
from scheduler.errors import EntryProblem, InvalidEntryError, ScheduleError
from scheduler.rules import TaskRules
from scheduler.transfer import ENTRY_FIELDS
from storage import NewTask
from web.problems import FieldError, Problem

__all__ = [
    "READ_ONLY_FIELDS",
    "TaskInputChecker",
    "invalid",
    "refuse_fields",
]

READ_ONLY_FIELDS = (
    "id",
    "status",
    "next_run_at",
    "last_run_at",
    "run_count",
    "failure_count",
    "created_by",
    "created_at",
    "updated_by",
    "updated_at",
    "version",
)
"""Fields of the task object that only Cadence sets (`status`: use pause and resume)."""


def invalid(problems: Iterable[EntryProblem | FieldError], detail: str = "") -> Problem:
    """A 422 listing every invalid field."""
    errors = [FieldError(p.field, p.message) for p in problems]
    return Problem(
        422,
        detail or "The task is not valid; see errors (nothing was changed).",
        kind="validation",
        errors=errors,
    )


def refuse_fields(body: Any, *, read_only: Iterable[str], what: str) -> list[FieldError]:
    """Problems with the keys of a body: read-only keys, unknown keys. A body that is not
    an object is refused at once (422)."""
    if not isinstance(body, Mapping):
        raise invalid([FieldError("", f"The {what} must be a JSON object.")])
    problems = []
    fixed = set(read_only)
    for key in body:
        if key in fixed:
            hint = " (use POST …/pause or …/resume)" if key == "status" else ""
            problems.append(FieldError(str(key), f"{key} is read-only{hint}"))
        elif key not in ENTRY_FIELDS and key not in READ_ONLY_FIELDS:
            problems.append(FieldError(str(key)[:100], "is not a field of a task"))
    return problems


class TaskInputChecker:
    """Turns a task body into the NewTask the slash commands would make, or a 422."""

    def __init__(self, rules: TaskRules) -> None:
        self._rules = rules

    async def check(
        self,
        guild: discord.Guild,
        member: discord.Member,
        entry: Mapping[str, Any],
        *,
        now: datetime,
        except_id: int | None = None,
        refused: Iterable[FieldError] = (),
    ) -> NewTask:
        """Every rule `/schedule import` applies to one entry, plus the slash commands' name
        rule; `except_id` is the task being edited (it may keep its own name). `refused`
        are problems the door found with the body's keys, answered with the rest."""
        problems: list[EntryProblem | FieldError] = list(refused)
        zone = await self._rules.zone(guild.id, None)
        new: NewTask | None = None
        try:
            context = EntryContext(
                guild.id, member.id, now, zone.effective, self._rules.min_interval_seconds
            )
            new = check_entry(dict(entry), context)
        except InvalidEntryError as exc:
            problems += exc.problems
        if isinstance(entry.get("name"), str) and not any(p.field == "name" for p in problems):
            try:
                await self._rules.new_name(guild.id, str(entry.get("name")), except_id=except_id)
            except ScheduleError as exc:
                problems.append(EntryProblem("name", exc.message))
        if new is not None:
            policy = await self._rules.mention_policy(guild.id)
            try:
                new = check_import_entry(guild, member, new, policy)
            except InvalidEntryError as exc:
                problems += exc.problems
        if problems or new is None:
            raise invalid(problems)
        return new

    async def check_room(self, guild_id: int) -> None:
        """MAX_TASKS_PER_GUILD, in the slash commands' words (422)."""
        try:
            await self._rules.check_room(guild_id)
        except ScheduleError as exc:
            errors = [FieldError("", exc.message)]
            raise Problem(422, exc.message, kind="limit", errors=errors) from None
