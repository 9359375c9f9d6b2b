"""DST behaviour with exact UTC instants, for New York, Berlin and Adelaide (+9:30/+10:30).

Transitions used (local wall time -> UTC instant of the change):
  America/New_York    spring 2027-03-14 02:00 EST -> 03:00 EDT at 07:00Z
                      fall   2026-11-01 02:00 EDT -> 01:00 EST at 06:00Z
  Europe/Berlin       spring 2027-03-28 02:00 CET -> 03:00 CEST at 01:00Z
                      fall   2026-10-25 03:00 CEST -> 02:00 CET at 01:00Z
  Australia/Adelaide  spring 2026-10-04 02:00 ACST -> 03:00 ACDT at 2026-10-03 16:30Z
                      fall   2027-04-04 03:00 ACDT -> 02:00 ACST at 2027-04-03 16:30Z
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest

from scheduler.errors import ScheduleError
from scheduler.schedules import (
    parse_cron,
    parse_date_schedule,
    parse_interval,
    parse_when,
    zone_suggestions,
)
from scheduler.timezones import fixed_instant, load_zone, wall_instants

NY = "America/New_York"
BERLIN = "Europe/Berlin"
ADELAIDE = "Australia/Adelaide"


def Z(text: str) -> datetime:
    """An aware UTC instant from ``2027-03-14T07:00:00Z``."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def zs(*texts: str) -> list[datetime]:
    return [Z(text) for text in texts]


def local_day_bounds(zone: str, day: date) -> tuple[datetime, datetime]:
    tz = load_zone(zone)
    start = datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)
    following = day + timedelta(days=1)
    end = datetime(following.year, following.month, following.day, tzinfo=tz).astimezone(UTC)
    return start, end


# --------------------------------------------------------------------------- wall -> instant


@pytest.mark.parametrize(
    ("zone", "wall", "fixed", "all_instants"),
    [
        (NY, "2027-03-14 02:30", "2027-03-14T07:00:00Z", []),
        (NY, "2027-03-14 02:00", "2027-03-14T07:00:00Z", []),
        (NY, "2027-03-14 03:00", "2027-03-14T07:00:00Z", ["2027-03-14T07:00:00Z"]),
        (NY, "2026-11-01 01:30", "2026-11-01T05:30:00Z",
         ["2026-11-01T05:30:00Z", "2026-11-01T06:30:00Z"]),
        (BERLIN, "2027-03-28 02:59", "2027-03-28T01:00:00Z", []),
        (BERLIN, "2026-10-25 02:30", "2026-10-25T00:30:00Z",
         ["2026-10-25T00:30:00Z", "2026-10-25T01:30:00Z"]),
        (ADELAIDE, "2026-10-04 02:30", "2026-10-03T16:30:00Z", []),
        (ADELAIDE, "2027-04-04 02:30", "2027-04-03T16:00:00Z",
         ["2027-04-03T16:00:00Z", "2027-04-03T17:00:00Z"]),
        (ADELAIDE, "2027-04-04 03:00", "2027-04-03T17:30:00Z", ["2027-04-03T17:30:00Z"]),
    ],
    ids=[
        "ny-gap-0230", "ny-gap-start-0200", "ny-gap-end-0300", "ny-overlap-0130",
        "berlin-gap-0259", "berlin-overlap-0230", "adelaide-gap-0230", "adelaide-overlap-0230",
        "adelaide-after-overlap",
    ],
)  # fmt: skip
def test_wall_to_instants(zone: str, wall: str, fixed: str, all_instants: list[str]) -> None:
    naive = datetime.fromisoformat(wall)
    assert fixed_instant(naive, load_zone(zone)) == Z(fixed)
    assert list(wall_instants(naive, load_zone(zone))) == zs(*all_instants)


# --------------------------------------------------------------------------- cron, fixed time


@pytest.mark.parametrize(
    ("zone", "cron", "after", "expected"),
    [
        # spring-forward gap: once, at the first instant after the gap, then the usual time
        (NY, "30 2 * * *", "2027-03-13T12:00:00Z",
         ["2027-03-14T07:00:00Z", "2027-03-15T06:30:00Z"]),
        (NY, "0,30 2 * * *", "2027-03-13T12:00:00Z",
         ["2027-03-14T07:00:00Z", "2027-03-15T06:00:00Z", "2027-03-15T06:30:00Z"]),
        (NY, "30 2 * * 0", "2027-03-10T00:00:00Z",
         ["2027-03-14T07:00:00Z", "2027-03-21T06:30:00Z"]),
        (BERLIN, "30 2 * * *", "2027-03-27T12:00:00Z",
         ["2027-03-28T01:00:00Z", "2027-03-29T00:30:00Z"]),
        (ADELAIDE, "30 2 * * *", "2026-10-03T00:00:00Z",
         ["2026-10-03T16:30:00Z", "2026-10-04T16:00:00Z"]),
        (ADELAIDE, "15 2 4 10 *", "2026-01-01T00:00:00Z",
         ["2026-10-03T16:30:00Z", "2027-10-03T15:45:00Z"]),
        # fall-back overlap: once, at the first occurrence
        (NY, "30 1 * * *", "2026-10-31T12:00:00Z",
         ["2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"]),
        (NY, "0 9,17 * * 1-5", "2026-10-30T18:00:00Z",
         ["2026-10-30T21:00:00Z", "2026-11-02T14:00:00Z", "2026-11-02T22:00:00Z"]),
        (BERLIN, "30 2 * * *", "2026-10-24T12:00:00Z",
         ["2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"]),
        (ADELAIDE, "30 2 * * *", "2027-04-03T00:00:00Z",
         ["2027-04-03T16:00:00Z", "2027-04-04T17:00:00Z"]),
        # asking from inside the second pass of the overlap does not fire again
        (NY, "30 1 * * *", "2026-11-01T06:10:00Z", ["2026-11-02T06:30:00Z"]),
        (NY, "45 1 * * *", "2026-11-01T06:10:00Z", ["2026-11-02T06:45:00Z"]),
        (BERLIN, "45 2 * * *", "2026-10-25T01:10:00Z", ["2026-10-26T01:45:00Z"]),
    ],
    ids=[
        "ny-gap-0230", "ny-gap-two-times-one-fire", "ny-gap-sunday-only", "berlin-gap-0230",
        "adelaide-gap-0230", "adelaide-gap-yearly", "ny-overlap-0130", "ny-workdays-across-fall",
        "berlin-overlap-0230", "adelaide-overlap-0230", "ny-from-second-pass",
        "ny-from-second-pass-later-minute", "berlin-from-second-pass",
    ],
)  # fmt: skip
def test_cron_fixed_time(zone: str, cron: str, after: str, expected: list[str]) -> None:
    schedule = parse_cron(cron, zone)
    assert not schedule.repeating
    assert schedule.upcoming(Z(after), len(expected)) == zs(*expected)


# --------------------------------------------------------------------------- cron, repeating


@pytest.mark.parametrize(
    ("zone", "day", "count"),
    [
        (NY, date(2027, 3, 14), 23),
        (NY, date(2026, 11, 1), 25),
        (NY, date(2026, 11, 2), 24),
        (BERLIN, date(2027, 3, 28), 23),
        (BERLIN, date(2026, 10, 25), 25),
        (ADELAIDE, date(2026, 10, 4), 23),
        (ADELAIDE, date(2027, 4, 4), 25),
    ],
    ids=["ny-spring", "ny-fall", "ny-normal", "berlin-spring", "berlin-fall",
         "adelaide-spring", "adelaide-fall"],
)  # fmt: skip
def test_hourly_count_over_local_day(zone: str, day: date, count: int) -> None:
    start, end = local_day_bounds(zone, day)
    schedule = parse_cron("0 * * * *", zone)
    fires = [fire for fire in schedule.upcoming(start - timedelta(seconds=1), 30) if fire < end]
    assert len(fires) == count
    assert fires[0] == start
    assert all(later - earlier == timedelta(hours=1) for earlier, later in pairwise(fires))


def test_hourly_fall_back_fires_both_one_oclocks() -> None:
    schedule = parse_cron("@hourly", NY)
    fires = schedule.upcoming(Z("2026-11-01T04:30:00Z"), 4)
    # 01:00 EDT, 01:00 EST, 02:00 EST, 03:00 EST
    assert fires == zs(
        "2026-11-01T05:00:00Z",
        "2026-11-01T06:00:00Z",
        "2026-11-01T07:00:00Z",
        "2026-11-01T08:00:00Z",
    )


@pytest.mark.parametrize(
    ("zone", "cron", "after", "expected"),
    [
        (NY, "*/15 * * * *", "2027-03-14T06:40:00Z",
         ["2027-03-14T06:45:00Z", "2027-03-14T07:00:00Z", "2027-03-14T07:15:00Z"]),
        (NY, "*/15 * * * *", "2026-11-01T05:40:00Z",
         ["2026-11-01T05:45:00Z", "2026-11-01T06:00:00Z", "2026-11-01T06:15:00Z",
          "2026-11-01T06:30:00Z", "2026-11-01T06:45:00Z", "2026-11-01T07:00:00Z"]),
        # asked from the first pass of the overlap: the second pass is still ahead
        (NY, "*/15 * * * *", "2026-11-01T05:50:00Z",
         ["2026-11-01T06:00:00Z", "2026-11-01T06:15:00Z"]),
        (BERLIN, "*/15 * * * *", "2027-03-28T00:40:00Z",
         ["2027-03-28T00:45:00Z", "2027-03-28T01:00:00Z", "2027-03-28T01:15:00Z"]),
        (BERLIN, "*/15 * * * *", "2026-10-25T00:40:00Z",
         ["2026-10-25T00:45:00Z", "2026-10-25T01:00:00Z", "2026-10-25T01:15:00Z"]),
        (ADELAIDE, "*/15 * * * *", "2026-10-03T16:10:00Z",
         ["2026-10-03T16:15:00Z", "2026-10-03T16:30:00Z", "2026-10-03T16:45:00Z"]),
        (ADELAIDE, "*/15 * * * *", "2027-04-03T16:10:00Z",
         ["2027-04-03T16:15:00Z", "2027-04-03T16:30:00Z", "2027-04-03T16:45:00Z"]),
        # walls that do not exist do not fire; walls that happen twice fire twice
        (NY, "0 */2 * * *", "2027-03-14T04:00:00Z",
         ["2027-03-14T05:00:00Z", "2027-03-14T08:00:00Z"]),
        (NY, "30 1 * * *", "2026-10-31T12:00:00Z",
         ["2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"]),
        (NY, "30 * * * *", "2026-11-01T05:00:00Z",
         ["2026-11-01T05:30:00Z", "2026-11-01T06:30:00Z", "2026-11-01T07:30:00Z"]),
        (NY, "*/30 1 * * *", "2026-11-01T04:00:00Z",
         ["2026-11-01T05:00:00Z", "2026-11-01T05:30:00Z", "2026-11-01T06:00:00Z",
          "2026-11-01T06:30:00Z", "2026-11-02T06:00:00Z"]),
        (NY, "*/30 2 * * *", "2027-03-14T00:00:00Z", ["2027-03-15T06:00:00Z"]),
        (ADELAIDE, "30 * * * *", "2026-10-03T15:00:00Z",
         ["2026-10-03T16:00:00Z", "2026-10-03T17:00:00Z"]),
    ],
    ids=[
        "ny-spring-every-15", "ny-fall-every-15", "ny-fall-from-first-pass",
        "berlin-spring-every-15", "berlin-fall-every-15", "adelaide-spring-every-15",
        "adelaide-fall-every-15",
        "ny-every-2h-skips-gap", "ny-fixed-0130-once", "ny-half-past-every-hour-twice",
        "ny-star-minute-in-repeated-hour", "ny-star-minute-in-gap-hour", "adelaide-half-past-gap",
    ],
)  # fmt: skip
def test_cron_repeating(zone: str, cron: str, after: str, expected: list[str]) -> None:
    schedule = parse_cron(cron, zone)
    assert schedule.upcoming(Z(after), len(expected)) == zs(*expected)


# --------------------------------------------------------------------------- intervals


@pytest.mark.parametrize(
    ("zone", "text", "start", "expected"),
    [
        # a calendar interval keeps the original wall time; the gap day fires at its end
        (NY, "1d", "2027-03-12T07:30:00Z",
         ["2027-03-13T07:30:00Z", "2027-03-14T07:00:00Z", "2027-03-15T06:30:00Z"]),
        (BERLIN, "1d", "2027-03-26T01:30:00Z",
         ["2027-03-27T01:30:00Z", "2027-03-28T01:00:00Z", "2027-03-29T00:30:00Z"]),
        (ADELAIDE, "1d", "2026-10-01T17:00:00Z",
         ["2026-10-02T17:00:00Z", "2026-10-03T16:30:00Z", "2026-10-04T16:00:00Z"]),
        # the overlap day fires once, at the first pass
        (NY, "1d", "2026-10-30T05:30:00Z",
         ["2026-10-31T05:30:00Z", "2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"]),
        (ADELAIDE, "1d", "2027-04-02T16:00:00Z",
         ["2027-04-03T16:00:00Z", "2027-04-04T17:00:00Z"]),
        (NY, "1w", "2027-03-07T07:30:00Z", ["2027-03-14T07:00:00Z", "2027-03-21T06:30:00Z"]),
        (BERLIN, "2w", "2027-03-21T08:00:00Z", ["2027-04-04T07:00:00Z", "2027-04-18T07:00:00Z"]),
        # elapsed intervals are plain UTC arithmetic
        (NY, "24h", "2027-03-13T07:30:00Z", ["2027-03-14T07:30:00Z", "2027-03-15T07:30:00Z"]),
        (NY, "90m", "2026-11-01T04:30:00Z",
         ["2026-11-01T06:00:00Z", "2026-11-01T07:30:00Z", "2026-11-01T09:00:00Z"]),
        (BERLIN, "1d12h", "2027-03-27T00:00:00Z", ["2027-03-28T12:00:00Z", "2027-03-30T00:00:00Z"]),
        (ADELAIDE, "36h", "2026-10-03T00:00:00Z", ["2026-10-04T12:00:00Z", "2026-10-06T00:00:00Z"]),
    ],
    ids=[
        "ny-1d-at-gap-time", "berlin-1d-at-gap-time", "adelaide-1d-at-gap-time",
        "ny-1d-at-overlap-time", "adelaide-1d-at-overlap-time", "ny-1w-at-gap-time",
        "berlin-2w-keeps-0900", "ny-24h-is-elapsed", "ny-90m-elapsed-over-fall",
        "berlin-1d12h-elapsed", "adelaide-36h-elapsed",
    ],
)  # fmt: skip
def test_intervals_over_dst(zone: str, text: str, start: str, expected: list[str]) -> None:
    schedule = parse_interval(text, zone, anchor=Z(start) - timedelta(days=1), start=Z(start))
    assert schedule.upcoming(Z(start), len(expected)) == zs(*expected)


def test_calendar_interval_without_start_keeps_creation_wall_time() -> None:
    created = Z("2027-03-13T07:30:00Z")  # 02:30 EST
    schedule = parse_interval("1d", NY, anchor=created)
    assert schedule.next_fire(None, created) == Z("2027-03-14T07:00:00Z")
    assert schedule.upcoming(created, 2) == zs("2027-03-14T07:00:00Z", "2027-03-15T06:30:00Z")


# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("zone", "text", "expected"),
    [
        (NY, "2027-03-14 02:30", "2027-03-14T07:00:00Z"),
        (NY, "2027-03-14 02:00", "2027-03-14T07:00:00Z"),
        (NY, "2027-03-14 03:00", "2027-03-14T07:00:00Z"),
        (NY, "2026-11-01 01:30", "2026-11-01T05:30:00Z"),
        (NY, "2026-11-01 01:30-05:00", "2026-11-01T06:30:00Z"),
        (BERLIN, "2027-03-28 02:30", "2027-03-28T01:00:00Z"),
        (BERLIN, "2026-10-25 02:30", "2026-10-25T00:30:00Z"),
        (ADELAIDE, "2026-10-04 02:30", "2026-10-03T16:30:00Z"),
        (ADELAIDE, "2027-04-04 02:30", "2027-04-03T16:00:00Z"),
        (ADELAIDE, "2027-04-04 02:30+09:30", "2027-04-03T17:00:00Z"),
    ],
    ids=[
        "ny-gap", "ny-gap-start", "ny-gap-end", "ny-overlap-first", "ny-overlap-offset-given",
        "berlin-gap", "berlin-overlap", "adelaide-gap", "adelaide-overlap",
        "adelaide-overlap-offset-given",
    ],
)  # fmt: skip
def test_dates_in_gap_and_overlap(zone: str, text: str, expected: str) -> None:
    now = Z("2026-06-01T00:00:00Z")
    assert parse_when(text, zone, now=now) == Z(expected)
    assert parse_date_schedule(text, zone, now=now).at == Z(expected)


@pytest.mark.parametrize(
    ("zone", "now", "text", "expected"),
    [
        (NY, "2027-03-13T15:00:00Z", "tomorrow 2:30am", "2027-03-14T07:00:00Z"),
        (NY, "2026-10-31T15:00:00Z", "tomorrow 1:30am", "2026-11-01T05:30:00Z"),
        (BERLIN, "2027-03-27T20:00:00Z", "2:30", "2027-03-28T01:00:00Z"),
        (ADELAIDE, "2026-10-03T10:00:00Z", "sunday 2:30am", "2026-10-03T16:30:00Z"),
        (NY, "2027-03-14T06:00:00Z", "in 2 hours", "2027-03-14T08:00:00Z"),
    ],
    ids=["ny-tomorrow-in-gap", "ny-tomorrow-in-overlap", "berlin-bare-time-in-gap",
         "adelaide-weekday-in-gap", "ny-relative-is-elapsed"],
)  # fmt: skip
def test_natural_dates_on_dst_days(zone: str, now: str, text: str, expected: str) -> None:
    assert parse_when(text, zone, now=Z(now)) == Z(expected)


# --------------------------------------------------------------------------- zones


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Europe/Berlin", "Europe/Berlin"),
        ("  europe/berlin ", "Europe/Berlin"),
        ("UTC", "UTC"),
        ("america/new_york", "America/New_York"),
        ("Australia/Adelaide", "Australia/Adelaide"),
    ],
    ids=["exact", "any-case-and-spaces", "utc", "lower-case", "adelaide"],
)
def test_load_zone_canonical_names(name: str, key: str) -> None:
    zone = load_zone(name)
    assert zone.key == key
    assert zone is load_zone(key)  # one shared object per zone


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("Mars/Base", 'Unknown timezone "Mars/Base". Use an IANA name such as Europe/Berlin.'),
        ("", "A timezone is needed"),
        ("   ", "A timezone is needed"),
        ("CEST", 'Unknown timezone "CEST"'),
        ("Europe/Berln", "Did you mean Europe/Berlin?"),
        ("../../etc/passwd", "Unknown timezone"),
        ("/etc/localtime", "Unknown timezone"),
        ("Factory", "Unknown timezone"),
        ("Europe", "Unknown timezone"),
    ],
    ids=["unknown", "empty", "blank", "abbreviation", "typo", "path", "absolute", "factory",
         "directory"],
)  # fmt: skip
def test_load_zone_refuses(name: str, fragment: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        load_zone(name)
    assert fragment in str(caught.value)


def test_gmt_offsets_get_no_misleading_suggestion() -> None:
    with pytest.raises(ScheduleError) as caught:
        load_zone("GMT+2")
    assert "Did you mean" not in str(caught.value)


@pytest.mark.parametrize(
    ("prefix", "first"),
    [
        ("Europe/Be", ["Europe/Belgrade", "Europe/Berlin"]),
        ("berl", ["Europe/Berlin"]),
        ("new york", ["America/New_York"]),
        ("adel", ["Australia/Adelaide"]),
        ("UTC", ["UTC"]),
    ],
    ids=["prefix", "city-part", "spaces-as-underscores", "adelaide", "utc"],
)
def test_zone_suggestions_best_first(prefix: str, first: list[str]) -> None:
    assert zone_suggestions(prefix)[: len(first)] == first


def test_zone_suggestions_prefix_before_substring_and_limit() -> None:
    found = zone_suggestions("an")
    assert found[0].lower().startswith("an")  # e.g. Antarctica/... before America/Santiago
    assert len(zone_suggestions("a")) == 25
    assert len(zone_suggestions("a", limit=3)) == 3
    assert zone_suggestions("a", limit=0) == []
    assert zone_suggestions("zzzz") == []
