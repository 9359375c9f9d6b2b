"""All the repositories over one database, built once by the composition root."""

from __future__ import annotations

from dataclasses import dataclass

from storage.api_tokens import ApiTokenRepository
from storage.audit import AuditRepository
from storage.database import Database
from storage.guilds import GuildSettingsRepository
from storage.idempotency import IdempotencyRepository
from storage.notices import NoticeRepository
from storage.runs import RunRepository
from storage.sessions import SessionRepository
from storage.state import StateRepository
from storage.tasks import TaskRepository

__all__ = ["Repositories"]


@dataclass(frozen=True, slots=True)
class Repositories:
    """Each table's repository; hand each part only the ones it uses."""

    tasks: TaskRepository
    runs: RunRepository
    audit: AuditRepository
    guilds: GuildSettingsRepository
    notices: NoticeRepository
    state: StateRepository
    api_tokens: ApiTokenRepository
    idempotency: IdempotencyRepository
    sessions: SessionRepository

    @classmethod
    def over(cls, database: Database) -> Repositories:
        return cls(
            tasks=TaskRepository(database),
            runs=RunRepository(database),
            audit=AuditRepository(database),
            guilds=GuildSettingsRepository(database),
            notices=NoticeRepository(database),
            state=StateRepository(database),
            api_tokens=ApiTokenRepository(database),
            idempotency=IdempotencyRepository(database),
            sessions=SessionRepository(database),
        )
