"""The shared parts of the OpenAPI document: the task object, its input forms, problems.

Every limit is read from the rule it describes (scheduler.rules, scheduler.messages), so the
document cannot drift from what the server checks. `Task` describes what the routes answer
(`web.api_tasks.task_object`: the export entry plus read-only fields); `TaskInput` describes
an entry as `scheduler.transfer` checks it (a POST body, an import entry), required keys
exactly as its checks require them; `TaskPatch` is a JSON Merge Patch of an input."""

from __future__ import annotations

from typing import Any

from scheduler.messages import (
    CONTENT_MAX,
    DESCRIPTION_MAX,
    FOOTER_MAX,
    MAX_VARIANTS,
    TITLE_MAX,
    URL_MAX,
)
from scheduler.rules import MAX_DESTINATIONS, MAX_RUNS, NAME_MAX, WEBHOOK_NAME_MAX
from storage import CatchUp, TaskKind, TaskStatus
from storage.payloads import Rotation

__all__ = ["PARAMETERS", "RESPONSES", "SCHEMAS", "SNOWFLAKE", "error_responses", "ref"]

Schema = dict[str, Any]

SNOWFLAKE: Schema = {
    "type": "string",
    "pattern": "^[0-9]{1,20}$",
    "description": "A Discord id (snowflake), as a string of digits.",
}
_SNOWFLAKE_IN: Schema = {
    "description": "A Discord id: its digits as a string, or a whole number.",
    "oneOf": [SNOWFLAKE, {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}],
}
_INSTANT: Schema = {"type": "string", "format": "date-time"}


def ref(kind: str, name: str) -> Schema:
    """A `$ref` to `#/components/<kind>/<name>`."""
    return {"$ref": f"#/components/{kind}/{name}"}


def _nullable(schema: Schema) -> Schema:
    """`schema` or null (OpenAPI 3.1: a type list, or `anyOf` for a `$ref`)."""
    if "$ref" in schema or "type" not in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    if "null" in types:
        return schema
    out = dict(schema, type=[*types, "null"])
    if "enum" in out:
        out["enum"] = [*out["enum"], None]
    return out


def _enum(kind: Any, description: str) -> Schema:
    return {"type": "string", "enum": [str(v) for v in kind], "description": description}


def _object(properties: dict[str, Schema], required: list[str], **extra: Any) -> Schema:
    return {"type": "object", "properties": properties, "required": required, **extra}


_KIND = _enum(TaskKind, "cron: a cron expression; date: one instant; interval: every N units.")
_CATCH_UP = _enum(CatchUp, "What happens to runs missed while the bot was down.")
_STATUS = _enum(TaskStatus, "Whether the task runs; set by pause/resume and by the scheduler.")
_ROTATION = _enum(Rotation, "How a task with several messages picks the next one.")
_NAME: Schema = {
    "type": "string",
    "minLength": 1,
    "maxLength": NAME_MAX,
    "pattern": r"\S",
    "description": f"Unique in the server (case-insensitive); at most {NAME_MAX} characters.",
}
_SPEC: Schema = {
    "type": "string",
    "description": "The schedule in the kind's syntax, e.g. `0 9 * * 1-5` (cron), "
    "`2026-12-24T18:00:00Z` (date), `2h` (interval).",
}
_ZONE: Schema = {
    "type": ["string", "null"],
    "description": "An IANA zone, e.g. `Europe/Paris`; null follows the server's zone.",
}
_EMBED_TEXT = {
    "title": TITLE_MAX,
    "description": DESCRIPTION_MAX,
    "footer": FOOTER_MAX,
    "image_url": URL_MAX,
}
_COLOR: Schema = {"type": "integer", "minimum": 0, "maximum": 0xFFFFFF}

_EMBED_OUT = _object(
    {
        **{key: {"type": "string", "maxLength": size} for key, size in _EMBED_TEXT.items()},
        "color": _COLOR,
        "fields": {
            "type": "array",
            "items": _object(
                {
                    "name": {"type": "string"},
                    "value": {"type": "string"},
                    "inline": {"type": "boolean"},
                },
                ["name", "value", "inline"],
                additionalProperties=False,
            ),
        },
    },
    [],
    additionalProperties=False,
)
_PAYLOAD_OUT = _object(
    {
        "variants": {
            "type": "array",
            "items": _object(
                {"content": {"type": "string"}, "embed": _EMBED_OUT},
                [],
                additionalProperties=False,
            ),
        },
        "rotation": _ROTATION,
        "mentions": _object(
            {
                "everyone": {"type": "boolean"},
                "roles": {"type": "array", "items": SNOWFLAKE},
                "users": {"type": "boolean"},
            },
            ["everyone", "roles", "users"],
            additionalProperties=False,
            description="The mentions approved when the task was saved (read-only: the "
            "server approves them again for whoever saves the task).",
        ),
    },
    [],
    additionalProperties=False,
    description="What the task posts: one message, or several taken in turn.",
)
_DESTINATION_OUT = _object(
    {
        "type": {"type": "string", "enum": ["channel", "thread", "webhook"]},
        "channel_id": SNOWFLAKE,
        "thread_id": SNOWFLAKE,
        "publish": {"type": "boolean"},
        "name": {"type": "string"},
        "avatar_url": {"type": "string"},
    },
    ["type", "channel_id"],
    additionalProperties=False,
    description="Where the task posts. A webhook's own id and token are never shown.",
)

_READ_ONLY: dict[str, Schema] = {
    "id": SNOWFLAKE,
    "next_run_at": _nullable(_INSTANT),
    "last_run_at": _nullable(_INSTANT),
    "run_count": {"type": "integer", "minimum": 0},
    "failure_count": {"type": "integer", "minimum": 0},
    "created_by": _nullable(SNOWFLAKE),
    "created_at": _INSTANT,
    "updated_by": _nullable(SNOWFLAKE),
    "updated_at": _INSTANT,
    "version": {
        "type": "integer",
        "minimum": 1,
        "description": "Grows by one with every change; the task's ETag names it.",
    },
}

TASK: Schema = _object(
    {
        "name": _NAME,
        "kind": _KIND,
        "spec": _SPEC,
        "timezone": _ZONE,
        "catch_up": _CATCH_UP,
        "status": dict(_STATUS, readOnly=True),
        "payload": _PAYLOAD_OUT,
        "destinations": {"type": "array", "items": _DESTINATION_OUT},
        "start_at": _nullable(_INSTANT),
        "end_at": _nullable(_INSTANT),
        "max_runs": _nullable({"type": "integer", "minimum": 1}),
        **{key: dict(schema, readOnly=True) for key, schema in _READ_ONLY.items()},
    },
    [
        "name",
        "kind",
        "spec",
        "timezone",
        "catch_up",
        "status",
        "payload",
        "destinations",
        "start_at",
        "end_at",
        "max_runs",
        *_READ_ONLY,
    ],
    additionalProperties=False,
    description="A task: its `/schedule export` entry (same names, same meaning) plus "
    "read-only fields. Snowflakes are strings; instants are ISO 8601 in UTC with `Z`.",
)

_EMBED_IN = _object(
    {
        **{
            key: {"type": ["string", "null"], "maxLength": size}
            for key, size in _EMBED_TEXT.items()
        },
        "color": _nullable(_COLOR),
    },
    [],
    additionalProperties=False,
    description="An embed; `image_url` must be http:// or https://.",
)
_VARIANT_IN = _object(
    {
        "content": {"type": ["string", "null"], "maxLength": CONTENT_MAX},
        "embed": _nullable(_EMBED_IN),
    },
    [],
    additionalProperties=False,
    description="One message: content and/or an embed, not both empty.",
)
_PAYLOAD_IN = _object(
    {
        "variants": {
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_VARIANTS,
            "items": _VARIANT_IN,
        },
        "rotation": _nullable(_ROTATION),
    },
    ["variants"],
    description="What the task posts. Approved mentions are never read from a body: the "
    "server approves them for the caller's member (`mentions` is ignored).",
)
_DESTINATION_IN = _object(
    {
        "type": {"type": "string", "enum": ["channel", "thread", "webhook"]},
        "channel_id": _SNOWFLAKE_IN,
        "thread_id": _nullable(_SNOWFLAKE_IN),
        "publish": {"type": "boolean", "description": "Publish posts (announcement channel)."},
        "name": {"type": ["string", "null"], "maxLength": WEBHOOK_NAME_MAX},
        "avatar_url": {"type": ["string", "null"]},
    },
    ["type", "channel_id"],
    description="A channel, a thread (`thread_id`, in its parent `channel_id`), or a webhook "
    "(with an optional `name` and `avatar_url`) the bot makes in `channel_id`.",
)
_INPUT_FIELDS: dict[str, Schema] = {
    "name": _NAME,
    "kind": _KIND,
    "spec": _SPEC,
    "timezone": _ZONE,
    "catch_up": _nullable(_CATCH_UP),
    "payload": _PAYLOAD_IN,
    "destinations": {
        "type": "array",
        "minItems": 1,
        "maxItems": MAX_DESTINATIONS,
        "items": _DESTINATION_IN,
    },
    "start_at": _nullable(_INSTANT),
    "end_at": _nullable(_INSTANT),
    "max_runs": _nullable({"type": "integer", "minimum": 1, "maximum": MAX_RUNS}),
}

TASK_INPUT: Schema = _object(
    _INPUT_FIELDS,
    ["name", "kind", "spec", "payload", "destinations"],
    description="A task as `/schedule export` writes it, sent to create one (or in an import). "
    "Read-only fields (`id`, `status`, counts, instants) are ignored. The same checks as the "
    "slash commands apply (schedule, zone, limits, channels, mentions).",
)
TASK_PATCH: Schema = _object(
    {key: _nullable(schema) for key, schema in _INPUT_FIELDS.items()},
    [],
    additionalProperties=False,
    description="A JSON Merge Patch (RFC 7396) of the task's input fields: the keys sent "
    "replace the task's, objects merge key by key, `null` removes (back to the default). "
    "Read-only fields (`status`: use pause and resume) and unknown keys are refused.",
)

PROBLEM: Schema = _object(
    {
        "type": {"type": "string", "format": "uri-reference", "examples": ["/api/problems/x"]},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string", "description": "What was wrong and how to fix it."},
    },
    ["type", "title", "status", "detail"],
    description="An error, as RFC 9457 problem details.",
)
FIELD_ERROR: Schema = _object(
    {
        "field": {"type": "string", "description": "The field, e.g. `spec` or `limit`."},
        "message": {"type": "string", "description": "In the slash commands' words."},
    },
    ["field", "message"],
    additionalProperties=False,
)
VALIDATION_PROBLEM: Schema = {
    "allOf": [
        ref("schemas", "Problem"),
        _object(
            {"errors": {"type": "array", "minItems": 1, "items": ref("schemas", "FieldError")}},
            ["errors"],
        ),
    ],
    "description": "A request that is well formed but not valid: every invalid field listed.",
}

SCHEMAS: dict[str, Schema] = {
    "Task": TASK,
    "TaskInput": TASK_INPUT,
    "TaskPatch": TASK_PATCH,
    "Problem": PROBLEM,
    "ValidationProblem": VALIDATION_PROBLEM,
    "FieldError": FIELD_ERROR,
}


def _header(description: str, schema: Schema | None = None, **extra: Any) -> Schema:
    return {"description": description, "schema": schema or {"type": "string"}, **extra}


def _problem(
    description: str, schema: str = "Problem", headers: dict[str, Schema] | None = None
) -> Schema:
    out: Schema = {
        "description": description,
        "content": {"application/problem+json": {"schema": ref("schemas", schema)}},
    }
    if headers:
        out["headers"] = headers
    return out


RESPONSES: dict[str, Schema] = {
    "BadRequest": _problem("The request is malformed (bad JSON, a cursor not given out here)."),
    "Unauthorized": _problem(
        "No token, or one that is unknown or revoked.",
        headers={"WWW-Authenticate": _header("The Bearer challenge.", required=True)},
    ),
    "Forbidden": _problem(
        "A read-only token on a route that changes something, or a token whose creator lost "
        "the right to manage the scheduler (the detail says which)."
    ),
    "NotFound": _problem(
        "No such server for this token, or no such task in it (the same answer either way)."
    ),
    "PreconditionFailed": _problem(
        "The task changed since the If-Match ETag was read.",
        headers={"ETag": _header("The task's current ETag.", required=True)},
    ),
    "PayloadTooLarge": _problem("The body is larger than 1 MB."),
    "UnsupportedMediaType": _problem("The body is not `application/json`."),
    "Unprocessable": _problem("Some fields are not valid; see `errors`.", "ValidationProblem"),
    "PreconditionRequired": _problem("A change without an If-Match header."),
    "TooManyRequests": _problem(
        "The token went over its rate (`API_RATE_PER_SECOND`, bursts of 20).",
        headers={"Retry-After": _header("Seconds to wait.", {"type": "integer"}, required=True)},
    ),
    "ServiceUnavailable": _problem(
        "Discord or the database did not answer in time; try again.",
        headers={"Retry-After": _header("Seconds to wait.", {"type": "integer"})},
    ),
}

_STATUS_OF = {
    "BadRequest": "400",
    "Unauthorized": "401",
    "Forbidden": "403",
    "NotFound": "404",
    "PreconditionFailed": "412",
    "PayloadTooLarge": "413",
    "UnsupportedMediaType": "415",
    "Unprocessable": "422",
    "PreconditionRequired": "428",
    "TooManyRequests": "429",
    "ServiceUnavailable": "503",
}


def error_responses(*names: str) -> dict[str, Schema]:
    """An operation's `responses` entries for the shared problem responses `names`, by status
    (e.g. `error_responses("NotFound")` is `{"404": {"$ref": …/NotFound}}`)."""
    return {_STATUS_OF[name]: ref("responses", name) for name in names}


PARAMETERS: dict[str, Schema] = {
    "GuildId": {
        "name": "guild_id",
        "in": "path",
        "required": True,
        "description": "The server (guild) id; a token works only in its own server.",
        "schema": SNOWFLAKE,
    },
    "TaskId": {
        "name": "task_id",
        "in": "path",
        "required": True,
        "description": "The task's id.",
        "schema": SNOWFLAKE,
    },
    "Limit": {
        "name": "limit",
        "in": "query",
        "description": "At most this many items in the page.",
        "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 50},
    },
    "Cursor": {
        "name": "cursor",
        "in": "query",
        "description": "The `next_cursor` of the previous page (opaque; valid only for the "
        "same listing and filters).",
        "schema": {"type": "string"},
    },
    "IfMatch": {
        "name": "If-Match",
        "in": "header",
        "required": True,
        "description": "The task's current ETag (from a GET), or `*`.",
        "schema": {"type": "string"},
    },
    "IdempotencyKey": {
        "name": "Idempotency-Key",
        "in": "header",
        "description": "Makes a retry safe for 24 h: a repeat with the same key returns the "
        "first answer and does nothing again; the same key with another body is 422.",
        "schema": {"type": "string", "minLength": 1, "maxLength": 255},
    },
}
