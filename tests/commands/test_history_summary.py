"""/schedule history and /schedule summary end to end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage import CatchUp, ChannelDestination, NewTask, Payload, TaskKind, Variant
from tests.commands.harness import App, embed_of, final_answer, text_of


async def make(app: App, name: str, spec: str = "0 9 * * *", kind: str = "cron", **extra: object):
    s = app.scene
    return await app.bot.control.create(
        NewTask(
            name=name,
            kind=TaskKind(kind),
            spec=spec,
            created_at=app.bot.engine.clock.now(),
            guild_id=s.guild.id,
            created_by=s.admin.id,
            timezone="UTC",
            payload=Payload(variants=(Variant(content=f"post {name}"),)),
            destinations=(ChannelDestination(channel_id=s.general.id),),
            catch_up=CatchUp.ONCE,
            **extra,  # type: ignore[arg-type]
        ),
        actor_id=s.admin.id,
    )


async def test_history_lists_runs_with_lateness_status_error_and_changes(app: App) -> None:
    s = app.scene
    task = await make(app, "reported")
    await app.answer(s.admin, "run", task="reported")
    await app.bot.engine.runs.record_many(
        task.id,
        [datetime(2026, 1, 1, 9, tzinfo=UTC)],
        "missed",
        "schedule",
        app.bot.engine.clock.now(),
    )
    await app.answer(s.admin, "pause", task="reported")
    answer = await app.answer(s.admin, "history", task="reported")
    assert answer.ephemeral
    embed = embed_of(answer)
    assert embed["title"] == "History: reported"
    assert "ok" in embed["description"] and "manual" in embed["description"]
    assert "missed" in embed["description"]
    changes = next(f for f in embed["fields"] if f["name"] == "Changes")["value"]
    assert "pause by" in changes and "run by" in changes and "create by" in changes


async def test_history_of_an_unknown_task_is_a_clear_error(app: App) -> None:
    answer = await app.answer(app.scene.admin, "history", task="nope")
    assert answer.ephemeral and "No task named" in text_of(answer)


async def test_summary_over_60_tasks_pages_within_discords_limits(app: App) -> None:
    s = app.scene
    for n in range(25):
        await make(app, f"cron-{n:02}-{'x' * 60}", spec=f"{n} {n % 24} * * *")
    for n in range(20):
        when = (app.bot.engine.clock.now() + timedelta(days=n + 1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        await make(app, f"date-{n:02}", spec=when, kind="date")
    for n in range(15):
        await make(app, f"interval-{n:02}", spec=f"{n + 1}h", kind="interval")
    handle = await app.slash(s.admin, "summary")
    first = await final_answer(handle)
    assert first.ephemeral
    seen: list[str] = []

    def check(embeds: list[dict[str, object]]) -> None:
        assert 1 <= len(embeds) <= 10
        total = 0
        for embed in embeds:
            fields = embed.get("fields") or []
            assert len(fields) <= 25  # type: ignore[arg-type]
            for field in fields:  # type: ignore[union-attr]
                assert len(field["value"]) <= 1024 and len(field["name"]) <= 256
                total += len(field["value"]) + len(field["name"])
                seen.extend(line for line in field["value"].splitlines() if "**" in line)
            total += len(str(embed.get("title") or "")) + len(str(embed.get("description") or ""))
            total += len(str((embed.get("footer") or {}).get("text", "")))  # type: ignore[union-attr]
        assert total <= 6000

    embeds = (first.data or {})["embeds"]
    check(embeds)
    footer = embeds[-1]["footer"]["text"]
    assert footer.startswith("Page 1 of ") and "60 tasks" in footer
    pages = int(footer.split(" of ")[1].split(" ")[0])
    assert pages >= 2
    message = handle.original
    assert message is not None
    for _ in range(pages - 1):
        click = await app.fd.click(s.admin, message, "sum_next")
        update = await click.response()
        check((update.data or {})["embeds"])
    assert len(seen) == 60
    assert sum("cron-" in line for line in seen) == 25


async def test_summary_posted_to_a_channel_uses_as_many_messages_as_needed(app: App) -> None:
    s = app.scene
    for n in range(60):
        await make(app, f"task-{n:02}-{'y' * 80}", spec=f"{n % 60} {n % 24} * * *")
    answer = await app.answer(s.admin, "summary", channel=s.news)
    assert "Posted the overview" in text_of(answer)
    posted = app.fd.messages(s.news)
    assert len(posted) >= 2
    for message in posted:
        assert 1 <= len(message.embeds) <= 10


async def test_summary_to_a_channel_the_bot_cannot_post_in_is_refused(app: App) -> None:
    s = app.scene
    await make(app, "one")
    answer = await app.answer(s.admin, "summary", channel=s.readonly)
    assert answer.ephemeral and "I can't post in" in text_of(answer)
    assert app.fd.messages(s.readonly) == []
