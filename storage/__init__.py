"""Cadence storage: SQLite (aiosqlite) or PostgreSQL (asyncpg) behind one contract, numbered
migrations per backend, repositories that return frozen dataclasses. Knows nothing of discord
or APScheduler.

    db = await Database.open(settings.database_url)   # a path, sqlite:///…, postgresql://…
    tasks = TaskRepository(db)
    ...
    await db.close()
"""

from __future__ import annotations

from storage.api_tokens import TOUCH_EVERY, ApiTokenRepository
from storage.audit import AuditRepository
from storage.database import ConstraintError, Database, Listening, masked_url
from storage.errors import (
    DatabaseUnavailableError,
    DuplicateApiTokenError,
    DuplicateTaskError,
    RunExistsError,
    RunNotFoundError,
    SchemaTooNewError,
    StaleTaskError,
    TaskNotFoundError,
)
from storage.guilds import SETTING_DEFAULTS, GuildSettingsRepository
from storage.idempotency import IdempotencyRepository, IdempotentAnswer, KeyClaim
from storage.leases import Claim, LeaseRepository
from storage.migrate import latest_version
from storage.models import (
    UNSET,
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
    RunStats,
    RunStatus,
    RunTrigger,
    Task,
    TaskKind,
    TaskSource,
    TaskStatus,
    TaskUpdate,
)
from storage.notices import NoticeRepository
from storage.payloads import (
    NO_MENTIONS,
    ChannelDestination,
    Destination,
    Embed,
    EmbedField,
    Mentions,
    Payload,
    Rotation,
    ThreadDestination,
    Variant,
    WebhookDestination,
)
from storage.postgres import PostgresDatabase  # registers the backend with Database.open
from storage.repositories import Repositories
from storage.runs import RunRepository
from storage.sessions import SEEN_EVERY, SessionRepository, WebSession
from storage.sqlite import SqliteDatabase  # registers the backend with Database.open
from storage.state import StateRepository
from storage.tasks import (
    GUILD_LEFT_REASON,
    TASKS_CHANNEL,
    UPDATABLE_FIELDS,
    ScheduleIndex,
    TaskRepository,
)
from storage.timeconv import from_ms, to_ms

__all__ = [
    "GUILD_LEFT_REASON",
    "NO_MENTIONS",
    "SEEN_EVERY",
    "SETTING_DEFAULTS",
    "TASKS_CHANNEL",
    "TOUCH_EVERY",
    "UNSET",
    "UPDATABLE_FIELDS",
    "ApiToken",
    "ApiTokenRepository",
    "ApiTokenScope",
    "AuditEntry",
    "AuditRepository",
    "CatchUp",
    "ChannelDestination",
    "Claim",
    "ConstraintError",
    "Database",
    "DatabaseUnavailableError",
    "Destination",
    "DuplicateApiTokenError",
    "DuplicateTaskError",
    "Embed",
    "EmbedField",
    "GuildSettings",
    "GuildSettingsRepository",
    "IdempotencyRepository",
    "IdempotentAnswer",
    "KeyClaim",
    "LeaseRepository",
    "Listening",
    "MentionPolicy",
    "Mentions",
    "NewTask",
    "Notice",
    "NoticeLevel",
    "NoticeRepository",
    "Payload",
    "PostgresDatabase",
    "Repositories",
    "Rotation",
    "Run",
    "RunExistsError",
    "RunNotFoundError",
    "RunRepository",
    "RunStats",
    "RunStatus",
    "RunTrigger",
    "ScheduleIndex",
    "SchemaTooNewError",
    "SessionRepository",
    "SqliteDatabase",
    "StaleTaskError",
    "StateRepository",
    "Task",
    "TaskKind",
    "TaskNotFoundError",
    "TaskRepository",
    "TaskSource",
    "TaskStatus",
    "TaskUpdate",
    "ThreadDestination",
    "Variant",
    "WebSession",
    "WebhookDestination",
    "from_ms",
    "latest_version",
    "masked_url",
    "to_ms",
]
