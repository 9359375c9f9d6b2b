"""Executes one run: posts an admin task's message or calls a code task's function.

The run row (`running`) is written by the engine before the runner is called. Transient
errors are retried inside the run with backoff and jitter and the same nonce; permanent ones
are not. The runner never raises for a failed delivery: it returns an `Outcome`.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from scheduler.claims import Guard
from scheduler.clock import Clock
from scheduler.payload import make_nonce, pick_variant
from scheduler.protocols import (
    Deliverer,
    Delivery,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from storage import Destination, Task, WebhookDestination
from telemetry import Metrics

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with jitter: `base * 2**(n-1)` seconds, capped, ±`jitter` share.

    The defaults ride out about 90 s of Discord errors (1, 2, 4 … 30 s between 8 attempts);
    no attempt starts more than `budget` seconds after the first (discord.py spends up to
    25 s inside one attempt retrying a 500/502), so every re-send stays well inside
    Discord's nonce window and cannot post twice.
    """

    attempts: int = 8
    base: float = 1.0
    cap: float = 30.0
    jitter: float = 0.25
    budget: float = 120.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        raw = min(self.cap, self.base * 2 ** (attempt - 1))
        return max(0.0, raw * (1 + rng.uniform(-self.jitter, self.jitter)))


@dataclass(frozen=True, slots=True)
class CodeJob:
    """A developer's function registered under a job id, with its arguments (never pickled)."""

    job_id: str
    func: Callable[..., Any]
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    send_alert: bool = False


@dataclass(slots=True)
class Outcome:
    """What happened in one run."""

    ok: bool = True
    message_ids: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    attempts: int = 0
    pause_now: bool = False
    fix: str = ""
    unknown: bool = False
    #: The transient errors met, in order (each was retried unless the run gave up there).
    retried: list[str] = field(default_factory=list)
    #: Another process took the run over before an attempt: nothing more was sent, and the
    #: outcome is theirs to record.
    lost: bool = False

    @property
    def error(self) -> str | None:
        return "; ".join(self.errors) if self.errors else None


class Runner:
    """Delivers admin tasks through a `Deliverer` and calls code tasks from a registry."""

    def __init__(
        self,
        *,
        deliverer: Deliverer,
        clock: Clock,
        code_jobs: Mapping[str, CodeJob],
        retry: RetryPolicy | None = None,
        rng: random.Random | None = None,
        on_retry: Callable[[int | None], None] | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        """`on_retry(guild_id)` is told when a run first meets a transient error."""
        self._on_retry = on_retry
        self._posts = (metrics or Metrics()).posts
        self._deliverer = deliverer
        self._clock = clock
        self._code_jobs = code_jobs
        self._retry = retry or RetryPolicy()
        self._rng = rng or random.Random()

    async def execute(
        self,
        task: Task,
        scheduled_for: datetime,
        *,
        resend: bool = False,
        guard: Guard | None = None,
    ) -> Outcome:
        """Run `task` for `scheduled_for`. With `resend`, webhook posts are not repeated.

        `guard` is asked before each attempt (each retry too) whether this process still
        holds the run; once it says no, nothing more is sent and the outcome is `lost`."""
        if guard is not None and not await guard():
            return _lost()
        if task.source == "code":
            if resend:
                return Outcome(
                    ok=False,
                    unknown=True,
                    errors=["the process stopped while this code job ran; not re-run"],
                )
            return await self._call(task)
        return await self._post(task, scheduled_for, resend=resend, guard=guard)

    async def _call(self, task: Task) -> Outcome:
        job = self._code_jobs.get(task.job_id or "")
        if job is None:
            return Outcome(
                ok=False, attempts=1, errors=[f"no function registered for {task.job_id!r}"]
            )
        try:
            result = job.func(*job.args, **dict(job.kwargs))
            if inspect.isawaitable(result):
                await result
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("Code job %s raised", task.job_id)
            return Outcome(ok=False, attempts=1, errors=[f"{type(exc).__name__}: {exc}"])
        return Outcome(ok=True, attempts=1)

    async def _post(
        self, task: Task, scheduled_for: datetime, *, resend: bool, guard: Guard | None
    ) -> Outcome:
        outcome = Outcome()
        _, message = pick_variant(task.payload, task.rotation_index, task.id, scheduled_for)
        if not task.destinations:
            outcome.ok = False
            outcome.errors.append("the task has no destination")
            return outcome
        if message is None or not message:
            outcome.ok = False
            outcome.errors.append("the task has no message")
            return outcome
        mentions = task.payload.approved
        for index, destination in enumerate(task.destinations):
            webhook = isinstance(destination, WebhookDestination)
            if resend and webhook:
                outcome.ok = False  # not re-sent: whether it was posted is unknown, not ok
                outcome.unknown = True
                outcome.errors.append(
                    f"webhook post to channel {destination.channel_id} may or may not "
                    "have been sent before the restart (webhooks take no nonce); not re-sent"
                )
                continue
            delivery = Delivery(
                task_id=task.id,
                guild_id=task.guild_id,
                task_name=task.name,
                scheduled_for=scheduled_for,
                destination=destination,
                message=message,
                nonce=None if webhook else make_nonce(task.id, scheduled_for, index),
                allowed_mentions=mentions,
                created_by=task.created_by,
            )
            checked = index == 0  # the first destination's first attempt was just checked
            await self._deliver_with_retry(delivery, outcome, guard, checked=checked)
            if outcome.lost:
                return outcome
        return outcome

    async def _deliver_with_retry(
        self, delivery: Delivery, outcome: Outcome, guard: Guard | None, *, checked: bool
    ) -> None:
        where = _where(delivery.destination)
        first_try = self._clock.now()
        for attempt in range(1, self._retry.attempts + 1):
            if guard is not None and not (checked and attempt == 1) and not await guard():
                lost = _lost()
                outcome.ok, outcome.lost, outcome.errors = False, True, lost.errors
                return
            outcome.attempts = max(outcome.attempts, attempt)
            try:
                message_id = await self._deliverer.deliver(_with_attempt(delivery, attempt))
            except TransientDeliveryError as exc:
                if not outcome.retried and self._on_retry is not None:
                    self._on_retry(delivery.guild_id)
                outcome.retried.append(exc.reason)
                self._posts.labels("retried").inc()
                delay = self._retry.delay(attempt, self._rng)
                spent = (self._clock.now() - first_try).total_seconds()
                if attempt < self._retry.attempts and spent + delay <= self._retry.budget:
                    log.info(
                        "Task %s: transient error to %s (%s); retry %d in %.1fs",
                        delivery.task_id,
                        where,
                        exc.reason,
                        attempt,
                        delay,
                    )
                    await self._clock.sleep(delay)
                    continue
                outcome.ok = False
                outcome.errors.append(f"{where}: {exc.reason} (gave up after {attempt} attempts)")
                return
            except PermanentDeliveryError as exc:
                self._posts.labels("permanent_error").inc()
                outcome.ok = False
                outcome.errors.append(f"{where}: {exc.reason}")
                outcome.pause_now = outcome.pause_now or exc.pause_now
                outcome.fix = outcome.fix or exc.fix
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.exception("Task %s: unexpected error delivering to %s", delivery.task_id, where)
                outcome.ok = False
                outcome.errors.append(f"{where}: unexpected error {type(exc).__name__}")
                return
            outcome.message_ids.append(message_id)
            self._posts.labels("webhook" if delivery.destination.kind == "webhook" else "ok").inc()
            return


def _lost() -> Outcome:
    return Outcome(ok=False, lost=True, errors=["another process took this run over"])


def _with_attempt(delivery: Delivery, attempt: int) -> Delivery:
    if attempt == delivery.attempt:
        return delivery
    return replace(delivery, attempt=attempt)


def _where(destination: Destination) -> str:
    return f"{destination.kind} <#{destination.target_id}>"
