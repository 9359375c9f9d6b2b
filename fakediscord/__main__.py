"""``python -m fakediscord``: run the emulator with the demo world until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging

from fakediscord.demo import demo_world
from fakediscord.server import FakeDiscord

log = logging.getLogger("fakediscord")


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m fakediscord", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--token", default=None, help="the bot token to accept")
    parser.add_argument("--log-level", default="INFO")
    return parser.parse_args()


async def _run(args: argparse.Namespace) -> None:
    world = demo_world(args.token)
    fd = await FakeDiscord.start(world, args.host, args.port)
    try:
        guild = next(iter(world.guilds.values()))
        # The standalone emulator's whole purpose is to tell the user where it is.
        print(f"fakediscord listening on {fd.url} (gateway {fd.ws_url})")
        print(f"DISCORD_API_BASE={fd.url}")
        print(f"DISCORD_TOKEN={fd.token}")
        print(f"DEV_GUILD_ID={guild.id}")
        for channel in guild.channels.values():
            print(f"  #{channel.name}: {channel.id}")
        for member in guild.members.values():
            print(f"  @{member.user.username}: {member.id}")
        await asyncio.Event().wait()
    finally:
        await fd.stop()


def main() -> None:
    """Entry point."""
    args = _parse()
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_run(args))


if __name__ == "__main__":
    main()
