"""The API's OpenAPI 3.1 document, assembled from what each route module declares.

Each route module keeps the description of its routes next to their handlers (its module-level
`OPENAPI_PATHS`), so a route and its description change together; `web.api.api_paths` lists
them and `build_document` adds the shared parts (`web.openapi_schemas`: the task object,
problems, parameters) and the security schemes. The document is built once, when the app is
assembled, and served as `/api/v1/openapi.json` and as the page `/api/docs`."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from config.version import VERSION
from web.openapi_schemas import PARAMETERS, RESPONSES, SCHEMAS
from web.sessions import CSRF_HEADER, SESSION_COOKIE

__all__ = ["OPENAPI_VERSION", "TAGS", "build_document"]

OPENAPI_VERSION = "3.1.0"
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

TAGS: dict[str, str] = {
    "Tasks": "A server's tasks: read, create, change, delete; pause, resume, skip, run now.",
    "History": "What a task did and will do: runs, stats, upcoming instants; the audit log.",
    "Transfer": "Export and import a server's tasks as one document.",
    "Guild": "The server: channels a task may post in, summary, status, settings.",
    "API tokens": "The server's API tokens, managed from the dashboard (a signed-in session).",
    "Meta": "This description, as JSON and as a page.",
}
"""The tags operations use (each operation names one of these), in the order the page shows
them."""

_DESCRIPTION = """\
Cadence's scheduler over HTTP, with the same rules as its slash commands.

Authenticate with a per-server token made by `/scheduler api-token create` in Discord:
`Authorization: Bearer cadence_…`. A token acts in its own server only, with the rights of
the member who made it, checked again at every request. Snowflakes are strings; instants are
ISO 8601 in UTC with `Z`. Lists answer `{"items": [...], "next_cursor": "…" | null}`.
Errors are `application/problem+json` (RFC 9457); a 422 lists every invalid field in
`errors`. See docs/API.md for examples."""


def build_document(paths: Iterable[dict[str, dict[str, Any]]]) -> dict[str, Any]:
    """The OpenAPI 3.1 document of the routes described by `paths` (one mapping per module:
    path template -> lowercase method -> operation object).

    Raises ValueError when two modules describe the same operation or reuse an
    operationId, so a mistake shows when the app is built rather than in a client."""
    merged: dict[str, dict[str, Any]] = {}
    operation_ids: set[str] = set()
    for module_paths in paths:
        for template, operations in module_paths.items():
            target = merged.setdefault(template, {})
            for method, operation in operations.items():
                if method not in _METHODS:
                    target[method] = copy.deepcopy(operation)  # e.g. path-level parameters
                    continue
                if method in target:
                    raise ValueError(f"{method.upper()} {template} is described twice")
                operation_id = operation.get("operationId")
                if not operation_id or operation_id in operation_ids:
                    raise ValueError(
                        f"{method.upper()} {template}: missing or repeated "
                        f"operationId {operation_id!r}"
                    )
                operation_ids.add(operation_id)
                target[method] = copy.deepcopy(operation)
    used_tags = [
        tag
        for template in sorted(merged)
        for method, operation in merged[template].items()
        if method in _METHODS
        for tag in operation.get("tags", ())
    ]
    tags = [{"name": name, "description": text} for name, text in TAGS.items()]
    tags += [{"name": name} for name in dict.fromkeys(used_tags) if name not in TAGS]
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "Cadence API",
            "version": VERSION,
            "description": _DESCRIPTION,
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "servers": [{"url": "/", "description": "This bot's own web server."}],
        "security": [{"bearerToken": []}, {"sessionCookie": []}],
        "tags": tags,
        "paths": {template: merged[template] for template in sorted(merged)},
        "components": {
            "securitySchemes": {
                "bearerToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A server's API token, made by /scheduler api-token create.",
                },
                "sessionCookie": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": SESSION_COOKIE,
                    "description": "The web dashboard's session (signed in with Discord), "
                    "used when no Authorization header is sent. A change (POST, PATCH, DELETE) "
                    f"also needs the `{CSRF_HEADER}` header with the session's CSRF token (from "
                    "`GET /auth/session`) and this site's Origin.",
                },
            },
            "schemas": copy.deepcopy(SCHEMAS),
            "responses": copy.deepcopy(RESPONSES),
            "parameters": copy.deepcopy(PARAMETERS),
        },
    }
