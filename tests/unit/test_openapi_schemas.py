"""The document's `TaskInput` says what `scheduler.transfer` checks: the keys it requires are
the ones an entry cannot go without, every optional key may be left out or sent null, and the
limits it states are the ones an import enforces at their edge."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import jsonschema_rs
import pytest

from scheduler.transfer import FORMAT, VERSION, plan_import
from web.openapi_schemas import SCHEMAS

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
TASK_INPUT = SCHEMAS["TaskInput"]
ENTRY: dict[str, Any] = {
    "name": "standup",
    "kind": "cron",
    "spec": "0 9 * * 1-5",
    "timezone": "Europe/Paris",
    "catch_up": "once",
    "payload": {"variants": [{"content": "Standup!"}], "rotation": "sequential"},
    "destinations": [{"type": "channel", "channel_id": "123456789012345678"}],
    "start_at": None,
    "end_at": "2030-01-01T00:00:00Z",
    "max_runs": 10,
}


def imports(entry: dict[str, Any]) -> bool:
    """Whether `/schedule import` (and the API) would take this one entry."""
    plan = plan_import(
        {"format": FORMAT, "version": VERSION, "tasks": [entry]},
        guild_id=1,
        actor_id=2,
        now=NOW,
        existing_names=[],
        replace=False,
        default_zone="UTC",
        min_interval_seconds=60,
        max_tasks=100,
    )
    return plan.ok


def documented(entry: dict[str, Any]) -> bool:
    return jsonschema_rs.Draft202012Validator(TASK_INPUT).is_valid(entry)


def test_the_full_entry_is_valid_both_ways() -> None:
    assert imports(ENTRY) and documented(ENTRY)


@pytest.mark.parametrize("key", sorted(ENTRY))
def test_a_key_is_required_in_the_document_exactly_when_transfer_requires_it(key: str) -> None:
    without = {k: v for k, v in ENTRY.items() if k != key}
    required = key in TASK_INPUT["required"]
    assert imports(without) is not required
    assert documented(without) is not required
    if not required:
        assert imports(dict(ENTRY, **{key: None})) and documented(dict(ENTRY, **{key: None}))


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("name",), "x" * 101),
        (("max_runs",), 0),
        (("max_runs",), 1_000_001),
        (("payload", "variants"), []),
        (("payload", "variants"), [{"content": "a"}] * 21),
        (("payload", "variants", 0, "content"), "x" * 2001),
        (("payload", "variants", 0, "embed"), {"title": "x" * 257}),
        (("payload", "variants", 0, "embed"), {"color": 0x1000000}),
        (("payload", "variants", 0, "embed"), {"fields": []}),
        (("payload", "variants", 0, "loud"), True),
        (("payload", "rotation"), "shuffled"),
        (("destinations",), []),
        (("destinations",), [ENTRY["destinations"][0]] * 11),
        (("destinations", 0, "type"), "carrier pigeon"),
        (("destinations", 0, "channel_id"), "12ab"),
        (("destinations", 0, "publish"), "yes"),
        (("kind",), "weekly"),
        (("catch_up",), "some"),
    ],
)
def test_a_limit_the_document_states_is_one_transfer_enforces(
    path: tuple[Any, ...], value: Any
) -> None:
    entry = copy.deepcopy(ENTRY)
    node: Any = entry
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    assert not documented(entry)
    assert not imports(entry)
