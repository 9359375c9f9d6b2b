"""The bot: a discord.py `commands.Bot` that owns the engine, loads the cogs and runs
Cadence's start-up (recovery before the gateway connects, catch-up once it is ready) and
shutdown. `bot.py` builds it and runs it with `cogs.running.running`."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections.abc import Sequence
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

import cogs
from cogs.alerting import DiscordAlerter
from cogs.delivery import DiscordDeliverer
from cogs.pacing import SlidingWindowPacer, pace_sends
from config import Settings
from config.version import VERSION
from discordside.members import MemberLookup, gateway_member_options
from scheduler.api import SchedulerAPI
from scheduler.clock import SystemClock
from scheduler.engine import Engine, EngineConfig
from scheduler.process_group import ProcessGroup
from scheduler.protocols import Notice
from scheduler.services import build_services
from scheduler.zones import TaskZones
from storage import Database, NoticeLevel, Repositories
from telemetry import Metrics
from telemetry.discord_http import discord_trace

log = logging.getLogger("cadence")

__version__ = VERSION

TREE_HASH_KEY = "command_tree_hash"
# On a stop signal, runs already sending get this long to finish before they are cancelled
# (a cancelled run is recovered at the next start, under RESUME_WINDOW_SECONDS).
SHUTDOWN_GRACE_SECONDS = 5.0
# Catch-up waits this long for the gateway to be ready (guilds and members cached), then goes
# on without it and says so in the "Cadence started" notice.
READY_TIMEOUT_SECONDS = 60.0


class TimedCommandTree(app_commands.CommandTree["CadenceBot"]):
    """Times each slash command, from the moment the tree takes it to the end of its handler
    (the answer is sent by then), as `cadence_command_seconds{command}`."""

    async def interaction_check(self, interaction: discord.Interaction[CadenceBot]) -> bool:
        interaction.extras["cadence_started"] = time.perf_counter()
        return True

    async def on_error(
        self, interaction: discord.Interaction[CadenceBot], error: app_commands.AppCommandError
    ) -> None:
        observe_command(interaction, self.client.metrics)
        await super().on_error(interaction, error)


def observe_command(interaction: discord.Interaction, metrics: Metrics) -> None:
    """Record the time since the tree took `interaction` (ended well or not)."""
    started = interaction.extras.pop("cadence_started", None)
    command = interaction.command
    if started is not None and command is not None:
        metrics.command_seconds.labels(command.qualified_name).observe(
            time.perf_counter() - started
        )


class CadenceBot(commands.Bot):
    """The bot; everything it needs comes in through the constructor.

    With one shard (the default) it is a plain `commands.Bot`; `build_bot` gives the sharded
    variant, `ShardedCadenceBot`, when SHARD_COUNT is above 1.
    """

    def __init__(
        self,
        settings: Settings,
        database: Database,
        *,
        extensions: Sequence[str] | None = None,
        guild_ready_timeout: float = 2.0,
        ready_timeout: float = READY_TIMEOUT_SECONDS,
        metrics: Metrics | None = None,
    ) -> None:
        self.metrics = metrics or Metrics(version=__version__)
        self.pacer = SlidingWindowPacer()
        trace = discord_trace(self.metrics)
        pace_sends(trace, self.pacer, on_wait=self.metrics.pacer_wait.observe)
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            guild_ready_timeout=guild_ready_timeout,
            allowed_mentions=discord.AllowedMentions.none(),
            http_trace=trace,
            tree_cls=TimedCommandTree,
            **gateway_member_options(settings.member_cache),
            **self._gateway_options(settings),
        )
        self.settings = settings
        #: The members the checks need, fetched and kept briefly (discordside/members.py).
        self.member_lookup = MemberLookup(ttl=settings.member_cache_seconds)
        self._forget_members_on_update()
        self.database = database
        self.version = __version__
        deliverer = DiscordDeliverer(self)
        stores = Repositories.over(database)
        zones = TaskZones(stores.guilds, default_timezone=settings.default_timezone)
        clock = SystemClock()
        self.engine = Engine(
            database,
            deliverer=deliverer,
            alerter=DiscordAlerter(self, settings, stores.guilds),
            config=EngineConfig.from_settings(settings),
            clock=clock,
            repositories=stores,
            zones=zones,
            metrics=self.metrics,
        )
        deliverer.notify = self.engine.notify
        #: The group of processes sharing a PostgreSQL database (None on SQLite: one process).
        self.process_group: ProcessGroup | None = None
        if database.dialect.is_postgres:
            self.process_group = ProcessGroup(
                stores.processes,
                clock,
                shard_ids=settings.shards.shard_ids,
                shard_count=settings.shards.shard_count,
                # The id the engine claims runs with, so both name one process.
                process_id=self.engine.config.process_id,
                on_share=self.pacer.set_limit,
            )
            self.engine.prefers = self.process_group.prefers
        self.services = build_services(settings, database, stores, zones, clock, self.engine)
        self.control = self.services.control
        self.scheduler = SchedulerAPI(
            self.engine, self.control, tasks=stores.tasks, zones=zones, clock=clock
        )
        if extensions is None:
            extensions = [*cogs.EXTENSIONS, *settings.extra_extensions]
        self._extension_names = list(extensions)
        self._engine_started = False
        self._ready_timeout = ready_timeout
        self._catching_up: asyncio.Task[None] | None = None
        #: Set once start-up is over: missed runs caught up, waking, "Cadence started" sent.
        self.started = asyncio.Event()

    @staticmethod
    def _gateway_options(settings: Settings) -> dict[str, Any]:
        """Extra `Client` options for the gateway (none for one unsharded connection)."""
        return {}

    def _forget_members_on_update(self) -> None:
        """Drop a kept member when Discord says they changed. discord.py dispatches nothing
        for a GUILD_MEMBER_UPDATE of a member it does not cache (MEMBER_CACHE=needed), so its
        parser is wrapped: the event is read first, then handled as usual."""
        parsers = self._connection.parsers
        handle = parsers["GUILD_MEMBER_UPDATE"]

        def member_update(data: Any) -> None:
            self.member_lookup.forget(int(data["guild_id"]), int(data["user"]["id"]))
            handle(data)

        parsers["GUILD_MEMBER_UPDATE"] = member_update

    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        self.member_lookup.forget(payload.guild_id, payload.user.id)

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        self.member_lookup.forget_guild(guild.id)

    @property
    def process_id(self) -> str | None:
        """This process's id in the process group (None when not in one)."""
        return None if self.process_group is None else self.process_group.process_id

    async def setup_hook(self) -> None:
        """Before the gateway connects: the process group's first heartbeat (its share of the
        request budget), extensions, command sync, and recovery of the runs a crash
        interrupted. Catch-up and the first wake wait for the gateway (see
        `_catch_up_when_ready`), so commands are answered while missed posts go out."""
        if self.process_group is not None:
            await self.process_group.start()
        for name in self._extension_names:
            try:
                await self.load_extension(name)
            except Exception:
                log.exception("Could not load extension %s; the others still load", name)
            else:
                log.info("Loaded extension %s", name)
        await self.sync_commands()
        await self.engine.recover()
        self._engine_started = True
        if self._catching_up is None:  # once per process, whatever READY or RESUME follow
            self._catching_up = asyncio.create_task(
                self._catch_up_when_ready(), name="cadence-catch-up"
            )

    async def _catch_up_when_ready(self) -> None:
        """Once the gateway is ready (or `ready_timeout` has passed): catch up on missed
        runs, start waking, then send the "Cadence started" notice."""
        ready = True
        try:
            await asyncio.wait_for(self.wait_until_ready(), self._ready_timeout)
        except TimeoutError:
            ready = False
            log.warning(
                "The gateway is not ready after %g s; catching up without it (mentions are "
                "checked over REST)",
                self._ready_timeout,
            )
        try:
            report = await self.engine.catch_up_and_wake()
            await self._announce_start(report, gateway_ready=ready)
            self.started.set()
        except Exception:
            log.exception("Catch-up failed; stopping, so that nothing runs unsupervised")
            await self.close()

    async def sync_commands(self) -> None:
        """To DEV_GUILD_ID at every start; globally only when the command tree changed."""
        if self.settings.dev_guild_id:
            guild = discord.Object(self.settings.dev_guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("Synced %d command(s) to guild %s", len(synced), guild.id)
            return
        state = self.services.repositories.state
        digest = self.command_tree_hash()
        if await state.get(TREE_HASH_KEY) == digest:
            log.info("Command tree unchanged since the last global sync; not syncing")
            return
        synced = await self.tree.sync()
        await state.set(TREE_HASH_KEY, digest)
        log.info("Synced %d global command(s)", len(synced))

    def command_tree_hash(self) -> str:
        payload = sorted(
            (command.to_dict(self.tree) for command in self.tree.get_commands()),
            key=lambda item: str(item.get("name")),
        )
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()

    async def _announce_start(self, report: dict[str, int], *, gateway_ready: bool) -> None:
        tasks = self.services.repositories.tasks
        counts = await tasks.counts_by_status()
        upcoming = await tasks.next_due_after(self.services.clock.now(), 1)
        next_run = (
            f"<t:{int(upcoming[0].next_run_at.timestamp())}:F>"
            if upcoming and upcoming[0].next_run_at
            else "nothing scheduled"
        )
        body = f"Version {self.version}."
        if not gateway_ready:
            body += (
                f" The gateway was not ready after {self._ready_timeout:g} s: missed runs "
                "were caught up without waiting for it."
            )
        self.engine.notify(
            Notice(
                guild_id=None,
                level=NoticeLevel.OK if gateway_ready else NoticeLevel.WARNING,
                kind="started",
                title="Cadence started",
                body=body,
                fields=(
                    ("Active tasks", str(counts.get("active", 0))),
                    ("Next run", next_run),
                    ("Missed runs handled", str(report["caught_up"])),
                    ("Interrupted runs recovered", str(report["recovered"])),
                ),
            )
        )
        await self.engine.alerts.flush()

    async def on_app_command_completion(
        self, interaction: discord.Interaction, command: object
    ) -> None:
        observe_command(interaction, self.metrics)

    async def on_ready(self) -> None:
        user = self.user
        log.info("Connected as %s (id %s) to %d guild(s)", user, user and user.id, len(self.guilds))

    async def close(self) -> None:
        catching_up = self._catching_up
        if catching_up is not None and catching_up is not asyncio.current_task():
            catching_up.cancel()  # runs already written `running` are recovered next start
            await asyncio.gather(catching_up, return_exceptions=True)
        if self._engine_started:
            self._engine_started = False
            self.engine.notify(
                Notice(None, NoticeLevel.INFO, "stopping", "Cadence stopping", "Shutting down.")
            )
            try:
                await asyncio.wait_for(self.engine.alerts.flush(), timeout=5)
            except Exception:
                log.warning("Could not send the stopping notice")
            await self.engine.stop(grace=SHUTDOWN_GRACE_SECONDS)
        if self.process_group is not None:
            await self.process_group.stop()
        await super().close()


class ShardedCadenceBot(CadenceBot, commands.AutoShardedBot):
    """The bot on `SHARD_IDS` of `SHARD_COUNT` shards: discord.py's `AutoShardedBot`, whose
    IDENTIFYs wait their turn across the whole process group.

    discord.py 2.7 spaces one client's own IDENTIFYs by a fixed 5 s (`before_identify_hook`)
    and knows nothing of other processes or of `max_concurrency`. Here each IDENTIFY reserves
    a slot for its rate-limit key (`shard_id % max_concurrency`, from `GET /gateway/bot`) in
    the database, so processes started together never identify too fast for Discord.
    """

    @staticmethod
    def _gateway_options(settings: Settings) -> dict[str, Any]:
        plan = settings.shards
        return {"shard_count": plan.shard_count, "shard_ids": list(plan.shard_ids)}

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        if self.process_group is None:  # one process: discord.py's own spacing is enough
            await super().before_identify_hook(shard_id, initial=initial)
            return
        if self._max_concurrency is None:
            limits = await self.fetch_session_start_limits()
            self._max_concurrency = limits.max_concurrency
            log.info(
                "Session starts left today: %d of %d (max_concurrency %d)",
                limits.remaining,
                limits.total,
                limits.max_concurrency,
            )
        await self.process_group.identify_turn(shard_id or 0, self._max_concurrency)

    _max_concurrency: int | None = None


def build_bot(settings: Settings, database: Database, **options: object) -> CadenceBot:
    """The bot for `settings`: `ShardedCadenceBot` when SHARD_COUNT is above 1, else the plain
    one (so a single-shard bot behaves exactly as before sharding existed)."""
    kind = ShardedCadenceBot if settings.shards.sharded else CadenceBot
    return kind(settings, database, **options)  # type: ignore[arg-type]
