"""An extension a bot developer might write: loaded in e2e tests through EXTRA_EXTENSIONS."""

from __future__ import annotations

from typing import Any


async def setup(bot: Any) -> None:
    async def ping() -> None:
        await bot.scheduler.send_alert("ping from a code job", title="Code job")

    async def broken() -> None:
        raise RuntimeError("the report service is down")

    await bot.scheduler.add_interval_job(ping, "e2e-ping", seconds=2)
    await bot.scheduler.add_interval_job(broken, "e2e-broken", seconds=2, send_alert=True)
