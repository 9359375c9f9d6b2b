"""Operations end to end: the real bot process, its /metrics and /readyz on METRICS_PORT, and
fakediscord injecting faults, rate limits and a gateway outage."""

from __future__ import annotations

import asyncio
import json
import socket
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from fakediscord import FakeDiscord
from tests.e2e.harness import BotProcess, Scene, seed_task

pytestmark = pytest.mark.slow

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def scrape(http: aiohttp.ClientSession, base: str) -> Samples:
    async with http.get(f"{base}/metrics") as resp:
        assert resp.status == 200
        text = await resp.text()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def ready_status(http: aiohttp.ClientSession, base: str) -> tuple[int, dict]:
    async with http.get(f"{base}/readyz") as resp:
        return resp.status, await resp.json()


async def until(check, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]  # noqa: ASYNC109
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


async def test_metrics_move_as_runs_post_retry_and_fail_and_readiness_follows_the_gateway(
    bot: BotProcess, fd: FakeDiscord, scene: Scene
) -> None:
    due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=6)
    for name, channel in (("fine", scene.general), ("flaky", scene.news), ("denied", scene.alerts)):
        await seed_task(
            bot.db_path,
            name=name,
            kind="date",
            spec=due.strftime("%Y-%m-%dT%H:%M:%SZ"),
            guild_id=scene.guild.id,
            channel_id=channel.id,
            content=f"{name} post",
        )
    route = r"/channels/{}/messages$"
    fd.faults.add(route.format(scene.news.id), method="POST", status=503, times=1)
    fd.faults.add(route.format(scene.alerts.id), method="POST", status=403, code=50013, times=None)
    fd.faults.add(
        route.format(scene.general.id),
        method="POST",
        status=429,
        is_global=True,
        times=1,
        retry_after=0.2,
    )
    fd.settings.rate_limits = True  # Discord's own limits and headers, as well
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    await bot.start(METRICS_PORT=str(port), LOG_FORMAT="json")
    async with aiohttp.ClientSession() as http:
        before = await scrape(http, base)
        assert value(before, "cadence_runs_total", status="ok", trigger="schedule") == 0

        async def all_finished() -> bool:
            samples = await scrape(http, base)
            return sum(v for (name, _), v in samples.items() if name == "cadence_runs_total") >= 3

        await until(all_finished, 30, "the three runs to finish")
        after = await scrape(http, base)
        assert value(after, "cadence_runs_total", status="ok", trigger="schedule") == 2
        assert value(after, "cadence_runs_total", status="failed", trigger="schedule") == 1
        assert value(after, "cadence_posts_total", result="ok") == 2
        assert value(after, "cadence_posts_total", result="retried") == 1
        assert value(after, "cadence_posts_total", result="permanent_error") == 1
        assert value(after, "cadence_run_lateness_seconds_count") == 3
        assert value(after, "cadence_run_lateness_seconds_sum") < 3 * 2.0
        assert value(after, "cadence_discord_rate_limited_total", scope="global") == 1
        assert value(after, "cadence_discord_requests_total", route="messages", status="503") == 1
        assert value(after, "cadence_discord_requests_total", route="messages", status="403") >= 1
        assert value(after, "cadence_pacer_wait_seconds_count") >= 3
        assert value(after, "cadence_db_operation_seconds_count", operation="start_runs") >= 1
        assert value(after, "cadence_db_operation_seconds_count", operation="finish_runs") >= 1
        assert value(after, "cadence_notices_total", kind="started") == 1
        assert value(after, "cadence_ready", part="gateway") == 1

        # The gateway goes away and stays away: /readyz says so, then recovers with it.
        fd.gateway.hold()
        await fd.gateway.drop(resumable=True)

        async def not_ready() -> bool:
            status, body = await ready_status(http, base)
            return status == 503 and body["not_ready"] == ["gateway"]

        await until(not_ready, 10, "/readyz to report the gateway down")
        assert value(await scrape(http, base), "cadence_ready", part="gateway") == 0
        fd.gateway.release()

        async def ready() -> bool:
            return (await ready_status(http, base))[0] == 200

        await until(ready, 20, "/readyz to recover with the gateway")
    assert await bot.stop() == 0
    # JSON log lines say which guild, task and run a line was about, where one is known.
    records = [json.loads(line) for line in bot.log().splitlines() if line.strip()]
    about_runs = [r for r in records if "run_id" in r]
    assert about_runs, "no log line carried a run id"
    assert all(r["guild_id"] == scene.guild.id and "task_id" in r for r in about_runs)
    retry_lines = [r for r in records if "transient error" in r["message"]]
    assert retry_lines and all("run_id" in r for r in retry_lines)
