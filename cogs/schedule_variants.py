"""/schedule add-variant and /schedule rotation: several messages posted in turn."""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

import discord
from discord import app_commands

from cogs.common import reply
from cogs.schedule_base import ScheduleBase
from cogs.views import MessageModal
from discordside.checks import approve_mentions
from scheduler.errors import ScheduleError
from scheduler.messages import MAX_VARIANTS, MessageDraft, combine_mentions
from scheduler.rules import checked_choice
from storage import Rotation, Task, TaskUpdate


class VariantCommands(ScheduleBase):
    """Message variants and how they rotate."""

    @app_commands.command(
        name="add-variant", description="Add another message the task posts in turn"
    )
    @app_commands.describe(
        task="The task (start typing its name)",
        message="The new variant; leave out to write it in a form (line breaks, embed)",
    )
    async def add_variant_command(
        self, interaction: discord.Interaction, task: str, message: str | None = None
    ) -> None:
        found = await self.resolve_task(interaction, task)
        if len(found.payload.variants) >= MAX_VARIANTS:
            raise ScheduleError(f"A task has at most {MAX_VARIANTS} variants; remove one first.")
        if message is None:

            async def submitted(modal: discord.Interaction, draft: MessageDraft) -> None:
                await self._add(modal, found, draft)

            await interaction.response.send_modal(
                MessageModal(submitted, title=f"New variant for {found.name}")
            )
            return
        await self._add(interaction, found, MessageDraft(content=message.replace("\\n", "\n")))

    @app_commands.command(name="rotation", description="Post the variants in order or at random")
    @app_commands.describe(task="The task (start typing its name)", mode="sequential or random")
    async def rotation_command(
        self,
        interaction: discord.Interaction,
        task: str,
        mode: Literal["sequential", "random"],
    ) -> None:
        mode = checked_choice(mode, ("sequential", "random"), "mode")  # type: ignore[assignment]
        found = await self.resolve_task(interaction, task)
        payload = replace(found.payload, rotation=Rotation(mode))
        updated = await self.control.edit(
            found, TaskUpdate(payload=payload), actor_id=interaction.user.id
        )
        count = len(updated.payload.variants)
        embed = await self.task_reply(updated, f"Rotation {mode}")
        embed.add_field(name="Variants", value=str(count))
        await reply(interaction, embed=embed)

    async def _add(self, interaction: discord.Interaction, task: Task, draft: MessageDraft) -> None:
        assert interaction.guild is not None and isinstance(interaction.user, discord.Member)
        draft.validate()
        task = await self.refreshed(task)
        payload = task.payload
        if task.destinations:
            channel = interaction.guild.get_channel_or_thread(task.destinations[0].target_id)
            if channel is not None:
                self.check_channel(interaction, channel, embed=draft.has_embed)  # type: ignore[arg-type]
                policy = await self.rules.mention_policy(interaction.guild.id)
                approved = approve_mentions(
                    draft, author=interaction.user, channel=channel, policy=policy
                )
                mentions = combine_mentions([payload.approved, approved])
                payload = replace(payload, mentions=mentions)
        payload = replace(
            payload,
            variants=(*task.payload.variants, draft.variant()),
            rotation=payload.rotation or Rotation.SEQUENTIAL,
        )
        updated = await self.control.edit(
            task, TaskUpdate(payload=payload), actor_id=interaction.user.id
        )
        embed = await self.task_reply(updated, "Variant added")
        embed.add_field(name="Variants", value=f"{len(payload.variants)} ({payload.rotation})")
        await reply(interaction, embed=embed)
