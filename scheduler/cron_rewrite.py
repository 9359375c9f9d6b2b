"""The one-time rewrite of stored crontabs whose meaning changed with cronie's star rule.

Cadence used to read a day field as "restricted" unless it was exactly ``*``, so
``0 9 */2 * 1`` fired on odd days OR Mondays. cronie (and now Cadence) treats a field whose
first character is ``*`` as star, and then a day must match BOTH fields: odd days that are
Mondays. Each stored task whose days would change keeps its old days: its spec is rewritten
to an equivalent that does not start with ``*`` (day of month ``*/2`` -> ``1-31/2``, weekday
``*/2`` -> ``0-6/2``), which the new rule reads exactly as the old rule read the original.
Next runs do not move. Each rewrite is audited, and each guild (the operator for code tasks)
gets one notice listing its tasks. The step runs once per database, at engine start.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from scheduler.errors import ScheduleError
from scheduler.parsing import CronFields, parse_cron_fields
from scheduler.protocols import Notice
from storage import AuditRepository, NoticeLevel, StateRepository, Task, TaskRepository

__all__ = ["DONE_KEY", "Rewrite", "old_rule_spec", "rewrite_star_step_crons"]

log = logging.getLogger(__name__)

DONE_KEY = "cron_star_rule_rewrite_done"
AUDIT_ACTION = "cron_rewrite"
NOTICE_KIND = "cron_rewritten"
NOTICE_LINES = 20
# What the old reading of a field starting with "*" expanded to: the whole field, with
# weekdays over 0-6 (a "*/n" weekday never reached 7, so "0-6/n" is the same set).
_WHOLE = {2: "1-31", 4: "0-6"}
_MONTH_SHAPES = [(first, length) for length in (28, 29, 30, 31) for first in range(7)]


@dataclass(frozen=True, slots=True)
class Rewrite:
    """One task whose stored spec was rewritten."""

    task: Task
    old_spec: str
    new_spec: str


def old_rule_spec(spec: str) -> str | None:
    """The spec that the star rule reads as the previous rule read ``spec``, or None when
    ``spec`` means the same under both rules (or cannot be parsed)."""
    tokens = spec.split(" ")
    if len(tokens) != 5 or "*" in (tokens[2], tokens[4]):
        return None  # an exact "*" was unrestricted under both rules
    if not (tokens[2].startswith("*") or tokens[4].startswith("*")):
        return None  # neither is star: "either field" under both rules
    rewritten = list(tokens)
    for index in (2, 4):
        if tokens[index].startswith("*"):
            rewritten[index] = _WHOLE[index] + tokens[index][1:]
    new_spec = " ".join(rewritten)
    try:
        now_read, kept = parse_cron_fields(spec), parse_cron_fields(new_spec)
    except ScheduleError:
        return None
    if not _same_values(now_read, kept) or not kept.day_or_weekday:
        log.warning("No equivalent for the stored crontab %r; left as it is", spec)
        return None
    if _same_days(now_read, kept):
        return None  # e.g. "*/1" with a weekday list: the days did not change
    return new_spec


def _same_values(first: CronFields, second: CronFields) -> bool:
    return (first.days, first.weekdays, first.months) == (
        second.days,
        second.weekdays,
        second.months,
    )


def _same_days(first: CronFields, second: CronFields) -> bool:
    """Whether both pick the same days in every shape of month (first weekday, length)."""
    return all(
        first.days_for(start, length) == second.days_for(start, length)
        for start, length in _MONTH_SHAPES
    )


async def rewrite_star_step_crons(
    tasks: TaskRepository,
    audit: AuditRepository,
    state: StateRepository,
    notify: Callable[[Notice], None],
    now: datetime,
) -> list[Rewrite]:
    """Rewrite, once per database, every stored crontab whose days the star rule changed.

    Idempotent: a rewritten spec no longer starts with ``*``, and a flag in the state table
    (``DONE_KEY``) keeps later starts from looking again (tasks created from now on mean what
    the new rule says). Returns the rewrites made (empty when already done).
    """
    if await state.get(DONE_KEY) is not None:
        return []
    candidates = await tasks.cron_specs_containing("*/", "*,")
    wanted = {task_id: new for task_id, spec in candidates if (new := old_rule_spec(spec))}
    done: list[Rewrite] = []
    for task in await tasks.get_many(wanted):
        new_spec = wanted[task.id]
        await tasks.update(task.id, at=now, spec=new_spec)
        detail = {"old_spec": task.spec, "new_spec": new_spec, "reason": "cron star rule"}
        await audit.add(task.guild_id, task.id, None, AUDIT_ACTION, detail, now)
        done.append(Rewrite(task, task.spec, new_spec))
    for notice in rewrite_notices(done):
        notify(notice)
    await state.set(DONE_KEY, now.isoformat())
    if done:
        log.info("Rewrote %d stored crontabs to keep their days under the star rule", len(done))
    return done


def rewrite_notices(done: Sequence[Rewrite]) -> list[Notice]:
    """One notice per guild (``None``: the operator, for code tasks) listing its rewrites."""
    by_guild: dict[int | None, list[Rewrite]] = defaultdict(list)
    for rewrite in done:
        by_guild[rewrite.task.guild_id].append(rewrite)
    notices = []
    for guild_id, rewrites in by_guild.items():
        lines = [_line(rewrite) for rewrite in rewrites[:NOTICE_LINES]]
        if len(rewrites) > NOTICE_LINES:
            lines.append(f"… and {len(rewrites) - NOTICE_LINES} more (see the audit log)")
        count = len(rewrites)
        notices.append(
            Notice(
                guild_id=guild_id,
                level=NoticeLevel.INFO,
                kind=NOTICE_KIND,
                title=f"{count} cron schedule{'s' if count != 1 else ''} rewritten, same days",
                body="\n".join(
                    [
                        "Cadence now reads crontabs as Linux cron does: when a day field "
                        "starts with *, a day must match both day fields. These schedules "
                        "were written for the old reading (either field), so they were "
                        "rewritten to keep firing on exactly the same days; next runs are "
                        "unchanged.",
                        *lines,
                    ]
                ),
                task_id=rewrites[0].task.id if count == 1 else None,
            )
        )
    return notices


def _line(rewrite: Rewrite) -> str:
    task = rewrite.task
    label = task.name if task.guild_id is not None or not task.job_id else task.job_id
    after = f"<t:{int(task.next_run_at.timestamp())}:f>" if task.next_run_at else "none"
    return f"• **{label}**: `{rewrite.old_spec}` → `{rewrite.new_spec}` (next run {after})"
