"""The web API's per-token rate limiter, driven by a fake monotonic clock."""

from __future__ import annotations

import pytest

from web.limits import RateLimiter


class Ticks:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_is_allowed_then_requests_wait_for_the_rate() -> None:
    clock = Ticks()
    limiter = RateLimiter(5, 20, clock=clock)
    assert [limiter.acquire("a") for _ in range(20)] == [0.0] * 20
    wait = limiter.acquire("a")
    assert wait == pytest.approx(0.2)
    assert RateLimiter.retry_after_header(wait) == "1"
    clock.now += 0.2
    assert limiter.acquire("a") == 0.0
    assert limiter.acquire("a") > 0


def test_sustained_rate_is_the_configured_rate() -> None:
    clock = Ticks()
    limiter = RateLimiter(5, 20, clock=clock)
    allowed = 0
    for _ in range(1000):  # ten simulated seconds, a request every 10 ms
        clock.now += 0.01
        allowed += limiter.acquire("a") == 0.0
    assert allowed == 20 + 50 - 1 or allowed == 20 + 50


def test_keys_do_not_share_a_bucket() -> None:
    limiter = RateLimiter(1, 2, clock=Ticks())
    assert limiter.acquire("a") == 0.0 and limiter.acquire("a") == 0.0
    assert limiter.acquire("a") > 0
    assert limiter.acquire("b") == 0.0


def test_memory_stays_bounded_by_forgetting_full_buckets() -> None:
    clock = Ticks()
    limiter = RateLimiter(10, 1, clock=clock, max_keys=100)
    for i in range(100):
        limiter.acquire(f"k{i}")
    clock.now += 1.0
    limiter.acquire("new")
    assert len(limiter._buckets) == 1


def test_nonsense_limits_are_refused() -> None:
    with pytest.raises(ValueError):
        RateLimiter(0, 20)
    with pytest.raises(ValueError):
        RateLimiter(5, 0)
