"""GuildSettingsRepository: per-guild settings, and the record of guilds the bot has left."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from storage._rows import guild_settings_from_row
from storage.database import Database
from storage.models import GuildSettings, MentionPolicy
from storage.timeconv import to_ms

__all__ = ["SETTING_DEFAULTS", "GuildSettingsRepository"]

log = logging.getLogger(__name__)

SETTING_DEFAULTS: dict[str, Any] = {
    "timezone": None,
    "dev_channel_id": None,
    "alert_channel_id": None,
    "manager_role_id": None,
    "viewer_role_id": None,
    "summary_cron": None,
    "summary_channel_id": None,
    "mention_policy": MentionPolicy.CREATOR,
}
"""The settings ``update`` and ``clear`` accept, with the value ``clear`` restores."""


class GuildSettingsRepository:
    """Settings per guild; a guild without a row has the defaults."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, guild_id: int) -> GuildSettings:
        """The guild's settings, or the defaults when it never set any."""
        query = """SELECT * FROM guild_settings WHERE guild_id = ?"""
        row = await self._db.fetch_one(query, (guild_id,))
        return GuildSettings(guild_id) if row is None else guild_settings_from_row(row)

    async def update(self, guild_id: int, at: datetime, **changes: Any) -> GuildSettings:
        """Set the given settings (see ``SETTING_DEFAULTS``), creating the row if needed.

        Raises
        ------
        TypeError
            An unknown setting.
        ValueError
            An invalid ``mention_policy``, or a naive ``at``.
        """
        unknown = sorted(changes.keys() - SETTING_DEFAULTS.keys())
        if unknown:
            raise TypeError(f"unknown guild setting(s): {', '.join(unknown)}")
        if changes.get("mention_policy") is not None:
            changes["mention_policy"] = MentionPolicy(changes["mention_policy"])
        elif "mention_policy" in changes:
            changes["mention_policy"] = MentionPolicy.CREATOR
        return await self._upsert(guild_id, {**changes, "updated_at": to_ms(at)})

    async def clear(self, guild_id: int, field: str, at: datetime) -> GuildSettings:
        """Reset one setting to its default."""
        if field not in SETTING_DEFAULTS:
            raise TypeError(f"unknown guild setting: {field}")
        return await self.update(guild_id, at, **{field: SETTING_DEFAULTS[field]})

    async def mark_left(self, guild_id: int, at: datetime) -> GuildSettings:
        """Remember that the bot left the guild at ``at`` (its data is deleted later)."""
        at_ms = to_ms(at)
        return await self._upsert(guild_id, {"left_at": at_ms, "updated_at": at_ms})

    async def mark_returned(self, guild_id: int, at: datetime) -> GuildSettings:
        """Forget the leave: the bot is back before the data was deleted."""
        return await self._upsert(guild_id, {"left_at": None, "updated_at": to_ms(at)})

    async def left_before(self, instant: datetime) -> list[int]:
        """Guilds the bot left before ``instant`` (and did not return to)."""
        query = """
            SELECT guild_id FROM guild_settings
            WHERE left_at IS NOT NULL AND left_at < ?
            ORDER BY left_at
        """
        return [row[0] for row in await self._db.fetch_all(query, (to_ms(instant),))]

    async def with_summary(self) -> list[GuildSettings]:
        """Guilds with a daily overview (``summary_cron`` set) the bot has not left, by id."""
        query = """
            SELECT * FROM guild_settings
            WHERE summary_cron IS NOT NULL AND left_at IS NULL
            ORDER BY guild_id
        """
        return [guild_settings_from_row(row) for row in await self._db.fetch_all(query)]

    async def _upsert(self, guild_id: int, columns: dict[str, Any]) -> GuildSettings:
        # Column names come from SETTING_DEFAULTS / this module only, never from callers.
        names = ", ".join(columns)
        marks = ", ".join("?" for _ in columns)
        assignments = ", ".join(f"{name} = excluded.{name}" for name in columns)
        query = f"""
            INSERT INTO guild_settings (guild_id, {names}) VALUES (?, {marks})
            ON CONFLICT (guild_id) DO UPDATE SET {assignments}
            RETURNING *
        """
        rows = await self._db.execute_returning(query, (guild_id, *columns.values()))
        return guild_settings_from_row(rows[0])
