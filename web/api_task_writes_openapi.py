"""The OpenAPI 3.1 operations of `web.api_task_writes` (gathered by `web.openapi`).

Shared schemas, responses and parameters are referenced by the names `web.openapi` defines;
bodies only these routes take are inline."""

from __future__ import annotations

from typing import Any

from scheduler.control import MAX_SKIP
from web.openapi_schemas import error_responses, ref

__all__ = ["OPENAPI_PATHS"]


_COMMON = ("Unauthorized", "Forbidden", "NotFound", "TooManyRequests", "ServiceUnavailable")
_BODY = ("BadRequest", "PayloadTooLarge", "UnsupportedMediaType", "Unprocessable")
_ETAG = {"description": "The task's version tag, for If-Match.", "schema": {"type": "string"}}
_TASK_ANSWER = {
    "description": "The task as it is now.",
    "headers": {"ETag": _ETAG},
    "content": {"application/json": {"schema": ref("schemas", "Task")}},
}
_PROBLEM = {"application/problem+json": {"schema": ref("schemas", "Problem")}}
_CONFLICT = {
    "description": "The task's state refuses this (e.g. pausing a paused task).",
    "content": _PROBLEM,
}
_IN_FLIGHT = {
    "description": "A request with this Idempotency-Key is still being answered.",
    "content": _PROBLEM,
}
_TASK_PARAMS = [ref("parameters", "GuildId"), ref("parameters", "TaskId")]
_REPLAYED = {
    "description": "`true` when this is the stored answer to an earlier request with the "
    "same Idempotency-Key.",
    "schema": {"type": "string", "enum": ["true"]},
}


def _action_body(properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "required": False,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": properties,
                    "additionalProperties": False,
                }
            }
        },
    }


def _action(
    operation_id: str,
    summary: str,
    properties: dict[str, Any],
    answer: dict[str, Any],
    *,
    idempotent: bool = False,
) -> dict[str, Any]:
    parameters = list(_TASK_PARAMS)
    responses: dict[str, Any] = {"200": answer, "409": _CONFLICT}
    if idempotent:
        parameters.append(ref("parameters", "IdempotencyKey"))
    responses.update(error_responses(*_COMMON, "BadRequest", "PayloadTooLarge", "Unprocessable"))
    responses["415"] = ref("responses", "UnsupportedMediaType")
    return {
        "operationId": operation_id,
        "summary": summary,
        "tags": ["Tasks"],
        "parameters": parameters,
        "requestBody": _action_body(properties),
        "responses": responses,
    }


_RUN = {
    "type": "object",
    "description": "A run made now (`trigger` manual), or a dry run's message.",
    "properties": {
        "id": {"type": "string"},
        "task_id": {"type": "string"},
        "trigger": {"type": "string"},
        "status": {"type": "string"},
        "scheduled_for": {"type": "string", "format": "date-time"},
        "started_at": {"type": ["string", "null"], "format": "date-time"},
        "finished_at": {"type": ["string", "null"], "format": "date-time"},
        "lateness_seconds": {"type": ["number", "null"]},
        "attempts": {"type": "integer"},
        "error": {"type": ["string", "null"]},
        "message_ids": {"type": "array", "items": {"type": "string"}},
        "dry_run": {"type": "boolean", "const": True},
        "content": {"type": "string"},
        "embed": {"type": ["object", "null"]},
    },
}

OPENAPI_PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/guilds/{guild_id}/tasks": {
        "post": {
            "operationId": "createTask",
            "summary": "Create a task from an export entry (as /schedule import checks one)",
            "tags": ["Tasks"],
            "parameters": [ref("parameters", "GuildId"), ref("parameters", "IdempotencyKey")],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ref("schemas", "TaskInput")}},
            },
            "responses": {
                "201": {
                    "description": "Created.",
                    "headers": {
                        "Location": {"schema": {"type": "string"}},
                        "ETag": _ETAG,
                        "Idempotent-Replayed": _REPLAYED,
                    },
                    "content": {"application/json": {"schema": ref("schemas", "Task")}},
                },
                "409": _IN_FLIGHT,
                **error_responses(*_COMMON, *_BODY),
            },
        }
    },
    "/api/v1/guilds/{guild_id}/tasks/{task_id}": {
        "patch": {
            "operationId": "patchTask",
            "summary": "Change a task with a JSON Merge Patch of its export entry",
            "tags": ["Tasks"],
            "parameters": [*_TASK_PARAMS, ref("parameters", "IfMatch")],
            "requestBody": {
                "required": True,
                "content": {
                    "application/merge-patch+json": {"schema": ref("schemas", "TaskPatch")},
                    "application/json": {"schema": ref("schemas", "TaskPatch")},
                },
            },
            "responses": {
                "200": _TASK_ANSWER,
                **error_responses(*_COMMON, *_BODY, "PreconditionFailed", "PreconditionRequired"),
            },
        },
        "delete": {
            "operationId": "deleteTask",
            "summary": "Delete a task and its run history",
            "tags": ["Tasks"],
            "parameters": [*_TASK_PARAMS, ref("parameters", "IfMatch")],
            "responses": {
                "204": {"description": "Deleted."},
                **error_responses(*_COMMON, "PreconditionFailed", "PreconditionRequired"),
            },
        },
    },
    "/api/v1/guilds/{guild_id}/tasks/{task_id}/pause": {
        "post": _action("pauseTask", "Pause a task until it is resumed", {}, _TASK_ANSWER)
    },
    "/api/v1/guilds/{guild_id}/tasks/{task_id}/resume": {
        "post": _action("resumeTask", "Resume a paused or failed task", {}, _TASK_ANSWER)
    },
    "/api/v1/guilds/{guild_id}/tasks/{task_id}/skip": {
        "post": _action(
            "skipTaskRuns",
            "Skip the next runs of a recurring task",
            {"count": {"type": "integer", "minimum": 1, "maximum": MAX_SKIP, "default": 1}},
            _TASK_ANSWER,
        )
    },
    "/api/v1/guilds/{guild_id}/tasks/{task_id}/run": {
        "post": _action(
            "runTask",
            "Run a task now, or preview its message with dry_run",
            {"dry_run": {"type": "boolean", "default": False}},
            {
                "description": "The run (or, for a dry run, the message it would post).",
                "headers": {"Idempotent-Replayed": _REPLAYED},
                "content": {"application/json": {"schema": _RUN}},
            },
            idempotent=True,
        )
    },
}
