"""Configuration: a frozen `Settings` from the environment and `.env`."""

from config.settings import Secret, Settings, SettingsError, describe_settings, load_settings

__all__ = ["Secret", "Settings", "SettingsError", "describe_settings", "load_settings"]
