"""Looking back and ahead over HTTP: a task's runs, its run statistics, its next instants, and
the guild's audit trail. Read-only; each answers what the slash commands show
(`/schedule history`, `/schedule show`) from the same repository calls.

Lists are paged by descending id with signed cursors bound to the guild (and task, and filter)
they were made for, so a page never shifts when runs or audit entries are added meanwhile and
a cursor is refused anywhere else."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from scheduler.planning import upcoming_runs
from scheduler.preview import MAX_PREVIEW
from scheduler.zones import TaskZones
from storage import AuditEntry, AuditRepository, Run, RunRepository, Task, TaskRepository
from web.api_tasks import iso, not_found_task, path_id
from web.auth import ApiAuth
from web.http_rules import CursorCodec
from web.problems import FieldError, Problem

__all__ = ["OPENAPI_PATHS", "HistoryRoutes", "audit_object", "run_object"]

MAX_LIMIT = 100
DEFAULT_LIMIT = 50
DEFAULT_UPCOMING = 5
"""As many as `/schedule show` lists."""

_TASK = "/api/v1/guilds/{guild_id}/tasks/{task_id}"


def run_object(run: Run) -> dict[str, Any]:
    """A run as the API shows it: snowflakes as strings, instants in UTC with `Z`."""
    return {
        "id": str(run.id),
        "task_id": str(run.task_id),
        "scheduled_for": iso(run.scheduled_for),
        "started_at": iso(run.started_at),
        "finished_at": iso(run.finished_at),
        "lateness_seconds": None if run.late_by_ms is None else run.late_by_ms / 1000,
        "status": str(run.status),
        "attempts": run.attempts,
        "error": run.error,
        "message_ids": [str(m) for m in run.message_ids],
        "trigger": str(run.trigger),
    }


def audit_object(entry: AuditEntry) -> dict[str, Any]:
    """An audit entry; `actor_id` null means Cadence itself did it."""
    return {
        "id": str(entry.id),
        "at": iso(entry.at),
        "actor_id": None if entry.actor_id is None else str(entry.actor_id),
        "action": entry.action,
        "task_id": None if entry.task_id is None else str(entry.task_id),
        "detail": entry.detail,
    }


class HistoryRoutes:
    """Handlers for runs, stats, upcoming and audit, given what they read."""

    def __init__(
        self,
        *,
        tasks: TaskRepository,
        runs: RunRepository,
        audit: AuditRepository,
        zones: TaskZones,
        auth: ApiAuth,
        cursors: CursorCodec,
    ) -> None:
        self._tasks = tasks
        self._runs = runs
        self._audit = audit
        self._zones = zones
        self._auth = auth
        self._cursors = cursors

    def add_to(self, app: web.Application) -> None:
        app.router.add_get(f"{_TASK}/runs", self.list_runs)
        app.router.add_get(f"{_TASK}/stats", self.task_stats)
        app.router.add_get(f"{_TASK}/upcoming", self.upcoming)
        app.router.add_get("/api/v1/guilds/{guild_id}/audit", self.list_audit)

    async def _task(self, request: web.Request) -> Task:
        """The path's task, once the caller may read its guild; another guild's is not found."""
        guild_id = path_id(request, "guild_id")
        await self._auth.authorize(request, guild_id, write=False)
        task = await self._tasks.get_for_guild(guild_id, path_id(request, "task_id"))
        if task is None:
            raise not_found_task()
        return task

    async def list_runs(self, request: web.Request) -> web.Response:
        task = await self._task(request)
        scope = f"{task.guild_id}|runs|{task.id}"
        limit, before = self._page(request, scope)
        found = await self._runs.page_for_task(task.id, before_id=before, limit=limit + 1)
        page = found[:limit]
        return web.json_response(
            {
                "items": [run_object(r) for r in page],
                "next_cursor": self._next(scope, page, more=len(found) > limit),
            }
        )

    async def task_stats(self, request: web.Request) -> web.Response:
        task = await self._task(request)
        stats = await self._runs.stats(task.id)
        return web.json_response(
            {
                "task_id": str(task.id),
                "total": stats.total,
                "counts": {
                    "ok": stats.ok,
                    "failed": stats.failed,
                    "missed": stats.missed,
                    "skipped": stats.skipped,
                    "unknown": stats.unknown,
                },
                "success_rate": stats.success_rate,
                "lateness_seconds": {
                    "p50": _seconds(stats.lateness_p50_ms),
                    "p99": _seconds(stats.lateness_p99_ms),
                    "max": _seconds(stats.lateness_max_ms),
                },
                "last_error": stats.last_error,
                "last_ok_at": iso(stats.last_ok_at),
                "run_count": task.run_count,
                "failure_count": task.failure_count,
            }
        )

    async def upcoming(self, request: web.Request) -> web.Response:
        task = await self._task(request)
        count = _whole_number(request, "count", DEFAULT_UPCOMING, MAX_PREVIEW)
        zone = await self._zones.zone_for(task)
        instants = upcoming_runs(task, zone, count)
        return web.json_response(
            {"task_id": str(task.id), "timezone": zone, "next": [iso(at) for at in instants]}
        )

    async def list_audit(self, request: web.Request) -> web.Response:
        guild_id = path_id(request, "guild_id")
        await self._auth.authorize(request, guild_id, write=False)
        task_id = _task_filter(request)
        scope = f"{guild_id}|audit|{task_id or ''}"
        limit, before = self._page(request, scope)
        found = await self._audit.page_for_guild(
            guild_id, before_id=before, task_id=task_id, limit=limit + 1
        )
        page = found[:limit]
        return web.json_response(
            {
                "items": [audit_object(e) for e in page],
                "next_cursor": self._next(scope, page, more=len(found) > limit),
            }
        )

    def _page(self, request: web.Request, scope: str) -> tuple[int, int | None]:
        """(limit, the id the previous page ended at) from `limit` and `cursor`."""
        limit = _whole_number(request, "limit", DEFAULT_LIMIT, MAX_LIMIT)
        cursor = request.query.get("cursor")
        if not cursor:
            return limit, None
        before = self._cursors.decode(scope, cursor).get("before")  # signed: ours
        return limit, before if isinstance(before, int) else None

    def _next(self, scope: str, page: list[Run] | list[AuditEntry], *, more: bool) -> str | None:
        if not more or not page:
            return None
        return self._cursors.encode(scope, {"before": page[-1].id})


def _seconds(ms: int | None) -> float | None:
    return None if ms is None else ms / 1000


def _whole_number(request: web.Request, name: str, default: int, most: int) -> int:
    """A query parameter from 1 to `most` (`default` when absent); 422 otherwise."""
    raw = request.query.get(name)
    if raw is None:
        return default
    if raw.isascii() and raw.isdigit() and len(raw) <= 4 and 1 <= int(raw) <= most:
        return int(raw)
    raise Problem(
        422,
        "Some query parameters are not valid; see errors.",
        kind="validation",
        errors=[FieldError(name, f"must be a whole number from 1 to {most}")],
    )


def _task_filter(request: web.Request) -> int | None:
    raw = request.query.get("task_id")
    if raw is None:
        return None
    if raw.isascii() and raw.isdigit() and len(raw) <= 19 and int(raw) < 2**63:
        return int(raw)
    raise Problem(
        422,
        "Some query parameters are not valid; see errors.",
        kind="validation",
        errors=[FieldError("task_id", "must be a task id (digits)")],
    )


_PAGED = [{"$ref": "#/components/parameters/Limit"}, {"$ref": "#/components/parameters/Cursor"}]
_IDS = [
    {"$ref": "#/components/parameters/GuildId"},
    {"$ref": "#/components/parameters/TaskId"},
]
_READ_ERRORS = {
    "400": {"$ref": "#/components/responses/BadRequest"},
    "401": {"$ref": "#/components/responses/Unauthorized"},
    "403": {"$ref": "#/components/responses/Forbidden"},
    "404": {"$ref": "#/components/responses/NotFound"},
    "422": {"$ref": "#/components/responses/Unprocessable"},
    "429": {"$ref": "#/components/responses/TooManyRequests"},
    "503": {"$ref": "#/components/responses/ServiceUnavailable"},
}
_INSTANT = {"type": "string", "format": "date-time"}
_MAYBE_INSTANT = {"type": ["string", "null"], "format": "date-time"}
_SNOWFLAKE = {"type": "string", "pattern": "^[0-9]+$"}
_RUN = {
    "type": "object",
    "required": [
        "id",
        "task_id",
        "scheduled_for",
        "started_at",
        "finished_at",
        "lateness_seconds",
        "status",
        "attempts",
        "error",
        "message_ids",
        "trigger",
    ],
    "properties": {
        "id": _SNOWFLAKE,
        "task_id": _SNOWFLAKE,
        "scheduled_for": _INSTANT,
        "started_at": _MAYBE_INSTANT,
        "finished_at": _MAYBE_INSTANT,
        "lateness_seconds": {"type": ["number", "null"]},
        "status": {"enum": ["running", "ok", "failed", "skipped", "missed", "unknown"]},
        "attempts": {"type": "integer"},
        "error": {"type": ["string", "null"]},
        "message_ids": {"type": "array", "items": _SNOWFLAKE},
        "trigger": {"enum": ["schedule", "manual", "catch_up"]},
    },
}
_AUDIT_ENTRY = {
    "type": "object",
    "required": ["id", "at", "actor_id", "action", "task_id", "detail"],
    "properties": {
        "id": _SNOWFLAKE,
        "at": _INSTANT,
        "actor_id": {"type": ["string", "null"], "description": "null: Cadence itself"},
        "action": {"type": "string"},
        "task_id": {"type": ["string", "null"]},
        "detail": {"type": "object"},
    },
}


def _listing(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["items", "next_cursor"],
        "properties": {
            "items": {"type": "array", "items": item},
            "next_cursor": {"type": ["string", "null"]},
        },
    }


def _ok(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_MAYBE_SECONDS = {"type": ["number", "null"]}
OPENAPI_PATHS: dict[str, dict[str, Any]] = {
    f"{_TASK}/runs": {
        "get": {
            "operationId": "listTaskRuns",
            "summary": "A task's runs, newest first",
            "tags": ["History"],
            "parameters": [*_IDS, *_PAGED],
            "responses": {"200": _ok("A page of runs", _listing(_RUN)), **_READ_ERRORS},
        }
    },
    f"{_TASK}/stats": {
        "get": {
            "operationId": "getTaskStats",
            "summary": "Counts, success rate and lateness over a task's kept history",
            "tags": ["History"],
            "parameters": _IDS,
            "responses": {
                "200": _ok(
                    "The task's run statistics",
                    {
                        "type": "object",
                        "required": ["task_id", "total", "counts", "success_rate"],
                        "properties": {
                            "task_id": _SNOWFLAKE,
                            "total": {"type": "integer"},
                            "counts": {
                                "type": "object",
                                "additionalProperties": {"type": "integer"},
                            },
                            "success_rate": _MAYBE_SECONDS,
                            "lateness_seconds": {
                                "type": "object",
                                "properties": {
                                    "p50": _MAYBE_SECONDS,
                                    "p99": _MAYBE_SECONDS,
                                    "max": _MAYBE_SECONDS,
                                },
                            },
                            "last_error": {"type": ["string", "null"]},
                            "last_ok_at": _MAYBE_INSTANT,
                            "run_count": {"type": "integer"},
                            "failure_count": {"type": "integer"},
                        },
                    },
                ),
                **_READ_ERRORS,
            },
        }
    },
    f"{_TASK}/upcoming": {
        "get": {
            "operationId": "listTaskUpcoming",
            "summary": "A task's next instants (none while it is not active)",
            "tags": ["History"],
            "parameters": [
                *_IDS,
                {
                    "name": "count",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PREVIEW},
                    "description": f"How many (1 to {MAX_PREVIEW}, default {DEFAULT_UPCOMING})",
                },
            ],
            "responses": {
                "200": _ok(
                    "The next instants in UTC, and the zone the schedule is read in",
                    {
                        "type": "object",
                        "required": ["task_id", "timezone", "next"],
                        "properties": {
                            "task_id": _SNOWFLAKE,
                            "timezone": {"type": "string"},
                            "next": {"type": "array", "items": _INSTANT},
                        },
                    },
                ),
                **_READ_ERRORS,
            },
        }
    },
    "/api/v1/guilds/{guild_id}/audit": {
        "get": {
            "operationId": "listAudit",
            "summary": "The guild's audit trail, newest first",
            "tags": ["History"],
            "parameters": [
                {"$ref": "#/components/parameters/GuildId"},
                {
                    "name": "task_id",
                    "in": "query",
                    "required": False,
                    "schema": _SNOWFLAKE,
                    "description": "Only this task's entries (also after it was deleted)",
                },
                *_PAGED,
            ],
            "responses": {
                "200": _ok("A page of audit entries", _listing(_AUDIT_ENTRY)),
                **_READ_ERRORS,
            },
        }
    },
}
