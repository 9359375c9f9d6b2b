"""Rows to dataclasses: the only place that knows how each table's columns map to a model."""

from __future__ import annotations

import sqlite3
from functools import lru_cache
from typing import Any

from storage._codec import dump_json, load_json
from storage.models import (
    ApiToken,
    ApiTokenScope,
    AuditEntry,
    CatchUp,
    GuildSettings,
    MentionPolicy,
    NewTask,
    Notice,
    NoticeLevel,
    Run,
    RunStatus,
    RunTrigger,
    Task,
    TaskKind,
    TaskSource,
    TaskStatus,
)
from storage.payloads import (
    Destination,
    decode_destinations,
    decode_payload,
    encode_destinations,
    encode_payload,
)
from storage.timeconv import from_ms, from_ms_or_none, to_ms, to_ms_or_none

__all__ = [
    "BOOKKEEPING_FIELDS",
    "UPDATABLE_FIELDS",
    "api_token_from_row",
    "audit_from_row",
    "guild_settings_from_row",
    "new_task_columns",
    "notice_from_row",
    "run_from_row",
    "run_outcome_columns",
    "task_from_row",
    "task_or_none",
    "task_update_columns",
]

# Task columns TaskRepository.update may change, by how a value is stored.
_INSTANT_FIELDS = frozenset({"start_at", "end_at", "next_run_at", "last_run_at"})
_ENCODERS: dict[str, Any] = {"payload": encode_payload, "destinations": encode_destinations}
_ENUM_FIELDS: dict[str, type[Any]] = {"kind": TaskKind, "status": TaskStatus, "catch_up": CatchUp}
_PLAIN_FIELDS = frozenset(
    {"name", "spec", "timezone", "max_runs", "rotation_index", "paused_reason", "skip_next"}
    | {"run_count", "failure_count", "consecutive_failures"}
)
UPDATABLE_FIELDS = _INSTANT_FIELDS | _ENCODERS.keys() | _ENUM_FIELDS.keys() | _PLAIN_FIELDS
"""Task columns ``TaskRepository.update`` accepts (not id, guild_id, source, job_id, created_*)."""
BOOKKEEPING_FIELDS = frozenset(
    {"next_run_at", "last_run_at", "run_count", "failure_count", "consecutive_failures"}
    | {"rotation_index"}
)
"""Columns a run moves; changing only these leaves a task's ``version`` as it is."""


def new_task_columns(new: NewTask) -> dict[str, Any]:
    """A NewTask's stored values by column name (ValueError on naive instants, bad enums)."""
    return {
        "guild_id": new.guild_id,
        "source": TaskSource(new.source),
        "job_id": new.job_id,
        "name": new.name,
        "kind": TaskKind(new.kind),
        "spec": new.spec,
        "timezone": new.timezone,
        "start_at": to_ms_or_none(new.start_at),
        "end_at": to_ms_or_none(new.end_at),
        "max_runs": new.max_runs,
        "payload": dump_json(encode_payload(new.payload)),
        "destinations": dump_json(encode_destinations(new.destinations)),
        "status": TaskStatus(new.status),
        "paused_reason": new.paused_reason,
        "catch_up": CatchUp(new.catch_up),
        "next_run_at": to_ms_or_none(new.next_run_at),
        "created_by": new.created_by,
        "created_at": to_ms(new.created_at),
    }


def task_update_columns(changes: dict[str, Any]) -> dict[str, Any]:
    """The stored form of each change; TypeError for a column that is unknown or fixed."""
    unknown = sorted(changes.keys() - UPDATABLE_FIELDS)
    if unknown:
        raise TypeError(f"cannot update task field(s): {', '.join(unknown)}")
    stored: dict[str, Any] = {}
    for field, value in changes.items():
        if field in _INSTANT_FIELDS:
            stored[field] = to_ms_or_none(value)
        elif field in _ENCODERS:
            stored[field] = dump_json(_ENCODERS[field](value))
        elif field in _ENUM_FIELDS:
            stored[field] = _ENUM_FIELDS[field](value)
        else:
            stored[field] = value
    return stored


@lru_cache(maxsize=4096)
def _destinations_of(text: str | None) -> tuple[Destination, ...]:
    # The records are immutable, so rows with the same destinations (many tasks post to the
    # same channel) share one decoded value. Payloads are mostly unique, and can be large.
    return decode_destinations(load_json(text, []))


def task_from_row(row: sqlite3.Row) -> Task:
    """Build a Task from a ``SELECT *`` row of ``tasks``."""
    return Task(
        id=row["id"],
        guild_id=row["guild_id"],
        source=TaskSource(row["source"]),
        job_id=row["job_id"],
        name=row["name"],
        kind=TaskKind(row["kind"]),
        spec=row["spec"],
        timezone=row["timezone"],
        start_at=from_ms_or_none(row["start_at"]),
        end_at=from_ms_or_none(row["end_at"]),
        max_runs=row["max_runs"],
        payload=decode_payload(load_json(row["payload"], {})),
        destinations=_destinations_of(row["destinations"]),
        rotation_index=row["rotation_index"],
        status=TaskStatus(row["status"]),
        paused_reason=row["paused_reason"],
        catch_up=CatchUp(row["catch_up"]),
        skip_next=row["skip_next"],
        next_run_at=from_ms_or_none(row["next_run_at"]),
        last_run_at=from_ms_or_none(row["last_run_at"]),
        run_count=row["run_count"],
        failure_count=row["failure_count"],
        consecutive_failures=row["consecutive_failures"],
        created_by=row["created_by"],
        created_at=from_ms(row["created_at"]),
        updated_by=row["updated_by"],
        updated_at=from_ms(row["updated_at"]),
        version=row["version"],
    )


def task_or_none(row: sqlite3.Row | None) -> Task | None:
    return None if row is None else task_from_row(row)


def run_from_row(row: sqlite3.Row) -> Run:
    """Build a Run from a ``SELECT *`` row of ``runs``."""
    return Run(
        id=row["id"],
        task_id=row["task_id"],
        scheduled_for=from_ms(row["scheduled_for"]),
        trigger=RunTrigger(row["trigger"]),
        status=RunStatus(row["status"]),
        started_at=from_ms_or_none(row["started_at"]),
        finished_at=from_ms_or_none(row["finished_at"]),
        late_by_ms=row["late_by_ms"],
        attempts=row["attempts"],
        error=row["error"],
        message_ids=load_json(row["message_ids"], []),
        claimed_by=row["claimed_by"],
        lease_until=from_ms_or_none(row["lease_until"]),
        fence=row["fence"],
    )


def run_outcome_columns(run: Run) -> tuple[Any, ...]:
    """A finished ``Run``'s outcome as written: (status, finished_at, late_by_ms, attempts,
    error, message_ids, id). Refuses ``running``, which is not an outcome."""
    status = RunStatus(run.status)
    if status == RunStatus.RUNNING:
        raise ValueError(f"a run cannot finish as {status!r}")
    return (
        status,
        to_ms(run.finished_at) if run.finished_at else None,
        run.late_by_ms,
        run.attempts,
        run.error,
        dump_json(list(run.message_ids)),
        run.id,
    )


def audit_from_row(row: sqlite3.Row) -> AuditEntry:
    """Build an AuditEntry from a ``SELECT *`` row of ``audit``."""
    return AuditEntry(
        id=row["id"],
        guild_id=row["guild_id"],
        task_id=row["task_id"],
        actor_id=row["actor_id"],
        action=row["action"],
        detail=load_json(row["detail"], {}),
        at=from_ms(row["at"]),
    )


def _absent_before_upgrade(row: sqlite3.Row, column: str) -> Any:
    """A column a later migration added: None on a database read before that upgrade."""
    try:
        return row[column]
    except (IndexError, KeyError):
        return None


def guild_settings_from_row(row: sqlite3.Row) -> GuildSettings:
    """Build GuildSettings from a ``SELECT *`` row of ``guild_settings``."""
    return GuildSettings(
        guild_id=row["guild_id"],
        timezone=row["timezone"],
        dev_channel_id=row["dev_channel_id"],
        alert_channel_id=row["alert_channel_id"],
        manager_role_id=row["manager_role_id"],
        viewer_role_id=_absent_before_upgrade(row, "viewer_role_id"),
        summary_cron=row["summary_cron"],
        summary_channel_id=row["summary_channel_id"],
        mention_policy=MentionPolicy(row["mention_policy"]),
        left_at=from_ms_or_none(row["left_at"]),
        updated_at=from_ms_or_none(row["updated_at"]),
    )


def notice_from_row(row: sqlite3.Row) -> Notice:
    """Build a Notice from a ``SELECT *`` row of ``notices``."""
    return Notice(
        id=row["id"],
        guild_id=row["guild_id"],
        level=NoticeLevel(row["level"]),
        kind=row["kind"],
        title=row["title"],
        body=row["body"],
        created_at=from_ms(row["created_at"]),
        read_at=from_ms_or_none(row["read_at"]),
    )


def api_token_from_row(row: sqlite3.Row) -> ApiToken:
    """Build an ApiToken from a ``SELECT *`` row of ``api_tokens``."""
    return ApiToken(
        id=row["id"],
        guild_id=row["guild_id"],
        name=row["name"],
        scope=ApiTokenScope(row["scope"]),
        token_hash=row["token_hash"],
        created_by=row["created_by"],
        created_at=from_ms(row["created_at"]),
        last_used_at=from_ms_or_none(row["last_used_at"]),
        revoked_at=from_ms_or_none(row["revoked_at"]),
    )
