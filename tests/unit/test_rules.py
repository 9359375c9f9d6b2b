"""The rulebook below the doors: the same checks and the same words for every door."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from scheduler.errors import ScheduleError
from scheduler.messages import (
    MessageDraft,
    check_mention_policy,
    combine_mentions,
    from_options,
    keep_still_approved,
)
from scheduler.rules import (
    ScheduleChoice,
    TaskRules,
    check_one_schedule,
    check_webhook_identity,
    checked_choice,
    checked_range,
    clean_name,
    instant_option,
)
from storage import Embed, MentionPolicy, Mentions, TaskKind, Variant

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def rules(min_interval_seconds: int = 60) -> TaskRules:
    # Only the schedule rules are used here: they read no repository.
    return TaskRules(None, None, min_interval_seconds=min_interval_seconds)  # type: ignore[arg-type]


def message_of(call: object, *args: object, **kwargs: object) -> str:
    with pytest.raises(ScheduleError) as info:
        call(*args, **kwargs)  # type: ignore[operator]
    return str(info.value)


def test_names_are_tidied_and_limited() -> None:
    assert clean_name("  morning   news ") == "morning news"
    assert message_of(clean_name, "   ") == "The task needs a name. Example: name: morning-news"
    assert message_of(clean_name, "x" * 101) == (
        "Task names have at most 100 characters; this one has 101."
    )


def test_choices_and_ranges_refuse_what_a_crafted_request_sends() -> None:
    assert checked_choice("once", ("skip", "once", "all"), "catch_up") == "once"
    assert message_of(checked_choice, "never", ("skip", "once"), "catch_up") == (
        "catch_up must be one of skip, once, not “never”. Example: catch_up: skip"
    )
    assert checked_range(5, 1, 25, "limit") == 5
    assert message_of(checked_range, 0, 1, 1_000_000, "max_runs") == (
        "max_runs must be between 1 and 1,000,000. Example: max_runs: 1"
    )


def test_schedules_read_from_what_a_user_typed() -> None:
    end = datetime(2027, 6, 30, 16, 0, tzinfo=UTC)
    assert rules().cron("0 9 * * 1-5", "Europe/Berlin", end_at=end) == ScheduleChoice(
        TaskKind.CRON, "0 9 * * 1-5", end_at=end
    )
    once = rules().once("in 90 minutes", "UTC", now=NOW)
    assert once == ScheduleChoice(TaskKind.DATE, "2026-11-02T10:30:00Z")
    every = rules().every("4h", "UTC", now=NOW)
    assert (every.kind, every.spec, every.start_at) == (TaskKind.INTERVAL, "4h", None)


def test_an_interval_is_never_below_the_minimum_and_ends_after_it_starts() -> None:
    assert "at least" in message_of(rules(60).every, "30s", "UTC", now=NOW).lower()
    assert rules(5).every("30s", "UTC", now=NOW).spec == "30s"
    start, end = datetime(2027, 1, 2, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    assert message_of(rules().every, "1d", "UTC", now=NOW, start_at=start, end_at=end) == (
        "end must come after start. Example: start: tomorrow 9am  end: 2027-06-30 18:00"
    )


def test_an_edit_names_at_most_one_new_schedule() -> None:
    expected = "Give only one of cron, when and interval. Example: cron: 0 9 * * 1-5"
    assert message_of(check_one_schedule, "0 9 * * *", None, "4h") == expected
    assert (
        message_of(
            rules().new_schedule,
            cron="0 9 * * *",
            when="tomorrow",
            interval=None,
            zone="UTC",
            now=NOW,
            end_at=None,
        )
        == expected
    )
    nothing = rules().new_schedule(
        cron=None, when=None, interval=None, zone="UTC", now=NOW, end_at=None
    )
    assert nothing is None


def test_a_start_or_end_option_names_itself_in_its_error() -> None:
    assert instant_option(None, "UTC", "end", now=NOW) is None
    assert message_of(instant_option, "gibberish", "UTC", "end", now=NOW).startswith("end: ")


def test_a_webhook_identity_follows_discords_rules() -> None:
    check_webhook_identity("Daily Herald", "https://x.test/a.png")
    assert message_of(check_webhook_identity, "Clyde", "") == (
        "Discord does not allow webhook names containing “discord” or “clyde”. Pick another name."
    )
    assert message_of(check_webhook_identity, "Herald", "ftp://x") == (
        "The avatar URL must start with http:// or https://. "
        "Example: https://example.com/avatar.png"
    )


def test_a_message_draft_is_one_stored_variant() -> None:
    draft = from_options("Room 4\\nbring coffee", "Stand-up", "orange")
    assert draft.variant() == Variant(
        embed=Embed(title="Stand-up", description="Room 4\nbring coffee", color=0xE67E22)
    )
    assert MessageDraft.from_variant(draft.variant()) == draft
    assert MessageDraft(content="hi", color=5).variant() == Variant(content="hi")
    assert message_of(MessageDraft().validate).startswith("The message is empty.")


def test_the_mention_policy_none_refuses_every_ping() -> None:
    check_mention_policy(MessageDraft(content="@everyone hi"), MentionPolicy.CREATOR)
    check_mention_policy(MessageDraft(content="hi"), MentionPolicy.NONE)
    role = "<@&123456789012345678>"
    assert message_of(check_mention_policy, MessageDraft(content=role), MentionPolicy.NONE) == (
        "This server's mention policy is `none`: scheduled messages may not mention "
        "@everyone, @here or roles. Remove the mention, or ask an admin to change "
        "`/scheduler config mention_policy`."
    )


def test_approved_mentions_combine_and_drop_what_no_variant_uses() -> None:
    combined = combine_mentions([Mentions(everyone=True), Mentions(roles=(5, 3))])
    assert combined == Mentions(everyone=True, roles=(3, 5), users=True)
    assert combine_mentions([]) == Mentions(users=True)
    previous = Mentions(everyone=True, roles=(111111111111111111, 222222222222222222))
    others = [MessageDraft(content="<@&222222222222222222> still pinged")]
    kept = keep_still_approved(Mentions(roles=(333333333333333333,)), previous, others)
    assert kept == Mentions(
        everyone=False, roles=(222222222222222222, 333333333333333333), users=True
    )
