"""Web API latency with 200 tasks stored in the guild, the real bot and its real web server.

    .venv/bin/python -m bench.api [--quick] [--repeat 200] [--postgres URL]

The real CadenceBot runs in this process against fakediscord, with the web API served on a
free port by the same aiohttp application `bot.py` starts (every route module). 200 cron tasks
are stored in the guild (none due while measuring). A write token made by the bot's own token
service calls, one request at a time over HTTP with keep-alive, after five unmeasured warm-up
requests of each kind:

- ``GET /api/v1/guilds/{id}/tasks?limit=100`` (the first page: 100 task objects);
- ``GET /api/v1/guilds/{id}/tasks/{task_id}`` (one task);
- ``POST /api/v1/guilds/{id}/tasks`` (each creating a new cron task, validated by the same
  rulebook as ``/schedule cron``, written, audited and scheduled).

Latency = request sent to response body read, on the client's clock. The per-token rate limit
(``API_RATE_PER_SECOND``) is lifted for the bench: it measures the server, not the limiter.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp

from bench.botside import commanding_bot
from bench.common import (
    EXIT_LOST,
    database_target,
    header,
    lateness_ms,
    quiet_background,
    quiet_logging,
    table,
)
from telemetry import Metrics
from web import WebServer, build_app
from web.api import ApiContext, api_routes
from web.auth import ApiAuth
from web.http_rules import CursorCodec
from web.limits import RateLimiter

MODULE = "bench.api"
IN_GUILD = 200
WARM_UP = 5
QUICK_BACKGROUND, FULL_BACKGROUND = 0, 10_000


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=f"python -m {MODULE}",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="50 requests of each kind")
    parser.add_argument("--repeat", type=int, help="measured requests of each kind (200)")
    parser.add_argument(
        "--background",
        type=int,
        help=f"tasks stored in other guilds ({FULL_BACKGROUND:,}; --quick {QUICK_BACKGROUND})",
    )
    parser.add_argument(
        "--postgres", metavar="URL", help="store the tasks in a scratch PostgreSQL database"
    )
    return parser.parse_args(argv)


Request = Callable[[int], Awaitable[int]]
"""Send request number n; answer its status."""


async def _timed(send: Request, count: int, start: int, ok: int) -> tuple[list[float], int]:
    """Latencies in seconds of ``count`` requests, one at a time; and how many failed."""
    latencies, failed = [], 0
    for number in range(start, start + count):
        began = time.perf_counter()
        status = await send(number)
        latencies.append(time.perf_counter() - began)
        failed += status != ok
    return latencies, failed


async def measure(background: int, repeat: int, path: str) -> dict[str, Any]:
    seeded = await quiet_background(path, background)
    room = repeat + WARM_UP + 10
    async with commanding_bot(path, "Api", IN_GUILD, room=room) as (_fd, bot, scene):
        guild, admin, general = scene.guild, scene.admin, scene.general
        services = bot.services
        auth = ApiAuth.for_bot(services.api_tokens, RateLimiter(1e6, 1_000_000), bot)
        context = ApiContext(services, bot, auth, CursorCodec(b"bench-key-" * 4))
        app = build_app(checks={}, metrics=Metrics(), routes=api_routes(context))
        server = WebServer(app, "127.0.0.1", 0)
        await server.start()
        made = await services.api_tokens.create(guild.id, "bench", "write", admin.id)
        base = f"http://127.0.0.1:{server.port}/api/v1/guilds/{guild.id}"
        headers = {"Authorization": f"Bearer {made.token}"}
        stored = await bot.engine.tasks.list_for_guild(guild.id)
        one = stored[len(stored) // 2].id
        try:
            async with aiohttp.ClientSession(headers=headers) as http:

                async def listing(number: int) -> int:
                    async with http.get(f"{base}/tasks?limit=100") as resp:
                        body = await resp.json()
                        assert len(body["items"]) == 100, body
                        return resp.status

                async def single(number: int) -> int:
                    async with http.get(f"{base}/tasks/{one}") as resp:
                        await resp.read()
                        return resp.status

                async def create(number: int) -> int:
                    entry = {
                        "name": f"bench-{number:04d}",
                        "kind": "cron",
                        "spec": "0 9 * * 1-5",
                        "timezone": "UTC",
                        "payload": {"variants": [{"content": "Hi"}]},
                        "destinations": [{"type": "channel", "channel_id": str(general.id)}],
                    }
                    async with http.post(f"{base}/tasks", json=entry) as resp:
                        await resp.read()
                        return resp.status

                results: dict[str, Any] = {"stored": background + IN_GUILD}
                results["seeded_s"] = seeded.seconds
                kinds = (
                    ("GET …/tasks?limit=100", listing, 200),
                    ("GET …/tasks/{id}", single, 200),
                    ("POST …/tasks", create, 201),
                )
                for name, send, ok in kinds:
                    await _timed(send, WARM_UP, 0, ok)
                    latencies, failed = await _timed(send, repeat, WARM_UP, ok)
                    results[name] = {"latency": latencies, "failed": failed}
                results["in_guild"] = await bot.engine.tasks.count_for_guild(guild.id)
        finally:
            await server.stop()
    return results


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    repeat = args.repeat if args.repeat is not None else 50 if args.quick else 200
    background = args.background
    if background is None:
        background = QUICK_BACKGROUND if args.quick else FULL_BACKGROUND
    header(
        MODULE,
        f"web API latency, {IN_GUILD} tasks in the guild, {background:,} in other guilds",
    )
    quiet_logging()
    started = time.perf_counter()
    with (
        tempfile.TemporaryDirectory(prefix="cadence-api-") as scratch,
        database_target(Path(scratch), "api.sqlite3", args.postgres) as target,
    ):
        result = asyncio.run(measure(background, repeat, target))
    rows = []
    failed = 0
    for name in ("GET …/tasks?limit=100", "GET …/tasks/{id}", "POST …/tasks"):
        late = lateness_ms(result[name]["latency"])
        failed += result[name]["failed"]
        rows.append([name, len(result[name]["latency"]), result[name]["failed"],
                     f"{late['p50']:.1f}", f"{late['p99']:.1f}", f"{late['max']:.1f}"])  # fmt: skip
    print(f"\n{result['stored']:,} tasks stored; the guild ended with {result['in_guild']} tasks")
    print(table(["request", "count", "failed", "p50 ms", "p99 ms", "max ms"], rows))
    print("latency = request sent − response read (client's clock, keep-alive, one at a time)")
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    return EXIT_LOST if failed else 0


if __name__ == "__main__":
    sys.exit(main())
