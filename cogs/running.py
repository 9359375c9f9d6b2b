"""A discord.py client's life in one place: log in, connect, wait until ready, close.

`running(bot, token)` is what `bot.py`, the sandbox, the benchmarks and the tests use, so the
order (and what a failure looks like) is written once. `api_base` points the client at
another Discord, such as the fakediscord emulator:

- the gateway address comes from that Discord's own `GET /gateway/bot` answer, for this
  client only (its `HTTPClient.ws_connect` is wrapped);
- REST does not: discord.py 2.7 builds every REST and webhook URL from the class attribute
  `discord.http.Route.BASE` (the webhook adapter that answers interactions is shared by the
  whole process, so no per-client hook reaches it). That attribute is set while `running()`
  is inside its block and restored after it; a second client pointed elsewhere at the same
  time is refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import discord
import yarl

log = logging.getLogger(__name__)

API_VERSION_PATH = "/api/v10"
DISCORD_GATEWAY_HOST = yarl.URL(str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)).host


class NotReadyError(RuntimeError):
    """The client connected but was closed, or timed out, before the gateway was ready."""


@contextlib.asynccontextmanager
async def running(
    bot: discord.Client,
    token: str,
    *,
    api_base: str | None = None,
    ready_timeout: float | None = None,
    reconnect: bool = True,
) -> AsyncIterator[asyncio.Task[None]]:
    """Log `bot` in, connect it in a task and wait until the gateway is ready; on leaving the
    block close it and wait for the connection to end.

    Yields the connection task (it ends when the bot closes, or raises when the connection
    fails for good). A failure to log in (`discord.LoginFailure`), to connect (e.g.
    `discord.PrivilegedIntentsRequired`, `OSError`) or to become ready within
    `ready_timeout` seconds (`NotReadyError`; None waits as long as the connection lives)
    is raised from the `async with` line, after the bot was closed.
    """
    connection: asyncio.Task[None] | None = None
    async with _routes_at(api_base):
        try:
            if api_base is not None:
                _gateway_from_rest(bot.http)
            deadline = asyncio.timeout(ready_timeout)
            try:
                async with deadline:  # covers login too: it runs the bot's setup_hook
                    await bot.login(token)
                    connection = asyncio.create_task(
                        bot.connect(reconnect=reconnect), name="discord-connection"
                    )
                    await _until_ready(bot, connection)
            except TimeoutError:
                if not deadline.expired():
                    raise
                raise NotReadyError(
                    f"Discord's gateway was not ready after {ready_timeout} s"
                ) from None
            yield connection
        finally:
            await bot.close()
            if connection is not None:
                await asyncio.gather(connection, return_exceptions=True)


async def _until_ready(bot: discord.Client, connection: asyncio.Task[None]) -> None:
    ready = asyncio.create_task(bot.wait_until_ready())
    try:
        await asyncio.wait({ready, connection}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        ready.cancel()
    if not bot.is_ready():
        connection.result()  # raises the connection's failure, if it had one
        raise NotReadyError("the client was closed before Discord's gateway was ready")


_redirected: list[str] = []  # the bases `running()` blocks have set, innermost last


@contextlib.asynccontextmanager
async def _routes_at(api_base: str | None) -> AsyncIterator[None]:
    """`Route.BASE` at `api_base` for the block (nothing to do when it is None)."""
    if api_base is None:
        yield
        return
    base = f"{api_base.rstrip('/')}{API_VERSION_PATH}"
    if _redirected and _redirected[-1] != base:
        raise RuntimeError(
            f"discord.py already points at {_redirected[-1]}; it cannot talk to {base} at the "
            "same time (Route.BASE is shared by every client in the process)"
        )
    old = discord.http.Route.BASE
    discord.http.Route.BASE = base
    _redirected.append(base)
    try:
        yield
    finally:
        _redirected.pop()
        discord.http.Route.BASE = old


def _gateway_from_rest(http: Any) -> None:
    """Connect `http`'s client to the gateway its REST API names in `GET /gateway/bot`,
    instead of discord.py's built-in address (a resume URL from READY is used as given)."""
    ws_connect: Callable[..., Awaitable[Any]] = http.ws_connect
    found: list[yarl.URL] = []

    async def connect_named_gateway(url: str, **kwargs: Any) -> Any:
        target = yarl.URL(url)
        if target.host == DISCORD_GATEWAY_HOST:
            if not found:
                _, answer, _ = await http.get_bot_gateway()
                found.append(yarl.URL(answer))
            target = found[0].with_path("/").with_query(target.query)
            log.debug("Connecting to the gateway named by the REST API: %s", found[0])
        return await ws_connect(str(target), **kwargs)

    http.ws_connect = connect_named_gateway
