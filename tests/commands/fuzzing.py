"""Helpers for driving the real bot with fuzzed input (tests/commands/test_fuzz.py): a scene
with roles to mention, and a probe that checks every answer against the rules that hold for any
input: a clear ephemeral error that changed nothing, or a correct task; never an internal error,
never a request Discord refuses, never an ERROR in the logs."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import pytest

from fakediscord import ChannelType
from fakediscord.interactions import Callback, Interaction
from storage import GuildSettings, Task
from tests.commands.harness import App, Scene, Storage, build_scene, final_answer, text_of
from tests.fuzz_strategies import mention_pieces
from tests.stored import payload_json

REFUSED_TITLE = "That didn't work"
INTERNAL = ("Error id", "went wrong on our side")
FAKE_ROLE_ID = 999_999_999_999_999_999


def fuzz_scene() -> Scene:
    """The usual scene, plus a mentionable role and a category (not a place to post)."""
    scene = build_scene()
    scene.guild.add_role("Pingable", 0, mentionable=True)
    scene.guild.add_channel("Archive", type=ChannelType.CATEGORY)
    return scene


def role_named(app: App, name: str, guild: Any = None) -> Any:
    guild = guild or app.scene.guild
    return next(role for role in guild.roles.values() if role.name == name)


def channel_named(app: App, name: str) -> Any:
    return next(c for c in app.scene.guild.channels.values() if c.name == name)


def mentions_for(app: App) -> list[str]:
    """Mention tricks with this scene's real ids."""
    return mention_pieces(
        real_role=app.scene.managers.id,
        pingable_role=role_named(app, "Pingable").id,
        fake_role=FAKE_ROLE_ID,
        user=app.scene.member.id,
        channel=app.scene.general.id,
    )


@dataclass(frozen=True)
class Snapshot:
    storage: Storage
    settings: tuple[GuildSettings, ...]
    requests: int


@dataclass
class Probe:
    """Checks one interaction at a time; counts what it saw."""

    app: App
    caplog: pytest.LogCaptureFixture
    seen: int = 0
    refused: int = 0
    accepted: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    async def snapshot(self) -> Snapshot:
        self.caplog.clear()
        app = self.app
        settings = tuple(
            [await app.bot.engine.guilds.get(g.id) for g in (app.scene.guild, app.scene.other)]
        )
        return Snapshot(await app.storage(), settings, len(app.fd.requests))

    async def unchanged(self, before: Snapshot) -> bool:
        after = await self.snapshot()
        return (after.storage, after.settings) == (before.storage, before.settings)

    async def answer(self, handle: Interaction, before: Snapshot) -> Callback | None:
        """The answer when the command was accepted; None when it was refused (after checking
        that nothing changed). A modal opening (type 9) counts as accepted."""
        self.seen += 1
        answer = await final_answer(handle)
        self.assert_healthy(handle, before)
        if answer.type == 9:
            return answer
        text = text_of(answer)
        assert not any(marker in text for marker in INTERNAL), text
        assert answer.ephemeral, f"a visible answer: {text[:300]!r}"
        embeds = (answer.data or {}).get("embeds") or []
        if embeds and embeds[0].get("title") == REFUSED_TITLE:
            self.refused += 1
            reason = (embeds[0].get("description") or "")[:120]
            self.reasons[reason] = self.reasons.get(reason, 0) + 1
            assert (embeds[0].get("description") or "").strip(), "an error must say what is wrong"
            assert await self.unchanged(before), f"a refusal changed storage: {text[:300]!r}"
            return None
        self.accepted += 1
        return answer

    def assert_healthy(self, handle: Interaction, before: Snapshot) -> None:
        refused = [c for c in handle.callbacks if not c.accepted]
        assert not refused, f"Discord refused the bot's answer: {refused}"
        bad = [
            (r.method, r.route, r.status, str(r.json)[:300])
            for r in self.app.fd.requests[before.requests :]
            if r.status is not None and r.status >= 400
        ]
        assert not bad, f"Discord refused the bot's requests: {bad}"
        errors = [
            f"{r.name}: {r.getMessage()}" for r in self.caplog.records if r.levelno >= logging.ERROR
        ]
        assert not errors, errors

    def summary(self) -> str:
        return f"{self.seen} interactions: {self.accepted} accepted, {self.refused} refused"


async def run_and_check_mentions(app: App, probe: Probe, task: Task) -> Any:
    """Post the task now (`/schedule run`) and check nothing pings that its creator may not
    ping; returns the post."""
    channel = app.scene.general
    posts = len(app.fd.messages(channel))
    before = await probe.snapshot()
    handle = await app.slash(app.scene.admin, "run", task=str(task.id))
    answer = await final_answer(handle)
    probe.assert_healthy(handle, before)
    assert (answer.data or {}).get("embeds", [{}])[0].get("title") == f"Ran {task.name}", text_of(
        answer
    )
    new = app.fd.messages(channel)[posts:]
    assert len(new) == 1, new
    assert_mentions_allowed(app, task, new[0])
    return new[0]


def assert_mentions_allowed(app: App, task: Task, posted: Any) -> None:
    """A post pings only what was approved at save time, and only what its creator may ping."""
    approved = payload_json(task).get("mentions") or {}
    creator_may_everyone = task.created_by == app.scene.admin.id
    pingable = {str(role_named(app, "Pingable").id)}
    if posted.mention_everyone:
        assert approved.get("everyone") and creator_may_everyone, (posted.content, approved)
    roles = set(posted.mention_roles)
    assert roles <= {str(r) for r in approved.get("roles", [])}, (posted.content, approved)
    if not creator_may_everyone:
        assert roles <= pingable, (posted.content, roles)
