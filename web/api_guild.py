"""`/api/v1/guilds/{guild_id}/channels|summary|status`: a guild as the bot sees it, read-only.

- `channels`: where a task may post (text and announcement channels, their active threads
  and forum posts), as the bot's guild cache has them, each with `missing`: what the bot
  lacks there, by the same rule the slash commands apply (`discordside.checks`).
- `summary`: the daily overview's `JobSummary` as JSON.
- `status`: what `/scheduler status` shows, from the same gathered `GuildStatus`. Reading it
  over HTTP does not mark the notices read; only the slash command does, once it shows them.

The settings (`…/settings`) are in `web.api_settings`."""

from __future__ import annotations

import math
from typing import Any

import discord
from aiohttp import web

from discordside.checks import Postable, missing_permissions
from scheduler.api import guild_summary, overview_title
from scheduler.services import Services
from scheduler.status import GuildStatus, gather_status
from scheduler.summary import JobSummary
from web.api_tasks import iso, path_id
from web.auth import ApiAuth, not_found_guild

__all__ = ["OPENAPI_PATHS", "GuildRoutes", "channel_object", "status_object", "summary_object"]

BASE = "/api/v1/guilds/{guild_id}"


class GuildRoutes:
    """Handlers for a guild's channels, overview and status."""

    def __init__(self, services: Services, client: discord.Client, auth: ApiAuth) -> None:
        self._services = services
        self._client = client
        self._auth = auth

    def add_to(self, app: web.Application) -> None:
        app.router.add_get(f"{BASE}/channels", self.channels)
        app.router.add_get(f"{BASE}/summary", self.summary)
        app.router.add_get(f"{BASE}/status", self.status)

    async def channels(self, request: web.Request) -> web.Response:
        guild = await self._guild(request)
        items = [channel_object(guild, channel) for channel in postable_channels(guild)]
        return web.json_response({"items": items, "next_cursor": None})

    async def summary(self, request: web.Request) -> web.Response:
        guild = await self._guild(request)
        services = self._services
        summary = await guild_summary(
            services.repositories.tasks,
            services.zones,
            services.clock.now(),
            guild.id,
            title=overview_title(guild.name),
        )
        return web.json_response(summary_object(summary))

    async def status(self, request: web.Request) -> web.Response:
        guild = await self._guild(request)
        client = self._client
        status = await gather_status(
            self._services,
            guild.id,
            now=self._services.clock.now(),
            # CadenceBot carries its version; web/ may not import cogs/ to ask it by type.
            version=str(getattr(client, "version", "unknown")),
            latency=client.latency,
        )
        return web.json_response(status_object(status))

    async def _guild(self, request: web.Request) -> discord.Guild:
        guild_id = path_id(request, "guild_id")
        await self._auth.authorize(request, guild_id, write=False)
        guild = self._client.get_guild(guild_id)
        if guild is None:
            raise not_found_guild()
        return guild


def postable_channels(guild: discord.Guild) -> list[Postable]:
    """Text and announcement channels by position, each followed by its active threads;
    then active threads of other parents (forum posts), by id."""
    channels = sorted(guild.text_channels, key=lambda c: (c.position, c.id))
    threads = sorted((t for t in guild.threads if not t.archived), key=lambda t: t.id)
    listed = {channel.id for channel in channels}
    out: list[Postable] = []
    for channel in channels:
        out.append(channel)
        out.extend(t for t in threads if t.parent_id == channel.id)
    out.extend(t for t in threads if t.parent_id not in listed)
    return out


def channel_object(guild: discord.Guild, channel: Postable) -> dict[str, Any]:
    thread = channel if isinstance(channel, discord.Thread) else None
    return {
        "id": str(channel.id),
        "name": channel.name,
        "type": str(channel.type),
        "parent_id": str(thread.parent_id) if thread is not None else None,
        "position": channel.position if isinstance(channel, discord.TextChannel) else None,
        "missing": missing_permissions(guild, channel, embed=True, webhooks=True),
    }


def summary_object(summary: JobSummary) -> dict[str, Any]:
    return {
        "title": summary.title,
        "generated_at": iso(summary.generated_at),
        "total": summary.total,
        "counts_by_status": dict(summary.counts_by_status),
        "sections": [
            {
                "kind": section.lines[0].kind.value,
                "title": section.title,
                "tasks": [
                    {
                        "id": str(line.task_id),
                        "name": line.name,
                        "schedule": line.schedule_text,
                        "next_run_at": iso(line.next_run_at),
                        "status": line.status,
                        "zone": line.zone,
                    }
                    for line in section.lines
                ],
            }
            for section in summary.sections
        ],
    }


def status_object(status: GuildStatus) -> dict[str, Any]:
    first = status.next_task
    uptime = status.uptime
    return {
        "version": status.version,
        "now": iso(status.now),
        "started_at": iso(status.started_at),
        "uptime_seconds": None if uptime is None else max(0, int(uptime.total_seconds())),
        "tasks": {str(name): count for name, count in status.task_counts.items()},
        "next_run": None
        if first is None
        else {"task_id": str(first.id), "name": first.name, "at": iso(first.next_run_at)},
        "runs_last_24h": {
            "since": iso(status.runs_since),
            "counts": {str(name): count for name, count in status.run_counts.items()},
        },
        "latency_ms": round(status.latency * 1000, 1) if math.isfinite(status.latency) else None,
        "database_bytes": status.database_bytes,
        "dev_channel_id": None if status.dev_channel_id is None else str(status.dev_channel_id),
        "notices": {
            "unread": status.unread_total,
            "items": [
                {
                    "id": str(notice.id),
                    "level": str(notice.level),
                    "kind": notice.kind,
                    "title": notice.title,
                    "body": notice.body,
                    "created_at": iso(notice.created_at),
                }
                for notice in status.unread
            ],
        },
    }


def _get(operation_id: str, summary: str, description: str, schema: dict[str, Any]) -> Any:
    """A read operation on one guild: its answer, and the errors every such read shares."""
    return {
        "get": {
            "operationId": operation_id,
            "summary": summary,
            "description": description,
            "tags": ["Guild"],
            "parameters": [{"$ref": "#/components/parameters/GuildId"}],
            "responses": {
                "200": {
                    "description": summary,
                    "content": {"application/json": {"schema": schema}},
                },
                **{
                    code: {"$ref": f"#/components/responses/{name}"}
                    for code, name in (
                        ("401", "Unauthorized"),
                        ("403", "Forbidden"),
                        ("404", "NotFound"),
                        ("429", "TooManyRequests"),
                        ("503", "ServiceUnavailable"),
                    )
                },
            },
        }
    }


_ID = {"type": "string", "pattern": "^[0-9]+$"}
_NULLABLE_ID = {"type": ["string", "null"], "pattern": "^[0-9]+$"}
_INSTANT = {"type": "string", "format": "date-time"}
_NULLABLE_INSTANT = {"type": ["string", "null"], "format": "date-time"}
_COUNTS = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}}
_PERMISSION = {
    "type": "string",
    "enum": [
        "view_channel",
        "send_messages",
        "send_messages_in_threads",
        "embed_links",
        "manage_webhooks",
    ],
}
CHANNEL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "name", "type", "parent_id", "position", "missing"],
    "properties": {
        "id": _ID,
        "name": {"type": "string"},
        "type": {
            "type": "string",
            "enum": ["text", "news", "public_thread", "private_thread", "news_thread"],
        },
        "parent_id": _NULLABLE_ID,
        "position": {"type": ["integer", "null"]},
        "missing": {"type": "array", "items": _PERMISSION},
    },
}
SUMMARY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["title", "generated_at", "total", "counts_by_status", "sections"],
    "properties": {
        "title": {"type": "string"},
        "generated_at": _INSTANT,
        "total": {"type": "integer", "minimum": 0},
        "counts_by_status": _COUNTS,
        "sections": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["kind", "title", "tasks"],
                "properties": {
                    "kind": {"type": "string", "enum": ["cron", "date", "interval"]},
                    "title": {"type": "string"},
                    "tasks": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["id", "name", "schedule", "next_run_at", "status"],
                            "properties": {
                                "id": _ID,
                                "name": {"type": "string"},
                                "schedule": {"type": "string"},
                                "next_run_at": _NULLABLE_INSTANT,
                                "status": {"type": "string"},
                                "zone": {"type": "string"},
                            },
                        },
                    },
                },
            },
        },
    },
}
STATUS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["version", "now", "started_at", "tasks", "runs_last_24h", "notices"],
    "properties": {
        "version": {"type": "string"},
        "now": _INSTANT,
        "started_at": _NULLABLE_INSTANT,
        "uptime_seconds": {"type": ["integer", "null"], "minimum": 0},
        "tasks": _COUNTS,
        "next_run": {
            "type": ["object", "null"],
            "properties": {"task_id": _ID, "name": {"type": "string"}, "at": _INSTANT},
        },
        "runs_last_24h": {
            "type": "object",
            "properties": {"since": _INSTANT, "counts": _COUNTS},
        },
        "latency_ms": {"type": ["number", "null"]},
        "database_bytes": {"type": "integer", "minimum": 0},
        "dev_channel_id": _NULLABLE_ID,
        "notices": {
            "type": "object",
            "properties": {
                "unread": {"type": "integer", "minimum": 0},
                "items": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "id": _ID,
                            "level": {"type": "string"},
                            "kind": {"type": "string"},
                            "title": {"type": "string"},
                            "body": {"type": "string"},
                            "created_at": _INSTANT,
                        },
                    },
                },
            },
        },
    },
}

OPENAPI_PATHS: dict[str, dict[str, Any]] = {
    f"{BASE}/channels": _get(
        "listChannels",
        "Where a task may post",
        "Text and announcement channels and their active threads, as the bot sees them; "
        "`missing` lists what the bot lacks there (empty: it may post embeds and use "
        "webhooks). The whole list is one page: `next_cursor` is always null.",
        {
            "type": "object",
            "required": ["items", "next_cursor"],
            "properties": {
                "items": {"type": "array", "items": CHANNEL_SCHEMA},
                "next_cursor": {"type": "null"},
            },
        },
    ),
    f"{BASE}/summary": _get(
        "getSummary",
        "The overview of the guild's tasks",
        "The daily overview's data: tasks grouped by kind (cron, date, interval), sorted as "
        "the overview shows them, with counts by status.",
        SUMMARY_SCHEMA,
    ),
    f"{BASE}/status": _get(
        "getStatus",
        "What /scheduler status shows",
        "Version, uptime, tasks by status, runs in the last 24 hours, the next run, unread "
        "notices, latency and database size. Unlike the slash command, reading this does "
        "not mark the notices read.",
        STATUS_SCHEMA,
    ),
}
