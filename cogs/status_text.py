"""`/scheduler status` rendered: the status embed and the notices embed, from the
`scheduler.status.GuildStatus` the web API's status route renders as JSON."""

from __future__ import annotations

import math
from datetime import timedelta

import discord

from cogs.common import INFO_COLOUR, WARN_COLOUR
from scheduler.status import GuildStatus
from scheduler.summary import escape_markdown
from storage import Notice, NoticeLevel, RunStatus, TaskStatus

__all__ = [
    "duration_text",
    "latency_text",
    "notices_embed",
    "runs_text",
    "size_text",
    "status_embed",
]

LEVEL_MARKS = {
    NoticeLevel.ERROR: "🔴 error",
    NoticeLevel.WARNING: "🟠 warning",
    NoticeLevel.INFO: "🔵 info",
    NoticeLevel.OK: "🟢 ok",
}
STATUS_MARKS = {
    TaskStatus.ACTIVE: "▶ active",
    TaskStatus.PAUSED: "⏸ paused",
    TaskStatus.COMPLETED: "✓ completed",
    TaskStatus.FAILED: "✖ failed",
}


def status_embed(status: GuildStatus) -> discord.Embed:
    """Version, uptime, the guild's tasks and runs, latency and database size."""
    embed = discord.Embed(title="Cadence status", colour=INFO_COLOUR)
    embed.description = f"Version **{status.version}**"
    started = status.started_at
    embed.add_field(
        name="Uptime",
        value=f"{duration_text(status.now - started)} (since <t:{int(started.timestamp())}:f>)"
        if started
        else "not started",
        inline=False,
    )
    counts = status.task_counts
    embed.add_field(
        name="Tasks in this server",
        value=" · ".join(f"{label} **{counts.get(s, 0)}**" for s, label in STATUS_MARKS.items()),
        inline=False,
    )
    first = status.next_task
    if first is not None and first.next_run_at is not None:
        unix = int(first.next_run_at.timestamp())
        next_text = f"<t:{unix}:F> (<t:{unix}:R>): **{escape_markdown(first.name)}**"
    else:
        next_text = "nothing scheduled"
    embed.add_field(name="Next run", value=next_text[:1024], inline=False)
    embed.add_field(name="Last 24 hours", value=runs_text(status.run_counts), inline=False)
    embed.add_field(name="Gateway latency", value=latency_text(status.latency))
    embed.add_field(name="Database", value=size_text(status.database_bytes))
    return embed


def notices_embed(unread: list[Notice], total: int, *, has_dev_channel: bool) -> discord.Embed:
    """The guild's unread notices, newest first (shown once, then marked read)."""
    if not unread:
        return discord.Embed(
            title="Notices",
            colour=INFO_COLOUR,
            description=(
                "No unread notices. Without a dev channel, failures and reports wait here; "
                "set one with `/scheduler config dev_channel:` to get them as they happen."
            ),
        )
    lines = []
    for notice in unread:
        body = " ".join(notice.body.split())
        if len(body) > 200:
            body = body[:199] + "…"
        lines.append(
            f"{LEVEL_MARKS.get(notice.level, notice.level)} · "
            f"<t:{int(notice.created_at.timestamp())}:f> · **{notice.title[:150]}**"
            + (f"\n{body}" if body else "")
        )
    more = total - len(unread)
    if more > 0:
        lines.append(f"… and {more} more: run /scheduler status again to see them.")
    if not has_dev_channel:
        lines.append("These are now marked read. Set a dev channel to get them as they happen.")
    return discord.Embed(
        title=f"Unread notices ({total})", colour=WARN_COLOUR, description="\n".join(lines)[:4096]
    )


def runs_text(counts: dict[str, int]) -> str:
    attempted = sum(counts.get(s, 0) for s in ("ok", "failed", "unknown", "running"))
    failures = counts.get(RunStatus.FAILED, 0) + counts.get(RunStatus.UNKNOWN, 0)
    text = f"**{attempted}** run(s), **{failures}** failed"
    details = [
        f"{status} {counts[status]}"
        for status in ("ok", "failed", "unknown", "missed", "skipped", "running")
        if counts.get(status)
    ]
    return text + (f" ({', '.join(details)})" if details else "")


def duration_text(span: timedelta) -> str:
    seconds = max(0, int(span.total_seconds()))
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h {minutes}m"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m {seconds}s"


def latency_text(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "not measured yet"
    return f"{seconds * 1000:.0f} ms"


def size_text(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"
