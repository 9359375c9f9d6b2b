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
from web.openapi_schemas import error_responses, ref
from web.problems import FieldError, Problem

__all__ = [
    "OPENAPI_PATHS",
    "TaskRoutes",
    "iso",
    "not_found_task",
    "path_id",
    "task_etag",
    "task_object",
]

MAX_LIMIT = 100
DEFAULT_LIMIT = 50
_MAX_ID = 2**63 - 1
"""Ids are stored as signed 64-bit integers; a larger one names nothing."""


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
    """The id in the path, or 404 (ASCII digits only: `str.isdigit` also takes "²")."""
    number = digits(request.match_info[name])
    if number is None:
        raise Problem(404, "There is nothing at this address.", kind="not-found")
    return number


def digits(raw: str) -> int | None:
    """`raw` as a stored id (ASCII digits, at most 2**63 - 1), or None."""
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 20 or int(raw) > _MAX_ID:
        return None
    return int(raw)


def _filters(request: web.Request) -> _Filters:
    """The list's filters; one given empty is refused like any other bad value (the document
    says what each accepts, and an empty `limit` or `status` is none of that)."""
    query = request.query
    errors: list[FieldError] = []

    def choice(name: str, kind: type[TaskStatus] | type[TaskKind]) -> Any:
        raw = query.get(name)
        if raw is None:
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
    if raw_channel is not None:
        channel_id = digits(raw_channel)
        if channel_id is None:
            errors.append(FieldError("channel_id", "must be a channel id (digits)"))
    limit = DEFAULT_LIMIT
    raw_limit = query.get("limit")
    if raw_limit is not None:
        number = digits(raw_limit)
        if number is not None and 1 <= number <= MAX_LIMIT:
            limit = number
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


def _query(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "description": description, "schema": schema}


_ETAG = {
    "description": "The task's entity tag, for If-None-Match and If-Match.",
    "schema": {"type": "string"},
    "required": True,
}

OPENAPI_PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/guilds/{guild_id}/tasks": {
        "get": {
            "operationId": "listTasks",
            "summary": "List the server's tasks",
            "description": "Ordered by id, oldest first; paging stays stable while tasks are "
            "created or deleted. Filters combine; `q` matches part of the name, any case.",
            "tags": ["Tasks"],
            "parameters": [
                ref("parameters", "GuildId"),
                _query(
                    "status",
                    "Only tasks in this state.",
                    {"type": "string", "enum": [str(s) for s in TaskStatus]},
                ),
                _query(
                    "kind",
                    "Only tasks of this kind.",
                    {"type": "string", "enum": [str(k) for k in TaskKind]},
                ),
                _query(
                    "channel_id",
                    "Only tasks posting in this channel.",
                    {"type": "string", "pattern": "^[0-9]{1,19}$"},
                ),
                _query("q", "Only tasks whose name contains this text.", {"type": "string"}),
                ref("parameters", "Limit"),
                ref("parameters", "Cursor"),
            ],
            "responses": {
                "200": {
                    "description": "One page of tasks.",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "items": {
                                        "type": "array",
                                        "items": ref("schemas", "Task"),
                                        "maxItems": MAX_LIMIT,
                                    },
                                    "next_cursor": {"type": ["string", "null"]},
                                },
                                "required": ["items", "next_cursor"],
                                "additionalProperties": False,
                            }
                        }
                    },
                },
                **error_responses(
                    "BadRequest",
                    "Unauthorized",
                    "Forbidden",
                    "NotFound",
                    "Unprocessable",
                    "TooManyRequests",
                    "ServiceUnavailable",
                ),
            },
        }
    },
    "/api/v1/guilds/{guild_id}/tasks/{task_id}": {
        "get": {
            "operationId": "getTask",
            "summary": "Get one task",
            "description": "Answers with an `ETag`; send it back in `If-None-Match` to get "
            "304 while the task is unchanged, or in `If-Match` to change it.",
            "tags": ["Tasks"],
            "parameters": [
                ref("parameters", "GuildId"),
                ref("parameters", "TaskId"),
                {
                    "name": "If-None-Match",
                    "in": "header",
                    "description": "ETags the caller has; 304 when the task's is one of them.",
                    "schema": {"type": "string"},
                },
            ],
            "responses": {
                "200": {
                    "description": "The task.",
                    "headers": {"ETag": _ETAG},
                    "content": {"application/json": {"schema": ref("schemas", "Task")}},
                },
                "304": {
                    "description": "Unchanged since the ETag sent.",
                    "headers": {"ETag": _ETAG},
                },
                **error_responses(
                    "Unauthorized",
                    "Forbidden",
                    "NotFound",
                    "TooManyRequests",
                    "ServiceUnavailable",
                ),
            },
        }
    },
}
"""The routes above, for the OpenAPI document (`web.openapi`)."""
