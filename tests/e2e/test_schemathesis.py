"""schemathesis against the real bot: `python bot.py` with WEB_PORT, fakediscord, a write token
made with the slash command, a few tasks, and every schemathesis check on requests generated
from `/api/v1/openapi.json`: no 5xx for any input, every answer (bodies, problem documents,
status codes, headers) as the document says.

The run is bounded (examples per operation, a fixed seed) so it stays a few minutes on two
cores and fails the same way twice. `guild_id` is fixed to the token's server: elsewhere every
request would stop at the same 404, and the routes behind it would go untested."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest

from fakediscord import FakeDiscord
from tests.commands.harness import final_answer, text_of
from tests.e2e.harness import BotProcess, Scene, seed_task
from tests.e2e.test_web_process import free_port, ready

pytestmark = pytest.mark.slow

TOKEN = re.compile(r"cadence_[A-Za-z0-9_-]{43}")
SEED = 20261204
EXAMPLES = int(os.environ.get("CADENCE_SCHEMATHESIS_EXAMPLES", "40"))
"""Generated cases per operation and phase; more finds more and takes longer."""
RUN_TIMEOUT = 900.0

CONFIG = """\
seed = {seed}
workers = 1
request-timeout = 20

[generation]
max-examples = {examples}
database = "none"

[parameters]
"path.guild_id" = "${{CADENCE_GUILD_ID}}"
# Real ids and well-formed schedules, often: random ones stop at the first check (404, 422),
# and the code behind it (creating, changing, paging a real task) would go untested.
"query.channel_id" = {{ dictionary = "channels", probability = 0.5 }}
"query.task_id" = {{ dictionary = "tasks", probability = 0.5 }}
"body.destinations[*].channel_id" = {{ dictionary = "channels", probability = 0.8 }}
"body.spec" = {{ dictionary = "specs", probability = 0.7 }}
"body.timezone" = {{ dictionary = "zones", probability = 0.7 }}

[dictionaries.tasks]
values = {tasks}

[dictionaries.doomed]
values = {doomed}

# DELETE gets tasks of its own, so the others stay for every phase of every other route.
[[operations]]
include-method = "DELETE"
parameters = {{ "path.task_id" = {{ dictionary = "doomed", probability = 0.7 }} }}

[[operations]]
include-method-regex = "^(GET|POST|PATCH|PUT)$"
parameters = {{ "path.task_id" = {{ dictionary = "tasks", probability = 0.7 }} }}

[dictionaries.channels]
values = {channels}

[dictionaries.specs]
values = ["0 9 * * 1-5", "*/30 * * * *", "6h", "90m", "2099-01-01T09:00:00Z"]

[dictionaries.zones]
values = ["UTC", "Europe/Paris", "America/New_York"]

[auth.openapi.bearerToken]
bearer = "${{CADENCE_API_TOKEN}}"

# Ids come from the dictionaries below, not from earlier answers: from a list's answer
# schemathesis would feed every task to DELETE in the first phase, and the routes that need a
# task would meet only 404s for the rest of the run.
[phases.examples.extra-data-sources]
responses = false

[phases.coverage.extra-data-sources]
responses = false

[phases.fuzzing.extra-data-sources]
responses = false

[checks.positive_data_acceptance]
# A body or query can be valid by the document and still refused by a rule a schema cannot
# say: a cron expression that does not parse, a channel that does not exist, a cursor this
# server never gave out (400), a stale If-Match (412), a name already taken (409). Those are
# the same refusals as the slash commands'; anything else (405, 413, 415…) still fails.
expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "412", "422", "429"]

[checks.negative_data_rejection]
# schemathesis's list, plus 412: a stale If-Match is answered before the body is read, as
# RFC 9110 (section 13.2.1) has preconditions evaluated before the request content.
expected-statuses = [
    "400", "401", "403", "404", "405", "406", "409", "412", "415", "422", "428", "429",
]
"""


async def write_token(fd: FakeDiscord, scene: Scene) -> str:
    """A write token, made the way an admin makes one: with the slash command."""
    made = await fd.slash(
        scene.guild, scene.admin, "scheduler api-token create", name="fuzz", scope="write"
    )
    tokens = TOKEN.findall(text_of(await final_answer(made)))
    assert len(tokens) == 1
    return tokens[0]


async def test_schemathesis_finds_nothing_against_the_real_bot(
    bot: BotProcess, fd: FakeDiscord, scene: Scene, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    seeded = []
    for number, (kind, spec) in enumerate(
        [
            ("cron", "0 9 * * 1-5"),
            ("interval", "6h"),
            ("date", "2099-01-01T09:00:00+00:00"),
            ("cron", "30 18 * * *"),
            ("interval", "1d"),
        ]
    ):
        task = await seed_task(
            bot.db_path,
            name=f"seeded {number}",
            kind=kind,
            spec=spec,
            guild_id=scene.guild.id,
            channel_id=scene.general.id,
            now=now,
        )
        seeded.append(str(task.id))
    port = free_port()
    await bot.start(WEB_PORT=str(port), API_RATE_PER_SECOND="10000")
    base = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as http:
        await ready(http, f"{base}/readyz")
    token = await write_token(fd, scene)

    config = tmp_path / "schemathesis.toml"
    channels = [str(c.id) for c in (scene.general, scene.news, scene.dev)]
    config.write_text(
        CONFIG.format(
            seed=SEED,
            examples=EXAMPLES,
            tasks=json.dumps(seeded[:3]),
            doomed=json.dumps(seeded[3:]),
            channels=json.dumps(channels),
        )
    )
    report = tmp_path / "schemathesis-report.ndjson"
    env = dict(os.environ, CADENCE_API_TOKEN=token, CADENCE_GUILD_ID=str(scene.guild.id))
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(config),
        "run",
        f"{base}/api/v1/openapi.json",
        "--checks",
        "all",
        "--no-color",
        "--report",
        "ndjson",
        "--report-ndjson-path",
        str(report),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=env,
        cwd=tmp_path,
    )
    output, _ = await asyncio.wait_for(process.communicate(), RUN_TIMEOUT)
    text = output.decode(errors="replace")
    (tmp_path / "schemathesis.log").write_text(text)
    print(text[-6000:])
    assert process.returncode == 0, text[-12000:]
    assert re.search(r"\d+ generated", text), text[-3000:]
    assert token not in text
    assert await bot.stop() == 0
    assert "Internal error" not in bot.log()
    assert token not in bot.log()
    assert report.exists() and json.loads(report.read_text().splitlines()[0])
