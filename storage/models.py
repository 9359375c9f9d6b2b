"""Domain records returned by the repositories: string enums and frozen dataclasses.

Every instant is an aware UTC ``datetime`` (stored as integer Unix milliseconds, see
``storage.timeconv``). A task's ``payload`` and ``destinations`` are the typed records of
``storage.payloads``; ``detail`` and ``message_ids`` are decoded JSON; treat them as read-only.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import Enum, StrEnum
from typing import Any

from storage.payloads import Destination, Payload

__all__ = [
    "UNSET",
    "ApiToken",
    "ApiTokenScope",
    "AuditEntry",
    "CatchUp",
    "GuildSettings",
    "MentionPolicy",
    "NewTask",
    "Notice",
    "NoticeLevel",
    "Run",
    "RunStats",
    "RunStatus",
    "RunTrigger",
    "Task",
    "TaskKind",
    "TaskSource",
    "TaskStatus",
    "TaskUpdate",
]


class TaskSource(StrEnum):
    ADMIN = "admin"
    CODE = "code"


class TaskKind(StrEnum):
    CRON = "cron"
    DATE = "date"
    INTERVAL = "interval"


class TaskStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    COMPLETED = "completed"
    FAILED = "failed"


class CatchUp(StrEnum):
    SKIP = "skip"
    ONCE = "once"
    ALL = "all"


class RunStatus(StrEnum):
    RUNNING = "running"
    OK = "ok"
    FAILED = "failed"
    SKIPPED = "skipped"
    MISSED = "missed"
    UNKNOWN = "unknown"


class RunTrigger(StrEnum):
    SCHEDULE = "schedule"
    MANUAL = "manual"
    CATCH_UP = "catch_up"


class MentionPolicy(StrEnum):
    CREATOR = "creator"
    NONE = "none"


class ApiTokenScope(StrEnum):
    READ = "read"
    WRITE = "write"


class NoticeLevel(StrEnum):
    INFO = "info"
    OK = "ok"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class GuildSettings:
    """A guild's settings; a guild without a row gets the defaults (``updated_at`` None)."""

    guild_id: int
    timezone: str | None = None  # None: the bot's DEFAULT_TIMEZONE
    dev_channel_id: int | None = None
    alert_channel_id: int | None = None
    manager_role_id: int | None = None
    viewer_role_id: int | None = None  # read-only on the dashboard and API
    summary_cron: str | None = None
    summary_channel_id: int | None = None
    mention_policy: MentionPolicy = MentionPolicy.CREATOR
    left_at: datetime | None = None  # set while the bot is not in the guild
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Task:
    """A persisted schedule (admin task, or code task keyed by ``job_id``)."""

    id: int
    guild_id: int | None  # None for code tasks
    source: TaskSource
    job_id: str | None  # code tasks only
    name: str
    kind: TaskKind
    spec: str
    timezone: str | None  # None: follow the guild's zone
    start_at: datetime | None  # an interval's origin
    end_at: datetime | None
    max_runs: int | None
    payload: Payload
    destinations: tuple[Destination, ...]
    rotation_index: int
    status: TaskStatus
    paused_reason: str | None
    catch_up: CatchUp
    skip_next: int
    next_run_at: datetime | None
    last_run_at: datetime | None
    run_count: int
    failure_count: int
    consecutive_failures: int
    created_by: int | None
    created_at: datetime
    updated_by: int | None
    updated_at: datetime
    version: int = 1
    """Bumped by every change to the definition or status (never by run bookkeeping): what
    the web API's ETag names, and what a conditional write checks."""


@dataclass(frozen=True, slots=True)
class NewTask:
    """What creating a task needs; validated on construction."""

    name: str
    kind: TaskKind
    spec: str
    created_at: datetime
    guild_id: int | None = None
    source: TaskSource = TaskSource.ADMIN
    job_id: str | None = None
    created_by: int | None = None
    timezone: str | None = None
    start_at: datetime | None = None
    end_at: datetime | None = None
    max_runs: int | None = None
    payload: Payload = field(default_factory=Payload)
    destinations: tuple[Destination, ...] = ()
    catch_up: CatchUp = CatchUp.ONCE
    status: TaskStatus = TaskStatus.ACTIVE
    paused_reason: str | None = None
    next_run_at: datetime | None = None

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a task needs a name")
        if self.source == TaskSource.CODE and not self.job_id:
            raise ValueError("a code task needs a job_id")
        if self.source == TaskSource.ADMIN and self.job_id is not None:
            raise ValueError("only code tasks have a job_id")
        if self.source == TaskSource.ADMIN and self.guild_id is None:
            raise ValueError("an admin task belongs to a guild")
        if self.max_runs is not None and self.max_runs < 1:
            raise ValueError("max_runs must be at least 1")


class Unset(Enum):
    """The type of `UNSET`: a field of a TaskUpdate that is left as it is."""

    UNSET = "unset"

    def __repr__(self) -> str:
        return "UNSET"


UNSET = Unset.UNSET


@dataclass(frozen=True, slots=True)
class TaskUpdate:
    """A change to a task: the fields left `UNSET` stay as they are.

    None is a value here: no `timezone` follows the guild's zone, no `end_at` or `max_runs`
    runs for ever, no `start_at` restarts an interval's period from now.
    """

    name: str | Unset = UNSET
    kind: TaskKind | Unset = UNSET
    spec: str | Unset = UNSET
    timezone: str | Unset | None = UNSET
    start_at: datetime | Unset | None = UNSET
    end_at: datetime | Unset | None = UNSET
    max_runs: int | Unset | None = UNSET
    catch_up: CatchUp | Unset = UNSET
    payload: Payload | Unset = UNSET
    destinations: tuple[Destination, ...] | Unset = UNSET

    def changes(self) -> dict[str, Any]:
        """The fields that are set, by name."""
        return {f.name: v for f in fields(self) if (v := getattr(self, f.name)) is not UNSET}

    def __bool__(self) -> bool:
        return bool(self.changes())


@dataclass(frozen=True, slots=True)
class Run:
    """One firing of a task for one scheduled instant."""

    id: int
    task_id: int
    scheduled_for: datetime
    trigger: RunTrigger
    status: RunStatus
    started_at: datetime | None
    finished_at: datetime | None
    late_by_ms: int | None
    attempts: int
    error: str | None
    message_ids: list[int]
    #: The process that holds the run while it is `running` (None: written before claims).
    claimed_by: str | None = None
    #: When that hold lapses unless extended; a lapsed run is taken over by a reaper.
    lease_until: datetime | None = None
    #: Bumped on every takeover: a write conditioned on it fails once the run changed hands.
    fence: int = 0


@dataclass(frozen=True, slots=True)
class RunStats:
    """Counts over a task's retained run history (pruned to HISTORY_PER_TASK)."""

    total: int
    ok: int
    failed: int
    missed: int
    skipped: int
    unknown: int
    last_error: str | None
    last_ok_at: datetime | None
    lateness_p50_ms: int | None = None
    """How late runs started (ok, failed or unknown ones), median; None without any."""
    lateness_p99_ms: int | None = None
    lateness_max_ms: int | None = None

    @property
    def success_rate(self) -> float | None:
        """ok / (ok + failed + unknown), None when nothing was attempted."""
        attempted = self.ok + self.failed + self.unknown
        return self.ok / attempted if attempted else None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """Who did what to which task, and when."""

    id: int
    guild_id: int | None
    task_id: int | None
    actor_id: int | None
    action: str
    detail: dict[str, Any]
    at: datetime


@dataclass(frozen=True, slots=True)
class Notice:
    """A notice kept for a guild without a dev channel (``guild_id`` None: the operator)."""

    id: int
    guild_id: int | None
    level: NoticeLevel
    kind: str
    title: str
    body: str
    created_at: datetime
    read_at: datetime | None


@dataclass(frozen=True, slots=True)
class ApiToken:
    """A guild's API token as stored: its name, scope and history, never the token itself
    (only ``token_hash``, the hex SHA-256 of it)."""

    id: int
    guild_id: int
    name: str
    scope: ApiTokenScope
    token_hash: str
    created_by: int
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def live(self) -> bool:
        return self.revoked_at is None
