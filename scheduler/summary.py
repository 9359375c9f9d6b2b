"""JobSummary: the overview of a guild's (or the bot's) tasks, grouped, sorted and paged.

Pure: the caller passes the tasks, ``now`` and how to describe a task and name its zone;
nothing here reads the clock, the database or the network. The result is described with
discord-free :class:`EmbedData` records that the cog turns into ``discord.Embed`` objects.

Layout of one page (one Discord message): a header embed (the title, the counts by status,
"as of" the summary's ``now``), then one embed per section chunk ("Cron", "Date (cont.)", ...)
whose fields each hold several task entries, and the footer "Page N of M · K tasks" on the
page's last embed. Every page stays within Discord's limits, whatever the tasks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, tzinfo

from scheduler.errors import ScheduleError
from scheduler.timezones import load_zone, require_aware
from storage.models import Task, TaskKind, TaskStatus

__all__ = [
    "EmbedData",
    "JobSummary",
    "SummaryLine",
    "SummaryPage",
    "SummarySection",
    "escape_markdown",
    "interval_period",
]

# Discord's limits per message (embeds, characters over all embeds) and per embed; characters
# are counted as Python ``len`` (code points), as fakediscord does.
MAX_EMBEDS, MAX_MESSAGE_CHARS, MAX_FIELDS, MAX_TITLE, MAX_FIELD_VALUE = 10, 6000, 25, 256, 1024
MIN_PAGE_CHARS = 2000  # a page must hold the header, one entry and the footer
SUMMARY_COLOR = 0x3498DB  # blue: information

SECTION_ORDER = ((TaskKind.CRON, "Cron"), (TaskKind.DATE, "Date"), (TaskKind.INTERVAL, "Interval"))
STATUS_MARKERS = {
    TaskStatus.ACTIVE.value: "▶",
    TaskStatus.PAUSED.value: "⏸",
    TaskStatus.COMPLETED.value: "✓",
    TaskStatus.FAILED.value: "✖",
}
_NO_RUN = "—"
# Shown lengths before escaping; escaping at most doubles them, so an entry stays < 1024.
_NAME_MAX, _SCHEDULE_MAX, _ZONE_MAX, _STATUS_MAX = 100, 150, 64, 16

_MARKDOWN = re.compile(r"([\\*_~`|>\[\]<])")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")
_PERIOD_SPEC = re.compile(r"(?:[0-9]{1,12}[wdhms])+")
_PERIOD_PART = re.compile(r"([0-9]+)([wdhms])")
_UNIT_SECONDS = {"w": 604_800, "d": 86_400, "h": 3_600, "m": 60, "s": 1}
_MAX_PERIOD_SECONDS = timedelta.max.days * 86_400


def escape_markdown(text: str) -> str:
    """Backslash-escape Discord markdown (``\\ * _ ~ ` | > [ ] <``) so text shows literally."""
    return _MARKDOWN.sub(r"\\\1", text)


def interval_period(spec: str) -> timedelta | None:
    """The period of an interval spec such as ``"90m"`` or ``"1d12h"`` (units w d h m s).

    Tolerant by design (it only orders the overview): spaces and case are ignored, and a spec
    it cannot read gives None, which sorts last.
    """
    text = re.sub(r"\s+", "", spec).lower()
    if not _PERIOD_SPEC.fullmatch(text):
        return None
    seconds = sum(int(n) * _UNIT_SECONDS[unit] for n, unit in _PERIOD_PART.findall(text))
    return timedelta(seconds=min(seconds, _MAX_PERIOD_SECONDS)) if seconds else None


@dataclass(frozen=True, slots=True)
class SummaryLine:
    """One task in the overview. ``schedule_text`` comes from ``describe``; not escaped."""

    task_id: int
    name: str
    kind: TaskKind
    schedule_text: str
    next_run_at: datetime | None
    status: str
    zone: str
    sort_key: tuple[int, float, str, int]

    @property
    def marker(self) -> str:
        return STATUS_MARKERS.get(self.status, "•")

    def markdown(self) -> str:
        """Two lines for an embed: marker, bold name and status; schedule, next run, zone."""
        name = escape_markdown(_shown(self.name, _NAME_MAX) or "(no name)")
        status = escape_markdown(_shown(self.status, _STATUS_MAX))
        schedule = escape_markdown(_shown(self.schedule_text, _SCHEDULE_MAX))
        zone = escape_markdown(_shown(self.zone, _ZONE_MAX))
        if self.next_run_at is None:
            when = _NO_RUN
        else:
            stamp = int(self.next_run_at.timestamp())
            when = f"<t:{stamp}:f> (<t:{stamp}:R>)"
        return f"{self.marker} **{name}** · {status}\n{schedule} · {when} · {zone}"

    def plain(self) -> str:
        """One line of plain text; the next run in the task's zone."""
        if self.next_run_at is None:
            when = f"next {_NO_RUN}"
        else:
            local = self.next_run_at.astimezone(_zone_or_utc(self.zone))
            when = f"next {local:%Y-%m-%d %H:%M}"
        parts = (_shown(self.name, _NAME_MAX), _shown(self.schedule_text, _SCHEDULE_MAX), when)
        return f"{self.marker} {' · '.join(parts)} ({_shown(self.zone, _ZONE_MAX)}) · {self.status}"


@dataclass(frozen=True, slots=True)
class SummarySection:
    """The tasks of one kind, in display order."""

    title: str
    lines: tuple[SummaryLine, ...]


@dataclass(frozen=True, slots=True)
class EmbedData:
    """A discord-free description of an embed; the cog turns it into ``discord.Embed``."""

    title: str | None = None
    description: str | None = None
    fields: tuple[tuple[str, str, bool], ...] = ()  # (name, value, inline)
    footer: str | None = None
    color: int | None = SUMMARY_COLOR

    def char_count(self) -> int:
        """Characters Discord counts toward a message's 6000: title, description, fields, footer."""
        texts = [self.title, self.description, self.footer]
        texts += [text for name, value, _ in self.fields for text in (name, value)]
        return sum(len(text) for text in texts if text)


@dataclass(frozen=True, slots=True)
class SummaryPage:
    """One Discord message worth of embeds; ``number`` counts from 1 up to ``total``."""

    embeds: tuple[EmbedData, ...]
    number: int
    total: int

    def char_count(self) -> int:
        return sum(embed.char_count() for embed in self.embeds)


@dataclass(frozen=True, slots=True)
class JobSummary:
    """The overview: sections Cron, Date, Interval (empty ones left out) of sorted lines.

    Build it with :meth:`build`; render it with :meth:`pages` (embeds) or :meth:`text`.
    ``counts_by_status`` has every status (active, paused, completed, failed), zeros included.
    """

    title: str
    generated_at: datetime
    sections: tuple[SummarySection, ...]
    total: int
    counts_by_status: dict[str, int] = field(hash=False)

    @classmethod
    def build(
        cls,
        tasks: Iterable[Task],
        *,
        now: datetime,
        describe: Callable[[Task], str],
        zone_of: Callable[[Task], str],
        title: str = "Scheduled tasks",
        period_of: Callable[[Task], timedelta | None] | None = None,
    ) -> JobSummary:
        """Group and sort ``tasks``.

        Parameters:
            now: aware instant the overview is "as of" (shown in the header).
            describe: readable schedule of a task ("At 08:00, Monday through Friday"); a
                ``ValueError`` from it shows the raw spec instead.
            zone_of: the IANA zone a task runs in (its own, or its guild's).
            title: the header title.
            period_of: an interval task's period, for sorting; default
                ``interval_period(task.spec)``. None sorts last.
        """
        now = require_aware(now, "summary time")
        periods = period_of or (lambda task: interval_period(task.spec))
        grouped: dict[TaskKind, list[SummaryLine]] = {kind: [] for kind, _ in SECTION_ORDER}
        counts = {status.value: 0 for status in TaskStatus}
        for task in tasks:
            line = _line_for(task, describe, zone_of, periods)
            grouped[task.kind].append(line)
            counts[line.status] = counts.get(line.status, 0) + 1
        sections = tuple(
            SummarySection(label, tuple(sorted(grouped[kind], key=lambda ln: ln.sort_key)))
            for kind, label in SECTION_ORDER
            if grouped[kind]
        )
        total = sum(len(section.lines) for section in sections)
        return cls(title, now, sections, total, counts)

    def pages(
        self,
        *,
        max_embeds: int = 10,
        max_chars: int = 6000,
        fields_per_embed: int = 25,
        embeds_per_page: int | None = None,
    ) -> list[SummaryPage]:
        """Split the overview into messages that respect Discord's limits.

        Parameters:
            max_embeds: embeds per message (2..10: the header and at least one section).
            max_chars: characters per message over all its embeds (2000..6000).
            fields_per_embed: fields per section embed (1..25).
            embeds_per_page: a smaller embed count for a tidier view; None means max_embeds.
        Returns:
            At least one page; an empty overview gives one page saying there are no tasks.
        Raises:
            ValueError: a limit beyond Discord's or too small to hold one task.
        """
        embeds = _check_limits(max_embeds, max_chars, fields_per_embed, embeds_per_page)
        pager = _Pager(
            header=self._header(),
            max_chars=max_chars - len(_footer(self.total + 1, self.total + 1, self.total)),
            max_embeds=embeds,
            fields_per_embed=fields_per_embed,
        )
        for section in self.sections:
            size = len(section.lines)
            for index, line in enumerate(section.lines, start=1):
                pager.add(section.title, index, size, line.markdown())
        drafts = pager.finish()
        return [
            SummaryPage(
                _freeze(page, _footer(number, len(drafts), self.total)), number, len(drafts)
            )
            for number, page in enumerate(drafts, start=1)
        ]

    def text(self) -> str:
        """Plain-text rendering (logs, the developer API, tests); no markdown, no escaping."""
        if not self.total:
            return f"{_shown(self.title, MAX_TITLE)} — no tasks."
        out = [f"{_shown(self.title, MAX_TITLE)} — {self._counts_text(markers=False)}"]
        for section in self.sections:
            out.append(f"{section.title} ({len(section.lines)})")
            out.extend(f"  {line.plain()}" for line in section.lines)
        return "\n".join(out)

    def _header(self) -> EmbedData:
        title = _shown(self.title, MAX_TITLE) or "Scheduled tasks"
        if not self.total:
            return EmbedData(title=title, description="There are no scheduled tasks.")
        stamp = int(self.generated_at.timestamp())
        return EmbedData(title=title, description=f"{self._counts_text()}\nAs of <t:{stamp}:f>")

    def _counts_text(self, *, markers: bool = True) -> str:
        parts = [
            f"{STATUS_MARKERS.get(status, '•')} {count} {status}"
            if markers
            else f"{count} {status}"
            for status, count in self.counts_by_status.items()
            if count
        ]
        return f"{_plural(self.total)}: {', '.join(parts)}"


# ----------------------------------------------------------------------------- building


def _line_for(
    task: Task,
    describe: Callable[[Task], str],
    zone_of: Callable[[Task], str],
    period_of: Callable[[Task], timedelta | None],
) -> SummaryLine:
    zone = zone_of(task)
    try:
        schedule = describe(task)
    except ValueError:
        schedule = f"{task.kind.value} {task.spec}"
    return SummaryLine(
        task_id=task.id,
        name=task.name,
        kind=task.kind,
        schedule_text=schedule,
        next_run_at=task.next_run_at,
        status=str(task.status),
        zone=zone,
        sort_key=_sort_key(task, zone, period_of),
    )


def _sort_key(
    task: Task, zone: str, period_of: Callable[[Task], timedelta | None]
) -> tuple[int, float, str, int]:
    """(rank, primary, name, id): rank 1 (no time / no period / completed date) sorts last."""
    tail = (task.name.casefold(), task.id)
    if task.kind == TaskKind.INTERVAL:
        period = period_of(task)
        return (0, period.total_seconds(), *tail) if period is not None else (1, 0.0, *tail)
    run = task.next_run_at
    if run is None or (task.kind == TaskKind.DATE and task.status == TaskStatus.COMPLETED):
        return (1, 0.0, *tail)
    if task.kind == TaskKind.DATE:
        return (0, run.timestamp(), *tail)
    local = run.astimezone(_zone_or_utc(zone))
    seconds = local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6
    return (0, seconds, *tail)


def _zone_or_utc(name: str) -> tzinfo:
    """The zone called ``name``, or UTC when it is not a zone (only ordering depends on it)."""
    try:
        return load_zone(name)
    except ScheduleError:
        return UTC


def _shown(text: str, limit: int) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis."""
    flat = _CONTROL.sub(" ", str(text)).strip()
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _plural(count: int) -> str:
    return f"{count} task" if count == 1 else f"{count} tasks"


def _footer(number: int, total_pages: int, tasks: int) -> str:
    return f"Page {number} of {total_pages} · {_plural(tasks)}"


# ----------------------------------------------------------------------------- paging


def _check_limits(
    max_embeds: int, max_chars: int, fields_per_embed: int, embeds_per_page: int | None
) -> int:
    if not 2 <= max_embeds <= MAX_EMBEDS:
        raise ValueError(f"max_embeds must be 2..{MAX_EMBEDS}, got {max_embeds}")
    if not MIN_PAGE_CHARS <= max_chars <= MAX_MESSAGE_CHARS:
        raise ValueError(
            f"max_chars must be {MIN_PAGE_CHARS}..{MAX_MESSAGE_CHARS}, got {max_chars}"
        )
    if not 1 <= fields_per_embed <= MAX_FIELDS:
        raise ValueError(f"fields_per_embed must be 1..{MAX_FIELDS}, got {fields_per_embed}")
    if embeds_per_page is None:
        return max_embeds
    if not 2 <= embeds_per_page <= max_embeds:
        raise ValueError(f"embeds_per_page must be 2..{max_embeds}, got {embeds_per_page}")
    return embeds_per_page


@dataclass(slots=True)
class _Field:
    first: int
    last: int
    size: int
    value: str

    @property
    def name(self) -> str:
        span = str(self.first) if self.first == self.last else f"{self.first}–{self.last}"
        return f"{span} of {self.size}"


@dataclass(slots=True)
class _Embed:
    header: EmbedData | None = None
    section: str | None = None
    title: str = ""
    fields: list[_Field] = field(default_factory=list)


class _Pager:
    """Greedy packing of entries into fields, embeds and pages, counting every character."""

    def __init__(
        self, *, header: EmbedData, max_chars: int, max_embeds: int, fields_per_embed: int
    ) -> None:
        self._header = header
        self._max_chars = max_chars  # the footer's worst case is already taken off
        self._max_embeds = max_embeds
        self._fields_per_embed = fields_per_embed
        self._pages: list[list[_Embed]] = []
        self._chars = 0
        self._new_page()

    def add(self, section: str, index: int, size: int, entry: str) -> None:
        page = self._pages[-1]
        last = page[-1]
        if last.section == section and last.fields:
            if self._extend_field(last.fields[-1], index, entry):
                return
            if len(last.fields) < self._fields_per_embed and self._new_field(last, index, entry):
                return
        if len(page) < self._max_embeds and self._new_embed(section, index, size, entry):
            return
        self._new_page()
        if not self._new_embed(section, index, size, entry):  # pragma: no cover - by construction
            raise RuntimeError("a summary entry does not fit on an empty page")

    def finish(self) -> list[list[_Embed]]:
        return self._pages

    def _fits(self, delta: int) -> bool:
        return self._chars + delta <= self._max_chars

    def _extend_field(self, current: _Field, index: int, entry: str) -> bool:
        grown = _Field(current.first, index, current.size, f"{current.value}\n{entry}")
        if len(grown.value) > MAX_FIELD_VALUE:
            return False
        delta = len(grown.name) + len(grown.value) - len(current.name) - len(current.value)
        if not self._fits(delta):
            return False
        current.last, current.value = grown.last, grown.value
        self._chars += delta
        return True

    def _new_field(self, embed: _Embed, index: int, entry: str) -> bool:
        added = _Field(index, index, embed.fields[0].size, entry)
        delta = len(added.name) + len(added.value)
        if not self._fits(delta):
            return False
        embed.fields.append(added)
        self._chars += delta
        return True

    def _new_embed(self, section: str, index: int, size: int, entry: str) -> bool:
        title = section if index == 1 else f"{section} (cont.)"
        added = _Field(index, index, size, entry)
        delta = len(title) + len(added.name) + len(added.value)
        if not self._fits(delta):
            return False
        self._pages[-1].append(_Embed(section=section, title=title, fields=[added]))
        self._chars += delta
        return True

    def _new_page(self) -> None:
        self._pages.append([_Embed(header=self._header)])
        self._chars = self._header.char_count()


def _freeze(page: list[_Embed], footer: str) -> tuple[EmbedData, ...]:
    embeds = [
        draft.header
        if draft.header is not None
        else EmbedData(
            title=draft.title,
            fields=tuple((fld.name, fld.value, False) for fld in draft.fields),
        )
        for draft in page
    ]
    embeds[-1] = replace(embeds[-1], footer=footer)
    return tuple(embeds)
