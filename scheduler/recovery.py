"""Start-up work after downtime or a crash: code jobs nobody registered, runs a crash left
`running`, and the reports of what was missed."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Container, Sequence
from datetime import datetime, timedelta

from scheduler.planning import Plan
from scheduler.protocols import Notice
from scheduler.runner import Outcome
from storage import NoticeLevel, Run, Task, TaskRepository, TaskStatus

REPORT_LINES = 20

Notify = Callable[[Notice], None]


async def pause_unregistered_code_tasks(
    tasks: TaskRepository, registered: Container[str], notify: Notify, now: datetime
) -> None:
    """A code task whose job no code registered this start cannot run: pause it and say so."""
    for task in await tasks.list_code_tasks():
        if task.status != TaskStatus.ACTIVE or task.job_id in registered:
            continue
        await tasks.update(
            task.id,
            status=TaskStatus.PAUSED,
            paused_reason="no code registered this job_id at start-up",
            at=now,
        )
        notify(
            Notice(
                guild_id=None,
                level=NoticeLevel.WARNING,
                kind="code_task_unregistered",
                title=f"Code job {task.job_id!r} paused",
                body=(
                    "It is stored, but no code registered it at start-up, so it stays "
                    "paused. Register it again (add_*_job with this job_id) or remove it."
                ),
                task_id=task.id,
            )
        )


class InterruptedRuns:
    """Runs a crash left `running` (or a process that died or froze past its lease left to
    another, see `scheduler.claims`): re-sent inside the resume window with the same nonce,
    else recorded `unknown`. Given exactly what it uses: the task repository, a way to
    re-send a run and to finish one, and where notices go."""

    def __init__(
        self,
        *,
        tasks: TaskRepository,
        resend: Callable[[Task, Run], Awaitable[Run]],
        finish: Callable[[Task, Run, Outcome], Awaitable[Run]],
        notify: Notify,
        resume_window_seconds: int,
    ) -> None:
        self._tasks = tasks
        self._resend = resend
        self._finish = finish
        self._notify = notify
        self._seconds = resume_window_seconds

    async def recover(self, now: datetime, runs: Sequence[Run]) -> int:
        """Re-send or close each of `runs` (`running` rows this process has just taken
        over); one notice per guild lists them. Returns how many there were."""
        seconds = self._seconds
        window = timedelta(seconds=seconds)
        count = 0
        lines: dict[int | None, list[str]] = defaultdict(list)
        for run in runs:
            task = await self._tasks.get(run.task_id)
            if task is None:
                continue
            count += 1
            started = run.started_at or run.scheduled_for
            if now - started <= window:
                finished = await self._resend(task, run)
                lines[task.guild_id].append(
                    f"• **{task.name}** ({_ts(run.scheduled_for)}): re-sent after the restart, "
                    f"{finished.status}"
                )
                continue
            reason = (
                f"interrupted by a restart more than {seconds} s ago; not re-sent, so it may "
                "or may not have been posted"
            )
            await self._finish(task, run, Outcome(ok=False, unknown=True, errors=[reason]))
            lines[task.guild_id].append(f"• **{task.name}** ({_ts(run.scheduled_for)}): {reason}")
        for guild_id, guild_lines in lines.items():
            self._notify(
                Notice(
                    guild_id=guild_id,
                    level=NoticeLevel.WARNING,
                    kind="runs_interrupted",
                    title=f"{len(guild_lines)} run(s) interrupted by a restart",
                    body="\n".join(guild_lines),
                )
            )
        return count


class CatchUpNotes:
    """What each task missed or ran late: one report per guild for the start-up catch-up,
    one notice per task when it happens while running (the process was frozen)."""

    def __init__(self, notify: Callable[[Notice], None]) -> None:
        self._notify = notify
        self._lines: dict[int | None, list[str]] = defaultdict(list)
        self.collecting = False  # True while the start-up catch-up runs

    def note(self, task: Task, plan: Plan) -> None:
        parts = []
        if plan.total_missed:
            parts.append(f"{plan.total_missed} missed")
        if plan.run and plan.late:
            parts.append(f"{len(plan.run)} run late")
        line = f"• **{task.name}** ({task.catch_up}): {', '.join(parts) or 'nothing to do'}"
        if self.collecting:
            self._lines[task.guild_id].append(line)
            return
        self._notify(
            Notice(
                guild_id=task.guild_id,
                level=NoticeLevel.WARNING,
                kind="missed_runs",
                title="Missed runs",
                body=line,
                task_id=task.id,
            )
        )

    def send_reports(self) -> None:
        lines, self._lines = self._lines, defaultdict(list)
        for guild_id, guild_lines in lines.items():
            shown = guild_lines[:REPORT_LINES]
            more = len(guild_lines) - len(shown)
            self._notify(
                Notice(
                    guild_id=guild_id,
                    level=NoticeLevel.WARNING,
                    kind="catch_up_report",
                    title=f"Missed runs while the bot was offline: {len(guild_lines)} task(s)",
                    body="\n".join(shown) + (f"\n… and {more} more" if more > 0 else ""),
                )
            )


def _ts(instant: datetime) -> str:
    return f"<t:{int(instant.timestamp())}:f>"
