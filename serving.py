"""The web side of a running bot, composed: the API, the dashboard and its login on
WEB_HOST:WEB_PORT, and the operators' server on METRICS_HOST:METRICS_PORT.

Both `bot.py` and the sandbox build their web servers here; like them, this module sits above
both doors (`cogs/`, `web/`), which never import each other."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from secrets import token_bytes

from cogs.bot import CadenceBot
from config import Settings
from storage import Database
from telemetry import Metrics
from web import ReadinessCheck, WebServer, build_app, build_metrics_app, readiness
from web.api import ApiContext, api_routes
from web.auth import ApiAuth, SessionAuth
from web.http_rules import CursorCodec
from web.limits import RateLimiter
from web.login import LoginConfig, LoginRoutes
from web.sessions import WebSessions, origin_of

__all__ = ["build_web_servers", "public_url", "start_web_servers", "stop_web_servers"]

log = logging.getLogger("cadence")


def build_web_servers(
    settings: Settings, bot: CadenceBot, database: Database, metrics: Metrics
) -> list[WebServer]:
    """The web side on WEB_HOST:WEB_PORT and the operators' server on METRICS_HOST:METRICS_PORT,
    each only when its port is set."""

    async def gateway() -> bool:
        ws = bot.ws
        return bot.is_ready() and not bot.is_closed() and ws is not None and ws.open

    async def engine() -> bool:
        return bot.started.is_set() and not bot.is_closed()

    checks: dict[str, ReadinessCheck] = {
        "gateway": gateway,
        "engine": engine,
        "database": database.ping,
    }
    watch_state(metrics, bot, checks)
    servers = []
    if settings.web_port is not None:
        limiter = RateLimiter(settings.api_rate_per_second, 20)
        login, sessions = dashboard_login(settings, bot, limiter)
        auth = ApiAuth.for_bot(bot.services.api_tokens, limiter, bot, sessions)
        # Cursors are signed with a key of this process: a restart starts paging anew.
        context = ApiContext(bot.services, bot, auth, CursorCodec(token_bytes(32)))
        routes = [*api_routes(context), login.add_to]
        app = build_app(checks=checks, metrics=metrics, routes=routes)
        servers.append(WebServer(app, settings.web_host, settings.web_port))
    if settings.metrics_port is not None:
        app = build_metrics_app(checks=checks, metrics=metrics)
        servers.append(WebServer(app, settings.metrics_host, settings.metrics_port))
    return servers


def public_url(settings: Settings) -> str:
    """The origin people reach the web side at: PUBLIC_URL, else WEB_HOST:WEB_PORT."""
    return settings.public_url or f"http://{settings.web_host}:{settings.web_port}"


def dashboard_login(
    settings: Settings, bot: CadenceBot, limiter: RateLimiter
) -> tuple[LoginRoutes, SessionAuth]:
    """The dashboard's login routes and its session callers (PUBLIC_URL is set with WEB_PORT)."""
    public = public_url(settings)
    services = bot.services
    sessions = SessionAuth.for_bot(
        WebSessions(services.repositories.sessions, services.clock),
        services.repositories.guilds,
        bot,
        limiter,
        origin_of(public),
    )
    config = LoginConfig(
        api_base=settings.discord_api_base or "https://discord.com",
        client_id=settings.discord_client_id,
        client_secret=settings.discord_client_secret,
        public_url=public,
    )
    return LoginRoutes(config, sessions, bot, services.clock), sessions


async def start_web_servers(servers: list[WebServer]) -> bool:
    """Start each server; on a port that cannot be had, say which and stop the others."""
    for server in servers:
        try:
            await server.start()
        except OSError as exc:
            log.error(
                "Cannot listen on %s port %s: %s; choose a free port (WEB_PORT, METRICS_PORT) "
                "or leave it empty",
                server.host,
                server.app_port,
                exc,
            )
            await stop_web_servers(servers)
            return False
    return True


async def stop_web_servers(servers: list[WebServer]) -> None:
    for server in servers:
        await server.stop()


def watch_state(metrics: Metrics, bot: CadenceBot, checks: Mapping[str, ReadinessCheck]) -> None:
    """Refresh the gauges that read state, just before each scrape."""
    engine = bot.engine
    tasks = bot.services.repositories.tasks

    async def refresh() -> None:
        for part, ok in (await readiness(checks)).items():
            metrics.ready.labels(part).set(1 if ok else 0)
        metrics.queue_depth.set(engine.dispatcher.pending - engine.dispatcher.running)
        metrics.busy_workers.set(engine.dispatcher.running)
        metrics.index_window.set(len(engine.index))
        metrics.gateway_latency.set(bot.latency)
        counts = await tasks.counts_by_status()
        for status in ("active", "paused", "completed", "failed"):
            metrics.tasks.labels(status).set(counts.get(status, 0))

    metrics.on_scrape(refresh)
