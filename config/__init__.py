"""Configuration: a frozen `Settings` from the environment and `.env`."""

from config.settings import (
    DatabaseUrl,
    Secret,
    Settings,
    SettingsError,
    describe_settings,
    load_settings,
)
from config.shards import ShardPlan

__all__ = [
    "DatabaseUrl",
    "Secret",
    "Settings",
    "SettingsError",
    "ShardPlan",
    "describe_settings",
    "load_settings",
]
