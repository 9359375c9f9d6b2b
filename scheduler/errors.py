"""Errors raised by the scheduling logic; their text is meant to be shown to users."""

from __future__ import annotations

__all__ = ["ScheduleError"]


class ScheduleError(ValueError):
    """A schedule, time or timezone a user gave that cannot be used.

    ``message`` says what was wrong; ``example`` is a valid input of the same kind.
    ``str(error)`` is the message followed by ``" Example: <example>"`` when there is one.
    """

    def __init__(self, message: str, *, example: str | None = None) -> None:
        self.message = message
        self.example = example
        text = f"{message} Example: {example}" if example else message
        super().__init__(text)

    def __reduce__(self) -> tuple[object, ...]:
        # Keep pickling/copying working despite the keyword-only argument.
        return (_rebuild, (self.message, self.example))

    def __repr__(self) -> str:
        return f"ScheduleError({self.message!r}, example={self.example!r})"


def _rebuild(message: str, example: str | None) -> ScheduleError:
    return ScheduleError(message, example=example)
