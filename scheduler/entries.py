"""One task entry (the `/schedule export` entry, which is also the web API's task input)
checked field by field and turned into a NewTask: what an import runs on each entry and the
web API on a POST or PATCH body. Discord-free: channels, permissions and mentions are
`discordside.checks.check_import_entry`'s, run on the result.

Every problem is collected with the field it concerns (`InvalidEntryError`), so a door can
list them all; the first one, in a fixed order, is what `/schedule import` shows."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from scheduler.errors import EntryProblem, EntryProblems, InvalidEntryError, ScheduleError
from scheduler.messages import (
    CONTENT_MAX,
    DESCRIPTION_MAX,
    EMBED_TOTAL_MAX,
    FOOTER_MAX,
    MAX_VARIANTS,
    TITLE_MAX,
    URL_MAX,
)
from scheduler.rules import (
    MAX_DESTINATIONS,
    MAX_RUNS,
    NAME_MAX,
    WEBHOOK_NAME_MAX,
    forbidden_webhook_name,
    is_http_url,
)
from scheduler.timezones import load_zone
from scheduler.triggers import parse_cron, parse_interval, schedule_from_spec
from storage import (
    CatchUp,
    ChannelDestination,
    Destination,
    Embed,
    Mentions,
    NewTask,
    Payload,
    Rotation,
    TaskKind,
    ThreadDestination,
    Variant,
    WebhookDestination,
)

__all__ = ["IMPORTED_MENTIONS", "EntryContext", "check_entry", "entry_name", "new_task_of"]

IMPORTED_MENTIONS = Mentions(users=True)
"""An imported task's approved mentions until the importer's rights are checked: members only."""
_EMBED_LIMITS = {
    "title": TITLE_MAX,
    "description": DESCRIPTION_MAX,
    "footer": FOOTER_MAX,
    "image_url": URL_MAX,
}
_MAX_YEARS_AHEAD = 100
_SNOWFLAKE = re.compile(r"[0-9]{1,19}")


def entry_name(entry: dict[str, Any]) -> str:
    name = entry.get("name")
    if not isinstance(name, str) or not " ".join(name.split()):
        raise ScheduleError("has no name")
    cleaned = " ".join(name.split())
    if len(cleaned) > NAME_MAX:
        raise ScheduleError(f"name is longer than {NAME_MAX} characters")
    return cleaned


def _instant(entry: dict[str, Any], key: str, now: datetime) -> datetime | None:
    value = entry.get(key)
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ScheduleError(f"{key} must be an ISO 8601 date-time string")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ScheduleError(f"{key} {value[:40]!r} is not an ISO 8601 date-time") from None
    if parsed.tzinfo is None:
        raise ScheduleError(f"{key} has no UTC offset")
    _check_range(parsed, key, now)
    return parsed


def _check_range(instant: datetime, what: str, now: datetime) -> None:
    """From 1970 to at most 100 years ahead, as `/schedule once` allows."""
    try:
        utc = instant.astimezone(UTC)
    except OverflowError:
        utc = None
    if utc is None or utc.year < 1970 or utc.year > now.year + _MAX_YEARS_AHEAD:
        raise ScheduleError(f"{what} is out of range (1970 to {_MAX_YEARS_AHEAD} years ahead)")


@dataclass(frozen=True, slots=True)
class EntryContext:
    """Where and when entries are checked: the guild, the member the tasks will belong to,
    the instant, the guild's zone for entries without one, and MIN_INTERVAL_SECONDS."""

    guild_id: int
    actor_id: int
    now: datetime
    default_zone: str
    min_interval_seconds: int


def check_entry(entry: Any, context: EntryContext) -> NewTask:
    """One task entry (an export entry: an import's, or the web API's POST body) as a
    NewTask, or `InvalidEntryError` listing every problem by field. Channels, permissions
    and mentions are discordside's checks (`check_import_entry`), run on the result."""
    if not isinstance(entry, dict):
        raise InvalidEntryError([EntryProblem("", "is not an object")])
    problems = EntryProblems()
    name = ""
    with problems.at("name"):
        name = entry_name(entry)
    try:
        new = new_task_of(entry, name or "?", context)
    except InvalidEntryError as exc:
        problems.items.extend(exc.problems)
    problems.raise_if_any()
    return new


def new_task_of(entry: dict[str, Any], name: str, context: EntryContext) -> NewTask:
    """Every field of an entry checked, in the order an import reports them; all problems
    are collected (`InvalidEntryError`), the first one is what an import shows."""
    now = context.now
    problems = EntryProblems()
    kind: TaskKind | None = None
    with problems.at("kind"):
        kind = TaskKind(str(entry.get("kind")))
    spec = entry.get("spec")
    if not isinstance(spec, str):
        problems.items.append(EntryProblem("spec", "has no spec"))
        spec = None
    stored_zone: str | None = None
    zone: str | None = None
    with problems.at("timezone"):
        zone_name = entry.get("timezone")
        stored_zone = load_zone(zone_name).key if zone_name else None
        zone = stored_zone or context.default_zone
    start_at = end_at = None
    with problems.at("start_at"):
        start_at = _instant(entry, "start_at", now)
    with problems.at("end_at"):
        end_at = _instant(entry, "end_at", now)
    if kind is not None and spec is not None and zone is not None and not problems:
        with problems.at("spec"):
            spec = _checked_spec(
                kind, spec, zone, start_at, end_at, now, context.min_interval_seconds
            )
    payload = None
    with problems.at("payload"):
        payload = _payload(entry.get("payload"))
    destinations: list[Destination] = []
    listed = entry.get("destinations")
    if not isinstance(listed, list) or not listed:
        problems.items.append(EntryProblem("destinations", "has no destination"))
    elif len(listed) > MAX_DESTINATIONS:
        problems.items.append(
            EntryProblem(
                "destinations", f"has {len(listed)} destinations; at most {MAX_DESTINATIONS}"
            )
        )
    else:
        for index, value in enumerate(listed):
            with problems.at(f"destinations[{index}]"):
                destinations.append(_destination(value))
    max_runs = entry.get("max_runs")
    if max_runs is not None and not (type(max_runs) is int and 1 <= max_runs <= MAX_RUNS):
        problems.items.append(
            EntryProblem("max_runs", f"max_runs must be a whole number from 1 to {MAX_RUNS:,}")
        )
    catch_up = CatchUp.ONCE
    with problems.at("catch_up"):
        catch_up = CatchUp(str(entry.get("catch_up") or "once"))
    problems.raise_if_any()
    assert kind is not None and isinstance(spec, str) and payload is not None
    return NewTask(
        name=name,
        kind=kind,
        spec=spec,
        created_at=now,
        guild_id=context.guild_id,
        created_by=context.actor_id,
        timezone=stored_zone,
        start_at=start_at if kind == TaskKind.INTERVAL else None,
        end_at=end_at,
        max_runs=max_runs,
        payload=payload,
        destinations=tuple(destinations),
        catch_up=catch_up,
    )


def _checked_spec(
    kind: TaskKind,
    spec: str,
    zone: str,
    start_at: datetime | None,
    end_at: datetime | None,
    now: datetime,
    min_interval_seconds: int,
) -> str:
    """The canonical spec, once it parses and has a run left in range."""
    if kind == TaskKind.CRON:
        spec = parse_cron(spec, zone, end=end_at).spec
    elif kind == TaskKind.INTERVAL:
        spec = parse_interval(spec, zone, anchor=now, min_seconds=min_interval_seconds).spec
    schedule = schedule_from_spec(
        str(kind), spec, zone, anchor=start_at or now, end=end_at, start=start_at
    )
    first = schedule.next_fire(None, now)
    if first is None:
        raise ScheduleError("has no run left in the future")
    _check_range(first, "its next run", now)
    return spec


def _payload(value: Any) -> Payload:
    """The messages and rotation; approved mentions are never read from a file (the cog
    approves them again for the member importing)."""
    if not isinstance(value, dict) or not value.get("variants"):
        raise ScheduleError("has no message (payload.variants)", field="variants")
    variants = value["variants"]
    if not isinstance(variants, list):
        raise ScheduleError("payload.variants must be a list of messages", field="variants")
    if len(variants) > MAX_VARIANTS:
        raise ScheduleError(
            f"has {len(variants)} message variants; at most {MAX_VARIANTS}", field="variants"
        )
    rotation = value.get("rotation") or "sequential"
    if rotation not in ("sequential", "random"):
        raise ScheduleError('payload.rotation must be "sequential" or "random"', field="rotation")
    problems = EntryProblems()
    checked: list[Variant] = []
    for index, variant in enumerate(variants):
        with problems.at(f"variants[{index}]"):
            checked.append(_variant(variant))
    problems.raise_if_any()
    return Payload(variants=tuple(checked), rotation=Rotation(rotation), mentions=IMPORTED_MENTIONS)


def _variant(value: Any) -> Variant:
    """One message as Cadence stores it, within Discord's limits."""
    if not isinstance(value, dict) or set(value) - {"content", "embed"}:
        raise ScheduleError("has a message variant that is not {content, embed}")
    content = value.get("content") or ""
    if not isinstance(content, str):
        raise ScheduleError("has a message whose content is not text", field="content")
    if len(content) > CONTENT_MAX:
        raise ScheduleError(f"has a message over {CONTENT_MAX} characters", field="content")
    try:
        embed = _embed(value.get("embed") or {})
    except ScheduleError as exc:
        raise ScheduleError(exc.message, field="embed") from None
    if not content.strip() and (embed is None or not embed.has_text):
        raise ScheduleError("has an empty message variant", field="content")
    return Variant(content=content, embed=embed)


def _embed(value: Any) -> Embed | None:
    if not isinstance(value, dict):
        raise ScheduleError("has an embed that is not an object")
    unknown = sorted(str(key)[:40] for key in set(value) - {*_EMBED_LIMITS, "color"})
    if unknown:
        raise ScheduleError(f"has an embed part Cadence does not make: {', '.join(unknown)}")
    out: dict[str, str] = {}
    for key, limit in _EMBED_LIMITS.items():
        text = value.get(key) or ""
        if not isinstance(text, str):
            raise ScheduleError(f"has an embed {key} that is not text")
        if len(text) > limit:
            raise ScheduleError(f"has an embed {key} over {limit} characters")
        out[key] = text
    total = sum(len(out[key]) for key in ("title", "description", "footer"))
    if total > EMBED_TOTAL_MAX:
        raise ScheduleError(f"has an embed of {total} characters; at most {EMBED_TOTAL_MAX}")
    if out["image_url"] and not is_http_url(out["image_url"]):
        raise ScheduleError("has an image URL that is not http:// or https:// (or has spaces)")
    colour = value.get("color")
    if colour is not None and (type(colour) is not int or not 0 <= colour <= 0xFFFFFF):
        raise ScheduleError("has an embed color that is not a number from 0 to 0xFFFFFF")
    if not any(out.values()) and colour is None:
        return None
    return Embed(
        title=out["title"],
        description=out["description"],
        footer=out["footer"],
        image_url=out["image_url"],
        color=colour,
    )


def _destination(value: Any) -> Destination:
    """A channel, thread or webhook target; webhook ids and tokens in a file are dropped."""
    if not isinstance(value, dict) or value.get("type") not in ("channel", "thread", "webhook"):
        raise ScheduleError("has a destination that is not a channel, thread or webhook")
    if value.get("channel_id") is None:
        raise ScheduleError("has a destination without channel_id", field="channel_id")
    channel_id = _snowflake(value["channel_id"], "channel_id")
    thread_id = (
        _snowflake(value["thread_id"], "thread_id") if value.get("thread_id") is not None else None
    )
    name: str | None = None
    avatar: str | None = None
    if value["type"] == "webhook":
        name = value.get("name")
        if name in (None, ""):
            name = None
        elif not isinstance(name, str) or len(name) > WEBHOOK_NAME_MAX:
            raise ScheduleError(
                "has a webhook name that is not text of 1-80 characters", field="name"
            )
        elif forbidden_webhook_name(name):
            raise ScheduleError("has a webhook name containing “discord” or “clyde”", field="name")
        avatar = value.get("avatar_url")
        if avatar in (None, ""):
            avatar = None
        elif not isinstance(avatar, str) or not is_http_url(avatar):
            raise ScheduleError(
                "has a webhook avatar URL that is not http:// or https://", field="avatar_url"
            )
    publish = value.get("publish", False)
    if not isinstance(publish, bool):
        raise ScheduleError("has a destination whose publish is not true or false", field="publish")
    if value["type"] == "webhook":
        return WebhookDestination(
            channel_id=channel_id, name=name, avatar_url=avatar, thread_id=thread_id
        )
    if thread_id is not None:
        return ThreadDestination(channel_id=channel_id, thread_id=thread_id)
    return ChannelDestination(channel_id=channel_id, publish=publish)


def _snowflake(value: Any, key: str) -> int:
    """A Discord id: a positive whole number, or its digits as a string."""
    if type(value) is int:
        number = value
    elif isinstance(value, str) and _SNOWFLAKE.fullmatch(value):
        number = int(value)
    else:
        raise ScheduleError(f"has a destination with a bad {key}", field=key)
    if not 0 < number < 2**63:
        raise ScheduleError(f"has a destination with a bad {key}", field=key)
    return number
