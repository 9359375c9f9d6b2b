"""Discord's permission algorithm as the emulator applies it (no network)."""

from __future__ import annotations

import pytest

from fakediscord import ALL_PERMISSIONS, ChannelType, Permission, World
from fakediscord.models import Overwrite
from fakediscord.permissions import DEFAULT_EVERYONE

P = Permission


@pytest.fixture
def world() -> World:
    return World()


def test_everyone_role_id_is_guild_id_and_bot_is_member(world: World) -> None:
    guild = world.add_guild("G")
    assert guild.everyone.id == guild.id
    assert guild.everyone.permissions == DEFAULT_EVERYONE
    assert guild.bot_member.user is world.bot_user
    assert any(r.managed and r.bot_id == world.bot_user.id for r in guild.roles.values())


def test_owner_and_administrator_get_everything(world: World) -> None:
    guild = world.add_guild("G", owner="boss")
    admin_role = guild.add_role("Admin", P.ADMINISTRATOR)
    admin = guild.add_member("admin", roles=[admin_role])
    channel = guild.add_channel("locked", overwrites=[Overwrite(guild.id, 0, deny=P.VIEW_CHANNEL)])
    owner = guild.member_named("boss")
    assert guild.permissions_for(owner, channel) == ALL_PERMISSIONS
    assert guild.permissions_for(admin, channel) == ALL_PERMISSIONS


@pytest.mark.parametrize(
    ("everyone", "roles", "member", "expect_send"),
    [
        pytest.param((0, 0), [], None, True, id="defaults"),
        pytest.param((0, P.SEND_MESSAGES), [], None, False, id="everyone-deny"),
        pytest.param(
            (0, P.SEND_MESSAGES), [(P.SEND_MESSAGES, 0)], None, True, id="role-allow-wins"
        ),
        pytest.param(
            (0, 0),
            [(P.SEND_MESSAGES, 0), (0, P.SEND_MESSAGES)],
            None,
            True,
            id="roles-aggregate-allow-wins",
        ),
        pytest.param(
            (0, 0), [(P.SEND_MESSAGES, 0)], (0, P.SEND_MESSAGES), False, id="member-deny-last"
        ),
        pytest.param((0, P.SEND_MESSAGES), [], (P.SEND_MESSAGES, 0), True, id="member-allow-last"),
    ],
)
def test_overwrite_order(
    world: World,
    everyone: tuple[int, int],
    roles: list[tuple[int, int]],
    member: tuple[int, int] | None,
    expect_send: bool,
) -> None:
    guild = world.add_guild("G")
    made = [guild.add_role(f"r{i}") for i in range(len(roles))]
    person = guild.add_member("m", roles=made)
    overwrites = [Overwrite(guild.id, 0, int(everyone[0]), int(everyone[1]))]
    overwrites += [
        Overwrite(r.id, 0, int(a), int(d)) for r, (a, d) in zip(made, roles, strict=True)
    ]
    if member is not None:
        overwrites.append(Overwrite(person.id, 1, int(member[0]), int(member[1])))
    channel = guild.add_channel("c", overwrites=overwrites)
    assert bool(guild.permissions_for(person, channel) & P.SEND_MESSAGES) is expect_send


def test_no_view_means_nothing_and_no_send_drops_embeds(world: World) -> None:
    guild = world.add_guild("G")
    person = guild.add_member("m")
    hidden = guild.add_channel("hidden", overwrites={person: (0, P.VIEW_CHANNEL)})
    mute = guild.add_channel("mute", overwrites={person: (0, P.SEND_MESSAGES)})
    assert guild.permissions_for(person, hidden) == 0
    perms = guild.permissions_for(person, mute)
    assert perms & P.VIEW_CHANNEL
    assert not perms & (P.EMBED_LINKS | P.ATTACH_FILES)


def test_thread_inherits_parent_and_uses_send_in_threads(world: World) -> None:
    guild = world.add_guild("G")
    person = guild.add_member("m")
    parent = guild.add_channel("p", overwrites={person: (0, P.SEND_MESSAGES)})
    thread = guild.add_thread(parent, "t")
    assert thread.type == ChannelType.PUBLIC_THREAD
    perms = guild.permissions_for(person, thread)
    assert perms & P.SEND_MESSAGES_IN_THREADS
    assert perms & P.EMBED_LINKS  # threads need SEND_MESSAGES_IN_THREADS, not SEND_MESSAGES
    hidden_parent = guild.add_channel("h", overwrites={person: (0, P.VIEW_CHANNEL)})
    assert guild.permissions_for(person, guild.add_thread(hidden_parent, "t2")) == 0
