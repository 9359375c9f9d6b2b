"""Errors raised by the storage layer; each carries a message fit for a user or an operator."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.models import Run

__all__ = [
    "DatabaseUnavailableError",
    "DuplicateApiTokenError",
    "DuplicateTaskError",
    "RunExistsError",
    "RunNotFoundError",
    "SchemaTooNewError",
    "StaleTaskError",
    "TaskNotFoundError",
]


class SchemaTooNewError(RuntimeError):
    """The database file was written by a newer Cadence than this one."""

    def __init__(self, path: str, found: int, known: int, setting: str = "DATABASE_PATH") -> None:
        self.path = path
        self.found = found
        self.known = known
        super().__init__(
            f"Database {path} was written by a newer Cadence (schema {found}, "
            f"this version knows up to {known}). Upgrade Cadence or use another {setting}."
        )


class DatabaseUnavailableError(RuntimeError):
    """The database server cannot be reached, or refused our connection."""

    def __init__(self, where: str, reason: str) -> None:
        self.where = where
        super().__init__(
            f"Cannot connect to the database {where}: {reason}. Check DATABASE_URL "
            "(host, port, user, password, database name) and that the server is running."
        )


class DuplicateTaskError(ValueError):
    """A task with the same name (in that guild) or the same job_id already exists."""

    def __init__(self, field: str, value: str) -> None:
        self.field = field
        self.value = value
        if field == "job_id":
            message = f"A code task with job_id {value!r} already exists."
        else:
            message = f"A task named {value!r} already exists in this server."
        super().__init__(message)


class DuplicateApiTokenError(ValueError):
    """A live API token with the same name already exists in that guild."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(
            f"An API token named {name!r} already exists in this server. Pick another name, "
            "or revoke that token first."
        )


class _LookupMessage(KeyError):
    # KeyError's str() quotes its argument; these carry a sentence instead.
    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class TaskNotFoundError(_LookupMessage):
    """No task with that id (or not in that guild)."""

    def __init__(self, task_id: int) -> None:
        self.task_id = task_id
        super().__init__(f"Task {task_id} does not exist.")


class StaleTaskError(ValueError):
    """A conditional write named a version of the task that is not its current one."""

    def __init__(self, task_id: int, expected: int, current: int) -> None:
        self.task_id = task_id
        self.expected = expected
        self.current = current
        super().__init__(
            f"Task {task_id} changed since it was read (version {expected}, now {current})."
        )


class RunNotFoundError(_LookupMessage):
    """No run with that id."""

    def __init__(self, run_id: int) -> None:
        self.run_id = run_id
        super().__init__(f"Run {run_id} does not exist.")


class RunExistsError(ValueError):
    """A run for this (task, scheduled_for, trigger) was already started; `existing` is it."""

    def __init__(self, existing: Run) -> None:
        self.existing = existing
        super().__init__(
            f"Task {existing.task_id} already has a {existing.trigger} run for "
            f"{existing.scheduled_for.isoformat()} (run {existing.id}, {existing.status})."
        )
