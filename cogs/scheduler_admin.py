"""The /scheduler command group (ARCHITECTURE section 5): the bot's status for this server, and this
server's settings.

Permissions: Discord shows the group to Administrators by default. In code, every command
runs `ensure_manager` (Manage Server, Administrator, or the guild's manager role); `config`,
even just showing the settings, further needs Manage Server or Administrator, so a manager
role can read `status` but can never change who the manager role is.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from cogs.common import (
    INFO_COLOUR,
    OK_COLOUR,
    ensure_manager,
    ensure_server_manager,
    handle_error,
    reply,
)
from cogs.scheduler_tokens import ApiTokenCommands
from cogs.status_text import notices_embed, status_embed
from discordside.checks import check_manager_role, check_setting_channel, check_viewer_role
from scheduler.errors import ScheduleError
from scheduler.guild_config import ConfigChange
from scheduler.services import Services
from scheduler.status import gather_status
from scheduler.timezones import zone_suggestions
from scheduler.triggers import parse_cron
from storage import GuildSettings, MentionPolicy

if TYPE_CHECKING:
    from cogs.bot import CadenceBot

log = logging.getLogger(__name__)

SettingName = Literal[
    "timezone",
    "dev_channel",
    "alert_channel",
    "manager_role",
    "viewer_role",
    "summary_cron",
    "summary_channel",
    "mention_policy",
]
COLUMNS: dict[str, str] = {
    "timezone": "timezone",
    "dev_channel": "dev_channel_id",
    "alert_channel": "alert_channel_id",
    "manager_role": "manager_role_id",
    "viewer_role": "viewer_role_id",
    "summary_cron": "summary_cron",
    "summary_channel": "summary_channel_id",
    "mention_policy": "mention_policy",
}
"""Option name -> guild_settings column."""
LABELS = {
    "timezone": "Timezone",
    "dev_channel_id": "Dev channel",
    "alert_channel_id": "Alert channel",
    "manager_role_id": "Manager role",
    "viewer_role_id": "Viewer role",
    "summary_cron": "Overview schedule",
    "summary_channel_id": "Overview channel",
    "mention_policy": "Mention policy",
}


@app_commands.guild_only()
@app_commands.default_permissions(administrator=True)
class SchedulerAdmin(
    ApiTokenCommands,
    commands.GroupCog,
    group_name="scheduler",
    group_description="Cadence's status and this server's settings",
):
    """Status and per-server settings."""

    def __init__(self, bot: CadenceBot, services: Services) -> None:
        self.bot = bot
        self.services = services
        self.config = services.guild_config
        self.notices = services.repositories.notices
        self.clock = services.clock
        self.default_timezone = services.zones.default_timezone
        self.api_tokens = services.api_tokens
        super().__init__()

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        await ensure_manager(interaction)
        return True

    async def cog_app_command_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        command = interaction.command
        where = f"/{command.qualified_name}" if command else "a /scheduler command"
        await handle_error(interaction, error, where)

    # ------------------------------------------------------------------ /scheduler status

    @app_commands.command(
        name="status", description="Uptime, this server's tasks and runs, notices"
    )
    async def status_command(self, interaction: discord.Interaction) -> None:
        guild_id = _guild_id(interaction)
        status = await gather_status(
            self.services,
            guild_id,
            now=self.clock.now(),
            version=self.bot.version,
            latency=self.bot.latency,
        )
        embeds = [status_embed(status)]
        if status.unread or status.dev_channel_id is None:
            embeds.append(
                notices_embed(
                    list(status.unread),
                    status.unread_total,
                    has_dev_channel=bool(status.dev_channel_id),
                )
            )
        await reply(interaction, embeds=embeds)
        if status.unread:
            await self.notices.mark_read([notice.id for notice in status.unread], status.now)

    # ------------------------------------------------------------------ /scheduler config

    @app_commands.command(name="config", description="Show or change this server's settings")
    @app_commands.describe(
        timezone="Zone for tasks without their own, e.g. Europe/Berlin",
        dev_channel="Where this server's failures and reports go",
        alert_channel="Where notices for members go (default: the dev channel)",
        manager_role="Members with this role may use /schedule and /scheduler status",
        viewer_role="Members with this role may read the tasks on the dashboard, not change them",
        summary_cron="When to post the task overview, e.g. 0 9 * * 1-5",
        summary_channel="Where the overview goes (default: the dev channel)",
        mention_policy="creator: mentions the creator may make; none: no role/everyone pings",
        clear="Reset one setting to its default",
    )
    async def config_command(
        self,
        interaction: discord.Interaction,
        timezone: str | None = None,
        dev_channel: discord.TextChannel | None = None,
        alert_channel: discord.TextChannel | None = None,
        manager_role: discord.Role | None = None,
        viewer_role: discord.Role | None = None,
        summary_cron: str | None = None,
        summary_channel: discord.TextChannel | None = None,
        mention_policy: Literal["creator", "none"] | None = None,
        clear: SettingName | None = None,
    ) -> None:
        ensure_server_manager(interaction)
        guild_id = _guild_id(interaction)
        if clear is not None and clear not in COLUMNS:  # Discord offers only the choices
            raise ScheduleError(
                f"clear must be one of {', '.join(COLUMNS)}, not “{clear[:40]}”.",
                example="clear: summary_cron",
            )
        changes: dict[str, Any] = {}
        if timezone is not None:
            changes["timezone"] = timezone
        for option, channel in (
            ("dev_channel", dev_channel),
            ("alert_channel", alert_channel),
            ("summary_channel", summary_channel),
        ):
            if channel is not None:
                changes[COLUMNS[option]] = self._postable(interaction, channel, option)
        if manager_role is not None:
            changes["manager_role_id"] = check_manager_role(manager_role.guild, manager_role.id)
        if viewer_role is not None:
            changes["viewer_role_id"] = check_viewer_role(viewer_role.guild, viewer_role.id)
        if summary_cron is not None:
            changes["summary_cron"] = summary_cron
        if mention_policy is not None:
            changes["mention_policy"] = mention_policy
        if not changes and clear is None:
            settings = await self.config.get(guild_id)
            await reply(interaction, embed=self.settings_embed(settings, "Settings"))
            return
        result = await self.config.update(
            guild_id,
            changes,
            clear=[COLUMNS[clear]] if clear else [],
            actor_id=interaction.user.id,
        )
        now_shown = self.settings_embed(result.after, "Settings now")
        await reply(interaction, embeds=[self.change_embed(result), now_shown])

    @config_command.autocomplete("timezone")
    async def _zone_names(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=z, value=z) for z in zone_suggestions(current, 25)]

    def _postable(
        self, interaction: discord.Interaction, channel: discord.TextChannel, option: str
    ) -> int:
        """The channel's id when the bot can post embeds there; else a ScheduleError."""
        guild = interaction.guild
        assert guild is not None
        return check_setting_channel(guild, channel.id, option)

    # ------------------------------------------------------------------ rendering

    def settings_embed(self, settings: GuildSettings, title: str) -> discord.Embed:
        embed = discord.Embed(title=title, colour=INFO_COLOUR)
        for column, label in LABELS.items():
            embed.add_field(name=label, value=self.value_text(settings, column)[:1024])
        embed.set_footer(text="Change with /scheduler config; reset one with clear.")
        return embed

    def change_embed(self, result: ConfigChange) -> discord.Embed:
        if not result.changed:
            return discord.Embed(
                title="Nothing changed", colour=INFO_COLOUR, description="Those are the settings."
            )
        lines = [
            f"**{LABELS[column]}**: {self.value_text(result.before, column)} → "
            f"{self.value_text(result.after, column)}"
            for column in result.changed
        ]
        if "timezone" in result.changed:
            zone = self.config.zone_of(result.after)
            lines.append(
                f"Moved {len(result.moved)} task(s) that follow the server's zone to {zone}; "
                "tasks with their own zone keep it."
                if result.moved
                else "No task follows the server's zone, so none moved."
            )
        after = result.after
        if after.summary_cron and not (after.summary_channel_id or after.dev_channel_id):
            lines.append(
                "⚠ The overview has nowhere to go: set `summary_channel` or `dev_channel`."
            )
        return discord.Embed(
            title="Settings updated", colour=OK_COLOUR, description="\n".join(lines)[:4096]
        )

    def value_text(self, settings: GuildSettings, column: str) -> str:
        """How one setting reads, defaults named as such."""
        value = getattr(settings, column)
        if column == "timezone":
            return value or f"{self.default_timezone} (bot default)"
        if column == "dev_channel_id":
            return f"<#{value}>" if value else "not set: notices wait in /scheduler status"
        if column in ("alert_channel_id", "summary_channel_id"):
            return f"<#{value}>" if value else "not set (the dev channel is used)"
        if column == "manager_role_id":
            return f"<@&{value}>" if value else "not set (Manage Server only)"
        if column == "viewer_role_id":
            return f"<@&{value}>" if value else "not set (no read-only access)"
        if column == "summary_cron":
            return self._summary_text(settings)
        if value == MentionPolicy.NONE:
            return "none: tasks may not ping roles, @everyone or @here"
        return "creator (default): what the task's creator may ping"

    def _summary_text(self, settings: GuildSettings) -> str:
        if not settings.summary_cron:
            return "off"
        zone = self.config.zone_of(settings)
        try:
            schedule = parse_cron(settings.summary_cron, zone)
        except ScheduleError:
            return f"`{settings.summary_cron}` (cannot be read)"
        following = schedule.next_after(self.clock.now())
        text = f"`{schedule.spec}`: {schedule.describe()} ({zone})"
        if following is not None:
            text += f", next <t:{int(following.timestamp())}:R>"
        return text


# ---------------------------------------------------------------------- helpers


def _guild_id(interaction: discord.Interaction) -> int:
    if interaction.guild_id is None:
        raise ScheduleError("Cadence's commands work in servers, not in direct messages.")
    return interaction.guild_id


async def setup(bot: CadenceBot) -> None:
    await bot.add_cog(SchedulerAdmin(bot, bot.services))
