"""Where in an import document each problem is (`ImportProblem.field`), for the web API's
422 `errors`; the messages stay the ones `/schedule import` lists."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from scheduler.errors import ScheduleError
from scheduler.transfer import ENTRY_FIELDS, entry_field, export_entry, plan_import

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def entry(name: str, **changes: Any) -> dict[str, Any]:
    base = {
        "name": name,
        "kind": "cron",
        "spec": "0 9 * * *",
        "payload": {"variants": [{"content": "hi"}]},
        "destinations": [{"type": "channel", "channel_id": "42"}],
    }
    return {**base, **changes}


def fields(document: Any, *, existing: tuple[str, ...] = (), max_tasks: int = 10) -> list[str]:
    plan = plan_import(
        document,
        guild_id=1,
        actor_id=2,
        now=NOW,
        existing_names=list(existing),
        replace=False,
        default_zone="UTC",
        min_interval_seconds=60,
        max_tasks=max_tasks,
    )
    assert plan.errors == [p.message for p in plan.problems] and not plan.tasks
    return [p.field for p in plan.problems]


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ([], ["format"]),
        ({"format": "cadence-tasks", "version": 2}, ["version"]),
        ({"format": "cadence-tasks", "version": 1, "tasks": []}, ["tasks"]),
    ],
    ids=["not-an-export", "version", "no-tasks"],
)
def test_document_problems_name_their_key(document: Any, expected: list[str]) -> None:
    assert fields(document) == expected


def test_each_bad_entry_is_named_by_its_index_from_zero() -> None:
    tasks = [
        entry("fine"),
        "not an object",
        entry(""),
        entry("fine"),
        entry("taken"),
        entry("bad spec", spec="61 9 * * *"),
    ]
    document = {"format": "cadence-tasks", "version": 1, "tasks": tasks}
    assert fields(document, existing=("Taken",)) == [
        "tasks[1]",
        "tasks[2].name",
        "tasks[3].name",
        "tasks[4].name",
        "tasks[5].spec",
    ]


def test_too_many_tasks_is_about_the_whole_list() -> None:
    document = {"format": "cadence-tasks", "version": 1, "tasks": [entry("a"), entry("b")]}
    assert fields(document, max_tasks=1) == ["tasks"]


@pytest.mark.parametrize(
    ("part", "expected"),
    [(None, "tasks[3]"), ("", "tasks[3]"), ("spec", "tasks[3].spec"), ("[0]", "tasks[3][0]")],
)
def test_an_error_that_names_its_part_points_there(part: str | None, expected: str) -> None:
    assert entry_field(3, ScheduleError("wrong", field=part)) == expected


def test_an_exported_entry_has_exactly_the_fields_a_post_accepts() -> None:
    """`ENTRY_FIELDS` (what the API's POST and an import read) and `export_entry` (what an
    export and the API's task object write) are one list: a key added to one must be added to
    the other, or an exported task could not be posted back."""
    from tests.unit.test_engine_parts import make_task

    assert set(export_entry(make_task())) == ENTRY_FIELDS
