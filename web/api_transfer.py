"""Schedules and documents over HTTP: preview a schedule before saving it, export a guild's
tasks, import an export document (all or nothing).

Each goes through what the slash commands use: `scheduler.preview.preview_schedule` (the
same `TaskRules` calls as `/schedule cron`, `once`, `every`), `scheduler.transfer.export_tasks`
(as `/schedule export`), `discordside.importing.import_document` (as `/schedule import`).
Their errors come back with the slash commands' words, each under the field it is about."""

from __future__ import annotations

import logging
from typing import Any

import discord
from aiohttp import web

from discordside.importing import import_document
from scheduler.errors import ScheduleError
from scheduler.preview import (
    MAX_PREVIEW,
    PreviewRefused,
    ScheduleText,
    ScheduleWord,
    preview_schedule,
)
from scheduler.services import Services
from scheduler.transfer import export_tasks
from storage import DuplicateTaskError
from web.api_tasks import iso, path_id, task_object
from web.auth import ApiAuth, caller_member
from web.http_rules import read_json_body
from web.problems import FieldError, Problem

__all__ = ["OPENAPI_PATHS", "TransferRoutes"]

log = logging.getLogger(__name__)

_GUILD = "/api/v1/guilds/{guild_id}"
_SCHEDULES: tuple[ScheduleWord, ...] = ("cron", "once", "every")
_PREVIEW_FIELDS = {*_SCHEDULES, "timezone", "start_at", "end_at", "count"}
_OPTION_FIELD = {"start": "start_at", "end": "end_at"}
"""A preview's fields are named like the export entry's; the slash options are shorter."""
DEFAULT_PREVIEW = 5


class TransferRoutes:
    """Handlers for preview, export and import."""

    def __init__(self, services: Services, client: discord.Client, auth: ApiAuth) -> None:
        self._services = services
        self._client = client
        self._auth = auth

    def add_to(self, app: web.Application) -> None:
        app.router.add_post(f"{_GUILD}/preview", self.preview)
        app.router.add_get(f"{_GUILD}/export", self.export)
        app.router.add_post(f"{_GUILD}/import", self.import_tasks)

    async def preview(self, request: web.Request) -> web.Response:
        guild_id = path_id(request, "guild_id")
        await self._auth.authorize(request, guild_id, write=False)
        typed, count = _preview_body(await read_json_body(request))
        try:
            shown = await preview_schedule(
                self._services.rules,
                guild_id,
                typed,
                now=self._services.clock.now(),
                count=count,
            )
        except PreviewRefused as refused:
            raise _invalid(
                "The schedule cannot be used; see errors.",
                [
                    FieldError(_OPTION_FIELD.get(p.option, p.option), str(p.error))
                    for p in refused.problems
                ],
            ) from None
        return web.json_response(
            {
                "kind": str(shown.choice.kind),
                "spec": shown.choice.spec,
                "description": shown.description,
                "timezone": shown.zone,
                "start_at": iso(shown.choice.start_at),
                "end_at": iso(shown.choice.end_at),
                "next": [iso(at) for at in shown.next],
            }
        )

    async def export(self, request: web.Request) -> web.Response:
        guild_id = path_id(request, "guild_id")
        await self._auth.authorize(request, guild_id, write=False)
        tasks = await self._services.repositories.tasks.list_for_guild(guild_id)
        document = export_tasks(tasks, guild_id=guild_id, at=self._services.clock.now())
        disposition = f'attachment; filename="cadence-tasks-{guild_id}.json"'
        return web.json_response(document, headers={"Content-Disposition": disposition})

    async def import_tasks(self, request: web.Request) -> web.Response:
        guild_id = path_id(request, "guild_id")
        caller = await self._auth.authorize(request, guild_id, write=True)
        replace = _replace_flag(request)
        document = await read_json_body(request)
        member = await caller_member(self._client, caller)
        services = self._services
        try:
            outcome = await import_document(
                document,
                guild=member.guild,
                member=member,
                replace=replace,
                tasks=services.repositories.tasks,
                rules=services.rules,
                control=services.control,
                clock=services.clock,
                via=caller.label,
            )
        except ScheduleError as exc:  # a limit reached between the checks and the write
            raise _invalid("Nothing was imported.", [FieldError("tasks", str(exc))]) from None
        except DuplicateTaskError as exc:  # a task of that name was made meanwhile
            raise Problem(409, f"Nothing was imported: {exc}", kind="conflict") from None
        except discord.HTTPException as exc:  # making a webhook failed: no task was written
            log.warning("An import's webhook could not be made: %s", exc)
            raise Problem(
                503,
                "Discord refused or did not answer while making a webhook; nothing was "
                "imported. Try again.",
                kind="discord-unavailable",
                headers={"Retry-After": "5"},
            ) from None
        if not outcome.ok:
            raise _invalid(
                f"Nothing was imported: {len(outcome.problems)} problem(s); see errors.",
                [FieldError(p.field, p.message) for p in outcome.problems],
            )
        log.info(
            "Imported %d task(s) into guild %s with %s",
            len(outcome.created),
            guild_id,
            caller.label,
        )
        return web.json_response(
            {
                "created": len(outcome.created),
                "replaced": len(outcome.replaced),
                "removed": len(outcome.removed),
                "replaced_names": list(outcome.replaced),
                "items": [task_object(task) for task in outcome.created],
            }
        )


def _invalid(detail: str, errors: list[FieldError]) -> Problem:
    return Problem(422, detail, kind="validation", errors=errors)


def _preview_body(body: Any) -> tuple[ScheduleText, int]:
    """The preview's inputs, each of the right JSON type; 422 listing every one that is not."""
    if not isinstance(body, dict):
        raise _invalid("The body must be a JSON object.", [FieldError("body", "must be an object")])
    errors = [
        FieldError(str(key)[:40], "is not a field of a preview")
        for key in body
        if key not in _PREVIEW_FIELDS
    ]
    given = [key for key in _SCHEDULES if key in body]
    if len(given) != 1:
        errors.append(FieldError("schedule", "Give exactly one of cron, once and every."))
    errors += [FieldError(key, "must be text") for key in given if not isinstance(body[key], str)]
    texts: dict[str, str | None] = {}
    for key in ("timezone", "start_at", "end_at"):  # null: not given
        value = body.get(key)
        if value is not None and not isinstance(value, str):
            errors.append(FieldError(key, "must be text or null"))
            value = None
        texts[key] = value or None
    count = body.get("count", DEFAULT_PREVIEW)
    if type(count) is not int or not 1 <= count <= MAX_PREVIEW:
        errors.append(FieldError("count", f"count must be between 1 and {MAX_PREVIEW}."))
    if errors:
        raise _invalid("The preview's body is not valid; see errors.", errors)
    which = given[0]
    typed = ScheduleText(
        which=which,
        text=body[which],
        timezone=texts["timezone"],
        start=texts["start_at"],
        end=texts["end_at"],
    )
    return typed, count


def _replace_flag(request: web.Request) -> bool:
    raw = request.query.get("replace", "false")
    if raw in ("true", "false"):
        return raw == "true"
    raise _invalid(
        "Some query parameters are not valid; see errors.",
        [FieldError("replace", "must be true or false")],
    )


_GUILD_ID = {"$ref": "#/components/parameters/GuildId"}
_ERRORS = {
    str(code): {"$ref": f"#/components/responses/{name}"}
    for code, name in (
        (400, "BadRequest"),
        (401, "Unauthorized"),
        (403, "Forbidden"),
        (404, "NotFound"),
        (413, "PayloadTooLarge"),
        (415, "UnsupportedMediaType"),
        (422, "Unprocessable"),
        (429, "TooManyRequests"),
        (503, "ServiceUnavailable"),
    )
}
_READ_ERRORS = {
    code: answer for code, answer in _ERRORS.items() if code not in ("413", "415", "422")
}
_TEXT_OR_NULL = {"type": ["string", "null"]}
_INSTANT_OR_NULL = {"type": ["string", "null"], "format": "date-time"}
_EXPORT_DOCUMENT = {
    "type": "object",
    "required": ["format", "version", "tasks"],
    "properties": {
        "format": {"const": "cadence-tasks"},
        "version": {"const": 1},
        "guild_id": {"type": "string"},
        "exported_at": {"type": "string"},
        "tasks": {"type": "array", "items": {"$ref": "#/components/schemas/TaskInput"}},
    },
}
OPENAPI_PATHS: dict[str, dict[str, Any]] = {
    f"{_GUILD}/preview": {
        "post": {
            "operationId": "previewSchedule",
            "summary": "What a schedule would do, or the error creating it would give",
            "description": "Exactly one of cron, once and every, read as /schedule cron, "
            "/schedule once and /schedule every read them. Writes nothing.",
            "tags": ["Tasks"],
            "parameters": [_GUILD_ID],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "additionalProperties": False,
                            "oneOf": [{"required": [key]} for key in _SCHEDULES],
                            "properties": {
                                "cron": {
                                    "type": "string",
                                    "description": "Crontab or a phrase (every weekday at 9:00)",
                                    "examples": ["0 9 * * 1-5", "every weekday at 9:00"],
                                },
                                "once": {
                                    "type": "string",
                                    "description": "When: 2026-12-24 18:00, tomorrow 9am…",
                                    "examples": ["2030-12-24 18:00", "tomorrow 9am"],
                                },
                                "every": {
                                    "type": "string",
                                    "description": "How often: 30m, 4h, 1d12h, 2w",
                                    "examples": ["4h", "1d12h"],
                                },
                                "timezone": _TEXT_OR_NULL,
                                "start_at": {
                                    "type": ["string", "null"],
                                    "description": "every only: the first run",
                                },
                                "end_at": {
                                    "type": ["string", "null"],
                                    "description": "cron and every: no run after this",
                                },
                                "count": {"type": "integer", "minimum": 1, "maximum": MAX_PREVIEW},
                            },
                        }
                    }
                },
            },
            "responses": {
                "200": {
                    "description": "The canonical schedule and its next instants",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["kind", "spec", "description", "timezone", "next"],
                                "properties": {
                                    "kind": {"enum": ["cron", "date", "interval"]},
                                    "spec": {"type": "string"},
                                    "description": {"type": "string"},
                                    "timezone": {"type": "string"},
                                    "start_at": _INSTANT_OR_NULL,
                                    "end_at": _INSTANT_OR_NULL,
                                    "next": {
                                        "type": "array",
                                        "items": {"type": "string", "format": "date-time"},
                                    },
                                },
                            }
                        }
                    },
                },
                **_ERRORS,
            },
        }
    },
    f"{_GUILD}/export": {
        "get": {
            "operationId": "exportTasks",
            "summary": "The guild's tasks as a /schedule export document",
            "tags": ["Transfer"],
            "parameters": [_GUILD_ID],
            "responses": {
                "200": {
                    "description": "The export document (webhook tokens are never in it)",
                    "content": {"application/json": {"schema": _EXPORT_DOCUMENT}},
                },
                **_READ_ERRORS,
            },
        }
    },
    f"{_GUILD}/import": {
        "post": {
            "operationId": "importTasks",
            "summary": "Create tasks from an export document, all or nothing",
            "tags": ["Transfer"],
            "parameters": [
                _GUILD_ID,
                {
                    "name": "replace",
                    "in": "query",
                    "required": False,
                    "schema": {"enum": ["true", "false"]},
                    "description": "Replace tasks that have the same name (default: refuse)",
                },
            ],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _EXPORT_DOCUMENT}},
            },
            "responses": {
                "200": {
                    "description": "Everything was imported",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["created", "replaced", "removed", "items"],
                                "properties": {
                                    "created": {"type": "integer"},
                                    "replaced": {"type": "integer"},
                                    "removed": {"type": "integer"},
                                    "replaced_names": {
                                        "type": "array",
                                        "items": {"type": "string"},
                                    },
                                    "items": {
                                        "type": "array",
                                        "items": {"$ref": "#/components/schemas/Task"},
                                    },
                                },
                            }
                        }
                    },
                },
                "409": {
                    "description": "A task of an imported name was made meanwhile; nothing "
                    "was imported",
                    "content": {
                        "application/problem+json": {
                            "schema": {"$ref": "#/components/schemas/Problem"}
                        }
                    },
                },
                **_ERRORS,
            },
        }
    },
}
