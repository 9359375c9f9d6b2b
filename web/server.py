"""The web server's life: aiohttp applications on the bot's own event loop.

`bot.py` builds a `WebServer` for the web side when `WEB_PORT` is set, and another for
operators alone when `METRICS_PORT` is set; it starts them next to the bot and stops them on
SIGTERM before the bot closes. Applications are assembled by `build_app` and
`build_metrics_app` from what they serve; nothing here reaches for globals."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence

from aiohttp import web

from telemetry import Metrics
from telemetry.metrics import CONTENT_TYPE
from web.health import ReadinessCheck, add_health_routes
from web.problems import Handler, problem_middleware

__all__ = ["MAX_BODY_BYTES", "WebServer", "build_app", "build_metrics_app"]

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
"""Request bodies over 1 MB are refused with 413."""

_METRICS = web.AppKey("metrics", Metrics)


def build_app(
    *,
    checks: Mapping[str, ReadinessCheck],
    metrics: Metrics,
    routes: Sequence[Callable[[web.Application], None]] = (),
) -> web.Application:
    """The web side: health, readiness, metrics, and each of `routes` (the API's parts)."""
    app = web.Application(
        client_max_size=MAX_BODY_BYTES, middlewares=[_timing_middleware, problem_middleware]
    )
    _add_operator_routes(app, checks, metrics)
    for add in routes:
        add(app)
    return app


def build_metrics_app(*, checks: Mapping[str, ReadinessCheck], metrics: Metrics) -> web.Application:
    """The operators' own small server (`METRICS_PORT`): health, readiness, metrics only."""
    app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[problem_middleware])
    _add_operator_routes(app, checks, metrics)
    return app


def _add_operator_routes(
    app: web.Application, checks: Mapping[str, ReadinessCheck], metrics: Metrics
) -> None:
    app[_METRICS] = metrics
    add_health_routes(app, checks)
    app.router.add_get("/metrics", _metrics)


async def _metrics(request: web.Request) -> web.Response:
    body = await request.app[_METRICS].render()
    response = web.Response(body=body)
    response.headers["Content-Type"] = CONTENT_TYPE
    return response


@web.middleware
async def _timing_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """`cadence_api_request_seconds{route, status}`: route is the route's template (e.g.
    `/api/v1/guilds/{guild_id}/tasks`), never the raw path, so labels stay bounded."""
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        resource = request.match_info.route.resource
        route = resource.canonical if resource is not None else "unmatched"
        request.app[_METRICS].api_request_seconds.labels(route, str(status)).observe(
            time.perf_counter() - started
        )


class WebServer:
    """Serves `app` on `host:port` (port 0 picks a free one; `port` tells which afterwards)."""

    def __init__(self, app: web.Application, host: str, port: int) -> None:
        self.app = app
        self.host = host
        self._requested_port = port
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    @property
    def app_port(self) -> int:
        """The port asked for (0: any free one)."""
        return self._requested_port

    async def start(self) -> None:
        runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=5.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self._requested_port)
        try:
            await site.start()
        except OSError:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        log.info("Web server listening on http://%s:%s", self.host, self.port)

    async def stop(self) -> None:
        """Stop accepting, let requests in flight finish (up to 5 s), close."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
            log.info("Web server on port %s stopped", self.port)
