"""The HTTP door: aiohttp.web on the bot's own event loop (docs/ARCHITECTURE.md section 12).

`web/` stands beside `cogs/`: it may use the running bot's discord.py objects, never imports
`cogs/`, and applies the same rules through the layers below both."""

from web.health import ReadinessCheck, readiness
from web.problems import Problem
from web.server import WebServer, build_app, build_metrics_app

__all__ = ["Problem", "ReadinessCheck", "WebServer", "build_app", "build_metrics_app", "readiness"]
