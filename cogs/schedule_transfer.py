"""/schedule export (a JSON attachment) and /schedule import (all or nothing)."""

from __future__ import annotations

import io
import json
from dataclasses import replace as with_changes
from typing import Any

import discord
from discord import app_commands

from cogs.common import OK_COLOUR, error_embed, reply
from cogs.messages import MessageDraft, approve_mentions
from cogs.schedule_base import ScheduleBase
from scheduler.errors import ScheduleError
from scheduler.transfer import MAX_FILE_BYTES, export_tasks, plan_import
from storage import MentionPolicy, NewTask


class TransferCommands(ScheduleBase):
    """Moving tasks between servers or keeping a copy."""

    @app_commands.command(name="export", description="Download this server's tasks as JSON")
    async def export_command(self, interaction: discord.Interaction) -> None:
        assert interaction.guild is not None
        tasks = await self.bot.engine.tasks.list_for_guild(interaction.guild.id)
        document = export_tasks(
            tasks, guild_id=interaction.guild.id, at=self.bot.engine.clock.now()
        )
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
        existing = await self.bot.engine.tasks.list_for_guild(guild_id)
        settings = await self.bot.engine.guilds.get(guild_id)
        plan = plan_import(
            document,
            guild_id=guild_id,
            actor_id=interaction.user.id,
            now=self.bot.engine.clock.now(),
            existing_names=[t.name for t in existing],
            replace=replace,
            default_zone=settings.timezone or self.bot.settings.default_timezone,
            min_interval_seconds=self.bot.settings.min_interval_seconds,
            max_tasks=self.bot.settings.max_tasks_per_guild,
        )
        errors, checked = list(plan.errors), plan.tasks
        if not errors:
            errors, checked = self._discord_checks(interaction, plan.tasks, settings.mention_policy)
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
        tasks = [await self._with_webhooks(interaction, new) for new in checked]
        # Names are the same "in any case" (casefold); SQLite's NOCASE folds ASCII only, so
        # "Äpfel" and "äpfel" can both exist: replacing either replaces both.
        replaced = {name.casefold() for name in plan.replaces}
        async with self.bot.database.transaction():
            for old in existing:
                if old.name.casefold() in replaced:
                    await self.bot.control.delete(old, actor_id=interaction.user.id)
            for new in tasks:
                await self.bot.control.create(new, actor_id=interaction.user.id)
        embed = discord.Embed(
            title=f"Imported {len(tasks)} task(s)",
            colour=OK_COLOUR,
            description="\n".join(f"• {t.name}" for t in tasks)[:4000],
        )
        if plan.replaces:
            embed.add_field(name="Replaced", value=", ".join(plan.replaces)[:1024])
        await reply(interaction, embed=embed)

    def _discord_checks(
        self, interaction: discord.Interaction, tasks: list[NewTask], policy: MentionPolicy
    ) -> tuple[list[str], list[NewTask]]:
        """Channels must exist here and take our posts; mentions must be the importer's to make.
        Returns the problems, and the tasks with their destinations and approved mentions as
        this server and this member make them (a file's claims are never kept)."""
        errors: list[str] = []
        checked: list[NewTask] = []
        for number, new in enumerate(tasks, start=1):
            try:
                checked.append(self._checked(interaction, new, policy))
            except ScheduleError as exc:
                errors.append(f"Entry {number} ({new.name}): {exc.message}")
        return errors, checked

    def _checked(
        self, interaction: discord.Interaction, new: NewTask, policy: MentionPolicy
    ) -> NewTask:
        assert interaction.guild is not None and isinstance(interaction.user, discord.Member)
        guild = interaction.guild
        embed = any(v.get("embed") for v in new.payload.get("variants", []))
        destinations: list[dict[str, Any]] = []
        first: discord.TextChannel | discord.Thread | None = None
        for dest in new.destinations:
            target = dest.get("thread_id") or dest["channel_id"]
            channel = guild.get_channel_or_thread(int(target))
            if channel is None:
                raise ScheduleError(f"channel {target} is not in this server")
            if not isinstance(channel, discord.TextChannel | discord.Thread):
                raise ScheduleError(f"{channel.mention} is not a text channel or thread")
            stored = self.check_channel(interaction, channel, embed=embed)
            parent = channel.parent if isinstance(channel, discord.Thread) else channel
            if dest.get("type") == "webhook":
                if (
                    not isinstance(parent, discord.TextChannel)
                    or not parent.permissions_for(guild.me).manage_webhooks
                ):
                    raise ScheduleError(f"I need Manage Webhooks in {channel.mention}")
                identity = {k: v for k, v in dest.items() if k in ("name", "avatar_url")}
                stored = {**identity, **stored, "type": "webhook", "channel_id": parent.id}
            elif dest.get("publish") and channel.type == discord.ChannelType.news:
                stored["publish"] = True
            destinations.append(stored)
            first = first or channel
        approved: dict[str, Any] = {"everyone": False, "roles": [], "users": True}
        for variant in new.payload.get("variants", []):
            draft = MessageDraft.from_variant(variant).validate()
            if first is not None:
                mentions = approve_mentions(
                    draft, author=interaction.user, channel=first, policy=policy
                )
                approved["everyone"] = approved["everyone"] or mentions["everyone"]
                approved["roles"] = sorted({*approved["roles"], *mentions["roles"]})
        payload = {**new.payload, "mentions": approved}
        return with_changes(new, payload=payload, destinations=destinations)

    async def _with_webhooks(self, interaction: discord.Interaction, new: NewTask) -> NewTask:
        assert interaction.guild is not None
        destinations: list[dict[str, Any]] = []
        for dest in new.destinations:
            if dest.get("type") != "webhook":
                destinations.append(dest)
                continue
            channel = interaction.guild.get_channel(int(dest["channel_id"]))
            assert isinstance(channel, discord.TextChannel)
            hook = await channel.create_webhook(name="Cadence", reason="Cadence import")
            destinations.append({**dest, "webhook_id": hook.id, "webhook_token": hook.token})
        return with_changes(new, destinations=destinations)
