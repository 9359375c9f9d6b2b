"""`/api/v1/guilds/{guild_id}/api-tokens`: the dashboard's door to a guild's API tokens.

The same service as `/scheduler api-token` (`scheduler.api_tokens.ApiTokens`: same names,
limits, audit entries and words). Only a dashboard session may call these routes, never a
token: a token that could mint or revoke tokens would outlive its own revocation. And only a
member who may change the server's settings (owner, Administrator, Manage Server: the rule of
`discordside.access`), as for the slash command; a manager or viewer role is not enough.
The token itself appears once, in the answer to POST, and is never stored or logged.
"""

from __future__ import annotations

from typing import Any

import discord
from aiohttp import web

from discordside.access import settings_refusal
from scheduler.api_tokens import ApiTokens, check_token_name
from scheduler.errors import ScheduleError
from storage import ApiToken, ApiTokenScope
from web.api_tasks import iso, path_id
from web.auth import ApiAuth, discord_unavailable
from web.http_rules import read_json_body
from web.problems import FieldError, Problem

__all__ = ["OPENAPI_PATHS", "ApiTokenRoutes", "token_object"]

_BASE = "/api/v1/guilds/{guild_id}/api-tokens"


def token_object(token: ApiToken) -> dict[str, Any]:
    """A token as listed: never the token, never its hash."""
    return {
        "name": token.name,
        "scope": str(token.scope),
        "created_by": str(token.created_by),
        "created_at": iso(token.created_at),
        "last_used_at": iso(token.last_used_at),
    }


class ApiTokenRoutes:
    """List, create and revoke a guild's API tokens, for dashboard sessions of its managers."""

    def __init__(self, tokens: ApiTokens, auth: ApiAuth, client: discord.Client) -> None:
        self._tokens = tokens
        self._auth = auth
        self._client = client

    def add_to(self, app: web.Application) -> None:
        app.router.add_get(_BASE, self.list_tokens)
        app.router.add_post(_BASE, self.create_token)
        app.router.add_delete(_BASE + "/{name}", self.revoke_token)

    async def _manager(self, request: web.Request, *, write: bool) -> tuple[int, int]:
        """(guild id, member id) of a session caller who may manage tokens; else 403."""
        guild_id = path_id(request, "guild_id")
        caller = await self._auth.authorize(request, guild_id, write=write)
        if caller.token is not None:
            raise Problem(
                403,
                "API tokens are managed from the dashboard or with /scheduler api-token, "
                "not with an API token.",
                kind="session-only",
            )
        try:
            refused = await settings_refusal(self._client, guild_id, caller.member_id)
        except discord.HTTPException:
            raise discord_unavailable("your rights") from None
        if refused is not None:
            raise Problem(403, refused, kind="forbidden")
        return guild_id, caller.member_id

    async def list_tokens(self, request: web.Request) -> web.Response:
        guild_id, _ = await self._manager(request, write=False)
        tokens = await self._tokens.list_for_guild(guild_id)
        return web.json_response({"items": [token_object(t) for t in tokens], "next_cursor": None})

    async def create_token(self, request: web.Request) -> web.Response:
        guild_id, member_id = await self._manager(request, write=True)
        body = await read_json_body(request)
        if not isinstance(body, dict):
            raise Problem(400, "The body must be a JSON object.", kind="malformed-json")
        errors: list[FieldError] = []
        name = body.get("name")
        try:
            name = check_token_name(name if isinstance(name, str) else "")
        except ScheduleError as exc:
            errors.append(FieldError("name", exc.message))
        scope = body.get("scope")
        if scope not in {str(s) for s in ApiTokenScope}:
            errors.append(FieldError("scope", "The scope is read or write."))
        if errors:
            raise Problem(
                422, "The token cannot be made; see errors.", kind="validation", errors=errors
            )
        try:
            made = await self._tokens.create(guild_id, str(name), str(scope), member_id)
        except ScheduleError as exc:
            raise Problem(
                422, exc.message, kind="validation", errors=[FieldError("name", exc.message)]
            ) from None
        answer = token_object(made.record) | {"token": made.token}
        return web.json_response(answer, status=201, headers={"Cache-Control": "no-store"})

    async def revoke_token(self, request: web.Request) -> web.Response:
        guild_id, member_id = await self._manager(request, write=True)
        try:
            await self._tokens.revoke(guild_id, request.match_info["name"], member_id)
        except ScheduleError as exc:
            raise Problem(404, exc.message, kind="not-found") from None
        return web.Response(status=204)


_TOKEN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name", "scope", "created_by", "created_at", "last_used_at"],
    "properties": {
        "name": {"type": "string"},
        "scope": {"type": "string", "enum": ["read", "write"]},
        "created_by": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"},
        "last_used_at": {"type": ["string", "null"], "format": "date-time"},
    },
}
_ERRORS = {
    "401": {"$ref": "#/components/responses/Unauthorized"},
    "403": {"$ref": "#/components/responses/Forbidden"},
    "404": {"$ref": "#/components/responses/NotFound"},
    "429": {"$ref": "#/components/responses/TooManyRequests"},
    "503": {"$ref": "#/components/responses/ServiceUnavailable"},
}
_TAGS = ["API tokens"]
_SESSION_ONLY: list[dict[str, list[str]]] = [{"sessionCookie": []}]
"""A dashboard session only: an API token is refused (403) here."""

OPENAPI_PATHS: dict[str, dict[str, Any]] = {
    _BASE: {
        "get": {
            "operationId": "listApiTokens",
            "summary": "The guild's live API tokens (dashboard sessions of its managers only)",
            "tags": _TAGS,
            "security": _SESSION_ONLY,
            "parameters": [{"$ref": "#/components/parameters/GuildId"}],
            "responses": {
                "200": {
                    "description": "The tokens, by name; never a token itself",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["items", "next_cursor"],
                                "properties": {
                                    "items": {"type": "array", "items": _TOKEN_SCHEMA},
                                    "next_cursor": {"type": "null"},
                                },
                            }
                        }
                    },
                },
                **_ERRORS,
            },
        },
        "post": {
            "operationId": "createApiToken",
            "summary": "Make an API token; the answer holds the token, shown this once",
            "tags": _TAGS,
            "security": _SESSION_ONLY,
            "parameters": [{"$ref": "#/components/parameters/GuildId"}],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["name", "scope"],
                            "properties": {
                                "name": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,32}$"},
                                "scope": {"type": "string", "enum": ["read", "write"]},
                            },
                        }
                    }
                },
            },
            "responses": {
                "201": {
                    "description": "The token was made",
                    "content": {
                        "application/json": {
                            "schema": {
                                **_TOKEN_SCHEMA,
                                "required": [*_TOKEN_SCHEMA["required"], "token"],
                                "properties": {
                                    **_TOKEN_SCHEMA["properties"],
                                    "token": {"type": "string"},
                                },
                            }
                        }
                    },
                },
                "400": {"$ref": "#/components/responses/BadRequest"},
                "415": {"$ref": "#/components/responses/UnsupportedMediaType"},
                "422": {"$ref": "#/components/responses/Unprocessable"},
                **_ERRORS,
            },
        },
    },
    _BASE + "/{name}": {
        "delete": {
            "operationId": "revokeApiToken",
            "summary": "Revoke an API token: it stops working at once",
            "tags": _TAGS,
            "security": _SESSION_ONLY,
            "parameters": [
                {"$ref": "#/components/parameters/GuildId"},
                {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}},
            ],
            "responses": {"204": {"description": "Revoked"}, **_ERRORS},
        }
    },
}
