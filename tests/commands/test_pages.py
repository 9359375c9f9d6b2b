"""The dashboard's pages over real HTTP, served by the in-process bot's web server with every
route module: each page and asset answers with its type and the strict Content-Security-Policy,
no asset names another host, every module a page imports is served, and the API token routes
refuse API tokens (only a dashboard session of a manager may manage tokens)."""

from __future__ import annotations

import re

import pytest

from tests.commands.api_harness import Api
from web.pages import ASSET_DIR, CONTENT_SECURITY_POLICY, PageRoutes
from web.problems import PROBLEM_JSON

GUILD = "/guilds/123456789012345678"
PAGES = [
    "/",
    GUILD,
    f"{GUILD}/tasks/new",
    f"{GUILD}/tasks/42",
    f"{GUILD}/tasks/42/history",
    f"{GUILD}/calendar",
    f"{GUILD}/settings",
    f"{GUILD}/audit",
    f"{GUILD}/tokens",
]
TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
SVG_NAMESPACE = "http://www.w3.org/2000/svg"
"""An XML namespace name, never fetched: the only URL with a scheme an asset may hold."""


@pytest.mark.parametrize("path", PAGES)
async def test_every_page_answers_the_shell_with_a_strict_policy(api: Api, path: str) -> None:
    async with api.http.get(api.base + path) as resp:
        body = await resp.text()
        assert resp.status == 200, path
        assert resp.content_type == "text/html" and resp.charset == "utf-8"
        assert resp.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["X-Frame-Options"] == "DENY"
    assert '<script type="module" src="/dashboard/app.js">' in body
    assert 'name="viewport"' in body and '<html lang="en">' in body


@pytest.mark.parametrize(
    "path",
    [
        "/guilds/abc",
        f"{GUILD}/nowhere",
        f"{GUILD}/tasks/x1",
        "/guilds/1234567890123456789012",
        "/dashboard/index.html",
        "/dashboard/missing.js",
        "/dashboard/..%2Fpages.py",
    ],
)
async def test_an_unknown_page_or_asset_is_a_404_problem(api: Api, path: str) -> None:
    async with api.http.get(api.base + path) as resp:
        assert resp.status == 404, path
        assert resp.content_type == PROBLEM_JSON


async def test_every_asset_is_served_with_its_type(api: Api) -> None:
    names = PageRoutes().asset_names
    on_disk = sorted(p.name for p in ASSET_DIR.iterdir() if p.suffix in {*TYPES, ".html"})
    assert names == on_disk and "app.js" in names
    for name in names:
        if name == "index.html":
            continue
        async with api.http.get(f"{api.base}/dashboard/{name}") as resp:
            assert resp.status == 200, name
            assert resp.content_type == TYPES[name[name.rindex(".") :]], name
            assert resp.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
            assert (await resp.read()) == (ASSET_DIR / name).read_bytes()


def test_no_asset_names_another_host() -> None:
    """Nothing to fetch from the internet: no scheme-qualified or protocol-relative URL, no
    CSS import or url() but data:, in any file the dashboard serves."""
    external = re.compile(r"""(?:[a-z][a-z0-9+.-]*:)?//[^\s"'`)]+""", re.IGNORECASE)
    for path in sorted(ASSET_DIR.iterdir()):
        text = path.read_text(encoding="utf-8").replace(SVG_NAMESPACE, "")
        # Comments in JS/CSS are "// words" with a space; a URL has no space after //.
        found = [m for m in external.findall(text) if not m.startswith("// ")]
        found = [m for m in found if not re.fullmatch(r"//\s.*", m)]
        assert found == [], f"{path.name} names {found}"
        assert "@import" not in text, path.name
        for url in re.findall(r"url\(([^)]*)\)", text):
            assert url.strip("'\"").startswith("data:"), f"{path.name}: url({url})"


def test_every_module_a_page_imports_is_served() -> None:
    """Static imports and the views app.js loads by name: a missing file would be a blank
    page in the browser, so it fails here first."""
    names = set(PageRoutes().asset_names)
    for path in ASSET_DIR.glob("*.js"):
        for imported in re.findall(r"""from\s+"\./([\w-]+\.js)\"""", path.read_text()):
            assert imported in names, f"{path.name} imports {imported}"
    app_js = (ASSET_DIR / "app.js").read_text()
    views = set(re.findall(r'\$/, "(\w+)", \[', app_js))
    assert views == {
        "picker",
        "tasks",
        "form",
        "history",
        "calendar",
        "settings",
        "audit",
        "tokens",
    }
    for view in views:
        assert f"{view}.js" in names
        assert "export async function render(" in (ASSET_DIR / f"{view}.js").read_text()


async def test_api_tokens_cannot_manage_api_tokens(api: Api) -> None:
    s = api.app.scene
    token = await api.token("deploys", "write")
    base = f"/api/v1/guilds/{s.guild.id}/api-tokens"
    for method, path, body in (
        ("GET", base, None),
        ("POST", base, {"name": "minted", "scope": "write"}),
        ("DELETE", f"{base}/deploys", None),
    ):
        status, problem, resp = await api.request(method, path, token, json=body)
        assert status == 403 and resp.content_type == PROBLEM_JSON, (method, status)
        assert "not with an API token" in problem["detail"]
    assert [t.name for t in await api.app.bot.services.api_tokens.list_for_guild(s.guild.id)] == [
        "deploys"
    ]
    status, _, _ = await api.request("GET", base, None)
    assert status == 401
    other = await api.token("theirs", "write", guild=s.other, member=s.other_admin)
    status, _, _ = await api.request("GET", base, other)
    assert status == 404
