"""Embeds a person reads at a glance: a task, its next runs, its history, a list of tasks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import discord

from cogs.common import INFO_COLOUR, OK_COLOUR, WARN_COLOUR
from scheduler.summary import escape_markdown
from storage import (
    AuditEntry,
    ChannelDestination,
    Embed,
    RunStats,
    Task,
    TaskStatus,
    WebhookDestination,
)

STATUS_TEXT = {
    TaskStatus.ACTIVE: "▶ active",
    TaskStatus.PAUSED: "⏸ paused",
    TaskStatus.COMPLETED: "✓ completed",
    TaskStatus.FAILED: "✖ failed",
}
LIST_PAGE_SIZE = 10


def when(instant: datetime | None) -> str:
    """A Discord timestamp every reader sees in their own local time."""
    if instant is None:
        return "—"
    unix = int(instant.timestamp())
    return f"<t:{unix}:F> (<t:{unix}:R>)"


def zone_text(task: Task, zone: str) -> str:
    return f"{zone} (server zone)" if task.timezone is None else zone


def destinations_text(task: Task) -> str:
    parts = []
    for dest in task.destinations:
        text = f"<#{dest.target_id}>"
        if isinstance(dest, WebhookDestination):
            text += f" as “{dest.name or 'webhook'}”"
        if isinstance(dest, ChannelDestination) and dest.publish:
            text += " (published)"
        parts.append(text)
    return ", ".join(parts) or "—"


def preview(task: Task, limit: int = 300) -> str:
    options = task.payload.variants
    if not options:
        return "—"
    first = options[0]
    embed = first.embed or Embed()
    text = first.content or embed.description
    title = embed.title
    shown = (f"**{title}**\n" if title else "") + text
    if len(shown) > limit:
        shown = shown[: limit - 1] + "…"
    if len(options) > 1:
        mode = task.payload.rotation_mode
        shown += f"\n*(+{len(options) - 1} more variant(s), {mode})*"
    return shown or "—"


def task_embed(
    task: Task,
    *,
    heading: str,
    schedule_text: str,
    zone: str,
    upcoming: Sequence[datetime],
    colour: int = OK_COLOUR,
) -> discord.Embed:
    """What was created or changed: the readable schedule and the next runs."""
    embed = discord.Embed(
        title=f"{heading}: {task.name}"[:256],
        description=escape_markdown(schedule_text),
        colour=colour,
    )
    runs = "\n".join(when(at) for at in upcoming) or "none scheduled"
    embed.add_field(
        name="Next run" if len(upcoming) <= 1 else "Next runs", value=runs[:1024], inline=False
    )
    embed.add_field(name="Timezone", value=zone_text(task, zone))
    embed.add_field(name="Posts to", value=destinations_text(task)[:1024])
    embed.add_field(name="Status", value=STATUS_TEXT[task.status])
    extras = []
    if task.end_at:
        extras.append(f"ends {when(task.end_at)}")
    if task.max_runs:
        extras.append(f"at most {task.max_runs} runs ({task.run_count} so far)")
    if task.skip_next:
        extras.append(f"skipping the next {task.skip_next}")
    extras.append(f"catch-up: {task.catch_up}")
    embed.add_field(name="Options", value="; ".join(extras)[:1024], inline=False)
    embed.set_footer(text=f"Task {task.id}")
    return embed


def show_embed(
    task: Task,
    *,
    schedule_text: str,
    zone: str,
    upcoming: Sequence[datetime],
    stats: RunStats,
    last_change: AuditEntry | None,
) -> discord.Embed:
    """`/schedule show`: details, next 5 fire times, stats and the last change."""
    colour = INFO_COLOUR if task.status == TaskStatus.ACTIVE else WARN_COLOUR
    embed = task_embed(
        task,
        heading="Task",
        schedule_text=schedule_text,
        zone=zone,
        upcoming=upcoming,
        colour=colour,
    )
    embed.add_field(name="Message", value=preview(task)[:1024], inline=False)
    rate = stats.success_rate
    summary = f"{stats.ok} ok, {stats.failed} failed, {stats.missed} missed"
    if rate is not None:
        summary += f" · success {rate:.0%}"
    embed.add_field(name="Runs (kept history)", value=summary, inline=False)
    if stats.last_error:
        embed.add_field(name="Last error", value=stats.last_error[:1024], inline=False)
    if task.paused_reason and task.status != TaskStatus.ACTIVE:
        embed.add_field(name="Why it stopped", value=task.paused_reason[:1024], inline=False)
    if last_change is not None:
        who = f"<@{last_change.actor_id}>" if last_change.actor_id else "Cadence"
        embed.add_field(
            name="Last change",
            value=f"{last_change.action} by {who}, {when(last_change.at)}"[:1024],
            inline=False,
        )
    return embed


def list_pages(
    tasks: Sequence[Task], describe: dict[int, str], *, title: str = "Scheduled tasks"
) -> list[discord.Embed]:
    """Pages of at most 10 tasks; always at least one page."""
    if not tasks:
        return [discord.Embed(title=title, description="No tasks match.", colour=INFO_COLOUR)]
    pages = []
    chunks = [tasks[i : i + LIST_PAGE_SIZE] for i in range(0, len(tasks), LIST_PAGE_SIZE)]
    for number, chunk in enumerate(chunks, start=1):
        lines = []
        for task in chunk:
            lines.append(
                f"**{escape_markdown(task.name)}** · {STATUS_TEXT[task.status]}\n"
                f"{escape_markdown(describe.get(task.id, task.spec))} · next "
                f"{when(task.next_run_at) if task.status == TaskStatus.ACTIVE else '—'}"
                f" · {destinations_text(task)}"
            )
        embed = discord.Embed(
            title=title, description="\n\n".join(lines)[:4096], colour=INFO_COLOUR
        )
        embed.set_footer(text=f"Page {number} of {len(chunks)} · {len(tasks)} task(s)")
        pages.append(embed)
    return pages
