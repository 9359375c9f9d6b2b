"""A folded digest keeps what its notices said to do (a regression test: four tasks paused by
one deleted channel gave a digest that named them and the cause but not the fix;
tests/e2e/test_permanent_faults.py shows it through the real process)."""

from __future__ import annotations

from scheduler.alerts import AlertFolder
from scheduler.protocols import Notice, NoticeLevel


async def folded(notices: list[Notice]) -> list[Notice]:
    sent: list[Notice] = []

    async def sink(item: Notice) -> None:
        sent.append(item)

    folder = AlertFolder(sink, window=0, fold_after=3)
    for notice in notices:
        folder.add(notice)
    await folder.flush()
    return sent


def failure(n: int, body: str) -> Notice:
    return Notice(1, NoticeLevel.ERROR, "task_failed", f"Task t{n} paused", body)


async def test_a_digest_lists_each_distinct_fix_once() -> None:
    edit = "Choose another channel with /schedule edit, then /schedule resume."
    grant = "Give the bot Send Messages in <#5>, then /schedule resume."
    [digest] = await folded(
        [failure(n, f"<#4> no longer exists\n{edit}") for n in range(3)]
        + [failure(9, f"Missing Permissions\nIt failed 3 runs in a row.\n{grant}")]
    )
    assert digest.title == "4 notices: task failed"
    assert "• **Task t0 paused**: <#4> no longer exists" in digest.body
    assert "• **Task t9 paused**: Missing Permissions" in digest.body
    assert digest.fields == (("What to do", f"{edit}\nIt failed 3 runs in a row.\n{grant}"),)


async def test_a_digest_of_one_line_notices_has_no_advice() -> None:
    [digest] = await folded([failure(n, f"reason {n}") for n in range(5)])
    assert digest.fields == ()


async def test_advice_is_capped() -> None:
    [digest] = await folded([failure(n, f"reason\nfix number {n}") for n in range(8)])
    [(name, value)] = digest.fields
    assert name == "What to do"
    assert value.splitlines() == [*(f"fix number {n}" for n in range(5)), "… and 3 more"]
