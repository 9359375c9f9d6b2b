"""The API's small HTTP rules: merge patch, If-Match, cursors."""

from __future__ import annotations

import pytest

from web.http_rules import CursorCodec, check_if_match, etag_for, merge_patch
from web.problems import Problem

# RFC 7396, appendix A: every example.
RFC7396 = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, None, None),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]


@pytest.mark.parametrize(("target", "patch", "expected"), RFC7396, ids=range(len(RFC7396)))
def test_merge_patch_follows_every_example_of_rfc_7396(target, patch, expected) -> None:
    before = repr(target), repr(patch)
    assert merge_patch(target, patch) == expected
    assert (repr(target), repr(patch)) == before  # neither input is changed


def test_if_match_rules() -> None:
    current = etag_for("task", 7, 3)
    assert current == '"task-7-v3"'
    check_if_match(current, current)
    check_if_match('"task-7-v2", "task-7-v3"', current)
    check_if_match("*", current)
    with pytest.raises(Problem) as missing:
        check_if_match(None, current)
    assert missing.value.status == 428
    for stale in ('"task-7-v2"', 'W/"task-7-v3"', '"task-8-v3"'):
        with pytest.raises(Problem) as info:
            check_if_match(stale, current)
        assert info.value.status == 412 and info.value.headers["ETag"] == current


def test_cursors_round_trip_and_are_refused_elsewhere_or_forged() -> None:
    codec = CursorCodec(b"k" * 32)
    cursor = codec.encode("guild:1|tasks|status=active", {"after": 41})
    assert codec.decode("guild:1|tasks|status=active", cursor) == {"after": 41}
    bad = [
        ("guild:2|tasks|status=active", cursor),  # another guild's cursor
        ("guild:1|tasks|status=paused", cursor),  # other filters
        ("guild:1|tasks|status=active", cursor[:-2] + "AA"),  # tampered
        ("guild:1|tasks|status=active", "not a cursor!"),
        ("guild:1|tasks|status=active", ""),
    ]
    for scope, value in bad:
        with pytest.raises(Problem) as info:
            codec.decode(scope, value)
        assert info.value.status == 400
    assert CursorCodec(b"other-key").encode("s", {"after": 1}) != codec.encode("s", {"after": 1})
