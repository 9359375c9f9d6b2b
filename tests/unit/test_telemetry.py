"""Metrics and structured logs, without a server."""

from __future__ import annotations

import json
import logging

import pytest
from prometheus_client.parser import text_string_to_metric_families

from scheduler.api_tokens import TOKEN_PATTERN, new_token
from telemetry import JsonFormatter, Metrics, RedactingFormatter, log_context

SECRET = "MTIzNDU2Nzg5MDEyMzQ1Njc4.Gabcde.very-secret-token-value"


def families(text: bytes) -> dict[str, list]:
    return {f.name: f.samples for f in text_string_to_metric_families(text.decode())}


async def test_render_refreshes_state_gauges_and_survives_a_failing_hook(
    caplog: pytest.LogCaptureFixture,
) -> None:
    metrics = Metrics(version="9.9.9")
    calls = []

    async def broken() -> None:
        raise RuntimeError("boom")

    async def counts() -> None:
        calls.append(1)
        metrics.tasks.labels("active").set(7)

    metrics.on_scrape(broken)
    metrics.on_scrape(counts)
    with caplog.at_level(logging.ERROR):
        found = families(await metrics.render())
    assert calls == [1]
    assert "A metrics refresh hook failed" in caplog.text
    tasks = {s.labels["status"]: s.value for s in found["cadence_tasks"]}
    assert tasks == {"active": 7.0, "paused": 0.0, "completed": 0.0, "failed": 0.0}
    [info] = found["cadence_build_info"]
    assert info.labels["version"] == "9.9.9"
    assert {"discord_py", "apscheduler", "sqlite"} <= set(info.labels)


async def test_runs_and_lateness_are_counted_with_bounded_labels() -> None:
    metrics = Metrics()
    metrics.run_finished("ok", "schedule")
    metrics.run_finished("ok", "schedule")
    metrics.run_finished("failed", "manual")
    metrics.run_started(0.003)
    metrics.run_started(-0.5)  # a clock that stepped back counts as on time
    found = families(await metrics.render())
    runs = {
        (s.labels["status"], s.labels["trigger"]): s.value
        for s in found["cadence_runs"]
        if s.name == "cadence_runs_total"
    }
    assert runs == {("ok", "schedule"): 2.0, ("failed", "manual"): 1.0}
    lateness = {s.name: s.value for s in found["cadence_run_lateness_seconds"] if not s.labels}
    assert lateness["cadence_run_lateness_seconds_count"] == 2.0
    assert lateness["cadence_run_lateness_seconds_sum"] == pytest.approx(0.003)


def test_two_instances_do_not_share_a_registry() -> None:
    first, second = Metrics(), Metrics()
    first.posts.labels("ok").inc()
    assert second.posts.labels("ok")._value.get() == 0


def record(message: str, *args: object, exc: bool = False) -> logging.LogRecord:
    exc_info = None
    if exc:
        try:
            raise ValueError(f"bad token {SECRET}")
        except ValueError:
            import sys

            exc_info = sys.exc_info()
    return logging.LogRecord("cadence.test", logging.WARNING, __file__, 1, message, args, exc_info)


def test_json_lines_carry_the_context_of_the_run_being_worked_on() -> None:
    formatter = JsonFormatter([SECRET])
    with log_context(guild_id=11, task_id=22), log_context(run_id=33):
        inner = json.loads(formatter.format(record("posting %s", "now")))
    outer = json.loads(formatter.format(record("idle")))
    assert inner["message"] == "posting now"
    assert (inner["guild_id"], inner["task_id"], inner["run_id"]) == (11, 22, 33)
    assert inner["level"] == "WARNING" and inner["logger"] == "cadence.test"
    assert inner["time"].endswith("Z")
    assert "guild_id" not in outer and "run_id" not in outer


@pytest.mark.parametrize("formatter", [JsonFormatter([SECRET]), RedactingFormatter([SECRET])])
def test_a_secret_never_leaves_in_a_log_line(formatter: logging.Formatter) -> None:
    line = formatter.format(record("login with %s", SECRET, exc=True))
    assert SECRET not in line
    assert "[redacted]" in line


@pytest.mark.parametrize("kind", [JsonFormatter, RedactingFormatter])
def test_an_api_token_never_leaves_in_a_log_line(kind: type[RedactingFormatter]) -> None:
    token = new_token()
    formatter = kind(patterns=[TOKEN_PATTERN])
    line = formatter.format(record("request with Bearer %s failed", token))
    assert token not in line and token.removeprefix("cadence_") not in line
    assert "Bearer [redacted] failed" in line
