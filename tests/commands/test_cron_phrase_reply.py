"""/schedule cron with a plain-English phrase: the crontab is stored, and the creation reply
shows the phrase and the crontab it became; an unknown phrase is refused with examples."""

from __future__ import annotations

import pytest

from tests.commands.harness import App, assert_refused, embed_of, field_of


@pytest.mark.parametrize(
    ("phrase", "crontab", "described"),
    [
        ("every weekday at 9:00", "0 9 * * 1-5", "At 09:00, Monday through Friday"),
        ("Last Friday of the month at 5pm", "0 17 * * 5L",
         "At 17:00, on the last Friday of the month"),
    ],
)  # fmt: skip
async def test_phrase_is_stored_as_crontab_and_shown_as_both(
    app: App, phrase: str, crontab: str, described: str
) -> None:
    s = app.scene
    answer = await app.answer(
        s.admin, "cron", name="standup", cron=phrase, channel=s.general, message="hi"
    )
    assert answer.ephemeral and embed_of(answer)["description"] == described
    assert field_of(answer, "Understood as") == f"{phrase} → `{crontab}`"
    task = await app.task("standup")
    assert task.spec == crontab


async def test_a_crontab_reply_has_no_phrase_line(app: App) -> None:
    s = app.scene
    answer = await app.answer(
        s.admin, "cron", name="standup", cron="0 17 L * *", channel=s.general, message="hi"
    )
    assert embed_of(answer)["description"] == "At 17:00, on the last day of the month"
    names = [f["name"] for f in embed_of(answer).get("fields", [])]
    assert "Understood as" not in names


async def test_an_unknown_phrase_is_refused_with_three_examples(app: App) -> None:
    s = app.scene
    before = await app.storage()
    answer = await app.answer(
        s.admin, "cron", name="standup", cron="whenever it suits", channel=s.general, message="hi"
    )
    assert_refused(
        answer,
        'Could not read "whenever it suits"',
        '"every weekday at 9:00"',
        '"every 15 minutes"',
        '"last friday of the month at 5pm"',
    )
    assert await app.storage() == before
