"""The REST application: middleware (request log, auth, faults, errors) and the small routes.

Every JSON answer carries ``Content-Type: application/json`` exactly: discord.py treats
anything else (aiohttp's ``json_response`` adds a charset) as text.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import BodyPartReader, web

from fakediscord import errors, oauth2, rest_channels, rest_commands, rest_webhooks
from fakediscord.errors import DiscordError
from fakediscord.faults import Fault
from fakediscord.messages import UploadedFile
from fakediscord.payloads import application_payload, bot_user_payload, user_payload
from fakediscord.routing import (
    BODY_KEY,
    FD_KEY,
    FILES_KEY,
    fd_of,
    json_response,
    snowflake,
)

if TYPE_CHECKING:
    from fakediscord.server import FakeDiscord

log = logging.getLogger(__name__)

API_PREFIX = "/api/v10"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_TOKEN_ROUTES = (
    re.compile(r"^/interactions/\d+/[^/]+/callback$"),
    re.compile(r"^/webhooks/\d+/[^/]+(/.*)?$"),
    re.compile(r"^/oauth2/token(/revoke)?$"),  # the client authenticates in the body
)
_BEARER_ROUTES = frozenset({"/users/@me", "/users/@me/guilds"})
"""Routes an OAuth2 bearer token may read (their handlers check it)."""


@dataclass
class RecordedRequest:
    """A request as the emulator received it (``route`` is the path after ``/api/v10``).

    ``time`` is when it reached the emulator (the rate limiter counts it at that instant,
    unless an injected ``delay`` kept it on the wire first).
    """

    method: str
    path: str
    route: str
    query: dict[str, str]
    json: Any
    time: float
    files: list[str] = field(default_factory=list)
    #: The status of its answer (set before a held answer leaves); None when dropped.
    status: int | None = None
    #: When the answer left (after any held time); None until then.
    answered: float | None = None
    #: The client hung up while the request was on the wire (an injected delay): unhandled.
    dropped: bool = False


async def _parse_body(request: web.Request) -> tuple[Any, list[UploadedFile]]:
    if not request.can_read_body or request.content_type == oauth2.FORM:
        return None, []  # a form body is read by its handler (the OAuth2 token endpoint)
    if request.content_type.startswith("multipart/"):
        payload: Any = None
        files: list[UploadedFile] = []
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                continue
            data = await part.read(decode=False)
            name = part.name or ""
            if name == "payload_json":
                payload = _loads(data)
            else:
                content_type = part.headers.get("Content-Type", "application/octet-stream")
                files.append(UploadedFile(name, part.filename or name, content_type, bytes(data)))
        return payload, files
    raw = await request.read()
    if not raw:
        return None, []
    return _loads(raw), []


def _loads(raw: bytes | bytearray) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        raise DiscordError(400, 50109, "The request body contains invalid JSON.") from None


def _route_of(path: str) -> str | None:
    if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
        return path[len(API_PREFIX) :] or "/"
    return None


@web.middleware
async def discord_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Log the request, check auth, apply faults and rate limits, turn errors into JSON."""
    fd = fd_of(request)
    route = _route_of(request.path)
    if route is None:
        return await handler(request)
    record = RecordedRequest(
        method=request.method,
        path=request.path,
        route=route,
        query=dict(request.query),
        json=None,
        time=fd.clock.now(),
    )
    fd.requests.append(record)
    fault = fd.faults.take(request.method, route)
    try:
        if fault is not None and fault.delay:
            await _read_body(request, record)
            if not await fault.on_the_wire(_client_gone(request)):
                # The client hung up while the request was on the wire: Discord never saw it.
                record.dropped = True
                fd.notifier.notify()
                return web.Response(status=499)
        response = await _handle_api(request, handler, fd, route, record, fault)
    except DiscordError as exc:
        log.debug("%s %s -> %s %s", request.method, route, exc.status, exc.code)
        response = json_response(exc.body(), exc.status, exc.headers)
    except web.HTTPMethodNotAllowed:
        response = json_response({"message": "405: Method Not Allowed", "code": 0}, 405)
    except web.HTTPNotFound:
        response = json_response(errors.not_found_route().body(), 404)
    except Exception as exc:
        # An emulator bug must not look like a Discord outage (discord.py retries 5xx for 25 s).
        log.exception("fakediscord: internal error on %s %s", request.method, route)
        fd.internal_errors.append(exc)
        body = {"message": f"fakediscord internal error: {exc!r}", "code": -1}
        response = json_response(body, 400)
    record.status = response.status
    fd.notifier.notify()
    if fault is not None and fault.holds:
        await fault.hold_answer()
    record.answered = fd.clock.now()
    return response


async def _read_body(request: web.Request, record: RecordedRequest) -> None:
    body, files = await _parse_body(request)
    record.json = body
    record.files = [f.filename for f in files]
    request[BODY_KEY] = body
    request[FILES_KEY] = files


def _client_gone(request: web.Request) -> Callable[[], bool]:
    def gone() -> bool:
        transport = request.transport
        return transport is None or transport.is_closing()

    return gone


async def _handle_api(
    request: web.Request,
    handler: Handler,
    fd: FakeDiscord,
    route: str,
    record: RecordedRequest,
    fault: Fault | None,
) -> web.StreamResponse:
    routing_error = getattr(request.match_info, "http_exception", None)
    if routing_error is not None:
        raise routing_error
    header = request.headers.get("Authorization", "")
    bearer = route in _BEARER_ROUTES and header.startswith("Bearer ")
    exempt = bearer or any(p.match(route) for p in _TOKEN_ROUTES)
    if not exempt and header != f"Bot {fd.world.token}":
        raise errors.unauthorized()
    limit_headers: dict[str, str] = {}
    limited: DiscordError | None = None
    if fd.settings.rate_limits:
        # Counted when the request arrives, before anything awaits (so the log's `time`
        # is the instant the limiter saw).
        now = record.time if fault is None or not fault.delay else fd.clock.now()
        try:
            limit_headers = fd.rate_limiter.check(request.method, route, now)
        except DiscordError as exc:
            limited = exc
    if BODY_KEY not in request:
        await _read_body(request, record)
    if limited is not None:
        raise limited
    if fault is not None and fault.answers_before_handling:
        error = fault.error()
        assert error is not None
        raise error
    try:
        response = await handler(request)
    except DiscordError as exc:
        exc.headers = {**limit_headers, **exc.headers}
        raise
    if fault is not None and fault.status and fault.processed:
        error = fault.error()
        assert error is not None
        raise error
    response.headers.update(limit_headers)
    return response


# -- small routes ------------------------------------------------------------------------


async def get_me(request: web.Request) -> web.Response:
    """GET /users/@me: the bot, or with an OAuth2 bearer token its user."""
    user = oauth2.oauth_user(request)
    if user is not None:
        return json_response(user_payload(user))
    return json_response(bot_user_payload(fd_of(request).world))


async def get_application(request: web.Request) -> web.Response:
    """GET /oauth2/applications/@me and GET /applications/@me."""
    return json_response(application_payload(fd_of(request).world))


async def get_gateway(request: web.Request) -> web.Response:
    """GET /gateway."""
    return json_response({"url": fd_of(request).ws_url.rstrip("/")})


async def get_gateway_bot(request: web.Request) -> web.Response:
    """GET /gateway/bot."""
    fd = fd_of(request)
    return json_response(
        {
            "url": fd.ws_url.rstrip("/"),
            "shards": 1,
            "session_start_limit": {
                "total": 1000,
                "remaining": 1000,
                "reset_after": 86_400_000,
                "max_concurrency": 1,
            },
        }
    )


async def get_attachment(request: web.Request) -> web.Response:
    """Serve an uploaded file (the CDN URL of its attachment)."""
    stored = fd_of(request).store.attachments.get(snowflake(request, "attachment_id"))
    if stored is None or stored.filename != request.match_info["filename"]:
        raise web.HTTPNotFound()
    return web.Response(body=stored.data, headers={"Content-Type": stored.content_type})


async def root(request: web.Request) -> web.StreamResponse:
    """``/``: the gateway for WebSocket upgrades, a short JSON status otherwise."""
    fd = fd_of(request)
    if web.WebSocketResponse().can_prepare(request).ok:
        return await fd.gateway.handle(request)
    return json_response({"fakediscord": True, "api": fd.api_url, "gateway": fd.ws_url})


def build_app(fd: FakeDiscord) -> web.Application:
    """The aiohttp application with every route."""
    app = web.Application(middlewares=[discord_middleware], client_max_size=64 * 1024 * 1024)
    app[FD_KEY] = fd
    app.router.add_get("/", root)
    app.router.add_get("/attachments/{channel_id}/{attachment_id}/{filename}", get_attachment)
    api = API_PREFIX
    app.router.add_get(f"{api}/users/@me", get_me)
    app.router.add_get(f"{api}/oauth2/applications/@me", get_application)
    app.router.add_get(f"{api}/applications/@me", get_application)
    app.router.add_get(f"{api}/gateway", get_gateway)
    app.router.add_get(f"{api}/gateway/bot", get_gateway_bot)
    oauth2.register(app, api)
    rest_commands.register(app, api)
    rest_channels.register(app, api)
    rest_webhooks.register(app, api)
    return app
