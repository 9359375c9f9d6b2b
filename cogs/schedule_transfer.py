"""/schedule export (a JSON attachment) and /schedule import (all or nothing)."""

from __future__ import annotations

import io
import json

import discord
from discord import app_commands

from cogs.common import OK_COLOUR, error_embed, reply
from cogs.schedule_base import ScheduleBase
from discordside.importing import import_document
from scheduler.errors import ScheduleError
from scheduler.transfer import MAX_FILE_BYTES, export_tasks


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
        outcome = await import_document(
            document,
            guild=interaction.guild,
            member=interaction.user,
            replace=replace,
            tasks=self.tasks,
            rules=self.rules,
            control=self.control,
            clock=self.clock,
        )
        if not outcome.ok:
            errors = [problem.message for problem in outcome.problems]
            listing = "\n".join(f"• {e}" for e in errors[:30])
            more = f"\n… and {len(errors) - 30} more" if len(errors) > 30 else ""
            await reply(
                interaction,
                embed=error_embed(
                    f"Nothing was imported: {len(errors)} problem(s).\n{listing}{more}"
                ),
            )
            return
        embed = discord.Embed(
            title=f"Imported {len(outcome.created)} task(s)",
            colour=OK_COLOUR,
            description="\n".join(f"• {t.name}" for t in outcome.created)[:4000],
        )
        if outcome.replaced:
            embed.add_field(name="Replaced", value=", ".join(outcome.replaced)[:1024])
        await reply(interaction, embed=embed)
