"""Export a guild's tasks as JSON, and plan an import before anything is written.

Discord-free: channel and permission checks are discordside's; each entry's shape, schedule,
zone, name and message limits are `scheduler.entries`', and every bad entry is reported (not
just the first), so an admin can fix the whole file at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from scheduler.entries import IMPORTED_MENTIONS, EntryContext, entry_name, new_task_of
from scheduler.errors import ScheduleError
from storage import NewTask, Task
from storage.payloads import encode_destination, encode_payload

__all__ = [
    "ENTRY_FIELDS",
    "FORMAT",
    "IMPORTED_MENTIONS",
    "MAX_FILE_BYTES",
    "VERSION",
    "ImportPlan",
    "ImportProblem",
    "entry_field",
    "export_entry",
    "export_tasks",
    "plan_import",
]

FORMAT = "cadence-tasks"
VERSION = 1
MAX_FILE_BYTES = 1_000_000


@dataclass(frozen=True, slots=True)
class ImportProblem:
    """One reason an import cannot be done: ``message`` in the words `/schedule import` shows
    (``Entry 4 (name): …``, entries counted from 1), ``field`` where in the document it is
    (``tasks[3]``, ``tasks[3].name``, ``format``…; list indexes counted from 0, as in JSON)."""

    field: str
    message: str


@dataclass(slots=True)
class ImportPlan:
    """What an import would write, or why it cannot."""

    tasks: list[NewTask] = field(default_factory=list)
    replaces: list[str] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        """The problems' messages, as `/schedule import` lists them."""
        return [problem.message for problem in self.problems]

    @property
    def ok(self) -> bool:
        return not self.problems

    def refuse(self, field_name: str, message: str) -> None:
        self.problems.append(ImportProblem(field_name, message))


def export_tasks(tasks: Iterable[Task], *, guild_id: int, at: datetime) -> dict[str, Any]:
    """A JSON-ready document of the tasks (webhook tokens are never exported)."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "guild_id": str(guild_id),
        "exported_at": at.isoformat(),
        "tasks": [export_entry(task) for task in tasks],
    }


ENTRY_FIELDS = frozenset(
    {"name", "kind", "spec", "timezone", "start_at", "end_at", "max_runs", "catch_up"}
    | {"payload", "destinations", "status"}
)
"""The keys of an export entry: what `export_entry` writes, an import reads and the web API's
POST accepts (tests/unit/test_transfer.py checks `export_entry` writes exactly these)."""


def export_entry(task: Task) -> dict[str, Any]:
    """One task as the export document (and the web API's task object) shows it."""
    destinations = []
    for dest in task.destinations:
        stored = encode_destination(dest)
        clean = {k: v for k, v in stored.items() if k not in ("webhook_id", "webhook_token")}
        for key in ("channel_id", "thread_id"):
            if key in clean:
                clean[key] = str(clean[key])
        destinations.append(clean)
    entry: dict[str, Any] = {
        "name": task.name,
        "kind": str(task.kind),
        "spec": task.spec,
        "timezone": task.timezone,
        "catch_up": str(task.catch_up),
        "status": str(task.status),
        "payload": _exported_payload(task),
        "destinations": destinations,
    }
    for key in ("start_at", "end_at"):
        value = getattr(task, key)
        entry[key] = value.isoformat() if value else None
    entry["max_runs"] = task.max_runs
    return entry


def _exported_payload(task: Task) -> dict[str, Any]:
    """The payload as stored, with approved role ids as strings like every other snowflake
    (they are shown, never read back: an import approves mentions again)."""
    payload = encode_payload(task.payload)
    mentions = payload.get("mentions")
    if mentions is not None:
        payload["mentions"] = dict(mentions, roles=[str(role) for role in mentions["roles"]])
    return payload


def plan_import(
    document: Any,
    *,
    guild_id: int,
    actor_id: int,
    now: datetime,
    existing_names: Sequence[str],
    replace: bool,
    default_zone: str,
    min_interval_seconds: int,
    max_tasks: int,
) -> ImportPlan:
    """Check every entry; the plan holds NewTasks only when nothing is wrong."""
    result = ImportPlan()
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        result.refuse(
            "format",
            'This is not a Cadence export: the file must be JSON with "format": '
            f'"{FORMAT}". Make one with /schedule export.',
        )
        return result
    if document.get("version") != VERSION:
        result.refuse(
            "version",
            f"Unsupported export version {document.get('version')!r}; "
            f"this Cadence reads version {VERSION}.",
        )
        return result
    entries = document.get("tasks")
    if not isinstance(entries, list) or not entries:
        result.refuse("tasks", 'The file has no tasks (a non-empty "tasks" list).')
        return result
    context = EntryContext(guild_id, actor_id, now, default_zone, min_interval_seconds)
    existing = {name.casefold() for name in existing_names}
    seen: set[str] = set()
    for number, entry in enumerate(entries, start=1):
        label = f"Entry {number}"
        where = f"tasks[{number - 1}]"
        try:
            if not isinstance(entry, dict):
                raise ScheduleError("is not an object")
            where = f"tasks[{number - 1}].name"
            name = entry_name(entry)
            label = f"Entry {number} ({name})"
            if name.casefold() in seen:
                raise ScheduleError("repeats a name used earlier in the file")
            seen.add(name.casefold())
            if name.casefold() in existing:
                if not replace:
                    raise ScheduleError("a task with this name already exists (use replace:true)")
                result.replaces.append(name)
            where = f"tasks[{number - 1}]"
            result.tasks.append(new_task_of(entry, name, context))
        except ScheduleError as exc:
            if not where.endswith(".name"):
                where = entry_field(number - 1, exc)
            result.refuse(where, f"{label}: {exc.message}")
        except (TypeError, ValueError, KeyError, OverflowError) as exc:
            result.refuse(where, f"{label}: malformed ({type(exc).__name__}: {str(exc)[:100]})")
    total = len(existing) - len(result.replaces) + len(result.tasks)
    if result.ok and total > max_tasks:
        result.refuse(
            "tasks",
            f"Importing would make {total} tasks; this server may have at most {max_tasks}.",
        )
    if result.problems:
        result.tasks.clear()
        result.replaces.clear()
    return result


def entry_field(index: int, error: ScheduleError) -> str:
    """Where in an import document the problem `error` of entry `index` (from 0) is:
    ``tasks[3]``, or deeper (``tasks[3].spec``) when the error names its part of the entry."""
    if not error.field:
        return f"tasks[{index}]"
    part = error.field
    return f"tasks[{index}]{part}" if part.startswith("[") else f"tasks[{index}].{part}"
