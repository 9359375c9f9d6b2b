"""Application command routes: bulk overwrite, list, create, get, edit, delete (global/guild)."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from fakediscord import errors
from fakediscord.commands import validate_command, validate_commands
from fakediscord.errors import ErrorTree
from fakediscord.routing import BODY_KEY, body_of, fd_of, json_response, no_content, snowflake

log = logging.getLogger(__name__)


def _scope(request: web.Request) -> int | None:
    fd = fd_of(request)
    if snowflake(request, "app_id") != fd.world.application.id:
        raise errors.not_app_owner()
    if "guild_id" not in request.match_info:
        return None
    guild = fd.world.guild(snowflake(request, "guild_id"))
    if guild is None or not guild.bot_present:
        raise errors.missing_access()
    return guild.id


async def put_commands(request: web.Request) -> web.Response:
    """PUT .../commands: replace the whole tree of the scope."""
    fd = fd_of(request)
    guild_id = _scope(request)
    body: Any = request.get(BODY_KEY)
    validate_commands(body if body is not None else [], char_cap=fd.settings.command_char_cap)
    stored = fd.commands.overwrite(guild_id, body or [])
    fd.notifier.notify()
    return json_response(stored)


async def get_commands(request: web.Request) -> web.Response:
    """GET .../commands."""
    return json_response(fd_of(request).commands.commands(_scope(request)))


async def post_command(request: web.Request) -> web.Response:
    """POST .../commands: create or replace one command by name (201 when created)."""
    fd = fd_of(request)
    guild_id = _scope(request)
    body = body_of(request)
    tree = ErrorTree()
    validate_command(tree, (), body, char_cap=fd.settings.command_char_cap)
    tree.raise_if_any()
    stored, created = fd.commands.upsert(guild_id, body)
    return json_response(stored, 201 if created else 200)


async def get_command(request: web.Request) -> web.Response:
    """GET .../commands/{command_id}."""
    fd = fd_of(request)
    found = fd.commands.get(_scope(request), snowflake(request, "command_id"))
    if found is None:
        raise errors.unknown_command()
    return json_response(found)


async def patch_command(request: web.Request) -> web.Response:
    """PATCH .../commands/{command_id}."""
    fd = fd_of(request)
    guild_id = _scope(request)
    found = fd.commands.get(guild_id, snowflake(request, "command_id"))
    if found is None:
        raise errors.unknown_command()
    merged = {**found, **body_of(request)}
    tree = ErrorTree()
    validate_command(tree, (), merged, char_cap=fd.settings.command_char_cap)
    tree.raise_if_any()
    stored, _ = fd.commands.upsert(guild_id, merged)
    return json_response(stored)


async def delete_command(request: web.Request) -> web.Response:
    """DELETE .../commands/{command_id}."""
    fd = fd_of(request)
    if not fd.commands.delete(_scope(request), snowflake(request, "command_id")):
        raise errors.unknown_command()
    return no_content()


def register(app: web.Application, api: str) -> None:
    """Add the command routes."""
    for base in (
        f"{api}/applications/{{app_id}}/commands",
        f"{api}/applications/{{app_id}}/guilds/{{guild_id}}/commands",
    ):
        app.router.add_put(base, put_commands)
        app.router.add_get(base, get_commands)
        app.router.add_post(base, post_command)
        app.router.add_get(base + "/{command_id}", get_command)
        app.router.add_patch(base + "/{command_id}", patch_command)
        app.router.add_delete(base + "/{command_id}", delete_command)
