"""`/api/v1/guilds/{guild_id}/tasks…`: a guild's tasks over HTTP (read routes so far).

The task object is the `/schedule export` entry (same names, same meaning) plus read-only
fields: `id`, `next_run_at`, `last_run_at`, `run_count`, `failure_count`, `created_by`,
`created_at`, `updated_by`, `updated_at`, `version`. Snowflakes are strings; instants are
ISO 8601 in UTC with `Z`. Lists answer `{"items": [...], "next_cursor": "..." | null}`.

A task's ETag names its definition `version` (bumped by every change to its definition or
status, through any door), not the bytes of the answer: the per-run fields (`next_run_at`,
`run_count`, …) may change under one tag, so GET answers `Cache-Control: no-store` and
offers no 304; the tag is for `If-Match` on PATCH and DELETE (web.api_task_writes)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from scheduler.transfer import export_entry
from storage import Task, TaskKind, TaskRepository, TaskStatus
from web.auth import ApiAuth
from web.http_rules import CursorCodec, etag_for
from web.problems import FieldError, Problem

__all__ = ["TaskRoutes", "iso", "not_found_task", "path_id", "task_etag", "task_object"]

MAX_LIMIT = 100
DEFAULT_LIMIT = 50


def iso(instant: datetime | None) -> str | None:
    if instant is None:
        return None
    return instant.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def task_object(task: Task) -> dict[str, Any]:
    entry = export_entry(task)
    for key in ("start_at", "end_at"):
        entry[key] = iso(getattr(task, key))
    entry.update(
        id=str(task.id),
        next_run_at=iso(task.next_run_at),
        last_run_at=iso(task.last_run_at),
        run_count=task.run_count,
        failure_count=task.failure_count,
        created_by=None if task.created_by is None else str(task.created_by),
        created_at=iso(task.created_at),
        updated_by=None if task.updated_by is None else str(task.updated_by),
        updated_at=iso(task.updated_at),
        version=task.version,
    )
    return entry


def task_etag(task: Task) -> str:
    """The strong ETag of the task's definition version (what If-Match is checked against)."""
    return etag_for("task", task.id, task.version)


def not_found_task() -> Problem:
    """The same answer for a task that does not exist and another guild's task."""
    return Problem(404, "No task with this id in this server.", kind="not-found")


@dataclass(frozen=True, slots=True)
class _Filters:
    status: TaskStatus | None
    kind: TaskKind | None
    channel_id: int | None
    q: str | None
    limit: int

    def scope(self, guild_id: int) -> str:
        return f"{guild_id}|tasks|{self.status}|{self.kind}|{self.channel_id}|{self.q}"

    def keep(self, task: Task) -> bool:
        return (self.kind is None or task.kind == self.kind) and (
            self.q is None or self.q.casefold() in task.name.casefold()
        )


class TaskRoutes:
    """Handlers for the task routes, given the repositories and the auth they use."""

    def __init__(self, tasks: TaskRepository, auth: ApiAuth, cursors: CursorCodec) -> None:
        self._tasks = tasks
        self._auth = auth
        self._cursors = cursors

    def add_to(self, app: web.Application) -> None:
        app.router.add_get("/api/v1/guilds/{guild_id}/tasks", self.list_tasks)
        app.router.add_get("/api/v1/guilds/{guild_id}/tasks/{task_id}", self.get_task)

    async def list_tasks(self, request: web.Request) -> web.Response:
        guild_id = path_id(request, "guild_id")
        await self._auth.authorize(request, guild_id, write=False)
        filters = _filters(request)
        after = 0
        cursor = request.query.get("cursor")
        if cursor:
            after = int(self._cursors.decode(filters.scope(guild_id), cursor).get("after", 0))
        found = await self._tasks.list_for_guild(
            guild_id, status=filters.status, channel_id=filters.channel_id
        )
        chosen = sorted((t for t in found if t.id > after and filters.keep(t)), key=_by_id)
        page = chosen[: filters.limit]
        next_cursor = None
        if len(chosen) > filters.limit:
            next_cursor = self._cursors.encode(filters.scope(guild_id), {"after": page[-1].id})
        return web.json_response(
            {"items": [task_object(t) for t in page], "next_cursor": next_cursor}
        )

    async def get_task(self, request: web.Request) -> web.Response:
        guild_id = path_id(request, "guild_id")
        await self._auth.authorize(request, guild_id, write=False)
        task = await self._tasks.get_for_guild(guild_id, path_id(request, "task_id"))
        if task is None:
            raise not_found_task()
        return web.json_response(
            task_object(task), headers={"ETag": task_etag(task), "Cache-Control": "no-store"}
        )


def _by_id(task: Task) -> int:
    return task.id


def path_id(request: web.Request, name: str) -> int:
    raw = request.match_info[name]
    if not raw.isdigit() or len(raw) > 20:
        raise Problem(404, "There is nothing at this address.", kind="not-found")
    return int(raw)


def _filters(request: web.Request) -> _Filters:
    query = request.query
    errors: list[FieldError] = []

    def choice(name: str, kind: type[TaskStatus] | type[TaskKind]) -> Any:
        raw = query.get(name)
        if raw is None or raw == "":
            return None
        try:
            return kind(raw)
        except ValueError:
            allowed = ", ".join(str(v) for v in kind)
            errors.append(FieldError(name, f"must be one of {allowed}, not {raw!r}"))
            return None

    status = choice("status", TaskStatus)
    kind = choice("kind", TaskKind)
    channel_id = None
    raw_channel = query.get("channel_id")
    if raw_channel:
        if raw_channel.isdigit() and len(raw_channel) <= 20:
            channel_id = int(raw_channel)
        else:
            errors.append(FieldError("channel_id", "must be a channel id (digits)"))
    limit = DEFAULT_LIMIT
    raw_limit = query.get("limit")
    if raw_limit:
        if raw_limit.isdigit() and 1 <= int(raw_limit) <= MAX_LIMIT:
            limit = int(raw_limit)
        else:
            errors.append(FieldError("limit", f"must be a whole number from 1 to {MAX_LIMIT}"))
    if errors:
        raise Problem(
            422,
            "Some query parameters are not valid; see errors.",
            kind="validation",
            errors=errors,
        )
    q = (query.get("q") or "").strip() or None
    return _Filters(status, kind, channel_id, q, limit)
