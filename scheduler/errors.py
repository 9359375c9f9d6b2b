"""Errors raised by the scheduling logic; their text is meant to be shown to users."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

__all__ = ["EntryProblem", "EntryProblems", "InvalidEntryError", "ScheduleError"]


class ScheduleError(ValueError):
    """A schedule, time or timezone a user gave that cannot be used.

    ``message`` says what was wrong; ``example`` is a valid input of the same kind;
    ``field`` optionally names the part of a task entry at fault (e.g. ``channel_id``), for
    doors that point at fields (the web API). ``str(error)`` is the message followed by
    ``" Example: <example>"`` when there is one.
    """

    def __init__(
        self, message: str, *, example: str | None = None, field: str | None = None
    ) -> None:
        self.message = message
        self.example = example
        self.field = field
        text = f"{message} Example: {example}" if example else message
        super().__init__(text)

    def __reduce__(self) -> tuple[object, ...]:
        # Keep pickling/copying working despite the keyword-only arguments.
        return (_rebuild, (self.message, self.example, self.field))

    def __repr__(self) -> str:
        return f"ScheduleError({self.message!r}, example={self.example!r})"


def _rebuild(message: str, example: str | None, field: str | None = None) -> ScheduleError:
    return ScheduleError(message, example=example, field=field)


@dataclass(frozen=True, slots=True)
class EntryProblem:
    """One problem of a task entry: the field at fault (a dotted path such as
    ``destinations[0].channel_id``) and the words the slash commands use."""

    field: str
    message: str


class InvalidEntryError(ScheduleError):
    """Every problem of one task entry. Its message is the first problem's, so a door that
    shows one line per entry (``/schedule import``) reads as it always has."""

    def __init__(self, problems: list[EntryProblem]) -> None:
        self.problems = list(problems)
        super().__init__(problems[0].message, field=problems[0].field)

    def __reduce__(self) -> tuple[object, ...]:
        return (InvalidEntryError, (self.problems,))


class EntryProblems:
    """Collects the problems of one entry, so that all of them are reported at once.

    problems = EntryProblems()
    with problems.at("spec"):
        spec = parse(...)          # a ScheduleError here is noted under "spec"
    problems.raise_if_any()
    """

    def __init__(self) -> None:
        self.items: list[EntryProblem] = []

    def __bool__(self) -> bool:
        return bool(self.items)

    @contextmanager
    def at(self, field: str) -> Iterator[None]:
        """Note a ScheduleError (or malformed value) raised in the block under ``field``
        (joined with the error's own ``field``, if it names one) and carry on after it."""
        try:
            yield
        except InvalidEntryError as exc:
            self.items.extend(EntryProblem(_join(field, p.field), p.message) for p in exc.problems)
        except ScheduleError as exc:
            self.items.append(EntryProblem(_join(field, exc.field), exc.message))
        except (TypeError, ValueError, KeyError, OverflowError) as exc:
            message = f"malformed ({type(exc).__name__}: {str(exc)[:100]})"
            self.items.append(EntryProblem(field, message))

    def raise_if_any(self) -> None:
        if self.items:
            raise InvalidEntryError(self.items)


def _join(prefix: str, field: str | None) -> str:
    if not field:
        return prefix
    if not prefix:
        return field
    return f"{prefix}{field}" if field.startswith("[") else f"{prefix}.{field}"
