"""Cadence's Prometheus metrics, all named `cadence_…`, each on a registry of its own.

Labels are bounded: statuses, triggers, results, route families, command names; never a guild
id, a task id or a name. Gauges that describe state (queue depth, tasks by status, gateway
latency) are refreshed just before each scrape by the hooks that `bot.py` registers, so the
hot path pays nothing for them."""

from __future__ import annotations

import logging
import sqlite3
import sys
from collections.abc import Awaitable, Callable
from importlib import metadata

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
    generate_latest,
)

__all__ = ["CONTENT_TYPE", "Metrics"]

log = logging.getLogger(__name__)

CONTENT_TYPE = CONTENT_TYPE_LATEST

RUN_STATUSES = ("ok", "failed", "skipped", "missed", "unknown")
RUN_TRIGGERS = ("schedule", "manual", "catch_up")
POST_RESULTS = ("ok", "retried", "permanent_error", "webhook")
TASK_STATUSES = ("active", "paused", "completed", "failed")

# Lateness of a run: most are a few milliseconds; a catch-up after downtime is minutes.
_LATENESS_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600)
_WAIT_BUCKETS = (0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
_FAST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)

RefreshHook = Callable[[], Awaitable[None]]


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"


class Metrics:
    """Every metric Cadence exports. Pass one instance to each part that reports."""

    def __init__(self, *, version: str = "unknown") -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.runs = Counter(
            "cadence_runs",
            "Runs finished, by outcome and by what started them.",
            ["status", "trigger"],
            registry=r,
        )
        self.run_lateness = Histogram(
            "cadence_run_lateness_seconds",
            "How late a run started: start minus its scheduled instant.",
            buckets=_LATENESS_BUCKETS,
            registry=r,
        )
        self.posts = Counter(
            "cadence_posts", "Posts to Discord, by result.", ["result"], registry=r
        )
        self.discord_requests = Counter(
            "cadence_discord_requests",
            "REST requests to Discord, by route family and HTTP status.",
            ["route", "status"],
            registry=r,
        )
        self.discord_rate_limited = Counter(
            "cadence_discord_rate_limited",
            "429 answers from Discord, by scope (user, global, shared).",
            ["scope"],
            registry=r,
        )
        self.pacer_wait = Histogram(
            "cadence_pacer_wait_seconds",
            "Time a request waited for the bot's own global pacing before it was sent.",
            buckets=_WAIT_BUCKETS,
            registry=r,
        )
        self.queue_depth = Gauge(
            "cadence_dispatch_queue_depth", "Runs queued for a worker.", registry=r
        )
        self.busy_workers = Gauge(
            "cadence_dispatch_busy_workers", "Workers running a task right now.", registry=r
        )
        self.tasks = Gauge("cadence_tasks", "Stored tasks, by status.", ["status"], registry=r)
        self.index_window = Gauge(
            "cadence_index_window_size",
            "Tasks held in memory because they are due inside the current window.",
            registry=r,
        )
        self.notices = Counter(
            "cadence_notices", "Notices sent or kept unread, by kind.", ["kind"], registry=r
        )
        self.command_seconds = Histogram(
            "cadence_command_seconds",
            "Slash command handling time, from receipt to the answer, by command.",
            ["command"],
            buckets=_FAST_BUCKETS,
            registry=r,
        )
        self.api_request_seconds = Histogram(
            "cadence_api_request_seconds",
            "Web requests, by route template and HTTP status.",
            ["route", "status"],
            buckets=_FAST_BUCKETS,
            registry=r,
        )
        self.db_operation_seconds = Histogram(
            "cadence_db_operation_seconds",
            "Database operations, by kind.",
            ["operation"],
            buckets=_FAST_BUCKETS,
            registry=r,
        )
        self.gateway_latency = Gauge(
            "cadence_gateway_latency_seconds",
            "Discord gateway heartbeat latency (NaN before the first heartbeat).",
            registry=r,
        )
        self.ready = Gauge(
            "cadence_ready",
            "1 when a part is ready (gateway, engine, database), else 0; as /readyz says.",
            ["part"],
            registry=r,
        )
        self.build = Info("cadence_build", "Versions Cadence runs with.", registry=r)
        self.build.info(
            {
                "version": version,
                "discord_py": _version("discord.py"),
                "apscheduler": _version("APScheduler"),
                "sqlite": sqlite3.sqlite_version,
                "python": sys.version.split()[0],
            }
        )
        for status in TASK_STATUSES:
            self.tasks.labels(status)
        for result in POST_RESULTS:
            self.posts.labels(result)
        self._hooks: list[RefreshHook] = []

    def on_scrape(self, hook: RefreshHook) -> None:
        """Run `hook` before each scrape (to refresh a gauge that reads state)."""
        self._hooks.append(hook)

    async def render(self) -> bytes:
        """The Prometheus text exposition, after refreshing the state gauges."""
        for hook in self._hooks:
            try:
                await hook()
            except Exception:
                log.exception("A metrics refresh hook failed; serving the last values")
        return generate_latest(self.registry)

    # Helpers for the hot path: one call each, labels checked against the known sets.

    def run_finished(self, status: str, trigger: str) -> None:
        self.runs.labels(status, trigger).inc()

    def run_started(self, lateness_seconds: float) -> None:
        self.run_lateness.observe(max(0.0, lateness_seconds))
