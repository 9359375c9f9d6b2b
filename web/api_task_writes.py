"""`POST /api/v1/guilds/{guild_id}/tasks` and the routes that change one task: PATCH (a JSON
Merge Patch of its export entry), DELETE, and the actions pause, resume, skip and run.

Every change goes through the slash commands' rules (`web.task_input`) and their service
(`TaskControl`), acting as the member who made the token and audited with the door's name.
PATCH and DELETE need `If-Match` with the task's ETag (its definition version); the write
itself is conditional on that version, so of two clients that read the same version exactly
one may change it. POST …/tasks and POST …/run honour `Idempotency-Key`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import discord
from aiohttp import web

from discordside.webhooks import with_webhooks
from scheduler.control import MAX_SKIP
from scheduler.errors import ScheduleError
from scheduler.payload import dry_run_variant
from scheduler.services import Services
from scheduler.transfer import export_entry
from storage import (
    DuplicateTaskError,
    NewTask,
    StaleTaskError,
    Task,
    TaskNotFoundError,
    TaskUpdate,
)
from storage.payloads import encode_embed
from web.api_history import run_object
from web.api_task_writes_openapi import OPENAPI_PATHS
from web.api_tasks import not_found_task, path_id, task_etag, task_object
from web.auth import ApiAuth, Caller, caller_member
from web.http_rules import (
    MERGE_PATCH_TYPES,
    check_if_match,
    etag_for,
    merge_patch,
    read_json_body,
)
from web.idempotency import Idempotency
from web.problems import FieldError, Problem
from web.task_input import (
    READ_ONLY_FIELDS,
    TaskInputChecker,
    invalid,
    refuse_fields,
)

__all__ = ["OPENAPI_PATHS", "TaskWriteRoutes"]

_TASK = "/api/v1/guilds/{guild_id}/tasks/{task_id}"
_EDITABLE = (
    "name",
    "kind",
    "spec",
    "timezone",
    "start_at",
    "end_at",
    "max_runs",
    "catch_up",
    "payload",
    "destinations",
)
"""What a PATCH may change: the fields `TaskUpdate` has (the rest of the entry is fixed)."""
_SERVER_SET = tuple(field for field in READ_ONLY_FIELDS if field != "status")
"""What a POST may not send: a task's status starts active, as an import's does."""

Action = Callable[[web.Request, Caller, Task], Awaitable[web.Response]]


class TaskWriteRoutes:
    """Handlers of the routes that create and change tasks."""

    def __init__(self, services: Services, client: discord.Client, auth: ApiAuth) -> None:
        self._services = services
        self._control = services.control
        self._tasks = services.repositories.tasks
        self._client = client
        self._auth = auth
        self._input = TaskInputChecker(services.rules)
        self._idempotency = Idempotency(services.repositories.idempotency, services.clock)

    def add_to(self, app: web.Application) -> None:
        app.router.add_post("/api/v1/guilds/{guild_id}/tasks", self.create_task)
        app.router.add_patch(_TASK, self.patch_task)
        app.router.add_delete(_TASK, self.delete_task)
        for name, action in (
            ("pause", self._pause),
            ("resume", self._resume),
            ("skip", self._skip),
            ("run", self._run),
        ):
            app.router.add_post(f"{_TASK}/{name}", self._action(action))

    # ------------------------------------------------------------------ create

    async def create_task(self, request: web.Request) -> web.Response:
        guild_id = path_id(request, "guild_id")
        caller = await self._auth.authorize(request, guild_id, write=True)
        body = await read_json_body(request)
        return await self._idempotency.once(request, caller, lambda: self._create(caller, body))

    async def _create(self, caller: Caller, body: Any) -> web.Response:
        refused = refuse_fields(body, read_only=_SERVER_SET, what="task")
        member = await caller_member(self._client, caller)
        guild = member.guild
        now = self._services.clock.now()
        new = await self._input.check(guild, member, body, now=now, refused=refused)
        await self._input.check_room(guild.id)
        new = await with_webhooks(guild, new)
        task = await self._write(
            lambda: self._control.create(new, actor_id=caller.member_id, via=caller.label)
        )
        location = f"/api/v1/guilds/{guild.id}/tasks/{task.id}"
        return web.json_response(
            task_object(task),
            status=201,
            headers={"Location": location, "ETag": task_etag(task)},
        )

    # ------------------------------------------------------------ patch/delete

    async def patch_task(self, request: web.Request) -> web.Response:
        caller, task = await self._target(request)
        check_if_match(request.headers.get("If-Match"), task_etag(task))
        patch = await read_json_body(request, media_types=MERGE_PATCH_TYPES)
        refused = refuse_fields(patch, read_only=READ_ONLY_FIELDS, what="merge patch")
        member = await caller_member(self._client, caller)
        guild = member.guild
        merged = merge_patch(export_entry(task), patch)
        now = self._services.clock.now()
        new = await self._input.check(
            guild, member, merged, now=now, except_id=task.id, refused=refused
        )
        new = await with_webhooks(guild, new, keep=task.destinations)
        updated = await self._write(
            lambda: self._control.edit(
                task,
                _update_of(new),
                actor_id=caller.member_id,
                via=caller.label,
                expected_version=task.version,
            )
        )
        return web.json_response(task_object(updated), headers={"ETag": task_etag(updated)})

    async def delete_task(self, request: web.Request) -> web.Response:
        caller, task = await self._target(request)
        check_if_match(request.headers.get("If-Match"), task_etag(task))
        await self._write(
            lambda: self._control.delete(
                task, actor_id=caller.member_id, via=caller.label, expected_version=task.version
            )
        )
        return web.Response(status=204)

    # ----------------------------------------------------------------- actions

    def _action(self, action: Action) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handle(request: web.Request) -> web.Response:
            caller, task = await self._target(request)
            return await action(request, caller, task)

        return handle

    async def _pause(self, request: web.Request, caller: Caller, task: Task) -> web.Response:
        await _parameters(request, {})
        paused = await self._refusable(
            self._control.pause(
                task,
                actor_id=caller.member_id,
                reason=f"paused by {caller.label}",
                via=caller.label,
            )
        )
        return _task_answer(paused)

    async def _resume(self, request: web.Request, caller: Caller, task: Task) -> web.Response:
        await _parameters(request, {})
        resumed = await self._refusable(
            self._control.resume(task, actor_id=caller.member_id, via=caller.label)
        )
        return _task_answer(resumed)

    async def _skip(self, request: web.Request, caller: Caller, task: Task) -> web.Response:
        given = await _parameters(request, {"count": int})
        count = given.get("count", 1)
        if not 1 <= count <= MAX_SKIP:
            message = f"count must be between 1 and {MAX_SKIP}."
            raise invalid([FieldError("count", message)], message)
        skipped = await self._refusable(
            self._control.skip(task, count, actor_id=caller.member_id, via=caller.label)
        )
        return _task_answer(skipped)

    async def _run(self, request: web.Request, caller: Caller, task: Task) -> web.Response:
        given = await _parameters(request, {"dry_run": bool})
        if given.get("dry_run", False):
            variant = dry_run_variant(task, self._services.clock.now())
            embed = None if variant.embed is None else encode_embed(variant.embed)
            preview = {"dry_run": True, "content": variant.content, "embed": embed}
            return web.json_response(preview)

        async def run_now() -> web.Response:
            run = await self._refusable(
                self._control.run_now(task, actor_id=caller.member_id, via=caller.label)
            )
            return web.json_response(run_object(run))

        return await self._idempotency.once(request, caller, run_now)

    # ----------------------------------------------------------------- helpers

    async def _target(self, request: web.Request) -> tuple[Caller, Task]:
        """The caller (a write token of this guild) and this guild's task, else 404."""
        guild_id = path_id(request, "guild_id")
        caller = await self._auth.authorize(request, guild_id, write=True)
        task = await self._tasks.get_for_guild(guild_id, path_id(request, "task_id"))
        if task is None:
            raise not_found_task()
        return caller, task

    async def _write(self, change: Callable[[], Awaitable[Any]]) -> Any:
        """Run a change, answering what storage refuses as the slash commands would."""
        try:
            return await change()
        except StaleTaskError as exc:
            raise _stale(exc) from None
        except TaskNotFoundError:
            raise not_found_task() from None
        except DuplicateTaskError as exc:
            message = f"{exc} Pick another name, or change the existing task with PATCH."
            raise invalid([FieldError("name", message)]) from None
        except ScheduleError as exc:
            raise invalid([FieldError(exc.field or "", exc.message)], exc.message) from None

    async def _refusable(self, change: Awaitable[Any]) -> Any:
        """An action the task's state refuses (pausing a paused task…) is a 409."""
        try:
            return await change
        except TaskNotFoundError:
            raise not_found_task() from None
        except ScheduleError as exc:
            raise Problem(409, exc.message, kind="conflict") from None


def _task_answer(task: Task) -> web.Response:
    return web.json_response(task_object(task), headers={"ETag": task_etag(task)})


def _stale(exc: StaleTaskError) -> Problem:
    """The 412 of a write that lost a race: `If-Match` checked against the version now."""
    try:
        check_if_match(
            etag_for("task", exc.task_id, exc.expected), etag_for("task", exc.task_id, exc.current)
        )
    except Problem as problem:
        return problem
    raise AssertionError("a stale version matched")  # pragma: no cover


async def _parameters(request: web.Request, wanted: Mapping[str, type]) -> dict[str, Any]:
    """An action's body: empty, `{}`, or an object of the parameters it takes, typed."""
    body = await read_json_body(request, allow_empty=True)
    if not isinstance(body, dict):
        raise invalid([FieldError("", "The body must be a JSON object (or empty).")])
    problems = []
    for key, value in body.items():
        kind = wanted.get(key)
        if kind is None:
            allowed = ", ".join(wanted) or "none"
            problems.append(
                FieldError(str(key)[:100], f"is not a parameter here (allowed: {allowed})")
            )
        elif type(value) is not kind:
            noun = "true or false" if kind is bool else "a whole number"
            problems.append(FieldError(key, f"{key} must be {noun}"))
    if problems:
        raise invalid(problems, "Some parameters are not valid; see errors.")
    return body


def _update_of(new: NewTask) -> TaskUpdate:
    """Every editable field as the checked entry has it; `TaskControl.edit` keeps only
    what differs from the task."""
    return TaskUpdate(**{field: getattr(new, field) for field in _EDITABLE})
