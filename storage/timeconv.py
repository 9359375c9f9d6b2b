"""The one place where instants cross between aware UTC datetimes and INTEGER Unix milliseconds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

__all__ = ["from_ms", "from_ms_or_none", "to_ms", "to_ms_or_none"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MS = timedelta(milliseconds=1)


def to_ms(instant: datetime) -> int:
    """Return `instant` as integer Unix milliseconds (UTC), truncating sub-millisecond parts.

    Raises
    ------
    TypeError
        `instant` is not a datetime.
    ValueError
        `instant` is naive: its zone would have to be guessed, which we never do.
    """
    if not isinstance(instant, datetime):
        raise TypeError(f"expected a datetime, got {type(instant).__name__}")
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(
            f"naive datetime {instant.isoformat()} refused: attach a timezone "
            "(e.g. datetime.now(UTC) or .replace(tzinfo=ZoneInfo(...)))"
        )
    return (instant - _EPOCH) // _ONE_MS


def from_ms(ms: int) -> datetime:
    """Return integer Unix milliseconds as an aware UTC datetime."""
    return _EPOCH + timedelta(milliseconds=ms)


def to_ms_or_none(instant: datetime | None) -> int | None:
    """`to_ms`, passing None through."""
    return None if instant is None else to_ms(instant)


def from_ms_or_none(ms: int | None) -> datetime | None:
    """`from_ms`, passing None through."""
    return None if ms is None else from_ms(ms)
