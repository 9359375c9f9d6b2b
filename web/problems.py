"""Errors over HTTP as RFC 9457 problem documents (`application/problem+json`).

One translation point: handlers raise `Problem` (or let aiohttp raise its HTTP errors), and
`problem_middleware` turns every error, expected or not, into a problem document. Unexpected
exceptions are logged with their traceback and answered with a short apology and an error id
that appears in the log line, so an operator can find it."""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from aiohttp import web

__all__ = ["PROBLEM_JSON", "FieldError", "Problem", "problem_middleware", "problem_response"]

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
_TYPE_BASE = "/api/problems/"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class FieldError:
    """One invalid field of a request body, in the same words as the slash commands."""

    field: str
    message: str


@dataclass(slots=True)
class Problem(Exception):
    """An error answer. `kind` becomes the problem `type` (`/api/problems/<kind>`).

    Parameters
    ----------
    status:
        The HTTP status.
    detail:
        What was wrong and how to fix it, fit for the person who sent the request.
    kind:
        A short stable slug naming the kind of problem (e.g. ``validation``).
    errors:
        For 422: every invalid field.
    headers:
        Extra response headers (e.g. ``Retry-After``).
    """

    status: int
    detail: str
    kind: str = ""
    errors: Sequence[FieldError] = ()
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        Exception.__init__(self, self.detail)

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": _TYPE_BASE + (self.kind or _slug(self.status)),
            "title": _title(self.status),
            "status": self.status,
            "detail": self.detail,
        }
        if self.errors:
            body["errors"] = [{"field": e.field, "message": e.message} for e in self.errors]
        return body


def problem_response(problem: Problem) -> web.Response:
    return web.Response(
        status=problem.status,
        body=json.dumps(problem.to_dict()).encode(),
        content_type=PROBLEM_JSON,
        headers=problem.headers,
    )


@web.middleware
async def problem_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every error leaves as a problem document; nothing else is ever shown of an exception."""
    try:
        return await handler(request)
    except Problem as problem:
        return problem_response(problem)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return problem_response(_from_http_exception(exc))
    except Exception:
        error_id = secrets.token_hex(4)
        log.exception("Internal error %s on %s %s", error_id, request.method, request.path)
        return problem_response(
            Problem(
                500,
                f"Sorry, something went wrong on our side (error id {error_id}). "
                "The operator can find this id in the bot's log.",
                kind="internal",
            )
        )


def _from_http_exception(exc: web.HTTPException) -> Problem:
    headers = {
        name: value
        for name, value in exc.headers.items()
        if name.lower() in {"allow", "retry-after"}
    }
    detail = {
        404: "There is nothing at this address. The API lives under /api/v1; see /api/docs.",
        405: "This address does not accept that method; the Allow header lists the ones it does.",
        413: "The request body is larger than 1 MB; send less at a time.",
    }.get(exc.status, exc.text if exc.text and exc.text != exc.reason else _title(exc.status))
    return Problem(exc.status, detail or _title(exc.status), headers=headers)


_RFC9110_TITLES = {413: "Content Too Large", 422: "Unprocessable Content"}
"""Reason phrases RFC 9110 renamed (older Pythons still know the old ones)."""


def _title(status: int) -> str:
    if status in _RFC9110_TITLES:
        return _RFC9110_TITLES[status]
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _slug(status: int) -> str:
    return _title(status).lower().replace(" ", "-").replace("'", "")
