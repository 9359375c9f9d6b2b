"""Export a guild's tasks as JSON, and validate an import before anything is written.

Discord-free: channel and permission checks are the cog's; here every entry's shape, schedule,
zone, name and message limits are checked, and every problem is collected (not just the
first), so an admin can fix the whole file at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from scheduler.errors import ScheduleError
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
    Task,
    TaskKind,
    ThreadDestination,
    Variant,
    WebhookDestination,
)
from storage.payloads import encode_destination, encode_payload

FORMAT = "cadence-tasks"
VERSION = 1
MAX_FILE_BYTES = 1_000_000
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


@dataclass(slots=True)
class ImportPlan:
    """What an import would write, or why it cannot."""

    tasks: list[NewTask] = field(default_factory=list)
    replaces: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def export_tasks(tasks: Iterable[Task], *, guild_id: int, at: datetime) -> dict[str, Any]:
    """A JSON-ready document of the tasks (webhook tokens are never exported)."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "guild_id": str(guild_id),
        "exported_at": at.isoformat(),
        "tasks": [export_entry(task) for task in tasks],
    }


def export_entry(task: Task) -> dict[str, Any]:
    """One task as the export document (and the web API's task object) shows it."""
    destinations = []
    for dest in task.destinations:
        stored = encode_destination(dest)
        clean = {k: v for k, v in stored.items() if k not in ("webhook_id", "webhook_token")}
        for key in ("channel_id", "thread_id"):
            if key in clean:
                clean[key] = str(clean[key])
        destinations.append(clean)
    entry: dict[str, Any] = {
        "name": task.name,
        "kind": str(task.kind),
        "spec": task.spec,
        "timezone": task.timezone,
        "catch_up": str(task.catch_up),
        "status": str(task.status),
        "payload": encode_payload(task.payload),
        "destinations": destinations,
    }
    for key in ("start_at", "end_at"):
        value = getattr(task, key)
        entry[key] = value.isoformat() if value else None
    entry["max_runs"] = task.max_runs
    return entry


def plan_import(
    document: Any,
    *,
    guild_id: int,
    actor_id: int,
    now: datetime,
    existing_names: Sequence[str],
    replace: bool,
    default_zone: str,
    min_interval_seconds: int,
    max_tasks: int,
) -> ImportPlan:
    """Check every entry; the plan holds NewTasks only when nothing is wrong."""
    result = ImportPlan()
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        result.errors.append(
            'This is not a Cadence export: the file must be JSON with "format": '
            f'"{FORMAT}". Make one with /schedule export.'
        )
        return result
    if document.get("version") != VERSION:
        result.errors.append(
            f"Unsupported export version {document.get('version')!r}; "
            f"this Cadence reads version {VERSION}."
        )
        return result
    entries = document.get("tasks")
    if not isinstance(entries, list) or not entries:
        result.errors.append('The file has no tasks (a non-empty "tasks" list).')
        return result
    existing = {name.casefold() for name in existing_names}
    seen: set[str] = set()
    for number, entry in enumerate(entries, start=1):
        label = f"Entry {number}"
        try:
            if not isinstance(entry, dict):
                raise ScheduleError("is not an object")
            name = _name(entry)
            label = f"Entry {number} ({name})"
            if name.casefold() in seen:
                raise ScheduleError("repeats a name used earlier in the file")
            seen.add(name.casefold())
            if name.casefold() in existing:
                if not replace:
                    raise ScheduleError("a task with this name already exists (use replace:true)")
                result.replaces.append(name)
            result.tasks.append(
                _new_task(
                    entry,
                    name,
                    guild_id=guild_id,
                    actor_id=actor_id,
                    now=now,
                    default_zone=default_zone,
                    min_interval_seconds=min_interval_seconds,
                )
            )
        except ScheduleError as exc:
            result.errors.append(f"{label}: {exc.message}")
        except (TypeError, ValueError, KeyError, OverflowError) as exc:
            result.errors.append(f"{label}: malformed ({type(exc).__name__}: {str(exc)[:100]})")
    total = len(existing) - len(result.replaces) + len(result.tasks)
    if not result.errors and total > max_tasks:
        result.errors.append(
            f"Importing would make {total} tasks; this server may have at most {max_tasks}."
        )
    if result.errors:
        result.tasks.clear()
        result.replaces.clear()
    return result


def _name(entry: dict[str, Any]) -> str:
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


def _new_task(
    entry: dict[str, Any],
    name: str,
    *,
    guild_id: int,
    actor_id: int,
    now: datetime,
    default_zone: str,
    min_interval_seconds: int,
) -> NewTask:
    kind = TaskKind(str(entry.get("kind")))
    spec = entry.get("spec")
    if not isinstance(spec, str):
        raise ScheduleError("has no spec")
    zone_name = entry.get("timezone")
    stored_zone = load_zone(zone_name).key if zone_name else None
    zone = stored_zone or default_zone
    start_at, end_at = _instant(entry, "start_at", now), _instant(entry, "end_at", now)
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
    payload = _payload(entry.get("payload"))
    destinations = entry.get("destinations")
    if not isinstance(destinations, list) or not destinations:
        raise ScheduleError("has no destination")
    if len(destinations) > MAX_DESTINATIONS:
        raise ScheduleError(f"has {len(destinations)} destinations; at most {MAX_DESTINATIONS}")
    max_runs = entry.get("max_runs")
    if max_runs is not None and not (type(max_runs) is int and 1 <= max_runs <= MAX_RUNS):
        raise ScheduleError(f"max_runs must be a whole number from 1 to {MAX_RUNS:,}")
    return NewTask(
        name=name,
        kind=kind,
        spec=spec,
        created_at=now,
        guild_id=guild_id,
        created_by=actor_id,
        timezone=stored_zone,
        start_at=start_at if kind == TaskKind.INTERVAL else None,
        end_at=end_at,
        max_runs=max_runs,
        payload=payload,
        destinations=tuple(_destination(d) for d in destinations),
        catch_up=CatchUp(str(entry.get("catch_up") or "once")),
    )


def _payload(value: Any) -> Payload:
    """The messages and rotation; approved mentions are never read from a file (the cog
    approves them again for the member importing)."""
    if not isinstance(value, dict) or not value.get("variants"):
        raise ScheduleError("has no message (payload.variants)")
    variants = value["variants"]
    if not isinstance(variants, list):
        raise ScheduleError("payload.variants must be a list of messages")
    if len(variants) > MAX_VARIANTS:
        raise ScheduleError(f"has {len(variants)} message variants; at most {MAX_VARIANTS}")
    rotation = value.get("rotation") or "sequential"
    if rotation not in ("sequential", "random"):
        raise ScheduleError('payload.rotation must be "sequential" or "random"')
    return Payload(
        variants=tuple(_variant(variant) for variant in variants),
        rotation=Rotation(rotation),
        mentions=IMPORTED_MENTIONS,
    )


def _variant(value: Any) -> Variant:
    """One message as Cadence stores it, within Discord's limits."""
    if not isinstance(value, dict) or set(value) - {"content", "embed"}:
        raise ScheduleError("has a message variant that is not {content, embed}")
    content = value.get("content") or ""
    if not isinstance(content, str):
        raise ScheduleError("has a message whose content is not text")
    if len(content) > CONTENT_MAX:
        raise ScheduleError(f"has a message over {CONTENT_MAX} characters")
    embed = _embed(value.get("embed") or {})
    if not content.strip() and (embed is None or not embed.has_text):
        raise ScheduleError("has an empty message variant")
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
        raise ScheduleError("has a destination without channel_id")
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
            raise ScheduleError("has a webhook name that is not text of 1-80 characters")
        elif forbidden_webhook_name(name):
            raise ScheduleError("has a webhook name containing “discord” or “clyde”")
        avatar = value.get("avatar_url")
        if avatar in (None, ""):
            avatar = None
        elif not isinstance(avatar, str) or not is_http_url(avatar):
            raise ScheduleError("has a webhook avatar URL that is not http:// or https://")
    publish = value.get("publish", False)
    if not isinstance(publish, bool):
        raise ScheduleError("has a destination whose publish is not true or false")
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
        raise ScheduleError(f"has a destination with a bad {key}")
    if not 0 < number < 2**63:
        raise ScheduleError(f"has a destination with a bad {key}")
    return number
