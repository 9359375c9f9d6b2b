"""The import planner against random documents (issue 8, item 8): `plan_import` never raises,
every refusal lists its problems and plans nothing, and nothing it accepts is invalid, judged by
checks written here independently of the planner."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from scheduler.errors import ScheduleError
from scheduler.timezones import load_zone
from scheduler.transfer import ImportPlan, plan_import
from scheduler.triggers import schedule_from_spec
from storage import CatchUp, NewTask, TaskKind
from tests.fuzz_strategies import import_documents, json_values
from tests.stored import destinations_json, payload_json

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
GUILD = 1234
ACTOR = 42
CHANNELS = [111111111111111111, 222222222222222222]
THREADS = [333333333333333333]
EXISTING = ["standup", "Äpfel"]
MAX_TASKS = 6
# More for a long hunt: CADENCE_FUZZ_EXAMPLES=20000 pytest tests/unit/test_import_fuzz.py
EXAMPLES = int(os.environ.get("CADENCE_FUZZ_EXAMPLES", "400"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def plan(document: Any, *, replace: bool = False, existing: list[str] | None = None) -> ImportPlan:
    """`plan_import` as the cog calls it; any exception fails the test."""
    # A document goes through JSON on its way in, as the uploaded file does.
    document = json.loads(json.dumps(document))
    return plan_import(
        document,
        guild_id=GUILD,
        actor_id=ACTOR,
        now=NOW,
        existing_names=EXISTING if existing is None else existing,
        replace=replace,
        default_zone="Europe/Berlin",
        min_interval_seconds=60,
        max_tasks=MAX_TASKS,
    )


def is_id(value: Any) -> bool:
    return type(value) is int and 0 < value < 2**64


def assert_message(variant: Any) -> None:
    """What Discord and Cadence accept as one message variant."""
    assert isinstance(variant, dict), variant
    assert set(variant) <= {"content", "embed"}, variant
    content = variant.get("content", "")
    assert isinstance(content, str) and len(content) <= 2000
    embed = variant.get("embed") or {}
    assert isinstance(embed, dict), embed
    assert set(embed) <= {"title", "description", "footer", "image_url", "color"}, embed
    limits = {"title": 256, "description": 4096, "footer": 2048, "image_url": 2000}
    for key, limit in limits.items():
        value = embed.get(key, "")
        assert isinstance(value, str) and len(value) <= limit, (key, value)
    total = sum(len(embed.get(key, "")) for key in ("title", "description", "footer"))
    assert total <= 6000
    if embed.get("image_url"):
        assert re.fullmatch(r"https?://\S+", embed["image_url"]), embed
    colour = embed.get("color")
    assert colour is None or (type(colour) is int and 0 <= colour <= 0xFFFFFF), colour
    shown = any(embed.get(key) for key in ("title", "description", "footer", "image_url"))
    assert content.strip() or shown, variant


def assert_destination(destination: Any) -> None:
    assert isinstance(destination, dict), destination
    assert destination.get("type") in ("channel", "thread", "webhook"), destination
    assert is_id(destination.get("channel_id")), destination
    if "thread_id" in destination:
        assert is_id(destination["thread_id"]), destination
    # Webhook credentials never come from a file: the bot makes its own webhook.
    assert "webhook_id" not in destination and "webhook_token" not in destination
    if "name" in destination:
        name = destination["name"]
        assert isinstance(name, str) and 1 <= len(name) <= 80, destination
        assert "discord" not in name.lower() and "clyde" not in name.lower()
    if "avatar_url" in destination:
        assert re.fullmatch(r"https?://\S+", str(destination["avatar_url"])), destination
    assert isinstance(destination.get("publish", False), bool), destination


def assert_sound(new: NewTask) -> None:
    """An accepted entry is a task Cadence could have made itself."""
    assert isinstance(new.name, str) and 1 <= len(new.name) <= 100
    assert new.name == " ".join(new.name.split())
    assert (new.guild_id, new.created_by, new.created_at) == (GUILD, ACTOR, NOW)
    assert isinstance(new.kind, TaskKind) and isinstance(new.catch_up, CatchUp)
    if new.timezone is not None:
        assert load_zone(new.timezone).key == new.timezone
    for instant in (new.start_at, new.end_at):
        assert instant is None or instant.utcoffset() is not None
    assert new.max_runs is None or (type(new.max_runs) is int and 1 <= new.max_runs <= 1_000_000)
    schedule = schedule_from_spec(
        str(new.kind),
        new.spec,
        new.timezone or "Europe/Berlin",
        anchor=new.start_at or NOW,
        end=new.end_at,
        start=new.start_at,
    )
    assert schedule.next_fire(None, NOW) is not None
    payload = payload_json(new)
    assert set(payload) <= {"variants", "rotation", "mentions"}, payload
    assert isinstance(payload["variants"], list) and 1 <= len(payload["variants"]) <= 20
    for variant in payload["variants"]:
        assert_message(variant)
    assert payload.get("rotation", "sequential") in ("sequential", "random")
    # A file's claim about approved mentions is never trusted: the importer's rights decide.
    assert payload.get("mentions", {}).get("everyone", False) is False
    assert payload.get("mentions", {}).get("roles", []) == []
    assert isinstance(new.destinations, tuple) and 1 <= len(new.destinations) <= 10
    for destination in destinations_json(new):
        assert_destination(destination)


def assert_contract(result: ImportPlan, document: Any, *, replace: bool) -> None:
    assert isinstance(result, ImportPlan)
    if result.errors:
        event("refused")
        assert result.tasks == [] and result.replaces == []
        assert all(isinstance(e, str) and e.strip() for e in result.errors)
        return
    event("accepted")
    entries = document["tasks"]
    assert len(result.tasks) == len(entries) >= 1
    assert len({t.name.casefold() for t in result.tasks}) == len(result.tasks)
    existing = {name.casefold() for name in EXISTING}
    clashes = [t.name for t in result.tasks if t.name.casefold() in existing]
    assert clashes == [] or replace
    assert sorted(result.replaces) == sorted(clashes)
    assert len(EXISTING) - len(result.replaces) + len(result.tasks) <= MAX_TASKS
    for new in result.tasks:
        assert_sound(new)


@FUZZ
@given(
    import_documents(channel_ids=CHANNELS, thread_ids=THREADS, names=["standup", "water", "x"]),
    st.booleans(),
)
def test_any_export_shaped_document(document: Any, replace: bool) -> None:
    result = plan(document, replace=replace)
    assert_contract(result, json.loads(json.dumps(document)), replace=replace)


@settings(max_examples=EXAMPLES // 2, deadline=None)
@given(json_values)
def test_any_json_at_all(document: Any) -> None:
    result = plan(document)
    assert result.errors and result.tasks == []


@settings(max_examples=EXAMPLES // 2, deadline=None)
@given(st.lists(json_values, min_size=1, max_size=4))
def test_any_json_as_the_task_list(entries: list[Any]) -> None:
    document = {"format": "cadence-tasks", "version": 1, "tasks": entries}
    result = plan(document)
    assert_contract(result, json.loads(json.dumps(document)), replace=False)


def good_entry(**changes: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": "morning",
        "kind": "cron",
        "spec": "0 9 * * 1-5",
        "timezone": "Europe/Berlin",
        "catch_up": "once",
        "status": "active",
        "payload": {
            "variants": [{"content": "Stand-up!"}],
            "rotation": "sequential",
            "mentions": {"everyone": False, "roles": [], "users": True},
        },
        "destinations": [{"type": "channel", "channel_id": str(CHANNELS[0])}],
        "start_at": None,
        "end_at": None,
        "max_runs": None,
    }
    entry.update(changes)
    return entry


def document_of(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"format": "cadence-tasks", "version": 1, "tasks": list(entries)}


def test_a_good_entry_is_accepted() -> None:
    result = plan(document_of(good_entry()))
    assert result.errors == []
    [new] = result.tasks
    assert_sound(new)


# Found by the fuzz test above: each of these raised out of the planner, or was accepted and
# would only fail later (at import time, or at every run).
REFUSED = {
    "embed is a string": good_entry(payload={"variants": [{"embed": "hi"}]}),
    "embed is a list": good_entry(payload={"variants": [{"embed": ["hi"]}]}),
    "content is a number": good_entry(payload={"variants": [{"content": 5}]}),
    "title is a number": good_entry(payload={"variants": [{"embed": {"title": 7}}]}),
    "title too long": good_entry(payload={"variants": [{"embed": {"title": "t" * 257}}]}),
    "description too long": good_entry(
        payload={"variants": [{"embed": {"description": "d" * 4097}}]}
    ),
    "embed over 6000": good_entry(
        payload={
            "variants": [
                {"embed": {"title": "t" * 256, "description": "d" * 4096, "footer": "f" * 2000}}
            ]
        }
    ),
    "colour out of range": good_entry(
        payload={"variants": [{"embed": {"title": "t", "color": 0x1000000}}]}
    ),
    "colour is not a number": good_entry(
        payload={"variants": [{"embed": {"title": "t", "color": "red"}}]}
    ),
    "only a colour": good_entry(payload={"variants": [{"embed": {"color": 5}}]}),
    "blank content": good_entry(payload={"variants": [{"content": "   "}]}),
    "bad image url": good_entry(
        payload={"variants": [{"embed": {"title": "t", "image_url": "ftp://x"}}]}
    ),
    "embed fields": good_entry(
        payload={"variants": [{"embed": {"title": "t", "fields": [{"name": 1}]}}]}
    ),
    "21 variants": good_entry(payload={"variants": [{"content": "x"}] * 21}),
    "unknown rotation": good_entry(payload={"variants": [{"content": "x"}], "rotation": "up"}),
    "max_runs true": good_entry(max_runs=True),
    "max_runs huge": good_entry(max_runs=10**30),
    "max_runs float": good_entry(max_runs=2.0),
    "channel id true": good_entry(destinations=[{"type": "channel", "channel_id": True}]),
    "channel id float": good_entry(destinations=[{"type": "channel", "channel_id": 1.5}]),
    "channel id negative": good_entry(destinations=[{"type": "channel", "channel_id": "-5"}]),
    "channel id huge": good_entry(destinations=[{"type": "channel", "channel_id": 10**30}]),
    "eleven destinations": good_entry(
        destinations=[{"type": "channel", "channel_id": str(CHANNELS[0])}] * 11
    ),
    "webhook name with discord": good_entry(
        destinations=[{"type": "webhook", "channel_id": CHANNELS[0], "name": "discord bot"}]
    ),
    "webhook avatar not a url": good_entry(
        destinations=[{"type": "webhook", "channel_id": CHANNELS[0], "avatar_url": "x"}]
    ),
    "publish not a bool": good_entry(
        destinations=[{"type": "channel", "channel_id": CHANNELS[0], "publish": "yes"}]
    ),
    "start at the end of time": good_entry(
        kind="interval", spec="1d", start_at="9999-12-31T23:59:59+00:00"
    ),
    "start before the start of time": good_entry(
        kind="interval", spec="1d", start_at="0001-01-01T00:00:00+01:00"
    ),
    "end before the start of time": good_entry(end_at="0001-01-01T00:00:00+01:00"),
    "timezone is a number": good_entry(timezone=5),
}


def test_entries_that_must_be_refused() -> None:
    for label, entry in REFUSED.items():
        result = plan(document_of(entry))
        assert result.errors and result.tasks == [], label


def test_file_mentions_and_webhook_credentials_are_not_taken_from_the_file() -> None:
    entry = good_entry(
        payload={
            "variants": [{"content": "@everyone hi"}],
            "mentions": {"everyone": True, "roles": [555], "users": True},
        },
        destinations=[
            {
                "type": "webhook",
                "channel_id": str(CHANNELS[0]),
                "name": "News",
                "webhook_id": "999",
                "webhook_token": "stolen",
            },
            {"type": "channel", "channel_id": str(CHANNELS[1]), "webhook_token": "stolen"},
        ],
    )
    [new] = plan(document_of(entry)).tasks
    assert payload_json(new)["mentions"] == {"everyone": False, "roles": [], "users": True}
    odd = good_entry(payload={"variants": [{"content": "x"}], "mentions": "all"})
    [plain] = plan(document_of(odd)).tasks
    assert payload_json(plain)["mentions"] == {"everyone": False, "roles": [], "users": True}
    assert all("webhook_token" not in d and "webhook_id" not in d for d in destinations_json(new))
    assert destinations_json(new)[0] == {
        "type": "webhook",
        "channel_id": CHANNELS[0],
        "name": "News",
    }


def test_problems_are_listed_per_entry() -> None:
    result = plan(document_of(REFUSED["embed is a string"], good_entry(name="b", max_runs=True)))
    assert len(result.errors) == 2
    assert result.errors[0].startswith("Entry 1 (morning): ")
    assert result.errors[1].startswith("Entry 2 (b): ")


def test_schedule_errors_stay_schedule_errors() -> None:
    """The planner reports; it never raises ScheduleError (or anything else) itself."""
    try:
        plan(document_of(good_entry(spec="61 9 * * *")))
    except ScheduleError as exc:  # pragma: no cover - the assertion below explains
        raise AssertionError(f"plan_import raised {exc!r}") from exc
