"""/schedule destinations: several channels, threads and announcement channels (optionally
auto-published), and an optional webhook identity (name, avatar URL)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from cogs.common import INFO_COLOUR, ensure_manager, handle_error, reply
from cogs.render import destinations_text
from cogs.schedule_base import ScheduleBase
from discordside.webhooks import webhook_destination
from scheduler.errors import ScheduleError
from scheduler.rules import MAX_DESTINATIONS, check_webhook_identity
from storage import ChannelDestination, Destination, Task, TaskUpdate, WebhookDestination

if TYPE_CHECKING:
    from cogs.bot import CadenceBot

CHANNEL_TYPES = [
    discord.ChannelType.text,
    discord.ChannelType.news,
    discord.ChannelType.public_thread,
    discord.ChannelType.private_thread,
    discord.ChannelType.news_thread,
]


class IdentityModal(discord.ui.Modal, title="Webhook identity"):
    name: discord.ui.TextInput[IdentityModal] = discord.ui.TextInput(
        label="Name shown on the posts", max_length=80, custom_id="name"
    )
    avatar: discord.ui.TextInput[IdentityModal] = discord.ui.TextInput(
        label="Avatar image URL (optional)", required=False, max_length=1000, custom_id="avatar"
    )

    def __init__(self, view: DestinationsView) -> None:
        super().__init__(timeout=600)
        self.view = view

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await ensure_manager(interaction)
        name = self.name.value.strip()
        avatar = self.avatar.value.strip()
        check_webhook_identity(name, avatar)
        self.view.identity = {"name": name, "avatar_url": avatar}
        await interaction.response.edit_message(embed=self.view.embed(), view=self.view)

    async def on_error(  # type: ignore[override]
        self, interaction: discord.Interaction, error: Exception
    ) -> None:
        await handle_error(interaction, error, "the webhook identity form")


class DestinationsView(discord.ui.View):
    """Pick channels, toggle auto-publish, set an identity, then save."""

    def __init__(self, cog: DestinationCommands, task: Task, author_id: int) -> None:
        super().__init__(timeout=900)
        self.cog = cog
        self.task = task
        self.author_id = author_id
        self.channel_ids: list[int] = []
        self.publish = any(
            isinstance(d, ChannelDestination) and d.publish for d in task.destinations
        )
        hook = next((d for d in task.destinations if isinstance(d, WebhookDestination)), None)
        self.identity: dict[str, str] | None = (
            {"name": hook.name or "", "avatar_url": hook.avatar_url or ""} if hook else None
        )
        self._sync()

    def embed(self) -> discord.Embed:
        embed = discord.Embed(title=f"Destinations: {self.task.name}", colour=INFO_COLOUR)
        embed.add_field(name="Now", value=destinations_text(self.task)[:1024], inline=False)
        picked = ", ".join(f"<#{c}>" for c in self.channel_ids) or "pick channels below"
        embed.add_field(name="New", value=picked[:1024], inline=False)
        embed.add_field(name="Auto-publish", value="on" if self.publish else "off")
        who = self.identity["name"] if self.identity else "the bot itself"
        embed.add_field(name="Posts as", value=who)
        return embed

    def _sync(self) -> None:
        self.toggle_publish.label = f"Auto-publish: {'on' if self.publish else 'off'}"
        self.clear_identity.disabled = self.identity is None
        self.save.disabled = not self.channel_ids

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        await ensure_manager(interaction)
        if interaction.user.id != self.author_id:
            await interaction.response.send_message(
                "Only the member who opened this can change it.", ephemeral=True
            )
            return False
        return True

    @discord.ui.select(
        cls=discord.ui.ChannelSelect,
        custom_id="dest_channels",
        channel_types=CHANNEL_TYPES,
        min_values=1,
        max_values=MAX_DESTINATIONS,
        placeholder="Channels and threads to post in",
    )
    async def channels(
        self, interaction: discord.Interaction, select: discord.ui.ChannelSelect[Any]
    ):
        self.channel_ids = [channel.id for channel in select.values]
        self._sync()
        await interaction.response.edit_message(embed=self.embed(), view=self)

    @discord.ui.button(label="Auto-publish: off", custom_id="dest_publish")
    async def toggle_publish(self, interaction: discord.Interaction, _: discord.ui.Button[Any]):
        self.publish = not self.publish
        self._sync()
        await interaction.response.edit_message(embed=self.embed(), view=self)

    @discord.ui.button(label="Webhook identity…", custom_id="dest_identity")
    async def set_identity(self, interaction: discord.Interaction, _: discord.ui.Button[Any]):
        await interaction.response.send_modal(IdentityModal(self))

    @discord.ui.button(label="Post as the bot", custom_id="dest_clear_identity")
    async def clear_identity(self, interaction: discord.Interaction, _: discord.ui.Button[Any]):
        self.identity = None
        self._sync()
        await interaction.response.edit_message(embed=self.embed(), view=self)

    @discord.ui.button(label="Save", style=discord.ButtonStyle.success, custom_id="dest_save")
    async def save(self, interaction: discord.Interaction, _: discord.ui.Button[Any]):
        await interaction.response.defer()
        updated = await self.cog.save_destinations(interaction, self)
        self.stop()
        self.task = updated
        embed = await self.cog.task_reply(updated, "Destinations saved")
        await interaction.edit_original_response(embed=embed, view=None)

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        await handle_error(interaction, error, "the destinations form")


class DestinationCommands(ScheduleBase):
    """Where a task posts."""

    bot: CadenceBot

    @app_commands.command(name="destinations", description="Choose where a task posts")
    @app_commands.describe(task="The task (start typing its name)")
    async def destinations_command(self, interaction: discord.Interaction, task: str) -> None:
        found = await self.resolve_task(interaction, task)
        view = DestinationsView(self, found, interaction.user.id)
        await reply(interaction, embed=view.embed(), view=view)

    async def save_destinations(
        self, interaction: discord.Interaction, view: DestinationsView
    ) -> Task:
        guild = interaction.guild
        assert guild is not None
        task = await self.refreshed(view.task)
        embed = any(v.embed is not None for v in task.payload.variants)
        destinations: list[Destination] = []
        for channel_id in view.channel_ids:
            channel = guild.get_channel_or_thread(channel_id)
            if channel is None:
                raise ScheduleError(f"I can't see <#{channel_id}>; pick another channel.")
            destination: Destination = self.check_channel(interaction, channel, embed=embed)  # type: ignore[arg-type]
            if view.identity:
                destination = await webhook_destination(
                    channel,  # type: ignore[arg-type]
                    name=view.identity["name"],
                    avatar_url=view.identity.get("avatar_url"),
                )
            elif view.publish and getattr(channel, "type", None) == discord.ChannelType.news:
                destination = ChannelDestination(channel_id=destination.channel_id, publish=True)
            destinations.append(destination)
        return await self.control.edit(
            task, TaskUpdate(destinations=tuple(destinations)), actor_id=interaction.user.id
        )
