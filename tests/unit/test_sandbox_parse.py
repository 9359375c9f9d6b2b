"""Reading slash commands typed as in Discord."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from sandbox.parse import CommandLineError, convert, describe_command, leaf_commands, parse_line
from sandbox.render import Names, message_lines, relative

TREE: list[dict[str, Any]] = [
    {
        "name": "schedule",
        "type": 1,
        "description": "Schedule posts",
        "options": [
            {
                "name": "every",
                "type": 1,
                "description": "Every so often",
                "options": [
                    {"name": "name", "type": 3, "required": True, "description": "n"},
                    {"name": "interval", "type": 3, "required": True, "description": "i"},
                    {"name": "channel", "type": 7, "required": True, "description": "c"},
                    {"name": "message", "type": 3, "description": "m"},
                    {"name": "max_runs", "type": 4, "description": "r"},
                ],
            },
            {
                "name": "run",
                "type": 1,
                "description": "Run",
                "options": [
                    {"name": "task", "type": 3, "required": True, "description": "t"},
                    {"name": "dry_run", "type": 5, "description": "d"},
                ],
            },
            {
                "name": "rotation",
                "type": 1,
                "description": "Rotation",
                "options": [
                    {
                        "name": "mode",
                        "type": 3,
                        "required": True,
                        "description": "m",
                        "choices": [
                            {"name": "sequential", "value": "sequential"},
                            {"name": "random", "value": "random"},
                        ],
                    },
                ],
            },
        ],
    }
]


class Guild:
    def channel_named(self, name: str) -> str:
        if name != "general":
            raise KeyError(name)
        return "<general>"


@pytest.mark.parametrize(
    ("line", "path", "raw"),
    [
        ("/schedule run task:ping", "schedule run", {"task": "ping"}),
        (
            "/schedule run task:ping dry_run:true",
            "schedule run",
            {"task": "ping", "dry_run": "true"},
        ),
        (
            "/schedule every name:p interval:10s channel:#general message:hello big world",
            "schedule every",
            {"name": "p", "interval": "10s", "channel": "#general", "message": "hello big world"},
        ),
        (
            '/schedule every name:p interval:10s channel:#general message:"a:b c"',
            "schedule every",
            {"name": "p", "interval": "10s", "channel": "#general", "message": "a:b c"},
        ),
        ("schedule run task:two words", "schedule run", {"task": "two words"}),
    ],
    ids=["simple", "bool", "unquoted-spaces", "quoted-colon", "no-slash"],
)
def test_parse_line(line: str, path: str, raw: dict[str, str]) -> None:
    parsed = parse_line(line, TREE)
    assert parsed.path == path and parsed.raw == raw


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("/schedul run task:x", "Unknown command /schedul run. Did you mean /schedule run"),
        ("/schedule run", "/schedule run needs task"),
        ("/schedule run oops task:x", "“oops” is not an option of /schedule run"),
        ('/schedule run task:"unclosed', "check your quotes"),
        ("", "Type a command"),
    ],
    ids=["typo", "missing", "stray-word", "quotes", "empty"],
)
def test_parse_errors_say_what_to_do(line: str, message: str) -> None:
    with pytest.raises(CommandLineError, match=message):
        parse_line(line, TREE)


def test_convert_uses_the_tree_types() -> None:
    parsed = parse_line("/schedule every name:p interval:1h channel:#general max_runs:3", TREE)
    assert convert(parsed, Guild()) == {
        "name": "p",
        "interval": "1h",
        "channel": "<general>",
        "max_runs": 3,
    }
    with pytest.raises(CommandLineError, match="whole number"):
        convert(
            parse_line("/schedule every name:p interval:1h channel:#general max_runs:x", TREE),
            Guild(),
        )
    with pytest.raises(CommandLineError, match="no channel named “nope”"):
        convert(parse_line("/schedule every name:p interval:1h channel:#nope", TREE), Guild())
    with pytest.raises(CommandLineError, match="true or false"):
        convert(parse_line("/schedule run task:x dry_run:maybe", TREE), Guild())


def test_help_lists_leaves_and_options_with_choices() -> None:
    paths = [p for p, _ in leaf_commands(TREE)]
    assert paths == ["schedule every", "schedule rotation", "schedule run"]
    text = describe_command("schedule rotation", dict(leaf_commands(TREE))["schedule rotation"])
    assert "mode: sequential | random (required)" in text


def test_relative_times() -> None:
    from datetime import UTC, datetime, timedelta

    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert relative(now + timedelta(seconds=5), now) == "in 5 seconds"
    assert relative(now + timedelta(minutes=1), now) == "in 1 minute"
    assert relative(now - timedelta(hours=3), now) == "3 hours ago"


def test_embeds_render_as_titled_blocks() -> None:
    class World:
        users: ClassVar[dict[int, Any]] = {}

        def channel(self, _: int) -> None:
            return None

    class G:
        world = World()
        roles: ClassVar[dict[int, Any]] = {}

    names = Names(G(), lambda: None)
    lines = message_lines(
        {
            "content": "hi",
            "embeds": [
                {
                    "title": "T",
                    "description": "D \\*x\\*",
                    "fields": [{"name": "F", "value": "V"}],
                    "footer": {"text": "foot"},
                }
            ],
        },
        names,
    )
    assert lines == ["  hi", "  ┌─ T", "  │ D *x*", "  │ F:", "  │   V", "  └─ foot"]
