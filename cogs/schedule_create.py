"""/schedule cron, once and every: validate every option, open the message modal when the
message was left out, then create the task."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import discord
from discord import app_commands

from cogs.common import reply
from cogs.schedule_base import Destination, ScheduleBase
from cogs.views import MessageModal
from discordside.checks import approve_mentions
from scheduler.messages import MessageDraft, from_options, parse_colour
from scheduler.phrases import is_phrase
from scheduler.rules import MAX_RUNS, ScheduleChoice, Zone, checked_choice, checked_range
from storage import CatchUp, NewTask, Payload, Rotation

CatchUpChoice = Literal["skip", "once", "all"]
CATCH_UPS = ("skip", "once", "all")


@dataclass(frozen=True, slots=True)
class Prepared:
    """Everything of a new task but its message, validated."""

    name: str
    schedule: ScheduleChoice
    zone: Zone
    channel: Destination
    catch_up: CatchUp
    max_runs: int | None = None
    phrase: str | None = None  # the plain-English cron phrase, echoed once in the reply


class CreateCommands(ScheduleBase):
    """The three commands that create tasks."""

    @app_commands.command(
        name="cron", description="Post on a crontab schedule, e.g. weekdays at 08:00"
    )
    @app_commands.describe(
        name="A name for the task, unique in this server",
        cron="Crontab (0 8 * * 1-5; 0 or 7 = Sunday) or a phrase such as: every weekday at 9:00",
        channel="Where to post",
        message="What to post; leave out to write it in a form (line breaks, embed)",
        timezone="IANA zone such as Europe/Berlin; default: the server's zone",
        title="Post as an embed with this title",
        color="Embed colour: #ff8800 or a name such as orange",
        catch_up="After downtime: skip missed runs, run the latest once (default), or all",
        end="Stop after this date, e.g. 2027-06-30 18:00",
        max_runs="Stop after this many runs",
    )
    async def cron_command(
        self,
        interaction: discord.Interaction,
        name: app_commands.Range[str, 1, 100],
        cron: str,
        channel: Destination,
        message: str | None = None,
        timezone: str | None = None,
        title: app_commands.Range[str, 1, 256] | None = None,
        color: str | None = None,
        catch_up: CatchUpChoice | None = None,
        end: str | None = None,
        max_runs: app_commands.Range[int, 1, 1_000_000] | None = None,
    ) -> None:
        zone = await self.zone_for(interaction, timezone)
        end_at = self.parse_instant(end, zone.effective, "end")
        prepared = Prepared(
            name=name,
            schedule=self.rules.cron(cron, zone.effective, end_at=end_at),
            zone=zone,
            channel=channel,
            catch_up=CatchUp(checked_choice(catch_up or "once", CATCH_UPS, "catch_up")),
            max_runs=max_runs,
            phrase=" ".join(cron.split())[:200] if is_phrase(cron) else None,
        )
        await self._prepare_then_create(interaction, prepared, message, title, color)

    @app_commands.command(name="once", description="Post once, at a date and time")
    @app_commands.describe(
        name="A name for the task, unique in this server",
        when="When: 2026-12-24 18:00, in 90 minutes, tomorrow 9am, next friday 18:00",
        channel="Where to post",
        message="What to post; leave out to write it in a form (line breaks, embed)",
        timezone="IANA zone such as Europe/Berlin; default: the server's zone",
        title="Post as an embed with this title",
        color="Embed colour: #ff8800 or a name such as orange",
    )
    async def once_command(
        self,
        interaction: discord.Interaction,
        name: app_commands.Range[str, 1, 100],
        when: str,
        channel: Destination,
        message: str | None = None,
        timezone: str | None = None,
        title: app_commands.Range[str, 1, 256] | None = None,
        color: str | None = None,
    ) -> None:
        zone = await self.zone_for(interaction, timezone)
        prepared = Prepared(
            name=name,
            schedule=self.rules.once(when, zone.effective, now=self.clock.now()),
            zone=zone,
            channel=channel,
            catch_up=CatchUp.ONCE,
        )
        await self._prepare_then_create(interaction, prepared, message, title, color)

    @app_commands.command(name="every", description="Post every so often, e.g. every 4h or 1d")
    @app_commands.describe(
        name="A name for the task, unique in this server",
        interval="How often: 30m, 4h, 1d12h, 2w (whole days/weeks keep the local time)",
        channel="Where to post",
        message="What to post; leave out to write it in a form (line breaks, embed)",
        start="First run, e.g. tomorrow 9am; default: one interval from now",
        end="Stop after this date, e.g. 2027-06-30 18:00",
        max_runs="Stop after this many runs",
        timezone="IANA zone such as Europe/Berlin; default: the server's zone",
        title="Post as an embed with this title",
        color="Embed colour: #ff8800 or a name such as orange",
        catch_up="After downtime: skip missed runs, run the latest once (default), or all",
    )
    async def every_command(
        self,
        interaction: discord.Interaction,
        name: app_commands.Range[str, 1, 100],
        interval: str,
        channel: Destination,
        message: str | None = None,
        start: str | None = None,
        end: str | None = None,
        max_runs: app_commands.Range[int, 1, 1_000_000] | None = None,
        timezone: str | None = None,
        title: app_commands.Range[str, 1, 256] | None = None,
        color: str | None = None,
        catch_up: CatchUpChoice | None = None,
    ) -> None:
        zone = await self.zone_for(interaction, timezone)
        start_at = self.parse_instant(start, zone.effective, "start")
        end_at = self.parse_instant(end, zone.effective, "end")
        schedule = self.rules.every(
            interval, zone.effective, now=self.clock.now(), start_at=start_at, end_at=end_at
        )
        prepared = Prepared(
            name=name,
            schedule=schedule,
            zone=zone,
            channel=channel,
            catch_up=CatchUp(checked_choice(catch_up or "once", CATCH_UPS, "catch_up")),
            max_runs=max_runs,
        )
        await self._prepare_then_create(interaction, prepared, message, title, color)

    # ------------------------------------------------------------------ shared flow

    async def _prepare_then_create(
        self,
        interaction: discord.Interaction,
        prepared: Prepared,
        message: str | None,
        title: str | None,
        color: str | None,
    ) -> None:
        """Check the rest, then create at once or open the modal (as the first answer)."""
        if prepared.max_runs is not None:
            checked_range(prepared.max_runs, 1, MAX_RUNS, "max_runs")
        name = await self.check_new_name(interaction, prepared.name)
        prepared = replace(prepared, name=name)
        await self.check_room(interaction)
        if message is None:
            colour = parse_colour(color) if color else None
            # A title makes an embed whatever the modal adds: refuse now, not after it.
            self.check_channel(interaction, prepared.channel, embed=bool(title))
            draft = MessageDraft(title=title or "", color=colour)

            async def submitted(
                modal_interaction: discord.Interaction, final: MessageDraft
            ) -> None:
                await self._create(modal_interaction, prepared, final)

            await interaction.response.send_modal(
                MessageModal(submitted, title=f"Message for {name}", draft=draft)
            )
            return
        draft = from_options(message, title, color).validate()
        await self._create(interaction, prepared, draft)

    async def _create(
        self, interaction: discord.Interaction, prepared: Prepared, draft: MessageDraft
    ) -> None:
        assert interaction.guild is not None and isinstance(interaction.user, discord.Member)
        destination = self.check_channel(interaction, prepared.channel, embed=draft.has_embed)
        policy = await self.rules.mention_policy(interaction.guild.id)
        channel = interaction.guild.get_channel_or_thread(prepared.channel.id) or prepared.channel
        mentions = approve_mentions(draft, author=interaction.user, channel=channel, policy=policy)
        payload = Payload(
            variants=(draft.variant(),), rotation=Rotation.SEQUENTIAL, mentions=mentions
        )
        schedule = prepared.schedule
        new = NewTask(
            name=prepared.name,
            kind=schedule.kind,
            spec=schedule.spec,
            created_at=self.clock.now(),
            guild_id=interaction.guild.id,
            created_by=interaction.user.id,
            timezone=prepared.zone.stored,
            start_at=schedule.start_at,
            end_at=schedule.end_at,
            max_runs=prepared.max_runs,
            payload=payload,
            destinations=(destination,),
            catch_up=prepared.catch_up,
        )
        task = await self.control.create(new, actor_id=interaction.user.id)
        embed = await self.task_reply(task, "Scheduled")
        if prepared.phrase is not None:
            understood = f"{discord.utils.escape_markdown(prepared.phrase)} → `{task.spec}`"
            embed.insert_field_at(0, name="Understood as", value=understood, inline=False)
        await reply(interaction, embed=embed)
