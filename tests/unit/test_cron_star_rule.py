"""cronie's rule for the two day fields, as a table of crontabs and the days they fire on.

A day field "is star" when its first character is ``*`` (``*``, ``*/2``, ``*,15``). If either
day field is star, a day must match both; only when neither is star does either suffice.
Expected days were worked out by hand from the calendar (1 June 2026 is a Monday).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from scheduler.schedules import parse_cron

# (crontab, fires counted from the day after this date at 00:00 UTC, the days of the first fires)
STAR_RULE = [
    # day of month starts with "*": odd days that are ALSO Mondays
    ("0 9 */2 * 1", "2026-06-01", ["2026-06-15", "2026-06-29", "2026-07-13", "2026-07-27"]),
    # weekday starts with "*": the 1st, only when it is a Sunday, Tuesday, Thursday or Saturday
    ("0 9 1 * */2", "2026-06-01", ["2026-08-01", "2026-09-01", "2026-10-01", "2026-11-01"]),
    # neither starts with "*": the 13th OR any Friday
    ("0 9 13 * 5", "2026-11-01", ["2026-11-06", "2026-11-13", "2026-11-20", "2026-11-27",
                                   "2026-12-04", "2026-12-11"]),
    ("0 9 1-7 * 1", "2026-06-20", ["2026-06-22", "2026-06-29", "2026-07-01", "2026-07-02",
                                    "2026-07-03", "2026-07-04"]),
    # "*/1" is every weekday but still star: the first seven days only
    ("0 9 1-7 * */1", "2026-06-20", ["2026-07-01", "2026-07-02", "2026-07-03", "2026-07-04",
                                      "2026-07-05", "2026-07-06", "2026-07-07", "2026-08-01"]),
    ("0 9 */1 * 1", "2026-06-01", ["2026-06-08", "2026-06-15", "2026-06-22"]),
    ("0 9 * * 7", "2026-06-01", ["2026-06-07", "2026-06-14", "2026-06-21"]),
    ("0 9 15 * 7", "2026-06-01", ["2026-06-07", "2026-06-14", "2026-06-15", "2026-06-21",
                                   "2026-06-28"]),
    # days 1, 11, 21, 31 that are Sundays
    ("0 9 */10 * 0", "2026-01-01", ["2026-01-11", "2026-02-01", "2026-03-01", "2026-05-31"]),
    ("0 9 1,15 * 1-5", "2026-08-14", ["2026-08-15", "2026-08-17", "2026-08-18", "2026-08-19"]),
    # a list that starts with "*" is star too (cronie looks at the first character only)
    ("0 9 */2,15 * 1", "2026-06-01", ["2026-06-15", "2026-06-29", "2026-07-13", "2026-07-27"]),
    ("0 9 *,15 * 5", "2026-06-01", ["2026-06-05", "2026-06-12", "2026-06-19"]),
    ("@weekly", "2026-06-01", ["2026-06-07", "2026-06-14", "2026-06-21"]),
    ("@monthly", "2026-06-01", ["2026-07-01", "2026-08-01", "2026-09-01"]),
    ("@yearly", "2026-06-01", ["2027-01-01", "2028-01-01"]),
    ("@daily", "2026-06-01", ["2026-06-02", "2026-06-03", "2026-06-04"]),
    ("0 9 * * sat,sun", "2026-06-01", ["2026-06-06", "2026-06-07", "2026-06-13", "2026-06-14"]),
    # a range with a step does not start with "*": days 2, 9, 16, 23, 30 OR Mondays
    ("0 9 2-30/7 * mon", "2026-06-01", ["2026-06-02", "2026-06-08", "2026-06-09", "2026-06-15",
                                         "2026-06-16", "2026-06-22", "2026-06-23"]),
    ("0 9 * * 5-7", "2026-06-01", ["2026-06-05", "2026-06-06", "2026-06-07", "2026-06-12"]),
    ("0 9 29 2 *", "2026-06-01", ["2028-02-29", "2032-02-29"]),
    # February 29 OR a Monday in February
    ("0 9 29 2 1", "2027-06-01", ["2028-02-07", "2028-02-14", "2028-02-21", "2028-02-28",
                                   "2028-02-29", "2029-02-05"]),
    # both star: February days 1, 4, 7, ... that are Sundays, Wednesdays or Saturdays
    ("0 9 */3 2 */3", "2026-06-01", ["2027-02-07", "2027-02-10", "2027-02-13", "2027-02-28",
                                      "2028-02-13", "2028-02-16"]),
    ("0 9 31 * */7", "2026-01-01", ["2026-05-31", "2027-01-31", "2027-10-31"]),
    ("0 9 1 1 7", "2026-06-01", ["2027-01-01", "2027-01-03", "2027-01-10", "2027-01-17",
                                  "2027-01-24", "2027-01-31"]),
]  # fmt: skip


@pytest.mark.parametrize(("cron", "after", "days"), STAR_RULE, ids=[row[0] for row in STAR_RULE])
def test_star_rule_fire_days(cron: str, after: str, days: list[str]) -> None:
    schedule = parse_cron(cron, "UTC")
    start = datetime.fromisoformat(after).replace(hour=23, minute=59, tzinfo=UTC)
    fires = schedule.upcoming(start, len(days))
    assert [fire.date().isoformat() for fire in fires] == days
    assert {fire.hour for fire in fires} == {9 if not cron.startswith("@") else 0}


def test_table_size() -> None:
    assert len(STAR_RULE) >= 20


@pytest.mark.parametrize(
    ("cron", "either"),
    [("0 9 1 * 1", True), ("0 9 */2 * 1", False), ("0 9 1 * */2", False), ("0 9 * * 1", False),
     ("0 9 1-31/2 * 1", True), ("0 9 1 * 0-6/2", True), ("0 9 *,1 * 1", False)],
)  # fmt: skip
def test_which_rule_applies(cron: str, either: bool) -> None:
    assert parse_cron(cron, "UTC").fields.day_or_weekday is either
