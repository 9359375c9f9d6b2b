"""A deterministic, realistic task mix written through storage's own API (not measured).

60% cron over about 200 crontabs, 25% interval, 15% date; 40 IANA zones; about 1000 guilds;
about 3% paused. Every ``next_run_at`` is computed with our schedules and lies after ``now``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import accumulate
from pathlib import Path
from typing import Any

from scheduler.triggers import Schedule, date_spec, parse_cron, schedule_from_spec
from storage import (
    CatchUp,
    ChannelDestination,
    Database,
    NewTask,
    Payload,
    TaskKind,
    TaskRepository,
    TaskStatus,
    Variant,
)

__all__ = ["SeedStats", "cron_expressions", "seed_database", "seed_tasks"]

SEED = 20_251_122
POSTGRES_SCHEMES = ("postgresql://", "postgres://")
BATCH = 50_000
GUILDS = 1000
PAUSED_SHARE = 0.03
KIND_CUTS = (0.60, 0.85)
_KINDS = ("cron", "interval", "date")  # cron below the first, interval below the second, else date

ZONES: tuple[tuple[str, int], ...] = (
    ("UTC", 10), ("America/New_York", 9), ("America/Chicago", 5), ("America/Denver", 2),
    ("America/Los_Angeles", 7), ("America/Phoenix", 1), ("America/Toronto", 2),
    ("America/Sao_Paulo", 4), ("America/Mexico_City", 2), ("America/Argentina/Buenos_Aires", 1),
    ("America/Bogota", 1), ("America/Halifax", 1), ("Europe/London", 8), ("Europe/Berlin", 6),
    ("Europe/Paris", 4), ("Europe/Madrid", 2), ("Europe/Rome", 2), ("Europe/Amsterdam", 2),
    ("Europe/Stockholm", 1), ("Europe/Warsaw", 2), ("Europe/Kyiv", 1), ("Europe/Istanbul", 2),
    ("Europe/Moscow", 3), ("Africa/Cairo", 1), ("Africa/Johannesburg", 1), ("Africa/Lagos", 1),
    ("Asia/Dubai", 1), ("Asia/Kolkata", 4), ("Asia/Kathmandu", 1), ("Asia/Dhaka", 1),
    ("Asia/Bangkok", 1), ("Asia/Jakarta", 2), ("Asia/Singapore", 2), ("Asia/Manila", 2),
    ("Asia/Shanghai", 2), ("Asia/Tokyo", 3), ("Asia/Seoul", 2), ("Australia/Sydney", 3),
    ("Australia/Adelaide", 1), ("Pacific/Auckland", 1),
)  # fmt: skip

INTERVALS: tuple[tuple[str, int], ...] = (
    ("30s", 1), ("5m", 3), ("10m", 4), ("15m", 5), ("30m", 8), ("45m", 2), ("1h", 12),
    ("90m", 3), ("2h", 8), ("3h", 5), ("4h", 6), ("6h", 7), ("8h", 3), ("12h", 6), ("1d", 12),
    ("36h", 1), ("1d12h", 1), ("2d", 3), ("3d", 3), ("1w", 6), ("2w", 3),
)  # fmt: skip
_UNIT_SECONDS = {"w": 604_800, "d": 86_400, "h": 3_600, "m": 60, "s": 1}

NAMES = (
    "standup", "water", "weekly-recap", "raid-night", "stream-alert", "bump", "giveaway",
    "meeting", "study-break", "daily-quote", "patch-notes", "backup-check", "birthday",
    "movie-night", "event-reminder", "timesheet", "server-rules", "poll", "qotd", "checkin",
)  # fmt: skip
CONTENTS = (
    "Good morning! Daily standup in 15 minutes.",
    "Drink some water and stretch :)",
    "Weekly recap thread is open, post your wins.",
    "Raid night starts soon, gear up!",
    "Reminder: bump the server.",
    "Submit your timesheet before 5 pm.",
    "Question of the day: what are you working on?",
    "Movie night tonight in the voice channel.",
    "Please read the rules in #rules before posting.",
    "Study break: 10 minutes, back at it after.",
    "Patch notes are out, check #announcements.",
    "Don't forget the community meeting this week!",
)


@dataclass(slots=True)
class SeedStats:
    """What was written, and how long it took."""

    size: int
    now: datetime
    seconds: float = 0.0
    kinds: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_KINDS, 0))
    paused: int = 0
    distinct_cron_keys: int = 0

    def line(self) -> str:
        k = self.kinds
        return (
            f"{self.size:,} tasks: {k['cron']:,} cron / {k['interval']:,} interval / "
            f"{k['date']:,} date, {self.paused:,} paused, {self.distinct_cron_keys:,} distinct "
            f"cron (spec, zone); seeded in {self.seconds:.1f} s (not measured)"
        )


def cron_expressions() -> list[str]:
    """About 200 realistic crontabs in canonical form (weekday 0 = Sunday, never 7)."""
    rng = random.Random(SEED + 1)
    specs = [
        "*/5 * * * *", "*/10 * * * *", "*/15 * * * *", "*/20 * * * *", "*/30 * * * *",
        "0 * * * *", "30 * * * *", "15 * * * *", "45 * * * *", "5 * * * *",
        "0 */2 * * *", "0 */3 * * *", "0 */4 * * *", "0 */6 * * *", "0 */8 * * *",
        "0 */12 * * *", "0 9-17 * * 1-5", "*/30 9-17 * * 1-5", "*/15 9-17 * * 1-5",
        "0 8-20 * * *", "0 9 1 * *", "0 0 1 * *", "0 12 15 * *", "30 8 1,15 * *",
        "0 10 1 */3 *", "0 0 1 1 *", "0 9 25 12 *", "0 10 14 2 *", "0 18 31 10 *",
        "0 20 * * 5", "0 19 * * 0", "0 10 * * 6,0", "0 12 * * 6,0", "0 9 * * 1",
    ]  # fmt: skip
    specs += [f"{m} {h} * * *" for h in range(6, 24) for m in (0, 30)]
    specs += [f"{m} {h} * * 1-5" for h in range(7, 19) for m in (0, 30)]
    specs += [f"0 {h} * * {d}" for d in range(7) for h in (9, 18, 20)]
    specs += [f"0 {h} * * 1,3,5" for h in (8, 12, 18, 19)]
    specs += [f"0 {h} * * 2,4" for h in (8, 12, 18, 19)]
    specs += [f"0 9 {rng.randint(1, 28)} {rng.randint(1, 12)} *" for _ in range(12)]
    seen = list(dict.fromkeys(parse_cron(spec, "UTC").spec for spec in specs))
    while len(seen) < 200:
        spec = f"{rng.randrange(0, 60, 5)} {rng.randint(0, 23)} * * *"
        if spec not in seen:
            seen.append(spec)
    return seen


def _cum(weights: list[float]) -> list[float]:
    return list(accumulate(weights))


class _Mix:
    """Draws tasks; caches each cron (spec, zone)'s next instant after ``now``."""

    def __init__(
        self, rng: random.Random, now: datetime, guilds: Sequence[tuple[int, Sequence[int]]] = ()
    ) -> None:
        self.rng = rng
        self.now = now
        crons = cron_expressions()
        rng.shuffle(crons)  # popularity (Zipf-like) independent of how the list was built
        self.crons = crons
        self.cron_cum = _cum([1 / (rank + 1) ** 0.9 for rank in range(len(crons))])
        self.zones = [zone for zone, _ in ZONES]
        self.zone_cum = _cum([float(w) for _, w in ZONES])
        self.intervals = [spec for spec, _ in INTERVALS]
        self.interval_cum = _cum([float(w) for _, w in INTERVALS])
        if guilds:  # guilds that exist (in fakediscord's world), each with its channels
            self.guilds = [guild for guild, _ in guilds]
            self.channels = {guild: list(channels) for guild, channels in guilds}
        else:
            self.guilds = sorted(rng.sample(range(10**17, 12 * 10**17), GUILDS))
            self.channels = {
                g: [g + rng.randrange(1, 10**6) for _ in range(6)] for g in self.guilds
            }
        self.guild_cum = _cum([1 / (rank + 1) ** 0.6 for rank in range(len(self.guilds))])
        self.users = [rng.randrange(10**17, 12 * 10**17) for _ in range(5000)]
        self.cron_next: dict[tuple[str, str], datetime] = {}

    def tasks(self, start: int, count: int, stats: SeedStats) -> Iterator[NewTask]:
        rng = self.rng
        zones = rng.choices(self.zones, cum_weights=self.zone_cum, k=count)
        guilds = rng.choices(self.guilds, cum_weights=self.guild_cum, k=count)
        for offset in range(count):
            number = start + offset
            zone, guild = zones[offset], guilds[offset]
            created = self.now - timedelta(seconds=rng.randrange(0, 180 * 86_400))
            draw = rng.random()
            fields: dict[str, Any]
            if draw < KIND_CUTS[0]:
                fields = self._cron(zone, created)
            elif draw < KIND_CUTS[1]:
                fields = self._interval(zone, created)
            else:
                fields = self._date(zone, created)
            paused = rng.random() < PAUSED_SHARE
            stats.kinds[str(fields["kind"])] += 1
            stats.paused += paused
            yield NewTask(
                name=f"{rng.choice(NAMES)}-{number}",
                created_at=created,
                guild_id=guild,
                created_by=rng.choice(self.users),
                timezone=zone,
                payload=Payload(variants=(Variant(content=rng.choice(CONTENTS)),)),
                destinations=(ChannelDestination(channel_id=rng.choice(self.channels[guild])),),
                catch_up=rng.choices(_CATCH_UPS, cum_weights=(80, 95, 100))[0],
                status=TaskStatus.PAUSED if paused else TaskStatus.ACTIVE,
                paused_reason="paused by an admin" if paused else None,
                **fields,
            )  # fmt: skip

    def _cron(self, zone: str, created: datetime) -> dict[str, Any]:
        spec = self.rng.choices(self.crons, cum_weights=self.cron_cum)[0]
        key = (spec, zone)
        next_run = self.cron_next.get(key)
        if next_run is None:
            schedule = schedule_from_spec("cron", spec, zone, anchor=created)
            next_run = self.cron_next[key] = _next(schedule, self.now)
        return {"kind": TaskKind.CRON, "spec": spec, "next_run_at": next_run}

    def _interval(self, zone: str, created: datetime) -> dict[str, Any]:
        spec = self.rng.choices(self.intervals, cum_weights=self.interval_cum)[0]
        period = sum(int(n) * _UNIT_SECONDS[u] for n, u in _parts(spec))
        start = self.now + timedelta(seconds=self.rng.randint(1, period))
        schedule = schedule_from_spec("interval", spec, zone, anchor=created, start=start)
        start = schedule.next_fire(None, self.now) or start  # == start: it is the first fire
        return {"kind": TaskKind.INTERVAL, "spec": spec, "start_at": start, "next_run_at": start}

    def _date(self, zone: str, created: datetime) -> dict[str, Any]:
        at = self.now + timedelta(minutes=self.rng.randint(1, 60 * 24 * 60))
        spec = date_spec(at.replace(second=0))
        schedule = schedule_from_spec("date", spec, zone, anchor=created)
        return {"kind": TaskKind.DATE, "spec": spec, "next_run_at": _next(schedule, self.now)}


_CATCH_UPS = (CatchUp.ONCE, CatchUp.SKIP, CatchUp.ALL)


def _parts(spec: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    digits = ""
    for char in spec:
        if char.isdigit():
            digits += char
        else:
            out.append((digits, char))
            digits = ""
    return out


def _next(schedule: Schedule, now: datetime) -> datetime:
    fire = schedule.next_fire(None, now)
    if fire is None or fire <= now:
        raise RuntimeError(f"{schedule.spec!r} has no future fire after {now}")
    return fire


async def seed_database(
    path: str | Path, size: int, now: datetime, *, seed: int = SEED
) -> SeedStats:
    """Write ``size`` tasks into a fresh SQLite file at ``path`` (or into the empty PostgreSQL
    database at the URL ``path``), in batches of 50k."""
    if str(path).startswith(POSTGRES_SCHEMES):
        async with Database.open(str(path)) as db:
            return await seed_tasks(db, size, now, seed=seed)
    path = Path(path)
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)
    async with Database.open(path) as db:
        return await seed_tasks(db, size, now, seed=seed)


async def seed_tasks(
    db: Database,
    size: int,
    now: datetime,
    *,
    seed: int = SEED,
    guilds: Sequence[tuple[int, Sequence[int]]] = (),
) -> SeedStats:
    """Write ``size`` tasks into the open (empty) database ``db``, in batches of 50k; over
    ``guilds`` (guild id, its channel ids) when given, else over 1000 made-up guilds."""
    stats = SeedStats(size=size, now=now)
    started = time.perf_counter()
    mix = _Mix(random.Random(seed), now, guilds)
    tasks = TaskRepository(db)
    for start in range(0, size, BATCH):
        await tasks.create_many(mix.tasks(start, min(BATCH, size - start), stats))
    stats.seconds = time.perf_counter() - started
    stats.distinct_cron_keys = len(mix.cron_next)
    return stats
