"""Cadence's composition root: load settings, open storage, build the bot, run it."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import signal
import sys
import zoneinfo
from collections.abc import Sequence

import aiohttp
import discord

from cogs.bot import CadenceBot, __version__
from cogs.running import NotReadyError, running
from config import DatabaseUrl, Settings, SettingsError, describe_settings, load_settings
from scheduler.api_tokens import TOKEN_PATTERN
from serving import build_web_servers, start_web_servers, stop_web_servers
from storage import Database, DatabaseUnavailableError, SchemaTooNewError
from storage.copy import TargetNotEmptyError, copy_database
from telemetry import Metrics, configure_logging

log = logging.getLogger("cadence")

EXIT_OK = 0
EXIT_CONFIG = 2
EXIT_UNREACHABLE = 3


async def run(settings: Settings) -> int:
    """Open the database, run the bot until it is closed or a stop signal arrives."""
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
        metrics = Metrics(version=__version__)
        bot = CadenceBot(settings, database, metrics=metrics)
        web_servers = build_web_servers(settings, bot, database, metrics)
        if not await start_web_servers(web_servers):
            return EXIT_CONFIG
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        token = settings.discord_token.reveal()
        try:
            async with running(bot, token, api_base=settings.discord_api_base) as connection:
                # Long-lived objects (the index, caches) are not rescanned by every full
                # collection from here on.
                gc.collect()
                gc.freeze()
                await _until_stopped(connection, stop)
                await stop_web_servers(web_servers)
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
        except (OSError, aiohttp.ClientError, discord.DiscordException, NotReadyError) as exc:
            where = settings.discord_api_base or "discord.com"
            log.error("Cannot reach Discord at %s: %s", where, exc)
            return EXIT_UNREACHABLE
        finally:
            gc.unfreeze()
            await stop_web_servers(web_servers)
    finally:
        await database.close()
    log.info("Stopped cleanly")
    return EXIT_OK


async def _until_stopped(connection: asyncio.Task[None], stop: asyncio.Event) -> None:
    """Until a stop signal, or the connection ends (its failure is raised)."""
    stopper = asyncio.create_task(stop.wait())
    try:
        done, _ = await asyncio.wait({connection, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopper.cancel()
    if stopper in done:
        log.info("Stop signal received; shutting down")
    else:
        connection.result()


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
    configure_logging(
        settings.log_level,
        fmt=settings.log_format,
        secrets=[settings.discord_token.reveal(), settings.database_url.password or ""],
        patterns=[TOKEN_PATTERN],
    )
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
