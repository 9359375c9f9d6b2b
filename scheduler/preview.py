"""What a schedule would do before it is saved: its canonical spec, a readable sentence and
its next instants, or the error creating a task with it would give.

The slash commands `/schedule cron`, `once` and `every` read their options with
`TaskRules.zone`, `instant_option` and `TaskRules.cron` / `once` / `every`; a preview reads
the same inputs with the same calls (`preview_schedule`), then asks the schedule for its
instants the way `TaskControl.create` does (anchored at `start_at`, else now). Discord-free;
writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from scheduler.errors import ScheduleError
from scheduler.rules import ScheduleChoice, TaskRules, Zone, checked_range, instant_option
from scheduler.triggers import Schedule, schedule_from_spec

__all__ = [
    "MAX_PREVIEW",
    "PreviewProblem",
    "PreviewRefused",
    "SchedulePreview",
    "ScheduleText",
    "first_run",
    "preview_schedule",
]

MAX_PREVIEW = 50
"""The most instants a preview (or the API's upcoming list) gives."""

ScheduleWord = Literal["cron", "once", "every"]


@dataclass(frozen=True, slots=True)
class ScheduleText:
    """A schedule as a person types it: the slash command (`which`) and its options."""

    which: ScheduleWord
    text: str
    timezone: str | None = None
    start: str | None = None
    """`every` only: the first run (as the `start` option); None: one interval from now."""
    end: str | None = None
    """`cron` and `every`: no run after this (as the `end` option)."""


@dataclass(frozen=True, slots=True)
class SchedulePreview:
    """The schedule as it would be stored and what it would do."""

    choice: ScheduleChoice
    description: str
    zone: str
    next: list[datetime]


@dataclass(frozen=True, slots=True)
class PreviewProblem:
    """Which input was wrong (`which`, `timezone`, `start`, `end` or `count`) and why."""

    option: str
    error: ScheduleError


class PreviewRefused(Exception):
    """Every problem of a preview's inputs, each with the words creation would use."""

    def __init__(self, problems: list[PreviewProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(p.error.message for p in problems))


async def preview_schedule(
    rules: TaskRules, guild_id: int, typed: ScheduleText, *, now: datetime, count: int
) -> SchedulePreview:
    """The preview of `typed` in the guild's context (its zone), or `PreviewRefused`."""
    problems: list[PreviewProblem] = []
    try:
        checked_range(count, 1, MAX_PREVIEW, "count")
    except ScheduleError as exc:
        problems.append(PreviewProblem("count", exc))
    try:
        zone = await rules.zone(guild_id, typed.timezone)
    except ScheduleError as exc:
        raise PreviewRefused([*problems, PreviewProblem("timezone", exc)]) from None
    choice = _choice(rules, typed, zone, now, problems)
    if choice is None or problems:
        raise PreviewRefused(problems)
    schedule = schedule_from_spec(
        str(choice.kind),
        choice.spec,
        zone.effective,
        anchor=choice.start_at or now,
        start=choice.start_at,
        end=choice.end_at,
    )
    try:
        first = first_run(schedule, now)
    except ScheduleError as exc:
        raise PreviewRefused([PreviewProblem(typed.which, exc)]) from None
    return SchedulePreview(
        choice=choice,
        description=schedule.describe(),
        zone=zone.effective,
        next=[first, *schedule.upcoming(first, count - 1)],
    )


def _choice(
    rules: TaskRules, typed: ScheduleText, zone: Zone, now: datetime, problems: list[PreviewProblem]
) -> ScheduleChoice | None:
    """The schedule read as its slash command reads it; problems are added to `problems`."""
    allowed = {"cron": ("end",), "once": (), "every": ("start", "end")}[typed.which]
    instants: dict[str, datetime | None] = {}
    for option in ("start", "end"):
        text = getattr(typed, option)
        if text and option not in allowed:
            message = f"/schedule {typed.which} has no {option} option."
            problems.append(PreviewProblem(option, ScheduleError(message)))
            continue
        try:
            instants[option] = instant_option(text, zone.effective, option, now=now)
        except ScheduleError as exc:
            problems.append(PreviewProblem(option, exc))
    if problems:
        return None
    start_at, end_at = instants.get("start"), instants.get("end")
    try:
        if typed.which == "cron":
            return rules.cron(typed.text, zone.effective, end_at=end_at)
        if typed.which == "once":
            return rules.once(typed.text, zone.effective, now=now)
        return rules.every(typed.text, zone.effective, now=now, start_at=start_at, end_at=end_at)
    except ScheduleError as exc:
        problems.append(PreviewProblem(typed.which, exc))
        return None


def first_run(schedule: Schedule, now: datetime) -> datetime:
    """A new task's first instant, or the error `TaskControl.create` gives when none is left."""
    first = schedule.next_fire(None, now)
    if first is None:
        raise ScheduleError(
            "This schedule has no run in the future (is its end already past?).",
            example="end: a date after the first run",
        )
    return first
