"""The dashboard's pages: one HTML shell and a few ES modules, served from `web/dashboard/`.

The dashboard is a small client of `/api/v1` (the same routes, rules and errors as API
tokens), so this module serves files and nothing else: no data is rendered here, and a page
asks `/auth/session` who is looking before it asks the API anything. Nothing is built
before running and nothing is fetched from the internet; the Content-Security-Policy below
lets a page load scripts, styles, images and data from this origin only, so an asset that
named another host would not load even if one slipped in.

Every page path answers the same shell; `app.js` reads the path and draws that view. Paths
are listed here (not matched loosely) so that a mistyped address is a 404, not a blank page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web

from web.problems import Problem

__all__ = ["ASSET_DIR", "OPENAPI_PATHS", "PAGE_PATHS", "PageRoutes"]

ASSET_DIR = Path(__file__).with_name("dashboard")
"""Where the shell, the stylesheet and the ES modules live."""

PAGE_PATHS = (
    "/",
    "/guilds/{guild_id:[0-9]{1,20}}",
    "/guilds/{guild_id:[0-9]{1,20}}/tasks/new",
    "/guilds/{guild_id:[0-9]{1,20}}/tasks/{task_id:[0-9]{1,20}}",
    "/guilds/{guild_id:[0-9]{1,20}}/tasks/{task_id:[0-9]{1,20}}/history",
    "/guilds/{guild_id:[0-9]{1,20}}/calendar",
    "/guilds/{guild_id:[0-9]{1,20}}/settings",
    "/guilds/{guild_id:[0-9]{1,20}}/audit",
    "/guilds/{guild_id:[0-9]{1,20}}/tokens",
)
"""Every address the dashboard answers with its shell (aiohttp route templates)."""

_TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".html": "text/html",
}

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
"""Pages load from this origin only; nothing inline runs; no other site may frame them."""

_SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    # Files change with each release and are small: revalidate rather than risk a stale mix.
    "Cache-Control": "no-cache",
}

OPENAPI_PATHS: dict[str, dict[str, Any]] = {}
"""The pages are not part of the API; nothing to add to the OpenAPI document."""


class PageRoutes:
    """Serves the shell on every page path and the files under `/dashboard/`."""

    def __init__(self, asset_dir: Path = ASSET_DIR) -> None:
        self._dir = asset_dir
        self._assets = {
            path.name: (path.read_bytes(), _TYPES[path.suffix])
            for path in sorted(asset_dir.iterdir())
            if path.suffix in _TYPES
        }

    @property
    def asset_names(self) -> list[str]:
        """The files served under `/dashboard/` (read once, at start)."""
        return sorted(self._assets)

    def add_to(self, app: web.Application) -> None:
        for path in PAGE_PATHS:
            app.router.add_get(path, self.page)
        app.router.add_get("/dashboard/{name}", self.asset)

    async def page(self, request: web.Request) -> web.Response:
        return self._file("index.html")

    async def asset(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name == "index.html" or name not in self._assets:
            raise Problem(404, "There is nothing at this address.", kind="not-found")
        return self._file(name)

    def _file(self, name: str) -> web.Response:
        body, content_type = self._assets[name]
        response = web.Response(body=body, headers=_SECURITY_HEADERS)
        response.content_type = content_type
        response.charset = "utf-8"
        return response
