"""/schedule edit: options left out stay unchanged; `edit_message` opens the modal pre-filled."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from cogs.common import reply
from cogs.messages import MessageDraft, approve_mentions, merge_approved, parse_colour
from cogs.schedule_base import (
    MAX_RUNS,
    Destination,
    ScheduleBase,
    checked_choice,
    checked_range,
)
from cogs.schedule_create import CATCH_UPS, CatchUpChoice
from cogs.views import MessageModal
from scheduler.errors import ScheduleError
from scheduler.payload import variants
from scheduler.triggers import date_spec, parse_cron, parse_interval, parse_when
from storage import CatchUp, Task, TaskKind


class EditCommand(ScheduleBase):
    """Changing a task in place."""

    @app_commands.command(
        name="edit", description="Change a task; options left out stay as they are"
    )
    @app_commands.describe(
        task="The task (start typing its name)",
        name="A new name",
        cron="A new crontab schedule (makes it a cron task)",
        when="A new date and time (makes it a one-time task)",
        interval="A new interval such as 4h (makes it an interval task)",
        channel="Post here instead",
        message="New message text",
        timezone="IANA zone such as Europe/Berlin",
        title="Embed title",
        color="Embed colour: #ff8800 or a name",
        catch_up="After downtime: skip, once or all",
        end="Stop after this date",
        max_runs="Stop after this many runs",
        edit_message="Open the message form, pre-filled, to edit with line breaks",
    )
    async def edit_command(
        self,
        interaction: discord.Interaction,
        task: str,
        name: app_commands.Range[str, 1, 100] | None = None,
        cron: str | None = None,
        when: str | None = None,
        interval: str | None = None,
        channel: Destination | None = None,
        message: str | None = None,
        timezone: str | None = None,
        title: app_commands.Range[str, 0, 256] | None = None,
        color: str | None = None,
        catch_up: CatchUpChoice | None = None,
        end: str | None = None,
        max_runs: app_commands.Range[int, 1, 1_000_000] | None = None,
        edit_message: bool = False,
    ) -> None:
        found = await self.resolve_task(interaction, task)
        changes = await self._schedule_changes(
            interaction, found, cron=cron, when=when, interval=interval, timezone=timezone, end=end
        )
        if name is not None:
            changes["name"] = await self.check_new_name(interaction, name, except_id=found.id)
        if catch_up is not None:
            changes["catch_up"] = CatchUp(checked_choice(catch_up, CATCH_UPS, "catch_up"))
        if max_runs is not None:
            changes["max_runs"] = checked_range(max_runs, 1, MAX_RUNS, "max_runs")
        current = _first_draft(found)
        draft = _apply(current, message=message, title=title, color=color)
        if channel is not None:
            changes["destinations"] = [
                self.check_channel(interaction, channel, embed=draft.has_embed)
            ]
        if edit_message:

            async def submitted(modal: discord.Interaction, final: MessageDraft) -> None:
                await self._save(modal, found, changes, final, channel)

            await interaction.response.send_modal(
                MessageModal(submitted, title=f"Message for {found.name}", draft=draft)
            )
            return
        await self._save(interaction, found, changes, draft if draft != current else None, channel)

    async def _schedule_changes(
        self,
        interaction: discord.Interaction,
        task: Task,
        *,
        cron: str | None,
        when: str | None,
        interval: str | None,
        timezone: str | None,
        end: str | None,
    ) -> dict[str, Any]:
        given = [v for v in (cron, when, interval) if v is not None]
        if len(given) > 1:
            raise ScheduleError(
                "Give only one of cron, when and interval.", example="cron: 0 9 * * 1-5"
            )
        changes: dict[str, Any] = {}
        zone = await self.zone_for(interaction, timezone) if timezone else None
        if zone is not None:
            changes["timezone"] = zone.stored
        effective = zone.effective if zone else await self.bot.engine.zone_for(task)
        now = self.bot.engine.clock.now()
        end_at = self.parse_instant(end, effective, "end") if end else task.end_at
        if end:
            changes["end_at"] = end_at
        if cron is not None:
            changes.update(kind=TaskKind.CRON, spec=parse_cron(cron, effective, end=end_at).spec)
        elif when is not None:
            instant = parse_when(when, effective, now=now)
            changes.update(kind=TaskKind.DATE, spec=date_spec(instant))
        elif interval is not None:
            parsed = parse_interval(
                interval,
                effective,
                anchor=now,
                end=end_at,
                min_seconds=self.bot.settings.min_interval_seconds,
            )
            changes.update(kind=TaskKind.INTERVAL, spec=parsed.spec, start_at=None)
        return changes

    async def _save(
        self,
        interaction: discord.Interaction,
        task: Task,
        changes: dict[str, Any],
        draft: MessageDraft | None,
        channel: Destination | None,
    ) -> None:
        assert interaction.guild is not None and isinstance(interaction.user, discord.Member)
        task = await self.refreshed(task)
        if draft is not None or channel is not None:
            final = draft or _first_draft(task)
            final.validate()
            if final.has_embed:
                self._check_can_embed(interaction, task, channel)
            target = (
                channel
                or interaction.guild.get_channel_or_thread(
                    int(task.destinations[0].get("thread_id") or task.destinations[0]["channel_id"])
                )
                if task.destinations
                else channel
            )
            payload = dict(task.payload)
            if target is not None:
                settings = await self.bot.engine.guilds.get(interaction.guild.id)
                approved = approve_mentions(
                    final,
                    author=interaction.user,
                    channel=target,
                    policy=settings.mention_policy,
                )
                others = [MessageDraft.from_variant(dict(v)) for v in variants(task.payload)[1:]]
                payload["mentions"] = merge_approved(approved, task.payload.get("mentions"), others)
            if draft is not None:
                rest = list(variants(task.payload))[1:]
                payload["variants"] = [final.variant(), *rest]
            changes["payload"] = payload
        if not changes:
            raise ScheduleError(
                "Nothing to change: give at least one option to edit.",
                example="/schedule edit task: standup cron: 30 9 * * 1-5",
            )
        if "start_at" in changes and changes["start_at"] is None:
            changes.pop("start_at")  # an interval edit restarts from now (TaskControl pins it)
        updated = await self.bot.control.edit(task, changes, actor_id=interaction.user.id)
        await reply(interaction, embed=await self.task_reply(updated, "Updated"))

    def _check_can_embed(
        self, interaction: discord.Interaction, task: Task, channel: Destination | None
    ) -> None:
        """An embed needs Embed Links where the task posts (checked again after the modal)."""
        assert interaction.guild is not None
        if channel is not None:
            self.check_channel(interaction, channel, embed=True)
            return
        for destination in task.destinations:
            if destination.get("type") == "webhook":
                continue  # a webhook may always embed
            target_id = int(destination.get("thread_id") or destination["channel_id"])
            target = interaction.guild.get_channel_or_thread(target_id)
            if isinstance(target, discord.TextChannel | discord.Thread):
                self.check_channel(interaction, target, embed=True)


def _first_draft(task: Task) -> MessageDraft:
    options = variants(task.payload)
    return MessageDraft.from_variant(dict(options[0])) if options else MessageDraft()


def _apply(
    current: MessageDraft, *, message: str | None, title: str | None, color: str | None
) -> MessageDraft:
    """The current message with the given options applied."""
    if message is None and title is None and color is None:
        return current
    colour = parse_colour(color) if color else current.color
    text = message.replace("\\n", "\n") if message is not None else None
    if current.has_embed or title or color:
        description = text if text is not None else (current.description or current.content)
        content = "" if text is not None or not current.has_embed else current.content
        return MessageDraft(
            content=content,
            title=title if title is not None else current.title,
            description=description,
            footer=current.footer,
            image_url=current.image_url,
            color=colour,
        )
    return MessageDraft(content=text if text is not None else current.content, color=colour)
