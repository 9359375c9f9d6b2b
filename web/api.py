"""The API's parts, assembled: what each route module is given, and the list of them.

`bot.py` builds one `ApiContext` from the running bot and hands `api_routes(context)` to
`build_app`. Each route module has a class taking the context (or the pieces of it it uses)
with an `add_to(app)` method, and a module-level `OPENAPI_PATHS` (path template -> method ->
OpenAPI 3.1 operation object) that `web.openapi` gathers into `/api/v1/openapi.json`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import discord
from aiohttp import web

from scheduler.services import Services
from web import (
    api_docs,
    api_guild,
    api_history,
    api_settings,
    api_task_writes,
    api_tasks,
    api_token_routes,
    api_transfer,
    pages,
)
from web.api_docs import DocsRoutes
from web.api_guild import GuildRoutes
from web.api_history import HistoryRoutes
from web.api_settings import SettingsRoutes
from web.api_task_writes import TaskWriteRoutes
from web.api_tasks import TaskRoutes
from web.api_token_routes import ApiTokenRoutes
from web.api_transfer import TransferRoutes
from web.auth import ApiAuth
from web.http_rules import CursorCodec
from web.openapi import build_document
from web.pages import PageRoutes

__all__ = ["ApiContext", "api_paths", "api_routes"]


@dataclass(frozen=True, slots=True)
class ApiContext:
    """Everything the API's route modules may use; nothing else reaches them."""

    services: Services
    client: discord.Client
    """The running bot: its guild cache answers channel, permission and mention checks."""
    auth: ApiAuth
    cursors: CursorCodec


def api_paths() -> list[dict[str, dict[str, Any]]]:
    """Each route module's `OPENAPI_PATHS`: one line per module, as in `api_routes` below."""
    return [
        api_tasks.OPENAPI_PATHS,
        api_guild.OPENAPI_PATHS,
        api_settings.OPENAPI_PATHS,
        api_task_writes.OPENAPI_PATHS,
        api_token_routes.OPENAPI_PATHS,
        pages.OPENAPI_PATHS,
        api_history.OPENAPI_PATHS,
        api_transfer.OPENAPI_PATHS,
        api_docs.OPENAPI_PATHS,
    ]


def api_routes(context: ApiContext) -> list[Callable[[web.Application], None]]:
    """Each route module's `add_to`, in the order they are registered."""
    tasks = TaskRoutes(context.services.repositories.tasks, context.auth, context.cursors)
    tokens = ApiTokenRoutes(context.services.api_tokens, context.auth, context.client)
    guild = GuildRoutes(context.services, context.client, context.auth)
    settings = SettingsRoutes(context.services.guild_config, context.client, context.auth)
    writes = TaskWriteRoutes(context.services, context.client, context.auth)
    stores = context.services.repositories
    history = HistoryRoutes(
        tasks=stores.tasks,
        runs=stores.runs,
        audit=stores.audit,
        zones=context.services.zones,
        auth=context.auth,
        cursors=context.cursors,
    )
    transfer = TransferRoutes(context.services, context.client, context.auth)
    docs = DocsRoutes(build_document(api_paths()))
    return [
        tasks.add_to,
        guild.add_to,
        settings.add_to,
        writes.add_to,
        tokens.add_to,
        PageRoutes().add_to,
        history.add_to,
        transfer.add_to,
        docs.add_to,
    ]
