"""Slash-command test helpers: the real CadenceBot (engine, storage, cogs) in the test's event
loop, talking over real sockets to fakediscord, driven as members would drive it. The
fixtures that use them are in conftest.py."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from cogs.bot import CadenceBot, build_bot
from cogs.running import running
from config import load_settings
from fakediscord import ChannelType, FakeDiscord, Permission, World
from fakediscord.interactions import Callback, Interaction
from storage import (
    AuditEntry,
    ChannelDestination,
    Database,
    NewTask,
    Payload,
    Run,
    Task,
    TaskKind,
    Variant,
)


@dataclass
class Scene:
    world: World
    guild: Any
    admin: Any
    manager: Any
    member: Any
    managers: Any
    general: Any
    news: Any
    readonly: Any
    noembed: Any
    dev: Any
    thread: Any
    other: Any
    other_admin: Any
    other_general: Any


def build_scene() -> Scene:
    world = World()
    guild = world.add_guild("Commands", owner="owner")
    admins = guild.add_role("Admins", Permission.ADMINISTRATOR)
    managers = guild.add_role("Schedulers", 0)
    admin = guild.add_member("alice", roles=[admins])
    manager = guild.add_member("carol", roles=[managers])
    member = guild.add_member("bob")
    bot = guild.bot_member
    general = guild.add_channel("general")
    news = guild.add_channel("news", type=ChannelType.ANNOUNCEMENT)
    readonly = guild.add_channel("readonly", overwrites={bot: (0, Permission.SEND_MESSAGES)})
    noembed = guild.add_channel("noembed", overwrites={bot: (0, Permission.EMBED_LINKS)})
    dev = guild.add_channel("dev")
    thread = guild.add_thread(general, "standup")
    other = world.add_guild("Elsewhere", owner="owner2")
    other_admins = other.add_role("Admins", Permission.ADMINISTRATOR)
    other_admin = other.add_member("dave", roles=[other_admins])
    other_general = other.add_channel("general")
    return Scene(
        world,
        guild,
        admin,
        manager,
        member,
        managers,
        general,
        news,
        readonly,
        noembed,
        dev,
        thread,
        other,
        other_admin,
        other_general,
    )


@dataclass
class App:
    fd: FakeDiscord
    bot: CadenceBot
    scene: Scene

    async def slash(
        self, member: Any, path: str, *, guild: Any = None, **options: Any
    ) -> Interaction:
        return await self.fd.slash(guild or self.scene.guild, member, f"schedule {path}", **options)

    async def answer(
        self, member: Any, path: str, *, guild: Any = None, **options: Any
    ) -> Callback:
        """Run a command and wait until it is fully answered; return the visible answer."""
        handle = await self.slash(member, path, guild=guild, **options)
        return await final_answer(handle)

    async def tasks(self, guild: Any = None) -> list[Task]:
        return await self.bot.engine.tasks.list_for_guild((guild or self.scene.guild).id)

    async def task(self, name: str, guild: Any = None) -> Task:
        """The stored task called `name` (it must exist)."""
        found = await self.bot.engine.tasks.get_by_name((guild or self.scene.guild).id, name)
        assert found is not None, f"no task named {name!r}"
        return found

    async def audit(self, guild: Any = None) -> list[AuditEntry]:
        """The guild's audit rows, newest first."""
        return await self.bot.engine.audit.for_guild((guild or self.scene.guild).id, 10_000)

    async def runs(self, task: Task) -> list[Run]:
        return await self.bot.engine.runs.list_for_task(task.id, 10_000)

    async def storage(self) -> Storage:
        """Every task, run and audit row of both guilds: compare two to prove nothing changed."""
        tasks: list[Task] = []
        audit: list[AuditEntry] = []
        runs: list[Run] = []
        for guild in (self.scene.guild, self.scene.other):
            tasks += await self.tasks(guild)
            audit += await self.audit(guild)
        for task in tasks:
            runs += await self.runs(task)
        return Storage(tuple(tasks), tuple(audit), tuple(runs))

    async def create(
        self,
        name: str,
        command: str = "cron",
        *,
        member: Any = None,
        guild: Any = None,
        **options: Any,
    ) -> Task:
        """Create a task through the slash command (sensible defaults); return the stored row."""
        defaults: dict[str, Any] = {
            "cron": {"cron": "0 9 * * 1-5"},
            "once": {"when": "in 2 days"},
            "every": {"interval": "4h"},
        }[command]
        elsewhere = guild is self.scene.other
        options = {
            **defaults,
            "channel": self.scene.other_general if elsewhere else self.scene.general,
            "message": f"{name} says hello",
            **options,
        }
        default_member = self.scene.other_admin if elsewhere else self.scene.admin
        answer = await self.answer(
            member or default_member, command, guild=guild, name=name, **options
        )
        title = embed_of(answer).get("title", "")
        assert title.startswith("Scheduled"), text_of(answer)
        return await self.task(name, guild)

    async def seed(self, names: list[str], guild: Any = None) -> list[Task]:
        """Store tasks directly through TaskControl (fast set-up for lists and autocomplete)."""
        guild = guild or self.scene.guild
        channel = self.scene.general if guild is self.scene.guild else self.scene.other_general
        created = []
        for index, name in enumerate(names):
            new = NewTask(
                name=name,
                kind=TaskKind.CRON,
                spec=f"{index % 60} 9 * * *",
                created_at=self.bot.engine.clock.now(),
                guild_id=guild.id,
                created_by=self.scene.admin.id,
                payload=Payload(variants=(Variant(content=f"{name} says hello"),)),
                destinations=(ChannelDestination(channel_id=channel.id),),
            )
            created.append(await self.bot.control.create(new, actor_id=self.scene.admin.id))
        return created

    async def allow_managers(self) -> None:
        """Name the manager role and allow it on /schedule, as an admin would."""
        await self.bot.engine.guilds.update(
            self.scene.guild.id, self.bot.engine.clock.now(), manager_role_id=self.scene.managers.id
        )
        self.fd.set_command_permissions(self.scene.guild, "schedule", {self.scene.managers: True})


@dataclass(frozen=True)
class Storage:
    tasks: tuple[Task, ...]
    audit: tuple[AuditEntry, ...]
    runs: tuple[Run, ...]


async def final_answer(handle: Interaction) -> Callback:
    """The first accepted callback, or for a deferred one the followup that completed it."""
    callback = await handle.response(timeout=10)
    if callback.type == 5:  # deferred: the first followup replaces the "thinking" message
        await handle.wait_done(timeout=10)
        message = handle.followups[0] if handle.followups else handle.original
        assert message is not None
        return Callback(
            type=4,
            data={"embeds": message.embeds, "content": message.content, "flags": message.flags},
            at=callback.at,
            status=200,
        )
    return callback


def embed_of(callback: Callback) -> dict[str, Any]:
    data = callback.data or {}
    embeds = data.get("embeds") or []
    assert embeds, f"no embed in {data}"
    return embeds[0]


def field_of(callback: Callback, name: str) -> str:
    """The value of the first embed's field called `name`."""
    for field in embed_of(callback).get("fields", []):
        if field.get("name") == name:
            return str(field.get("value", ""))
    raise AssertionError(f"no field {name!r} in {embed_of(callback)}")


def assert_refused(callback: Callback, *fragments: str, example: str | None = None) -> str:
    """The answer is an ephemeral error embed naming the problem; returns its text."""
    assert callback.type == 4, f"expected a message, got callback type {callback.type}"
    assert callback.ephemeral, "errors must be ephemeral"
    embed = embed_of(callback)
    assert embed.get("title") == "That didn't work", embed
    text = text_of(callback)
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} not in {text!r}"
    if example is not None:
        assert field_of(callback, "Example") == f"`{example}`"
    return text


def weekday_mornings(
    zone: str, after: datetime, count: int, *, hour: int = 9, minute: int = 0
) -> list[datetime]:
    """The next `count` Monday-to-Friday 09:00 (or hour:minute) in `zone` after `after`, worked
    out by hand: an independent check of what the bot computes for `0 9 * * 1-5`."""
    tz = ZoneInfo(zone)
    found: list[datetime] = []
    day = after.astimezone(tz).date()
    while len(found) < count:
        local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)
        if local.weekday() < 5 and local > after:
            found.append(local.astimezone(UTC))
        day += timedelta(days=1)
    return found


def discord_time(instant: datetime | None) -> str:
    """How the bot shows an instant: a Discord timestamp, full date and time."""
    assert instant is not None
    return f"<t:{int(instant.timestamp())}:F>"


def text_of(callback: Callback) -> str:
    """Everything a person reads in the answer, as one string."""
    data = callback.data or {}
    parts = [data.get("content") or ""]
    for embed in data.get("embeds") or []:
        parts += [embed.get("title", ""), embed.get("description", "")]
        for field in embed.get("fields", []):
            parts += [field.get("name", ""), field.get("value", "")]
    return "\n".join(p for p in parts if p)


@contextlib.asynccontextmanager
async def started_app(
    scene: Scene,
    db_path: Path,
    settings: Mapping[str, str] | None = None,
    *,
    before_start: Callable[[FakeDiscord, Database], Awaitable[None]] | None = None,
    wait_started: bool = True,
    ready_timeout: float = 10,
) -> AsyncIterator[App]:
    """fakediscord and the bot on `db_path`, once the gateway is ready; by default also once
    the start-up catch-up is over. `before_start` may seed the database or set faults;
    `ready_timeout` is how long the bot's catch-up waits for the gateway."""
    fd = await FakeDiscord.start(scene.world)
    environ = {
        "DISCORD_TOKEN": fd.token,
        "DEV_CHANNEL_ID": str(scene.dev.id),
        "MIN_INTERVAL_SECONDS": "60",
        **(settings or {}),
    }
    database = await Database.open(db_path)
    try:
        if before_start is not None:
            await before_start(fd, database)
        bot = build_bot(  # a ShardedCadenceBot when the settings name SHARD_COUNT > 1
            load_settings(environ, env_file=None),
            database,
            guild_ready_timeout=0.05,
            ready_timeout=ready_timeout,
        )
        async with running(bot, fd.token, api_base=fd.url, ready_timeout=10, reconnect=False):
            if wait_started:
                await asyncio.wait_for(bot.started.wait(), 10)
            yield App(fd, bot, scene)
    finally:
        await database.close()
        await fd.stop()
