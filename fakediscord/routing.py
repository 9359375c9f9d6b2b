"""What every route module of the REST application shares: the request keys, reading a
request (the emulator, its body, files and path parameters) and writing JSON answers.

Kept apart from `rest.py` (the application and its middleware), which imports the route
modules: they import these helpers from here, not back from it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

from fakediscord import errors
from fakediscord.messages import UploadedFile

if TYPE_CHECKING:
    from fakediscord.server import FakeDiscord

FD_KEY: web.AppKey[FakeDiscord] = web.AppKey("fakediscord")
BODY_KEY: web.RequestKey[Any] = web.RequestKey("fakediscord_body")
FILES_KEY: web.RequestKey[list[UploadedFile]] = web.RequestKey("fakediscord_files")


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """A JSON answer with exactly ``Content-Type: application/json``."""
    merged = {"Content-Type": "application/json"}
    merged.update(headers or {})
    return web.Response(body=json.dumps(data).encode(), status=status, headers=merged)


def no_content() -> web.Response:
    """204 No Content."""
    return web.Response(status=204)


def fd_of(request: web.Request) -> FakeDiscord:
    """The emulator serving this request."""
    return request.app[FD_KEY]


def body_of(request: web.Request) -> dict[str, Any]:
    """The parsed JSON body (or multipart ``payload_json``); {} when there was none."""
    body = request.get(BODY_KEY)
    return body if isinstance(body, dict) else {}


def files_of(request: web.Request) -> list[UploadedFile]:
    """Files uploaded with a multipart request."""
    return request.get(FILES_KEY) or []


def snowflake(request: web.Request, name: str) -> int:
    """A snowflake path parameter (404 when it is not a number)."""
    value = request.match_info[name]
    if not value.isdigit():
        raise errors.not_found_route()
    return int(value)


def query_flag(request: web.Request, name: str) -> bool:
    """A boolean query parameter (``1``/``true``)."""
    return request.query.get(name, "").lower() in ("1", "true", "yes")
