"""Export a guild's tasks as JSON, and validate an import before anything is written.

Discord-free: channel and permission checks are the cog's; here every entry's shape, schedule,
zone, name and message limits are checked, and every problem is collected (not just the
first), so an admin can fix the whole file at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from scheduler.errors import ScheduleError
from scheduler.timezones import load_zone
from scheduler.triggers import parse_cron, parse_interval, schedule_from_spec
from storage import CatchUp, NewTask, Task, TaskKind

FORMAT = "cadence-tasks"
VERSION = 1
MAX_FILE_BYTES = 1_000_000
_CONTENT_MAX = 2000


@dataclass(slots=True)
class ImportPlan:
    """What an import would write, or why it cannot."""

    tasks: list[NewTask] = field(default_factory=list)
    replaces: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def export_tasks(tasks: Iterable[Task], *, guild_id: int, at: datetime) -> dict[str, Any]:
    """A JSON-ready document of the tasks (webhook tokens are never exported)."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "guild_id": str(guild_id),
        "exported_at": at.isoformat(),
        "tasks": [_export_one(task) for task in tasks],
    }


def _export_one(task: Task) -> dict[str, Any]:
    destinations = []
    for dest in task.destinations:
        clean = {k: v for k, v in dest.items() if k not in ("webhook_id", "webhook_token")}
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
        "payload": task.payload,
        "destinations": destinations,
    }
    for key in ("start_at", "end_at"):
        value = getattr(task, key)
        entry[key] = value.isoformat() if value else None
    entry["max_runs"] = task.max_runs
    return entry


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
        result.errors.append(
            'This is not a Cadence export: the file must be JSON with "format": '
            f'"{FORMAT}". Make one with /schedule export.'
        )
        return result
    if document.get("version") != VERSION:
        result.errors.append(
            f"Unsupported export version {document.get('version')!r}; "
            f"this Cadence reads version {VERSION}."
        )
        return result
    entries = document.get("tasks")
    if not isinstance(entries, list) or not entries:
        result.errors.append('The file has no tasks (a non-empty "tasks" list).')
        return result
    existing = {name.casefold() for name in existing_names}
    seen: set[str] = set()
    for number, entry in enumerate(entries, start=1):
        label = f"Entry {number}"
        try:
            if not isinstance(entry, dict):
                raise ScheduleError("is not an object")
            name = _name(entry)
            label = f"Entry {number} ({name})"
            if name.casefold() in seen:
                raise ScheduleError("repeats a name used earlier in the file")
            seen.add(name.casefold())
            if name.casefold() in existing:
                if not replace:
                    raise ScheduleError("a task with this name already exists (use replace:true)")
                result.replaces.append(name)
            result.tasks.append(
                _new_task(
                    entry,
                    name,
                    guild_id=guild_id,
                    actor_id=actor_id,
                    now=now,
                    default_zone=default_zone,
                    min_interval_seconds=min_interval_seconds,
                )
            )
        except ScheduleError as exc:
            result.errors.append(f"{label}: {exc.message}")
        except (TypeError, ValueError, KeyError) as exc:
            result.errors.append(f"{label}: malformed ({type(exc).__name__}: {exc})")
    total = len(existing) - len(result.replaces) + len(result.tasks)
    if not result.errors and total > max_tasks:
        result.errors.append(
            f"Importing would make {total} tasks; this server may have at most {max_tasks}."
        )
    if result.errors:
        result.tasks.clear()
        result.replaces.clear()
    return result


def _name(entry: dict[str, Any]) -> str:
    name = entry.get("name")
    if not isinstance(name, str) or not " ".join(name.split()):
        raise ScheduleError("has no name")
    cleaned = " ".join(name.split())
    if len(cleaned) > 100:
        raise ScheduleError("name is longer than 100 characters")
    return cleaned


def _instant(entry: dict[str, Any], key: str) -> datetime | None:
    value = entry.get(key)
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ScheduleError(f"{key} must be an ISO 8601 date-time string")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ScheduleError(f"{key} {value[:40]!r} is not an ISO 8601 date-time") from None
    if parsed.tzinfo is None:
        raise ScheduleError(f"{key} has no UTC offset")
    return parsed


def _new_task(
    entry: dict[str, Any],
    name: str,
    *,
    guild_id: int,
    actor_id: int,
    now: datetime,
    default_zone: str,
    min_interval_seconds: int,
) -> NewTask:
    kind = TaskKind(str(entry.get("kind")))
    spec = entry.get("spec")
    if not isinstance(spec, str):
        raise ScheduleError("has no spec")
    zone_name = entry.get("timezone")
    stored_zone = load_zone(zone_name).key if zone_name else None
    zone = stored_zone or default_zone
    start_at, end_at = _instant(entry, "start_at"), _instant(entry, "end_at")
    if kind == TaskKind.CRON:
        spec = parse_cron(spec, zone, end=end_at).spec
    elif kind == TaskKind.INTERVAL:
        spec = parse_interval(spec, zone, anchor=now, min_seconds=min_interval_seconds).spec
    schedule = schedule_from_spec(
        str(kind), spec, zone, anchor=start_at or now, end=end_at, start=start_at
    )
    if schedule.next_fire(None, now) is None:
        raise ScheduleError("has no run left in the future")
    payload = entry.get("payload")
    if not isinstance(payload, dict) or not payload.get("variants"):
        raise ScheduleError("has no message (payload.variants)")
    for variant in payload["variants"]:
        if not isinstance(variant, dict) or not (variant.get("content") or variant.get("embed")):
            raise ScheduleError("has an empty message variant")
        if len(str(variant.get("content", ""))) > _CONTENT_MAX:
            raise ScheduleError(f"has a message over {_CONTENT_MAX} characters")
    destinations = entry.get("destinations")
    if not isinstance(destinations, list) or not destinations:
        raise ScheduleError("has no destination")
    max_runs = entry.get("max_runs")
    if max_runs is not None and (not isinstance(max_runs, int) or max_runs < 1):
        raise ScheduleError("max_runs must be a positive whole number")
    return NewTask(
        name=name,
        kind=kind,
        spec=spec,
        created_at=now,
        guild_id=guild_id,
        created_by=actor_id,
        timezone=stored_zone,
        start_at=start_at if kind == TaskKind.INTERVAL else None,
        end_at=end_at,
        max_runs=max_runs,
        payload=payload,
        destinations=[_destination(d) for d in destinations],
        catch_up=CatchUp(str(entry.get("catch_up") or "once")),
    )


def _destination(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict) or value.get("type") not in ("channel", "thread", "webhook"):
        raise ScheduleError("has a destination that is not a channel, thread or webhook")
    out = dict(value)
    for key in ("channel_id", "thread_id"):
        if key in out:
            try:
                out[key] = int(out[key])
            except (TypeError, ValueError):
                raise ScheduleError(f"has a destination with a bad {key}") from None
    if "channel_id" not in out:
        raise ScheduleError("has a destination without channel_id")
    return out
