"""An unexpected error answers with a short apology and an error id, and is logged with its
traceback under the same id (and reported to the operator's dev channel)."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest

from tests.commands.harness import App, embed_of, text_of


async def test_internal_error_answers_with_an_id_and_logs_the_traceback(
    app: App, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    s = app.scene
    await app.create("standup")
    before = await app.storage()

    async def broken_pause(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the database caught fire")

    monkeypatch.setattr(app.bot.control, "pause", broken_pause)
    with caplog.at_level(logging.ERROR, logger="cogs.common"):
        answer = await app.answer(s.admin, "pause", task="standup")

    assert answer.ephemeral
    assert embed_of(answer)["title"] == "That didn't work"
    text = text_of(answer)
    assert "Sorry, something went wrong on our side" in text
    assert "database caught fire" not in text  # internals stay in the log
    match = re.search(r"Error id `([0-9a-f]{8})`", text)
    assert match, text
    error_id = match.group(1)

    [record] = [r for r in caplog.records if error_id in r.getMessage()]
    assert record.levelno == logging.ERROR
    assert "/schedule pause" in record.getMessage()
    assert record.exc_info is not None and record.exc_info[0] is RuntimeError
    assert "Traceback (most recent call last)" in caplog.text
    assert "RuntimeError: the database caught fire" in caplog.text
    assert await app.storage() == before

    await app.bot.engine.alerts.flush()
    notice = await app.fd.wait_for_message(
        s.dev, predicate=lambda m: any(error_id in str(e) for e in m.embeds), timeout=5
    )
    assert "RuntimeError" in str(notice.embeds)
