"""Notices to dev channels, folded into one digest when many of a kind arrive together."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable

from scheduler.protocols import Notice, NoticeLevel

log = logging.getLogger(__name__)

Sink = Callable[[Notice], Awaitable[None]]

_LEVEL_ORDER = {
    NoticeLevel.OK: 0,
    NoticeLevel.INFO: 1,
    NoticeLevel.WARNING: 2,
    NoticeLevel.ERROR: 3,
}
DIGEST_LINES = 15
DIGEST_ADVICE = 5


class AlertFolder:
    """Buffers notices for `window` seconds, then sends them.

    Per (guild, kind), up to `fold_after` notices go out one by one; more become a single
    digest that names how many there were and lists the first few. `flush()` sends at once
    (tests, shutdown).
    """

    def __init__(self, sink: Sink, *, window: float = 3.0, fold_after: int = 3) -> None:
        self._sink = sink
        self._window = window
        self._fold_after = fold_after
        self._buffer: dict[tuple[int | None, str, bool], list[Notice]] = defaultdict(list)
        self._timer: asyncio.TimerHandle | None = None
        self._flushing: set[asyncio.Task[None]] = set()

    def add(self, notice: Notice) -> None:
        self._buffer[(notice.guild_id, notice.kind, notice.alert_channel)].append(notice)
        if self._timer is None and self._window > 0:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(self._window, self._flush_soon)

    def _flush_soon(self) -> None:
        self._timer = None
        task = asyncio.create_task(self.flush())
        self._flushing.add(task)
        task.add_done_callback(self._flushing.discard)

    async def flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        buffer, self._buffer = self._buffer, defaultdict(list)
        for group in buffer.values():
            for notice in self.fold(group):
                try:
                    await self._sink(notice)
                except Exception:
                    log.exception("Could not send notice %r", notice.title)

    async def close(self) -> None:
        await self.flush()
        if self._flushing:
            await asyncio.gather(*self._flushing, return_exceptions=True)

    def fold(self, group: list[Notice]) -> list[Notice]:
        """The notices to send for one (guild, kind) group."""
        if len(group) <= self._fold_after:
            return group
        first = group[0]
        level = max((n.level for n in group), key=_LEVEL_ORDER.__getitem__)
        lines = [f"• **{n.title}**: {n.body.splitlines()[0] if n.body else ''}" for n in group]
        more = len(lines) - DIGEST_LINES
        body = "\n".join(lines[:DIGEST_LINES]) + (f"\n… and {more} more" if more > 0 else "")
        # What each notice said beyond its first line (how to fix it), once per distinct text.
        advice = list(dict.fromkeys(a for n in group for a in n.body.splitlines()[1:] if a))
        hidden = len(advice) - DIGEST_ADVICE
        todo = "\n".join(advice[:DIGEST_ADVICE]) + (f"\n… and {hidden} more" if hidden > 0 else "")
        return [
            Notice(
                guild_id=first.guild_id,
                level=level,
                kind=first.kind,
                title=f"{len(group)} notices: {first.kind.replace('_', ' ')}",
                body=body,
                fields=(("What to do", todo),) if advice else (),
                alert_channel=first.alert_channel,
            )
        ]
