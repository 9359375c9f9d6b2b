"""`SHARD_COUNT` / `SHARD_IDS`: parsing, one-line errors, and SQLite refusing several processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config import SettingsError, ShardPlan, describe_settings, load_settings
from config.shards import format_ids

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.Gabcde.very-secret-token-value"
PG = "postgresql://cadence:pw@db.example:5432/cadence"


def load(env: dict[str, str]) -> ShardPlan:
    return load_settings({"DISCORD_TOKEN": TOKEN, **env}, env_file=None).shards


def test_default_is_one_process_with_every_shard_of_one() -> None:
    plan = load({})
    assert plan == ShardPlan(1, (0,))
    assert plan.covers_all and not plan.sharded


@pytest.mark.parametrize(
    ("env", "count", "ids"),
    [
        ({"SHARD_COUNT": "4"}, 4, (0, 1, 2, 3)),
        ({"SHARD_COUNT": "4", "SHARD_IDS": "0-3"}, 4, (0, 1, 2, 3)),
        ({"SHARD_COUNT": "4", "SHARD_IDS": "0,2", "DATABASE_URL": PG}, 4, (0, 2)),
        ({"SHARD_COUNT": "8", "SHARD_IDS": " 6-7 , 0-1 ", "DATABASE_URL": PG}, 8, (0, 1, 6, 7)),
        ({"SHARD_COUNT": "3", "SHARD_IDS": "2", "DATABASE_URL": PG}, 3, (2,)),
    ],
    ids=["count-only", "full-range", "pair", "ranges-unsorted", "single"],
)
def test_shard_ids_are_read_as_ranges_and_lists(
    env: dict[str, str], count: int, ids: tuple[int, ...]
) -> None:
    plan = load(env)
    assert (plan.shard_count, plan.shard_ids) == (count, ids)
    assert plan.sharded == (count > 1)


BAD = [
    ({"SHARD_COUNT": "0"}, "SHARD_COUNT", "from 1 to"),
    ({"SHARD_COUNT": "two"}, "SHARD_COUNT", "got 'two'"),
    ({"SHARD_COUNT": "99999999"}, "SHARD_COUNT", "from 1 to"),
    ({"SHARD_COUNT": "2", "SHARD_IDS": "0-2"}, "SHARD_IDS", "names shard 2, but SHARD_COUNT is 2"),
    ({"SHARD_COUNT": "4", "SHARD_IDS": "3-1"}, "SHARD_IDS", "empty range '3-1'"),
    ({"SHARD_COUNT": "4", "SHARD_IDS": "0,1,1"}, "SHARD_IDS", "names shard 1 twice"),
    ({"SHARD_COUNT": "4", "SHARD_IDS": "0-1,1-2"}, "SHARD_IDS", "names shard 1 twice"),
    ({"SHARD_COUNT": "4", "SHARD_IDS": "a-b"}, "SHARD_IDS", "such as 0-3 or 0,2"),
    ({"SHARD_COUNT": "4", "SHARD_IDS": "0,,1"}, "SHARD_IDS", "such as 0-3 or 0,2"),
    ({"SHARD_COUNT": "4", "SHARD_IDS": "-1"}, "SHARD_IDS", "such as 0-3 or 0,2"),
    ({"SHARD_IDS": "1"}, "SHARD_IDS", "SHARD_COUNT is 1"),
    ({"SHARD_COUNT": "4", "SHARD_IDS": "0-1"}, "SHARD_IDS", "SQLite serves one process"),
]


@pytest.mark.parametrize(
    ("env", "variable", "expected"), BAD, ids=[" ".join(e.values()) for e, _, _ in BAD]
)
def test_bad_shard_settings_give_one_line_naming_the_variable(
    env: dict[str, str], variable: str, expected: str
) -> None:
    with pytest.raises(SettingsError) as info:
        load(env)
    message = str(info.value)
    assert message.startswith(f"{variable}: ") and expected in message
    assert "\n" not in message and TOKEN not in message


def test_a_partial_shard_range_with_sqlite_says_to_use_postgresql() -> None:
    with pytest.raises(SettingsError) as info:
        load({"SHARD_COUNT": "4", "SHARD_IDS": "0-1"})
    assert "postgresql://" in str(info.value) and "shards 0-1 of 4" in str(info.value)


def test_every_shard_in_one_process_is_fine_on_sqlite() -> None:
    assert load({"SHARD_COUNT": "4", "SHARD_IDS": "0-3"}).covers_all


def test_the_plan_is_described_as_ranges() -> None:
    settings = load_settings(
        {"DISCORD_TOKEN": TOKEN, "SHARD_COUNT": "8", "SHARD_IDS": "0-2,5", "DATABASE_URL": PG},
        env_file=None,
    )
    assert describe_settings(settings)["shards"] == "shards 0-2,5 of 8"
    assert format_ids((0,)) == "0" and format_ids((1, 3, 4)) == "1,3-4"
    assert settings.shards.shard_of((7 << 22) | 12345) == 7


def test_bot_py_exits_2_with_one_line_for_a_partial_range_on_sqlite(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHARD_", "DATABASE_"))}
    env.update({"DISCORD_TOKEN": TOKEN, "SHARD_COUNT": "4", "SHARD_IDS": "2-3"})
    result = subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), "--env-file", str(tmp_path / "absent.env")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cadence: SHARD_IDS: "), result.stderr
    assert TOKEN not in result.stderr + result.stdout
