"""/schedule edit: options left out stay unchanged; `edit_message` opens the modal pre-filled."""

from __future__ import annotations

from dataclasses import replace

import discord
from discord import app_commands

from cogs.common import reply
from cogs.schedule_base import Destination, ScheduleBase
from cogs.schedule_create import CATCH_UPS, CatchUpChoice
from cogs.views import MessageModal
from discordside.checks import approve_mentions, check_can_embed
from scheduler.errors import ScheduleError
from scheduler.messages import MessageDraft, keep_still_approved, parse_colour
from scheduler.rules import MAX_RUNS, check_one_schedule, checked_choice, checked_range
from storage import CatchUp, Task, TaskUpdate


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
            name = await self.check_new_name(interaction, name, except_id=found.id)
            changes = replace(changes, name=name)
        if catch_up is not None:
            catch = CatchUp(checked_choice(catch_up, CATCH_UPS, "catch_up"))
            changes = replace(changes, catch_up=catch)
        if max_runs is not None:
            changes = replace(changes, max_runs=checked_range(max_runs, 1, MAX_RUNS, "max_runs"))
        current = _first_draft(found)
        draft = _apply(current, message=message, title=title, color=color)
        if channel is not None:
            destination = self.check_channel(interaction, channel, embed=draft.has_embed)
            changes = replace(changes, destinations=(destination,))
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
    ) -> TaskUpdate:
        check_one_schedule(cron, when, interval)
        changes = TaskUpdate()
        zone = await self.zone_for(interaction, timezone) if timezone else None
        if zone is not None:
            changes = replace(changes, timezone=zone.stored)
        effective = zone.effective if zone else await self.zones.zone_for(task)
        now = self.clock.now()
        end_at = self.parse_instant(end, effective, "end") if end else task.end_at
        if end:
            changes = replace(changes, end_at=end_at)
        chosen = self.rules.new_schedule(
            cron=cron, when=when, interval=interval, zone=effective, now=now, end_at=end_at
        )
        if chosen is not None:
            # An interval edit restarts from now (TaskControl pins the new start).
            changes = replace(changes, kind=chosen.kind, spec=chosen.spec)
        return changes

    async def _save(
        self,
        interaction: discord.Interaction,
        task: Task,
        changes: TaskUpdate,
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
                channel or interaction.guild.get_channel_or_thread(task.destinations[0].target_id)
                if task.destinations
                else channel
            )
            payload = task.payload
            if target is not None:
                policy = await self.rules.mention_policy(interaction.guild.id)
                approved = approve_mentions(
                    final, author=interaction.user, channel=target, policy=policy
                )
                others = [MessageDraft.from_variant(v) for v in task.payload.variants[1:]]
                mentions = keep_still_approved(approved, task.payload.mentions, others)
                payload = replace(payload, mentions=mentions)
            if draft is not None:
                rest = task.payload.variants[1:]
                payload = replace(payload, variants=(final.variant(), *rest))
            changes = replace(changes, payload=payload)
        if not changes:
            raise ScheduleError(
                "Nothing to change: give at least one option to edit.",
                example="/schedule edit task: standup cron: 30 9 * * 1-5",
            )
        updated = await self.control.edit(task, changes, actor_id=interaction.user.id)
        await reply(interaction, embed=await self.task_reply(updated, "Updated"))

    def _check_can_embed(
        self, interaction: discord.Interaction, task: Task, channel: Destination | None
    ) -> None:
        """An embed needs Embed Links where the task posts (checked again after the modal)."""
        assert interaction.guild is not None
        if channel is not None:
            self.check_channel(interaction, channel, embed=True)
            return
        check_can_embed(interaction.guild, task.destinations)


def _first_draft(task: Task) -> MessageDraft:
    options = task.payload.variants
    return MessageDraft.from_variant(options[0]) if options else MessageDraft()


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
