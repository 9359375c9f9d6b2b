"""/schedule export (a JSON attachment) and /schedule import (all or nothing)."""

from __future__ import annotations

import io
import json

import discord
from discord import app_commands

from cogs.common import OK_COLOUR, error_embed, reply
from cogs.schedule_base import ScheduleBase
from discordside.checks import check_import_entries
from discordside.webhooks import with_webhooks
from scheduler.errors import ScheduleError
from scheduler.transfer import MAX_FILE_BYTES, export_tasks, plan_import


class TransferCommands(ScheduleBase):
    """Moving tasks between servers or keeping a copy."""

    @app_commands.command(name="export", description="Download this server's tasks as JSON")
    async def export_command(self, interaction: discord.Interaction) -> None:
        assert interaction.guild is not None
        tasks = await self.tasks.list_for_guild(interaction.guild.id)
        document = export_tasks(tasks, guild_id=interaction.guild.id, at=self.clock.now())
        data = json.dumps(document, indent=2, ensure_ascii=False).encode()
        file = discord.File(io.BytesIO(data), filename=f"cadence-tasks-{interaction.guild.id}.json")
        await reply(
            interaction,
            content=f"{len(tasks)} task(s). Load them with /schedule import.",
            file=file,
        )

    @app_commands.command(name="import", description="Create tasks from a /schedule export file")
    @app_commands.describe(
        file="A JSON file made by /schedule export",
        replace="Replace tasks that have the same name (default: refuse them)",
    )
    async def import_command(
        self, interaction: discord.Interaction, file: discord.Attachment, replace: bool = False
    ) -> None:
        assert interaction.guild is not None and isinstance(interaction.user, discord.Member)
        if file.size > MAX_FILE_BYTES:
            raise ScheduleError(
                f"The file has {file.size} bytes; imports take at most {MAX_FILE_BYTES}."
            )
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            document = json.loads(await file.read())
        except RecursionError:
            raise ScheduleError("The file is nested too deeply to be a Cadence export.") from None
        except ValueError as exc:  # not UTF-8, not JSON, or a number of thousands of digits
            raise ScheduleError(f"The file is not valid JSON ({str(exc)[:200]}).") from None
        guild_id = interaction.guild.id
        existing = await self.tasks.list_for_guild(guild_id)
        zone = await self.rules.zone(guild_id, None)
        plan = plan_import(
            document,
            guild_id=guild_id,
            actor_id=interaction.user.id,
            now=self.clock.now(),
            existing_names=[t.name for t in existing],
            replace=replace,
            default_zone=zone.effective,
            min_interval_seconds=self.rules.min_interval_seconds,
            max_tasks=self.rules.max_tasks_per_guild,
        )
        errors, checked = list(plan.errors), plan.tasks
        if not errors:
            policy = await self.rules.mention_policy(guild_id)
            errors, checked = check_import_entries(
                interaction.guild, interaction.user, plan.tasks, policy
            )
        if errors:
            listing = "\n".join(f"• {e}" for e in errors[:30])
            more = f"\n… and {len(errors) - 30} more" if len(errors) > 30 else ""
            await reply(
                interaction,
                embed=error_embed(
                    f"Nothing was imported: {len(errors)} problem(s).\n{listing}{more}"
                ),
            )
            return
        tasks = [await with_webhooks(interaction.guild, new) for new in checked]
        # Names are the same "in any case" (casefold); SQLite's NOCASE folds ASCII only, so
        # "Äpfel" and "äpfel" can both exist: replacing either replaces both.
        replaced = {name.casefold() for name in plan.replaces}
        removed = [old for old in existing if old.name.casefold() in replaced]
        await self.control.import_tasks(removed, tasks, actor_id=interaction.user.id)
        embed = discord.Embed(
            title=f"Imported {len(tasks)} task(s)",
            colour=OK_COLOUR,
            description="\n".join(f"• {t.name}" for t in tasks)[:4000],
        )
        if plan.replaces:
            embed.add_field(name="Replaced", value=", ".join(plan.replaces)[:1024])
        await reply(interaction, embed=embed)
