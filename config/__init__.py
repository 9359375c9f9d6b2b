"""Configuration: a frozen `Settings` from the environment and `.env`."""

from config.settings import (
    DatabaseUrl,
    Secret,
    Settings,
    SettingsError,
    describe_settings,
    load_settings,
)

__all__ = [
    "DatabaseUrl",
    "Secret",
    "Settings",
    "SettingsError",
    "describe_settings",
    "load_settings",
]
