"""Hypothesis strategies for bad input: odd Unicode, huge strings, mention tricks, random JSON
and import documents (valid-shaped, then broken). Shared by the slash-command fuzz tests and
the import planner's unit fuzz test; no discord or bot import here."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st

# Characters that trip up code that assumes "text" means printable ASCII.
ODD_PIECES: tuple[str, ...] = (
    "\u200f",  # right-to-left mark
    "\u200e",  # left-to-right mark
    "\u202e",  # right-to-left override
    "\u2066\u2067\u2068\u2069",  # directional isolates
    "e\u0301",  # e + combining acute
    "Z\u0351\u0352\u0357\u035b\u0360\u0361\u0489",  # a pile of combining marks
    "\u0e01\u0e49\u0e49\u0e49\u0e49",  # Thai stacking marks
    "😀",
    "👨\u200d👩\u200d👧\u200d👦",  # a zero-width-joiner family
    "🏳️\u200d🌈",
    "\U0001f1e9\U0001f1ea",  # a flag: two regional indicators
    "\x00",
    "\x01\x02\x07\x08",
    "\x1b[31m",  # an ANSI escape
    "\x7f",
    "\x85",
    "\t",
    "\r\n",
    "\x0b\x0c",
    "\x1c\x1d\x1e\x1f",  # separators Python's str.split() treats as whitespace
    "\u200b",  # zero-width space
    "\u200c\u200d",
    "\u2060",  # word joiner
    "\ufeff",  # byte order mark
    "\ufffd",
    "\ufffe\uffff",  # non-characters
    "\U0010ffff",
    "\ue000",  # private use
    "\U000e0001\U000e0041",  # tag characters
    "\u2028\u2029",  # line and paragraph separators
    "\u00a0",
    "\u3000",
    "\u1680",
    "\ufdfd",  # one very wide ligature
    "\U0001242b",  # a wide cuneiform sign
    "İ",  # lower() makes it two characters
    "ß",
    "ﬁ",
    "Σ",
    "\\n",  # what the bot turns into a line break
    "%",
    "_",
    "'",
    '"',
    "`",
    "*_~|>",
    "'; DROP TABLE tasks; --",
    "Robert'); --",
    "\\",
    "/",
    "#",
    "@",
    "<",
    ">",
    "&",
)

any_character = st.characters(exclude_categories=["Cs"])  # anything but lone surrogates


def mention_pieces(
    *,
    real_role: int,
    pingable_role: int,
    fake_role: int,
    user: int,
    channel: int,
) -> list[str]:
    """Ways to (try to) mention @everyone, @here and roles, and near misses."""
    return [
        "@everyone",
        "@here",
        "@everyone_",
        "@here1",
        "@\u200beveryone",
        "@\u200bhere",
        "＠everyone",  # fullwidth commercial at
        "@EVERYONE",
        "`@everyone`",
        "@@here",
        "\\@everyone",
        f"<@&{real_role}>",
        f"<@&{pingable_role}>",
        f"<@&{fake_role}>",
        f"<@&\u200b{real_role}>",
        f"<@&{real_role}",
        f"<@{user}>",
        f"<@!{user}>",
        f"<#{channel}>",
    ]


def odd_text(extra: Sequence[str] = (), *, min_size: int = 0, max_pieces: int = 10) -> Any:
    """Short strings built from odd pieces, `extra` pieces and any non-surrogate characters."""
    piece = st.one_of(
        st.sampled_from(ODD_PIECES + tuple(extra)),
        st.text(any_character, min_size=1, max_size=6),
    )
    return st.lists(piece, min_size=min_size, max_size=max_pieces).map("".join)


def huge_text(extra: Sequence[str] = ()) -> Any:
    """Thousands to tens of thousands of characters (a repeated odd fragment)."""

    def grow(args: tuple[str, int]) -> str:
        fragment, size = args
        fragment = fragment or "x"
        return (fragment * (size // len(fragment) + 1))[:size]

    sizes = st.sampled_from([2_001, 6_001, 12_000, 40_000])
    return st.tuples(odd_text(extra, min_size=1, max_pieces=3), sizes).map(grow)


def fuzzed(valid: Sequence[str], extra: Sequence[str] = ()) -> Any:
    """A valid value, a valid value with odd text around it, odd text, or a huge string."""
    good = st.sampled_from(list(valid))
    decorated = st.tuples(odd_text(extra, max_pieces=3), good, odd_text(extra, max_pieces=3)).map(
        "".join
    )
    return st.one_of(good, decorated, odd_text(extra), huge_text(extra))


# --------------------------------------------------------------------------- JSON


json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),  # NaN and infinities too: json.loads accepts them
    odd_text(max_pieces=4),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(odd_text(max_pieces=2), inner, max_size=4),
    ),
    max_leaves=10,
)


# --------------------------------------------------------------------------- import files


def mostly(good: Sequence[Any], bad: Sequence[Any] = (), odds: int = 10) -> Any:
    """A good value about `odds` times out of `odds` + 1, else a bad one (shrinks to good)."""
    return st.sampled_from(list(good) * odds + list(bad))


CRON_SPECS = (["0 9 * * 1-5", "*/15 * * * *", "@daily", "30 2 * * 0"], ["0 9 30 2 *", "61 9 * *"])
INTERVAL_SPECS = (["90m", "4h", "1d", "2w", "1d12h", "every 2 hours"], ["30s", "0m", "1.5h"])
DATE_SPECS = (["2030-01-01T09:00:00Z", "2031-06-30T18:30:00+02:00"], ["2020-01-01T09:00:00Z"])
ZONES = ([None, "UTC", "Europe/Berlin", "America/New_York", "europe/berlin", ""], ["Mars/Base"])
INSTANTS = (
    [None, "", "2032-01-01T00:00:00Z", "2035-06-30T18:00:00+02:00"],
    [
        "2019-01-01T00:00:00+00:00",
        "2030-01-01T00:00:00",  # no offset
        "9999-12-31T23:59:59+00:00",
        "0001-01-01T00:00:00+01:00",
        "not a date",
    ],
)


@st.composite
def message_variants(draw: st.DrawFn, extra: Sequence[str] = ()) -> dict[str, Any]:
    """A message variant as an export holds it (content and/or an embed)."""
    good = ["Stand-up time!", "Ship it", "Line one\nLine two"]

    def text() -> str:
        return str(draw(st.sampled_from(good) if draw(mostly([True], [False], 3)) else odd))

    odd = fuzzed(good, extra)
    variant: dict[str, Any] = {}
    if draw(st.booleans()):
        variant["content"] = text()
    if not variant or draw(st.booleans()):
        embed: dict[str, Any] = {}
        for key in ("title", "description", "footer"):
            if draw(st.booleans()):
                embed[key] = text()
        if draw(st.booleans()):
            urls = mostly(["https://example.com/a.png"], ["ftp://x", "http://a b", ""], 10)
            embed["image_url"] = draw(urls)
        if draw(st.booleans()):
            embed["color"] = draw(mostly([0, 0xFF8800, 0xFFFFFF], [0x1000000, -1], 5))
        shown = embed.keys() & {"title", "description", "footer"}
        # Now and then an embed with nothing to show.
        if not variant and not shown and draw(mostly([True], [False], 5)):
            embed["description"] = text()
        variant["embed"] = embed
    return variant


@st.composite
def import_entries(
    draw: st.DrawFn,
    *,
    channel_ids: Sequence[int],
    bad_channel_ids: Sequence[int] = (),
    thread_ids: Sequence[int] = (),
    names: Sequence[str] = ("standup", "water", "launch"),
    extra: Sequence[str] = (),
) -> dict[str, Any]:
    """One export entry: mostly valid values, now and then a wrong one."""
    kind = draw(st.sampled_from(["cron", "date", "interval"]))
    good, bad = {"cron": CRON_SPECS, "date": DATE_SPECS, "interval": INTERVAL_SPECS}[kind]
    destinations: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        channel = draw(mostly(channel_ids, bad_channel_ids, 8))
        shape = draw(
            st.sampled_from(["channel", "thread", "webhook"] if thread_ids else ["channel"])
        )
        if shape == "thread":
            thread = draw(st.sampled_from(list(thread_ids)))
            destinations.append({"type": "thread", "channel_id": str(channel), "thread_id": thread})
        elif shape == "webhook":
            destinations.append(
                {"type": "webhook", "channel_id": str(channel), "name": "Cadence news"}
            )
        else:
            destinations.append({"type": "channel", "channel_id": str(channel)})
    if draw(mostly(["unique"], ["fuzzed"], 3)) == "unique":
        name = draw(st.uuids().map(lambda u: f"task {u.hex[:8]}"))
    else:
        name = draw(fuzzed(list(names), extra))
    return {
        "name": name,
        "kind": kind,
        "spec": draw(mostly(good, bad)),
        "timezone": draw(mostly(*ZONES)),
        "catch_up": draw(mostly(["once", "skip", "all", None], ["sometimes"])),
        "status": draw(st.sampled_from(["active", "paused", "bogus"])),
        "payload": {
            "variants": draw(st.lists(message_variants(extra), min_size=1, max_size=3)),
            "rotation": draw(mostly(["sequential", "random"], ["sideways"])),
            "mentions": draw(
                st.sampled_from(
                    [
                        {"everyone": False, "roles": [], "users": True},
                        {"everyone": True, "roles": [], "users": True},
                    ]
                )
            ),
        },
        "destinations": destinations,
        "start_at": draw(mostly(*INSTANTS, 20)) if kind == "interval" else None,
        "end_at": draw(mostly(*INSTANTS, 20)),
        "max_runs": draw(mostly([None, 1, 50, 1_000_000], [0, 10**30, True])),
    }


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path inside nested dicts and lists."""
    found: list[tuple[Any, ...]] = []
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return found
    for key, inner in items:
        found.append((*prefix, key))
        found.extend(_paths(inner, (*prefix, key)))
    return found


@st.composite
def broken(draw: st.DrawFn, document: Any) -> Any:
    """`document` with one to three of its values replaced by random JSON, or removed (mostly
    inside its task list)."""
    document = copy.deepcopy(document)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = _paths(document)
        inside = [path for path in paths if path[0] == "tasks" and len(path) > 1]
        paths = draw(mostly([inside], [paths], 4)) or paths
        if not paths:
            return draw(json_values)
        path = draw(st.sampled_from(paths))
        parent = document
        for key in path[:-1]:
            parent = parent[key]
        if isinstance(parent, dict) and draw(st.booleans()):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(json_values)
    return document


@st.composite
def import_documents(
    draw: st.DrawFn,
    *,
    channel_ids: Sequence[int],
    bad_channel_ids: Sequence[int] = (),
    thread_ids: Sequence[int] = (),
    names: Sequence[str] = ("standup", "water", "launch"),
    extra: Sequence[str] = (),
) -> Any:
    """An export-shaped document; about half the time broken in one to three places, and now
    and then not an export at all."""
    entries = draw(
        st.lists(
            import_entries(
                channel_ids=channel_ids,
                bad_channel_ids=bad_channel_ids,
                thread_ids=thread_ids,
                names=names,
                extra=extra,
            ),
            min_size=1,
            max_size=4,
        )
    )
    document: Any = {
        "format": "cadence-tasks",
        "version": 1,
        "guild_id": "1",
        "exported_at": "2026-11-22T12:00:00+00:00",
        "tasks": entries,
    }
    shape = draw(mostly(["intact"], ["broken", "not an export"], 2))
    if shape == "not an export":
        return draw(json_values)
    if shape == "broken":
        return draw(broken(document))
    return document
