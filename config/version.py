"""Cadence's version, in the lowest layer so that every part (the bot, its metrics, the web
API's OpenAPI document) names the same one. Keep it equal to pyproject.toml's."""

VERSION = "0.1.0"
