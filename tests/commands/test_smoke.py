from __future__ import annotations

from tests.commands.conftest import App, embed_of, text_of


async def test_cron_happy_path(app: App) -> None:
    s = app.scene
    cb = await app.answer(
        s.admin,
        "cron",
        name="standup",
        cron="0 9 * * 1-5",
        channel=s.general,
        message="Stand-up time!",
        timezone="Europe/Berlin",
    )
    print(cb)
    assert cb.ephemeral
    assert "standup" in embed_of(cb)["title"]
    assert "Monday through Friday" in text_of(cb)
    [task] = await app.tasks()
    assert task.name == "standup"
