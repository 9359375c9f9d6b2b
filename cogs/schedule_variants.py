"""/schedule add-variant and /schedule rotation: several messages posted in turn."""

from __future__ import annotations

from typing import Any, Literal

import discord
from discord import app_commands

from cogs.common import reply
from cogs.messages import MessageDraft, approve_mentions
from cogs.schedule_base import ScheduleBase, checked_choice
from cogs.views import MessageModal
from scheduler.errors import ScheduleError
from scheduler.payload import variants
from storage import Task

MAX_VARIANTS = 20


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
        if len(variants(found.payload)) >= MAX_VARIANTS:
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
        payload = {**found.payload, "rotation": mode}
        updated = await self.bot.control.edit(
            found, {"payload": payload}, actor_id=interaction.user.id
        )
        count = len(variants(updated.payload))
        embed = await self.task_reply(updated, f"Rotation {mode}")
        embed.add_field(name="Variants", value=str(count))
        await reply(interaction, embed=embed)

    async def _add(self, interaction: discord.Interaction, task: Task, draft: MessageDraft) -> None:
        assert interaction.guild is not None and isinstance(interaction.user, discord.Member)
        draft.validate()
        task = await self.refreshed(task)
        payload: dict[str, Any] = dict(task.payload)
        if task.destinations:
            first = task.destinations[0]
            channel = interaction.guild.get_channel_or_thread(
                int(first.get("thread_id") or first["channel_id"])
            )
            if channel is not None:
                self.check_channel(interaction, channel, embed=draft.has_embed)  # type: ignore[arg-type]
                settings = await self.bot.engine.guilds.get(interaction.guild.id)
                approved = approve_mentions(
                    draft, author=interaction.user, channel=channel, policy=settings.mention_policy
                )
                payload["mentions"] = _merge_mentions(payload.get("mentions"), approved)
        payload["variants"] = [*variants(task.payload), draft.variant()]
        payload.setdefault("rotation", "sequential")
        updated = await self.bot.control.edit(
            task, {"payload": payload}, actor_id=interaction.user.id
        )
        embed = await self.task_reply(updated, "Variant added")
        embed.add_field(
            name="Variants", value=f"{len(payload['variants'])} ({payload['rotation']})"
        )
        await reply(interaction, embed=embed)


def _merge_mentions(old: Any, new: dict[str, Any]) -> dict[str, Any]:
    old = old if isinstance(old, dict) else {}
    return {
        "everyone": bool(old.get("everyone")) or new["everyone"],
        "roles": sorted({*old.get("roles", []), *new["roles"]}),
        "users": True,
    }
