"""`python bot.py --sandbox`: Cadence against a local Discord, with no account and no token.

fakediscord runs in the same process with a demo server; the real bot connects to it over
real sockets; a prompt lets you type slash commands, click buttons, fill forms, and watch
the posts arrive. The web dashboard runs too (WEB_PORT, default 8080, or a free port when
that one is taken), and its "Log in with Discord" approves you as the demo server's admin.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import tempfile
from pathlib import Path
from typing import Any

from fakediscord import ChannelType, FakeDiscord, Permission, World

log = logging.getLogger(__name__)

FIXED_ID_START = 700_000_000_000_000_000  # a snowflake from 2020, below every id made now

_PASSED_THROUGH = (
    "DEFAULT_TIMEZONE",
    "MIN_INTERVAL_SECONDS",
    "MAX_TASKS_PER_GUILD",
    "CATCH_UP_MAX",
    "HISTORY_PER_TASK",
    "MAX_CONSECUTIVE_FAILURES",
    "WEB_HOST",
    "PUBLIC_URL",
    "API_RATE_PER_SECOND",
)
DEFAULT_WEB_PORT = 8080


class _FixedIds:
    """Snowflakes counted up from a fixed start, so the demo server has the same ids every
    run and a database kept with --db still points at its channels."""

    def __init__(self, start: int) -> None:
        self.last = start

    def next(self) -> int:
        self.last += 1
        return self.last


def web_port(host: str, wanted: str | None) -> str:
    """WEB_PORT when set; else 8080 if it is free on `host`, else any free port."""
    if wanted:
        return wanted
    for port in (DEFAULT_WEB_PORT, 0):
        with socket.socket() as probe:
            try:
                probe.bind((host, port))
            except OSError:
                continue
            return str(probe.getsockname()[1])
    raise OSError(f"no free port on {host}")


def build_world() -> tuple[World, Any, Any]:
    """The demo server: #general (with a thread), #announcements, #dev; "you" are its admin."""
    world = World(bot_name="Cadence")
    clock_ids = world.snowflakes
    world.snowflakes = _FixedIds(FIXED_ID_START)  # type: ignore[assignment]
    guild = world.add_guild("Sandbox", owner="owner")
    admins = guild.add_role("Admins", Permission.ADMINISTRATOR)
    guild.add_role("Announcers", 0, mentionable=True)
    you = guild.add_member("you", roles=[admins])
    guild.add_member("sam")
    general = guild.add_channel("general", topic="Scheduled posts land here")
    guild.add_channel("announcements", type=ChannelType.ANNOUNCEMENT)
    guild.add_channel("dev", topic="Cadence's notices")
    guild.add_thread(general, "standup")
    world.snowflakes = clock_ids  # messages get ordinary, time-based ids
    return world, guild, you


async def run_sandbox(db_path: str | None = None) -> int:
    """Run until the person quits or standard input ends; returns the exit code."""
    from cogs.bot import CadenceBot
    from cogs.running import running
    from config import load_settings
    from sandbox.repl import Repl, read_stdin
    from serving import build_web_servers, public_url, start_web_servers, stop_web_servers
    from storage import Database
    from telemetry import Metrics

    world, guild, you = build_world()
    fd = await FakeDiscord.start(world)
    fd.oauth2.approve_as(you)  # "Log in with Discord" on the sandbox's dashboard: you, the admin
    scratch = tempfile.TemporaryDirectory(prefix="cadence-sandbox-") if db_path is None else None
    path = Path(db_path) if db_path else Path(scratch.name) / "sandbox.db"  # type: ignore[union-attr]
    env = {k: v for k, v in os.environ.items() if k in _PASSED_THROUGH}
    env.update(
        DEV_GUILD_ID=str(guild.id),
        DEV_CHANNEL_ID=str(guild.channel_named("dev").id),
        DATABASE_PATH=str(path),
        DISCORD_API_BASE=fd.url,
        DISCORD_CLIENT_SECRET=fd.oauth2.client_secret,
    )
    env["WEB_PORT"] = web_port(env.get("WEB_HOST", "127.0.0.1"), os.environ.get("WEB_PORT"))
    settings = load_settings(env, env_file=None, sandbox=True)
    database = await Database.open(path)
    metrics = Metrics()
    bot = CadenceBot(settings, database, guild_ready_timeout=0.1, metrics=metrics)
    web_servers = build_web_servers(settings, bot, database, metrics)
    try:
        if not await start_web_servers(web_servers):
            return 2
        async with running(bot, fd.token, api_base=fd.url, ready_timeout=15):
            print(
                "Cadence sandbox: a local Discord server “Sandbox” with #general (thread: "
                "standup), #announcements and #dev; you are its admin.\nNothing here reaches "
                f"the real Discord. Database: {'throw-away' if scratch else path}. Type help, "
                "or try:\n  /schedule every name:ping interval:10s channel:#general "
                "message:hello",
                flush=True,
            )
            print(
                f"Dashboard: {public_url(settings)}/ (Log in with Discord signs you in as the "
                "sandbox's admin)",
                flush=True,
            )
            await Repl(fd, guild, you, sys.stdout, read_stdin).run()
    finally:
        await stop_web_servers(web_servers)
        await database.close()
        await fd.stop()
        if scratch is not None:
            scratch.cleanup()
    print("Sandbox stopped.", flush=True)
    return 0
