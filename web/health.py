"""`/healthz` (the process serves) and `/readyz` (it can do its job: gateway, engine, database)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

from aiohttp import web

__all__ = ["ReadinessCheck", "add_health_routes", "readiness"]

log = logging.getLogger(__name__)

ReadinessCheck = Callable[[], Awaitable[bool]]
"""Answers whether one part is ready; raising or taking over 2 s counts as not ready."""

CHECK_TIMEOUT = 2.0


def add_health_routes(app: web.Application, checks: Mapping[str, ReadinessCheck]) -> None:
    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(request: web.Request) -> web.Response:
        results = await readiness(checks)
        not_ready = [name for name, ok in results.items() if not ok]
        body = {
            "status": "not ready" if not_ready else "ready",
            "checks": {name: ("ok" if ok else "not ready") for name, ok in results.items()},
            "not_ready": not_ready,
        }
        return web.json_response(body, status=503 if not_ready else 200)

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)


async def readiness(checks: Mapping[str, ReadinessCheck]) -> dict[str, bool]:
    """Run every check at once; each part's answer, in the order of `checks`."""
    results = await asyncio.gather(*(_run(name, check) for name, check in checks.items()))
    return dict(results)


async def _run(name: str, check: ReadinessCheck) -> tuple[str, bool]:
    try:
        return name, bool(await asyncio.wait_for(check(), timeout=CHECK_TIMEOUT))
    except Exception as exc:
        log.warning("Readiness check %s failed: %s", name, exc)
        return name, False
