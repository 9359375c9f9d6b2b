"""Posts delayed by transient Discord errors, reported once per guild and incident.

When Discord fails for a while (5xx, time-outs), every run that meets it retries with
backoff and, once Discord is back, posts late. The runs finish over many seconds, too spread
out for the `AlertFolder`'s window, so instead of one notice per task (or several digests)
the guild gets one notice per incident: an incident opens when a run of the guild first
retries, and closes when no run of that guild is retrying any more. It lists the runs that
retried and posted, and the runs that posted late meanwhile (they waited behind the
retrying ones). Runs that give up are reported by their own failure notices, as before.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from scheduler.protocols import Notice, NoticeLevel

log = logging.getLogger(__name__)

LISTED = 15
LATE_MS = 2000  # a run this late while an incident is open was held back by it


@dataclass
class _Incident:
    retrying: int = 0
    delayed: list[tuple[str, int, int]] = field(default_factory=list)  # name, late ms, tries
    reasons: Counter[str] = field(default_factory=Counter)


class DeliveryIncidents:
    """Counts the runs of each guild that are retrying; one notice when they are all done."""

    def __init__(self, notify: Callable[[Notice], None]) -> None:
        self._notify = notify
        self._open: dict[int | None, _Incident] = {}

    def retrying(self, guild_id: int | None) -> None:
        """A run of the guild met its first transient error and will retry."""
        self._open.setdefault(guild_id, _Incident()).retrying += 1

    def finished(
        self,
        guild_id: int | None,
        task_name: str,
        *,
        retried: list[str],
        posted: bool,
        late_ms: int,
        attempts: int,
    ) -> None:
        """A run was recorded; the last retrying run of an incident sends its notice.

        `retried` holds the transient errors the run retried (empty if it had none).
        """
        incident = self._open.get(guild_id)
        if incident is None:
            return
        if posted and (retried or late_ms >= LATE_MS):
            incident.delayed.append((task_name, late_ms, attempts))
        if not retried:
            return
        incident.retrying -= 1
        incident.reasons.update(retried)
        if incident.retrying > 0:
            return
        del self._open[guild_id]
        if incident.delayed:
            self._notify(_notice(guild_id, incident))

    def open_incidents(self) -> dict[int | None, int]:
        """Runs still retrying, per guild (for tests and status)."""
        return {guild: incident.retrying for guild, incident in self._open.items()}


def _notice(guild_id: int | None, incident: _Incident) -> Notice:
    delayed = sorted(incident.delayed, key=lambda item: -item[1])
    lines = [
        f"• **{name}**: {late / 1000:.1f} s late, {tries} attempts" for name, late, tries in delayed
    ]
    more = len(lines) - LISTED
    body = "\n".join(lines[:LISTED]) + (f"\n… and {more} more" if more > 0 else "")
    errors = ", ".join(f"{reason} ×{n}" for reason, n in incident.reasons.most_common(3))
    log.warning("Discord errors delayed %d post(s) of guild %s", len(delayed), guild_id)
    return Notice(
        guild_id=guild_id,
        level=NoticeLevel.WARNING,
        kind="delivery_delayed",
        title=f"Discord errors delayed {len(delayed)} post(s); they went out late",
        body=body,
        fields=(
            ("Most late", f"{delayed[0][1] / 1000:.1f} s"),
            ("Errors", errors or "—"),
        ),
    )
