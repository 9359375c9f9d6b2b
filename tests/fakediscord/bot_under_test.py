"""A small discord.py bot exercising every interaction kind the emulator supports."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import discord
from discord import app_commands

from .harness import make_client

TASKS = ["daily-standup", "dashboard", "weekly-report", "data-export"]


@dataclass
class Recorder:
    """What the bot saw and which errors it got back from the emulator."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    started: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    done: asyncio.Event = field(default_factory=asyncio.Event)


class NoteModal(discord.ui.Modal, title="Message"):
    content: discord.ui.TextInput[NoteModal] = discord.ui.TextInput(
        label="Content", style=discord.TextStyle.long, custom_id="content"
    )
    footer: discord.ui.TextInput[NoteModal] = discord.ui.TextInput(
        label="Footer", required=False, custom_id="footer"
    )

    def __init__(self, recorder: Recorder, *, modal_again: bool = False) -> None:
        super().__init__()
        self.recorder = recorder
        self.modal_again = modal_again

    async def on_submit(self, interaction: discord.Interaction) -> None:
        self.recorder.calls.append(
            ("modal", {"content": self.content.value, "footer": self.footer.value})
        )
        try:
            if self.modal_again:
                await interaction.response.send_modal(NoteModal(self.recorder))
            else:
                await interaction.response.send_message("saved", ephemeral=True)
        except discord.HTTPException as exc:
            self.recorder.errors.append(exc)
        self.recorder.done.set()


class Panel(discord.ui.View):
    def __init__(self, recorder: Recorder) -> None:
        super().__init__(timeout=None)
        self.recorder = recorder

    @discord.ui.button(label="Pause", custom_id="pause", style=discord.ButtonStyle.danger)
    async def pause(
        self, interaction: discord.Interaction, button: discord.ui.Button[Panel]
    ) -> None:
        self.recorder.calls.append(("pause", {"user": interaction.user.id}))
        await interaction.response.edit_message(content="paused", view=None)

    @discord.ui.select(
        custom_id="mode",
        options=[
            discord.SelectOption(label="Sequential", value="seq"),
            discord.SelectOption(label="Random", value="random"),
        ],
    )
    async def mode(
        self, interaction: discord.Interaction, select: discord.ui.Select[Panel]
    ) -> None:
        self.recorder.calls.append(("mode", {"values": list(select.values)}))
        await interaction.response.send_message(f"mode {select.values[0]}", ephemeral=True)

    @discord.ui.select(
        cls=discord.ui.ChannelSelect,
        custom_id="where",
        channel_types=[discord.ChannelType.text, discord.ChannelType.news],
        max_values=3,
    )
    async def where(
        self, interaction: discord.Interaction, select: discord.ui.ChannelSelect[Panel]
    ) -> None:
        self.recorder.calls.append(("where", {"ids": [c.id for c in select.values]}))
        await interaction.response.defer()
        await interaction.edit_original_response(content=f"{len(select.values)} channels")


def build_bot(recorder: Recorder) -> tuple[discord.Client, app_commands.CommandTree]:
    client, tree = make_client()
    schedule = app_commands.Group(
        name="schedule",
        description="Manage scheduled tasks",
        default_permissions=discord.Permissions(manage_guild=True),
        guild_only=True,
    )

    @schedule.command(name="cron", description="Create a cron task")
    async def cron(
        interaction: discord.Interaction,
        name: str,
        cron: str,
        channel: discord.TextChannel,
        max_runs: app_commands.Range[int, 1, 1000] | None = None,
        notify: discord.Role | None = None,
    ) -> None:
        recorder.calls.append(
            (
                "cron",
                {
                    "name": name,
                    "cron": cron,
                    "channel": channel,
                    "max_runs": max_runs,
                    "notify": notify,
                    "manage_guild": interaction.permissions.manage_guild,
                    "user": interaction.user.id,
                },
            )
        )
        await interaction.response.send_message(f"created {name}", ephemeral=True)

    @schedule.command(name="show", description="Show a task")
    async def show(interaction: discord.Interaction, task: str) -> None:
        await interaction.response.send_message(f"task {task}")

    @show.autocomplete("task")
    async def task_names(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=n, value=n) for n in TASKS if n.startswith(current)]

    @schedule.command(name="note", description="Write a message in a modal")
    async def note(interaction: discord.Interaction, again: bool = False) -> None:
        await interaction.response.send_modal(NoteModal(recorder, modal_again=again))

    @schedule.command(name="late-modal", description="Defer, then try a modal")
    async def late_modal(interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True)
        interaction.response._response_type = None  # get past discord.py's own guard
        try:
            await interaction.response.send_modal(NoteModal(recorder))
        except discord.HTTPException as exc:
            recorder.errors.append(exc)
        recorder.done.set()

    @schedule.command(name="panel", description="Buttons and selects")
    async def panel(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("panel", view=Panel(recorder))

    @schedule.command(name="slow", description="Answers after the test says so")
    async def slow(interaction: discord.Interaction) -> None:
        recorder.started.set()
        await recorder.release.wait()
        try:
            await interaction.response.send_message("too late?")
        except discord.HTTPException as exc:
            recorder.errors.append(exc)
        recorder.done.set()

    @schedule.command(name="think", description="Defer, then follow up")
    async def think(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.followup.send("done thinking")
        await interaction.followup.send("one more", ephemeral=True)

    @schedule.command(name="edit", description="Answer, then edit the answer")
    async def edit(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("v1")
        await interaction.edit_original_response(content="v2")

    @schedule.command(name="import", description="Import tasks from a file")
    async def import_(interaction: discord.Interaction, file: discord.Attachment) -> None:
        data = await file.read()
        recorder.calls.append(("import", {"name": file.filename, "data": data}))
        await interaction.response.send_message(f"read {len(data)} bytes", ephemeral=True)

    tree.add_command(schedule)
    return client, tree
