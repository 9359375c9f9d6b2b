"""Cadence's composition root: load settings, open storage, build the bot, run it."""

from __future__ import annotations

import argparse
import asyncio
import logging
import pkgutil
import signal
import sys
import zoneinfo
from collections.abc import Sequence

import aiohttp
import discord
import yarl
from discord.ext import commands

import cogs
from config import Settings, SettingsError, describe_settings, load_settings
from storage import Database, SchemaTooNewError

log = logging.getLogger("cadence")

__version__ = "0.1.0"

EXIT_OK = 0
EXIT_CONFIG = 2
EXIT_UNREACHABLE = 3


def discover_extensions() -> list[str]:
    """Every module in `cogs/` that defines `setup`, as dotted names, sorted."""
    names = []
    for info in pkgutil.iter_modules(cogs.__path__, prefix="cogs."):
        if not info.name.rsplit(".", 1)[-1].startswith("_"):
            names.append(info.name)
    return sorted(names)


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
        self._extensions = list(discover_extensions() if extensions is None else extensions)

    async def setup_hook(self) -> None:
        for name in self._extensions:
            try:
                await self.load_extension(name)
            except Exception:
                log.exception("Could not load extension %s; the others still load", name)
            else:
                log.info("Loaded extension %s", name)

    async def on_ready(self) -> None:
        user = self.user
        log.info("Connected as %s (id %s) to %d guild(s)", user, user and user.id, len(self.guilds))


def point_at_api(base: str) -> None:
    """Send REST and gateway traffic to `base` (e.g. fakediscord) instead of discord.com."""
    url = yarl.URL(base)
    discord.http.Route.BASE = f"{base}/api/v10"
    ws_scheme = "wss" if url.scheme == "https" else "ws"
    gateway = url.with_scheme(ws_scheme).with_path("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("discord").setLevel(max(logging.INFO, logging.getLevelName(level)))


async def run(settings: Settings) -> int:
    """Open the database, run the bot until it is closed or a stop signal arrives."""
    if settings.discord_api_base:
        point_at_api(settings.discord_api_base)
    try:
        database = await Database.open(settings.database_path)
    except SchemaTooNewError as exc:
        print(f"cadence: {exc}", file=sys.stderr)
        return EXIT_CONFIG
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
            except (OSError, aiohttp.ClientError, discord.DiscordException) as exc:
                log.error("Cannot reach Discord at %s: %s", discord.http.Route.BASE, exc)
                return EXIT_UNREACHABLE
    finally:
        await database.close()
    log.info("Stopped cleanly")
    return EXIT_OK


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bot.py", description="Run the Cadence Discord bot.")
    parser.add_argument(
        "--sandbox",
        action="store_true",
        help="run offline against a local Discord emulator, with no token",
    )
    parser.add_argument("--env-file", default=".env", help="settings file (default: .env)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    # Zones come from the pinned tzdata package only, never the host's older database.
    zoneinfo.reset_tzpath(to=())
    if args.sandbox:
        print(
            "cadence: the offline sandbox is not built yet (tracked as issue 7); "
            "run with a DISCORD_TOKEN for now",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    try:
        settings = load_settings(env_file=args.env_file)
    except SettingsError as exc:
        print(f"cadence: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    configure_logging(settings.log_level)
    log.info("Starting Cadence %s with %s", __version__, describe_settings(settings))
    try:
        return asyncio.run(run(settings))
    except KeyboardInterrupt:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
