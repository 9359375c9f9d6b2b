"""Slash commands are timed per command (`cadence_command_seconds`), refused ones too."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from tests.commands.harness import App


async def command_counts(app: App) -> dict[str, float]:
    text = (await app.bot.metrics.render()).decode()
    return {
        s.labels["command"]: s.value
        for family in text_string_to_metric_families(text)
        if family.name == "cadence_command_seconds"
        for s in family.samples
        if s.name.endswith("_count")
    }


async def test_each_command_is_timed_under_its_own_name(app: App) -> None:
    s = app.scene
    assert await command_counts(app) == {}
    await app.answer(
        s.admin, "cron", name="news", cron="0 9 * * *", channel=s.general, message="Morning!"
    )
    await app.answer(s.admin, "list")
    await app.answer(s.admin, "list")
    refused = await app.answer(s.admin, "pause", task="no such task")  # an error answer
    assert refused.ephemeral
    assert await command_counts(app) == {
        "schedule cron": 1.0,
        "schedule list": 2.0,
        "schedule pause": 1.0,
    }
