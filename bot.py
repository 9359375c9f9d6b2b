"""Cadence's composition root: load settings, open storage, build the bot, run it."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import logging
import signal
import sys
import zoneinfo
from collections.abc import Sequence

import aiohttp
import discord
import yarl
from discord.ext import commands

import cogs
from cogs.alerting import DiscordAlerter
from cogs.delivery import DiscordDeliverer
from cogs.pacing import SlidingWindowPacer, pace_requests
from config import DatabaseUrl, Settings, SettingsError, describe_settings, load_settings
from scheduler.api import SchedulerAPI
from scheduler.control import TaskControl
from scheduler.engine import Engine, EngineConfig
from scheduler.protocols import Notice
from storage import (
    Database,
    DatabaseUnavailableError,
    GuildSettingsRepository,
    NoticeLevel,
    SchemaTooNewError,
    StateRepository,
)
from storage.copy import TargetNotEmptyError, copy_database

log = logging.getLogger("cadence")

__version__ = "0.1.0"

EXIT_OK = 0
EXIT_CONFIG = 2
EXIT_UNREACHABLE = 3
TREE_HASH_KEY = "command_tree_hash"
# On a stop signal, runs already sending get this long to finish before they are cancelled
# (a cancelled run is recovered at the next start, under RESUME_WINDOW_SECONDS).
SHUTDOWN_GRACE_SECONDS = 5.0


class CadenceBot(commands.Bot):
    """The bot; everything it needs comes in through the constructor."""

    def __init__(
        self,
        settings: Settings,
        database: Database,
        *,
        extensions: Sequence[str] | None = None,
        guild_ready_timeout: float = 2.0,
    ) -> None:
        intents = discord.Intents.default()
        intents.members = True
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            help_command=None,
            guild_ready_timeout=guild_ready_timeout,
            allowed_mentions=discord.AllowedMentions.none(),
        )
        self.settings = settings
        self.database = database
        self.version = __version__
        self.pacer = SlidingWindowPacer()
        pace_requests(self.http, self.pacer)
        deliverer = DiscordDeliverer(self)
        self.engine = Engine(
            database,
            deliverer=deliverer,
            alerter=DiscordAlerter(self, settings, GuildSettingsRepository(database)),
            config=EngineConfig.from_settings(settings),
        )
        deliverer.notify = self.engine.notify
        self.control = TaskControl(self.engine, max_tasks_per_guild=settings.max_tasks_per_guild)
        self.scheduler = SchedulerAPI(self.engine, self.control)
        if extensions is None:
            extensions = [*cogs.EXTENSIONS, *settings.extra_extensions]
        self._extension_names = list(extensions)
        self._engine_started = False

    async def setup_hook(self) -> None:
        for name in self._extension_names:
            try:
                await self.load_extension(name)
            except Exception:
                log.exception("Could not load extension %s; the others still load", name)
            else:
                log.info("Loaded extension %s", name)
        await self.sync_commands()
        report = await self.engine.start()
        self._engine_started = True
        await self._announce_start(report)

    async def sync_commands(self) -> None:
        """To DEV_GUILD_ID at every start; globally only when the command tree changed."""
        if self.settings.dev_guild_id:
            guild = discord.Object(self.settings.dev_guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("Synced %d command(s) to guild %s", len(synced), guild.id)
            return
        state = StateRepository(self.database)
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

    async def _announce_start(self, report: dict[str, int]) -> None:
        counts = await self.engine.tasks.counts_by_status()
        upcoming = await self.engine.tasks.next_due_after(self.engine.clock.now(), 1)
        next_run = (
            f"<t:{int(upcoming[0].next_run_at.timestamp())}:F>"
            if upcoming and upcoming[0].next_run_at
            else "nothing scheduled"
        )
        self.engine.notify(
            Notice(
                guild_id=None,
                level=NoticeLevel.OK,
                kind="started",
                title="Cadence started",
                body=f"Version {self.version}.",
                fields=(
                    ("Active tasks", str(counts.get("active", 0))),
                    ("Next run", next_run),
                    ("Missed runs handled", str(report["caught_up"])),
                    ("Interrupted runs recovered", str(report["recovered"])),
                ),
            )
        )
        await self.engine.alerts.flush()

    async def on_ready(self) -> None:
        user = self.user
        log.info("Connected as %s (id %s) to %d guild(s)", user, user and user.id, len(self.guilds))

    async def close(self) -> None:
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
        await super().close()


def point_at_api(base: str) -> None:
    """Send REST and gateway traffic to `base` (e.g. fakediscord) instead of discord.com."""
    url = yarl.URL(base)
    discord.http.Route.BASE = f"{base}/api/v10"
    ws_scheme = "wss" if url.scheme == "https" else "ws"
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = url.with_scheme(ws_scheme).with_path("/")


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    quieter = max(logging.INFO, logging.getLevelName(level))
    for noisy in ("discord", "aiosqlite", "apscheduler"):
        logging.getLogger(noisy).setLevel(quieter)


async def run(settings: Settings) -> int:
    """Open the database, run the bot until it is closed or a stop signal arrives."""
    if settings.discord_api_base:
        point_at_api(settings.discord_api_base)
    try:
        database = await Database.open(
            settings.database_url.reveal(), pool_size=settings.database_pool_size
        )
    except SchemaTooNewError as exc:
        print(f"cadence: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except DatabaseUnavailableError as exc:
        print(f"cadence: {exc}", file=sys.stderr)
        return EXIT_UNREACHABLE
    try:
        bot = CadenceBot(settings, database)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        async with bot:
            runner = asyncio.create_task(bot.start(settings.discord_token.reveal()))
            stopper = asyncio.create_task(stop.wait())
            done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
            if stopper in done:
                log.info("Stop signal received; shutting down")
            await bot.close()
            stopper.cancel()
            try:
                await runner
            except discord.LoginFailure:
                log.error("Discord refused the token (DISCORD_TOKEN); check it and try again")
                return EXIT_CONFIG
            except discord.PrivilegedIntentsRequired:
                log.error(
                    "Discord refused the Server Members intent: enable it in the Developer "
                    "Portal (Bot → Privileged Gateway Intents → Server Members Intent), then "
                    "start again"
                )
                return EXIT_CONFIG
            except (OSError, aiohttp.ClientError, discord.DiscordException) as exc:
                log.error("Cannot reach Discord at %s: %s", discord.http.Route.BASE, exc)
                return EXIT_UNREACHABLE
    finally:
        await database.close()
    log.info("Stopped cleanly")
    return EXIT_OK


async def copy_database_cli(settings: Settings, target: DatabaseUrl) -> int:
    """`--copy-database-to`: copy DATABASE_URL's database into the empty `target`, verify."""
    try:
        async with (
            Database.open(settings.database_url.reveal()) as source,
            Database.open(target.reveal()) as destination,
        ):
            report = await copy_database(source, destination)
    except (SchemaTooNewError, TargetNotEmptyError) as exc:
        print(f"cadence: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except DatabaseUnavailableError as exc:
        print(f"cadence: {exc}", file=sys.stderr)
        return EXIT_UNREACHABLE
    print(f"Copied {settings.database_url} to {target}; every table verified:")
    for table in report.target:
        print(f"  {table.table:<15} {table.rows:>10,} rows  checksum {table.checksum[:16]}")
    print(
        f"Now set DATABASE_URL={target} in .env (with your real password), and start Cadence. "
        f"The source, {settings.database_url}, was not changed: keep it as a backup."
    )
    return EXIT_OK


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bot.py", description="Run the Cadence Discord bot.")
    parser.add_argument(
        "--sandbox",
        action="store_true",
        help="run offline against a local Discord emulator, with no token",
    )
    parser.add_argument("--env-file", default=".env", help="settings file (default: .env)")
    parser.add_argument(
        "--db", metavar="PATH", help="with --sandbox: keep the sandbox's database in PATH"
    )
    parser.add_argument(
        "--copy-database-to",
        metavar="URL",
        help="copy the whole database (DATABASE_URL) into this empty one "
        "(postgresql://… or sqlite:///…), verify it, and exit",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    # Zones come from the pinned tzdata package only, never the host's older database.
    zoneinfo.reset_tzpath(to=())
    if args.sandbox:
        return run_sandbox_cli(args.db)
    try:
        settings = load_settings(
            env_file=args.env_file, require_token=args.copy_database_to is None
        )
        if args.copy_database_to is not None:
            target = DatabaseUrl.parse(args.copy_database_to, "--copy-database-to")
            return asyncio.run(copy_database_cli(settings, target))
    except SettingsError as exc:
        print(f"cadence: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    configure_logging(settings.log_level)
    log.info("Starting Cadence %s with %s", __version__, describe_settings(settings))
    try:
        return asyncio.run(run(settings))
    except KeyboardInterrupt:
        return EXIT_OK


def run_sandbox_cli(db_path: str | None) -> int:
    """`--sandbox`: fakediscord in-process, a demo server, and a prompt."""
    import sandbox

    if sys.stdin.isatty():
        with contextlib.suppress(ImportError):
            import readline  # noqa: F401  (line editing and history for input())
    logging.basicConfig(level="WARNING", format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("discord.client").setLevel(logging.ERROR)  # no voice warnings here
    try:
        return asyncio.run(sandbox.run_sandbox(db_path))
    except KeyboardInterrupt:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
