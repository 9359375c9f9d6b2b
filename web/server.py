"""The web server's life: an aiohttp application on the bot's own event loop.

`bot.py` builds a `WebServer` when `WEB_PORT` is set, starts it next to the bot and stops it
on SIGTERM before the bot closes. The application is assembled by `build_app` from what it
serves; nothing here reaches for globals."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from aiohttp import web

from web.health import ReadinessCheck, add_health_routes
from web.problems import problem_middleware

__all__ = ["MAX_BODY_BYTES", "WebServer", "build_app"]

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
"""Request bodies over 1 MB are refused with 413."""


def build_app(*, checks: Mapping[str, ReadinessCheck]) -> web.Application:
    """The application: health routes now; the API and the dashboard mount onto it."""
    app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[problem_middleware])
    add_health_routes(app, checks)
    return app


class WebServer:
    """Serves `app` on `host:port` (port 0 picks a free one; `port` tells which afterwards)."""

    def __init__(self, app: web.Application, host: str, port: int) -> None:
        self.app = app
        self.host = host
        self._requested_port = port
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

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
            log.info("Web server stopped")
