"""The crontab extensions: ``L`` (last day of the month), ``nL`` (last weekday n) and ``n#k``
(k-th weekday n): fire days, errors, DST, descriptions and the import door."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from scheduler.errors import ScheduleError
from scheduler.schedules import parse_cron
from scheduler.transfer import plan_import

# (crontab, fires counted after this date (23:59 UTC), the days of the first fires)
FIRE_DAYS = [
    ("0 17 L * *", "2027-12-31", ["2028-01-31", "2028-02-29", "2028-03-31", "2028-04-30"]),
    ("0 17 L 2 *", "2026-06-01", ["2027-02-28", "2028-02-29", "2029-02-28"]),
    ("0 17 * * 5L", "2026-06-01", ["2026-06-26", "2026-07-31", "2026-08-28", "2026-09-25"]),
    ("0 17 * * friL", "2026-06-01", ["2026-06-26", "2026-07-31"]),
    ("0 17 * * 7L", "2026-06-01", ["2026-06-28", "2026-07-26"]),  # 7 = Sunday
    ("0 10 * * 1#1", "2026-06-01", ["2026-07-06", "2026-08-03", "2026-09-07"]),
    ("0 10 * * mon#1", "2026-06-01", ["2026-07-06", "2026-08-03"]),
    ("0 10 * * 1#1,1#3", "2026-06-01", ["2026-06-15", "2026-07-06", "2026-07-20", "2026-08-03"]),
    # a fifth Monday only in months that have one
    ("0 10 * * 1#5", "2026-06-01", ["2026-06-29", "2026-08-31", "2026-11-30"]),
    ("0 10 * * 0#1,5L", "2026-06-01", ["2026-06-07", "2026-06-26", "2026-07-05", "2026-07-31"]),
    ("0 10 * * 1,5L", "2026-06-20", ["2026-06-22", "2026-06-26", "2026-06-29", "2026-07-06"]),
    ("0 9 L,15 * *", "2026-06-01", ["2026-06-15", "2026-06-30", "2026-07-15", "2026-07-31"]),
    # neither day field starts with "*": the 15th OR the last Friday
    ("0 9 15 * 5L", "2026-06-01", ["2026-06-15", "2026-06-26", "2026-07-15", "2026-07-31"]),
    ("0 9 L * 1", "2026-06-20", ["2026-06-22", "2026-06-29", "2026-06-30", "2026-07-06"]),
    # day of month starts with "*": odd days that are ALSO the last Friday
    ("0 9 */2 * 5L", "2026-06-01", ["2026-07-31", "2026-09-25", "2026-11-27", "2026-12-25"]),
    # the last day of the month, only when it is a Sunday
    ("0 9 L * */7", "2026-06-01", ["2027-01-31", "2027-02-28", "2027-10-31"]),
]  # fmt: skip


@pytest.mark.parametrize(("cron", "after", "days"), FIRE_DAYS, ids=[row[0] for row in FIRE_DAYS])
def test_extension_fire_days(cron: str, after: str, days: list[str]) -> None:
    schedule = parse_cron(cron, "UTC")
    start = datetime.fromisoformat(after).replace(hour=23, minute=59, tzinfo=UTC)
    fires = schedule.upcoming(start, len(days))
    assert [fire.date().isoformat() for fire in fires] == days


INVALID = [
    ("0 9 L/2 * *", "L and # cannot take a step"),
    ("0 9 L-5 * *", "L and # cannot be part of a range"),
    ("0 9 5L * *", "use L alone for the last day of the month"),
    ("0 9 * * L", "write nL for the last weekday n"),
    ("0 9 * * 1#6", "the week must be 1 to 5"),
    ("0 9 * * 0#0", "the week must be 1 to 5"),
    ("0 9 * * 1#", "is not n#k"),
    ("0 9 * * #2", "is not n#k"),
    ("0 9 * * 8#1", "weekday must be 0-7"),
    ("0 9 * * 1#1/2", "L and # cannot take a step"),
    ("0 9 * * 1-5L", "L and # cannot be part of a range"),
    ("0 9 1#1 * *", "nL and n#k go in weekday"),
    ("0 9L * * *", "L (last day) belongs in day of month"),
    ("0 L * * *", "L (last day) belongs in day of month"),
    ("0 9 * 1#1 *", "L (last day) belongs in day of month"),
    ("0 9 LW * *", "W and ? are not supported"),
    # days 1 and 21 can never be a fifth Monday (29th to 31st)
    ("0 9 */20 * 1#5", "never fires"),
    ("0 9 30 2 5L", None),  # fine: neither is star, so the last Friday of February suffices
]


@pytest.mark.parametrize(("cron", "fragment"), INVALID, ids=[row[0] for row in INVALID])
def test_extension_errors(cron: str, fragment: str | None) -> None:
    if fragment is None:
        assert parse_cron(cron, "UTC").next_after(datetime(2026, 6, 1, tzinfo=UTC)) is not None
        return
    with pytest.raises(ScheduleError) as caught:
        parse_cron(cron, "UTC")
    assert fragment in caught.value.message
    assert caught.value.example


def Z(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


DST = [
    # the second Sunday of March is New York's spring-forward day: 02:30 becomes 03:00 EDT
    ("30 2 * * 0#2", "America/New_York", "2027-03-01T00:00Z", ["2027-03-14T07:00Z"]),
    # the first Sunday of November falls back: 01:30 fires once, at its first occurrence
    ("30 1 * * 0#1", "America/New_York", "2026-10-15T00:00Z", ["2026-11-01T05:30Z"]),
    # Berlin changes on the last Sunday of March and of October
    ("30 2 * * 0L", "Europe/Berlin", "2027-03-20T00:00Z", ["2027-03-28T01:00Z"]),
    ("30 2 * * 0L", "Europe/Berlin", "2026-10-20T00:00Z", ["2026-10-25T00:30Z"]),
    # a repeating crontab fires in both passes of the repeated hour
    ("0,30 * * * 0L", "Europe/Berlin", "2026-10-24T23:50Z",
     ["2026-10-25T00:00Z", "2026-10-25T00:30Z", "2026-10-25T01:00Z", "2026-10-25T01:30Z"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("cron", "zone", "after", "fires"), DST, ids=[f"{r[0]}@{r[1]}" for r in DST]
)
def test_extensions_keep_the_dst_rules(cron: str, zone: str, after: str, fires: list[str]) -> None:
    schedule = parse_cron(cron, zone)
    assert schedule.upcoming(Z(after), len(fires)) == [Z(fire) for fire in fires]


DESCRIBED = [
    ("0 17 L * *", "At 17:00, on the last day of the month"),
    ("0 17 * * 5L", "At 17:00, on the last Friday of the month"),
    ("0 10 * * 1#1", "At 10:00, on the first Monday of the month"),
    ("0 10 * * 1#1,1#3", "At 10:00, on the first and third Monday of the month"),
    ("0 10 * * 0#1,5L", "At 10:00, on the first Sunday or the last Friday of the month"),
    ("0 9 * * 1,5L", "At 09:00, on Monday or the last Friday of the month"),
    ("0 9 L,15 * *", "At 09:00, on day 15 and the last day of the month"),
    ("0 9 15 * 5L", "At 09:00, on day 15 of the month, or on the last Friday of the month"),
    ("0 9 */2 * 5L", "At 09:00, every 2 days, only on the last Friday of the month"),
    ("0 9 L 1-3 *", "At 09:00, on the last day of the month, January through March"),
    ("0 9 */2 * 1", "At 09:00, every 2 days, only on Monday"),
]


@pytest.mark.parametrize(("cron", "text"), DESCRIBED, ids=[row[0] for row in DESCRIBED])
def test_descriptions(cron: str, text: str) -> None:
    assert parse_cron(cron, "UTC").describe() == text


def test_import_accepts_the_extensions() -> None:
    now = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    specs = ["0 17 L * *", "0 17 * * 5L", "0 10 * * 1#1,1#3", "last day of the month at 9am"]
    document = {
        "format": "cadence-tasks",
        "version": 1,
        "tasks": [
            {
                "name": f"task {number}",
                "kind": "cron",
                "spec": spec,
                "timezone": "Europe/Berlin",
                "payload": {"variants": [{"content": "hi"}]},
                "destinations": [{"type": "channel", "channel_id": "123"}],
            }
            for number, spec in enumerate(specs)
        ],
    }
    plan = plan_import(
        document,
        guild_id=1,
        actor_id=2,
        now=now,
        existing_names=[],
        replace=False,
        default_zone="UTC",
        min_interval_seconds=60,
        max_tasks=100,
    )
    assert plan.errors == []
    assert [task.spec for task in plan.tasks] == [*specs[:3], "0 9 L * *"]
