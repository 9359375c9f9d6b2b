"""What to do with a due task: run it, or apply its catch-up policy to the instants it missed.

Pure functions: the task, its schedule and `now` go in, a `Plan` comes out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from scheduler.triggers import Schedule, schedule_from_spec
from storage import CatchUp, Task, TaskKind, TaskStatus

ENUMERATE_CAP = 1000
"""Most missed instants listed one by one for a task; beyond that they are only counted."""

STARTUP_GRACE = timedelta(seconds=2)
"""At start-up, an instant this recent is simply late, not missed."""


@dataclass(slots=True)
class Plan:
    """The outcome of planning one due task."""

    run: list[datetime] = field(default_factory=list)
    missed: list[datetime] = field(default_factory=list)
    skipped: list[datetime] = field(default_factory=list)
    total_missed: int = 0
    next_run_at: datetime | None = None
    late: bool = False
    skip_used: int = 0


def schedule_for_task(task: Task, zone: str) -> Schedule:
    """The schedule a stored task follows, in `zone` (its own, the guild's or the default)."""
    anchor = task.start_at or task.created_at
    return schedule_from_spec(
        str(task.kind), task.spec, zone, anchor=anchor, start=task.start_at, end=task.end_at
    )


def upcoming_runs(task: Task, zone: str, count: int) -> list[datetime]:
    """The next `count` instants of a stored task, as every door lists them: its stored next
    run, then what its schedule gives after that. None for a task that is not active (it
    will not run until resumed)."""
    if task.status != TaskStatus.ACTIVE or task.next_run_at is None or count < 1:
        return []
    schedule = schedule_for_task(task, zone)
    return [task.next_run_at, *schedule.upcoming(task.next_run_at, count - 1)]


def plan(
    task: Task,
    schedule: Schedule,
    now: datetime,
    *,
    startup: bool,
    catch_up_max: int,
) -> Plan:
    """Decide which of a due task's instants run, which are missed and where it goes next.

    In normal operation a task with one due instant just runs (late or not). At start-up, or
    when more than one instant has passed (the process was frozen), the task's catch-up
    policy applies: `skip` records every instant as missed; `once` runs the latest and
    records the others as missed; `all` runs the latest `catch_up_max` in order and records
    the older ones as missed. `skip_next` then turns the first runs into `skipped` ones, and
    `max_runs` caps what may still run.
    """
    first = task.next_run_at
    if first is None:
        return Plan()
    instants = [first]
    following = schedule.next_after(first)
    while following is not None and following <= now and len(instants) < ENUMERATE_CAP:
        instants.append(following)
        following = schedule.next_after(following)
    uncounted = 0
    if following is not None and following <= now:
        # More than ENUMERATE_CAP passed: jump to the first instant after now.
        following = schedule.next_after(now)
        uncounted = 1
    result = Plan(next_run_at=following)

    just_late = len(instants) == 1 and (not startup or now - first <= STARTUP_GRACE)
    if just_late:
        to_run = instants
    else:
        result.late = True
        if task.catch_up == CatchUp.SKIP:
            to_run = []
        elif task.catch_up == CatchUp.ALL:
            to_run = instants[-catch_up_max:] if catch_up_max > 0 else []
        else:
            to_run = instants[-1:]
        result.missed = instants[: len(instants) - len(to_run)]
        result.total_missed = len(result.missed) + uncounted

    if task.skip_next and to_run:
        result.skip_used = min(task.skip_next, len(to_run))
        result.skipped = to_run[: result.skip_used]
        to_run = to_run[result.skip_used :]

    if task.max_runs is not None:
        remaining = max(0, task.max_runs - task.run_count)
        if len(to_run) > remaining:
            dropped = to_run[: len(to_run) - remaining]
            result.missed.extend(dropped)
            result.total_missed += len(dropped)
            to_run = to_run[len(to_run) - remaining :]
        if remaining - len(to_run) <= 0:
            result.next_run_at = None
    if task.kind == TaskKind.DATE:
        result.next_run_at = None
    result.run = to_run
    return result
