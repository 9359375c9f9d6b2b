"""Real Chromium (Debian's `chromium`, driven by Playwright from PyPI) against the in-process
bot, fakediscord and the real web server: the dashboard as people use it.

`playwright install` cannot download browsers on these machines, so the tests launch the
system's `/usr/bin/chromium` (`.ci/run` installs it). Each page records the JavaScript errors
and failed requests it saw; `Dashboard.check_clean()` fails a test that had any, so a broken
module shows up as a failure, not as a blank page that happens to pass."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from tests.commands.api_harness import Api

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "DOCS", "Dashboard", "launched_browser"]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
DOCS = Path(__file__).resolve().parents[2] / "docs"
"""Screenshots of the main pages land here as dashboard-*.png."""

TIMEZONE = "America/New_York"
"""The browser's zone: not UTC, so a page that shows UTC instead of local time is caught."""


@asynccontextmanager
async def launched_browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            await browser.close()


@dataclass
class Dashboard:
    """A browser pointed at the served dashboard, with one context (cookie jar) per person."""

    browser: Browser
    api: Api
    shots: Path = field(default_factory=Path)
    """Where screenshots go unless CADENCE_SCREENSHOTS=1 sends them to docs/."""
    problems: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        return self.api.base

    async def context(self, *, width: int = 1200, height: int = 900) -> BrowserContext:
        """A fresh browser profile (its own cookie jar), logged in as nobody."""
        context = await self.browser.new_context(
            base_url=self.base,
            locale="en-US",
            timezone_id=TIMEZONE,
            viewport={"width": width, "height": height},
        )
        context.set_default_timeout(10_000)
        return context

    async def signed_in(self, member: Any = None, **sizes: int) -> BrowserContext:
        """A fresh profile with a session of `member` (default: the guild's admin), opened by
        the real login: /login, consent at (fake) Discord, back with the session cookie."""
        self.api.app.fd.oauth2.approve_as(member or self.api.app.scene.admin)
        context = await self.context(**sizes)
        page = await context.new_page()
        await page.goto("/login?next=/")
        await page.wait_for_url(self.base + "/")
        await page.close()
        return context

    async def page(self, context: BrowserContext, path: str) -> Page:
        """Open `path` in a new tab and wait until its view has drawn (body[data-ready])."""
        page = await context.new_page()
        page.on("pageerror", lambda exc: self.problems.append(f"{path}: {exc}"))
        page.on(
            "console",
            lambda msg: (
                self.problems.append(f"{path}: console {msg.type}: {msg.text}")
                if msg.type == "error" and not _expected_console(msg.text)
                else None
            ),
        )
        await self.goto(page, path)
        return page

    async def open(self, path: str, *, member: Any = None, **sizes: int) -> Page:
        """`path` in a fresh profile logged in as `member` (default: the guild's admin)."""
        return await self.page(await self.signed_in(member, **sizes), path)

    async def login(self, member: Any, path: str = "/", **sizes: int) -> Page:
        """Log in as `member` the way a person does: open `path`, press "Log in with Discord",
        consent at (fake) Discord, land back on `path` with a session cookie."""
        self.api.app.fd.oauth2.approve_as(member)
        page = await self.page(await self.context(**sizes), path)
        await page.get_by_role("link", name="Log in with Discord").click()
        await page.wait_for_url(self.base + path)
        await page.wait_for_selector("body[data-ready=true]")
        return page

    async def goto(self, page: Page, path: str) -> None:
        await page.goto(path)
        await page.wait_for_selector("body[data-ready=true]")

    async def screenshot(self, page: Page, name: str, *, hide: str | None = None) -> Path:
        """dashboard-`name`.png of the whole page, in docs/ with CADENCE_SCREENSHOTS=1 (so an
        ordinary test run leaves the work tree clean), else in the test's temporary folder.
        `hide` (a selector) is painted over, e.g. a token that should not sit in the
        repository even from a throwaway test."""
        folder = DOCS if os.environ.get("CADENCE_SCREENSHOTS") == "1" else self.shots
        target = folder / f"dashboard-{name}.png"
        mask = [page.locator(hide)] if hide else None
        await page.screenshot(path=str(target), full_page=True, mask=mask)
        return target

    def check_clean(self) -> None:
        assert self.problems == [], "\n".join(self.problems)


def _expected_console(text: str) -> bool:
    """Chromium logs every non-2xx fetch to the console; a page that answers 4xx with a
    message (a refusal, a conflict, a validation error) is doing its job."""
    return "Failed to load resource" in text and (
        "status of 4" in text or "net::ERR_ABORTED" in text
    )
