"""`GET | PATCH /api/v1/guilds/{guild_id}/settings`: what `/scheduler config` shows and changes.

`PATCH` takes a JSON Merge Patch (RFC 7396) of the settings object: a value sets a setting,
`null` resets it to its default. Every value goes through the rules the slash command uses,
in its words: zones, crons and the mention policy through `scheduler.guild_config`, channels
and the manager role through `discordside.checks` against the bot's view of this guild. One
bad value changes nothing; every bad field is listed. The change is audited as the token's
creator, naming the token."""

from __future__ import annotations

from typing import Any

import discord
from aiohttp import web

from discordside.checks import check_manager_role, check_setting_channel, check_viewer_role
from scheduler.errors import ScheduleError
from scheduler.guild_config import (
    GuildConfig,
    validate_mention_policy,
    validate_summary_cron,
    validate_timezone,
)
from storage import GuildSettings
from web.api_tasks import iso, path_id
from web.auth import ApiAuth, not_found_guild
from web.http_rules import merge_patch, read_json_body
from web.problems import FieldError, Problem

__all__ = ["OPENAPI_PATHS", "SettingsRoutes", "settings_object"]

PATH = "/api/v1/guilds/{guild_id}/settings"
CHANNELS = ("dev_channel_id", "alert_channel_id", "summary_channel_id")
ROLES = ("manager_role_id", "viewer_role_id")
WRITABLE = ("timezone", *CHANNELS, *ROLES, "summary_cron", "mention_policy")
READ_ONLY = ("effective_timezone", "updated_at")


class SettingsRoutes:
    """Handlers for a guild's settings."""

    def __init__(self, config: GuildConfig, client: discord.Client, auth: ApiAuth) -> None:
        self._config = config
        self._client = client
        self._auth = auth

    def add_to(self, app: web.Application) -> None:
        app.router.add_get(PATH, self.get_settings)
        app.router.add_patch(PATH, self.patch_settings)

    async def get_settings(self, request: web.Request) -> web.Response:
        guild_id = path_id(request, "guild_id")
        await self._auth.authorize(request, guild_id, write=False)
        return web.json_response(self._object(await self._config.get(guild_id)))

    async def patch_settings(self, request: web.Request) -> web.Response:
        guild_id = path_id(request, "guild_id")
        caller = await self._auth.authorize(request, guild_id, write=True)
        guild = self._client.get_guild(guild_id)
        if guild is None:
            raise not_found_guild()
        patch = await read_json_body(request)
        if not isinstance(patch, dict):
            raise _invalid([FieldError("body", "must be a JSON object of settings")])
        before = await self._config.get(guild_id)
        current = self._object(before)
        wanted = merge_patch({key: current[key] for key in WRITABLE}, patch)
        changes, clear = self._checked(guild, before, patch, wanted)
        try:
            result = await self._config.update(
                guild_id, changes, clear=clear, actor_id=caller.member_id, via=caller.label
            )
        except ScheduleError as exc:
            raise _invalid([FieldError("body", exc.message)]) from None
        return web.json_response(self._object(result.after))

    def _checked(
        self,
        guild: discord.Guild,
        before: GuildSettings,
        patch: dict[str, Any],
        wanted: dict[str, Any],
    ) -> tuple[dict[str, Any], list[str]]:
        """(settings to set, settings to reset) from a patch; a 422 naming every bad field."""
        errors = [
            FieldError(key, "is read-only" if key in READ_ONLY else "is not a setting")
            for key in patch
            if key not in WRITABLE
        ]
        changes: dict[str, Any] = {}
        clear: list[str] = []
        zone = self._config.zone_of(before)
        for key in (k for k in WRITABLE if k in patch):
            value = wanted.get(key)
            if value is None:
                clear.append(key)
                continue
            if not isinstance(value, str):
                errors.append(FieldError(key, _expected(key)))
                continue
            try:
                changes[key] = _setting(guild, key, value, zone)
            except ScheduleError as exc:
                errors.append(FieldError(key, exc.message))
            if key == "timezone" and key in changes:
                zone = changes[key]
        if errors:
            raise _invalid(errors)
        return changes, clear

    def _object(self, settings: GuildSettings) -> dict[str, Any]:
        return settings_object(settings, self._config.zone_of(settings))


def settings_object(settings: GuildSettings, effective_zone: str) -> dict[str, Any]:
    """A guild's settings as the API shows them: ids as strings, defaults as null."""

    def snowflake(value: int | None) -> str | None:
        return None if value is None else str(value)

    return {
        "timezone": settings.timezone,
        "effective_timezone": effective_zone,
        "dev_channel_id": snowflake(settings.dev_channel_id),
        "alert_channel_id": snowflake(settings.alert_channel_id),
        "manager_role_id": snowflake(settings.manager_role_id),
        "viewer_role_id": snowflake(settings.viewer_role_id),
        "summary_cron": settings.summary_cron,
        "summary_channel_id": snowflake(settings.summary_channel_id),
        "mention_policy": settings.mention_policy.value,
        "updated_at": iso(settings.updated_at),
    }


def _setting(guild: discord.Guild, key: str, value: str, zone: str) -> Any:
    """One setting's value, checked by the slash command's rule for it."""
    if key == "timezone":
        return validate_timezone(value)
    if key == "summary_cron":
        return validate_summary_cron(value, zone)
    if key == "mention_policy":
        return validate_mention_policy(value)
    if not value.isdigit() or len(value) > 20:
        raise ScheduleError(_expected(key))
    if key == "manager_role_id":
        return check_manager_role(guild, int(value))
    if key == "viewer_role_id":
        return check_viewer_role(guild, int(value))
    return check_setting_channel(guild, int(value), key)


def _expected(key: str) -> str:
    if key in ROLES:
        return "must be a role id (digits, as a string) or null"
    if key in CHANNELS:
        return "must be a channel id (digits, as a string) or null"
    return "must be a string or null"


def _invalid(errors: list[FieldError]) -> Problem:
    return Problem(
        422,
        "Some settings are not valid; nothing was changed. See errors.",
        kind="validation",
        errors=errors,
    )


_ID = {"type": ["string", "null"], "pattern": "^[0-9]+$"}
_TEXT = {"type": ["string", "null"]}
SETTINGS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": [*WRITABLE, *READ_ONLY],
    "properties": {
        "timezone": {**_TEXT, "description": "IANA zone; null: the bot's default"},
        "effective_timezone": {"type": "string", "readOnly": True},
        "dev_channel_id": _ID,
        "alert_channel_id": _ID,
        "manager_role_id": _ID,
        "viewer_role_id": _ID,
        "summary_cron": {**_TEXT, "description": "When the overview posts; null: never"},
        "summary_channel_id": _ID,
        "mention_policy": {"type": "string", "enum": ["creator", "none"]},
        "updated_at": {"type": ["string", "null"], "format": "date-time", "readOnly": True},
    },
}
PATCH_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "A JSON Merge Patch: a value sets a setting, null resets it.",
    "additionalProperties": False,
    "properties": {
        key: (
            {"type": ["string", "null"], "enum": ["creator", "none", None]}
            if key == "mention_policy"
            else SETTINGS_SCHEMA["properties"][key]
        )
        for key in WRITABLE
    },
}
_COMMON = ("401", "Unauthorized"), ("404", "NotFound"), ("429", "TooManyRequests")


def _responses(*extra: tuple[str, str]) -> dict[str, Any]:
    ok = {
        "description": "The settings",
        "content": {"application/json": {"schema": SETTINGS_SCHEMA}},
    }
    refs = {code: {"$ref": f"#/components/responses/{name}"} for code, name in (*_COMMON, *extra)}
    return {"200": ok, **refs}


OPENAPI_PATHS: dict[str, dict[str, Any]] = {
    PATH: {
        "get": {
            "operationId": "getSettings",
            "summary": "The guild's settings",
            "description": "What /scheduler config shows.",
            "tags": ["Guild"],
            "parameters": [{"$ref": "#/components/parameters/GuildId"}],
            "responses": _responses(("403", "Forbidden"), ("503", "ServiceUnavailable")),
        },
        "patch": {
            "operationId": "updateSettings",
            "summary": "Change the guild's settings",
            "description": "A JSON Merge Patch, checked as /scheduler config checks it (same "
            "words); one bad value changes nothing. Answers the new settings. Needs a write "
            "token.",
            "tags": ["Guild"],
            "parameters": [{"$ref": "#/components/parameters/GuildId"}],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": PATCH_SCHEMA},
                },
            },
            "responses": _responses(
                ("400", "BadRequest"),
                ("403", "Forbidden"),
                ("413", "PayloadTooLarge"),
                ("415", "UnsupportedMediaType"),
                ("422", "Unprocessable"),
                ("503", "ServiceUnavailable"),
            ),
        },
    }
}
