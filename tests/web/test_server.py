"""The web server over real HTTP: health, readiness, problem documents, body limits, stop."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from storage import Database
from telemetry import Metrics
from web import Problem, WebServer, build_app, build_metrics_app
from web.http_rules import read_json_body
from web.problems import PROBLEM_JSON, FieldError


class Parts:
    """Readiness states a test flips."""

    def __init__(self) -> None:
        self.gateway = True
        self.engine = True
        self.database: Callable[[], bool] = lambda: True

    def checks(self):
        async def gateway() -> bool:
            return self.gateway

        async def engine() -> bool:
            return self.engine

        async def database() -> bool:
            return self.database()

        return {"gateway": gateway, "engine": engine, "database": database}


@pytest.fixture
def parts() -> Parts:
    return Parts()


@pytest.fixture
async def server(parts: Parts) -> AsyncIterator[WebServer]:
    app = build_app(checks=parts.checks(), metrics=Metrics())

    async def refuse(request: web.Request) -> web.Response:
        raise Problem(
            422,
            "The task is not valid; fix the fields listed in errors.",
            kind="validation",
            errors=[FieldError("cron", "Expected 5 fields, got 4.")],
        )

    async def crash(request: web.Request) -> web.Response:
        raise RuntimeError("token=supersecret went wrong")

    async def echo(request: web.Request) -> web.Response:
        return web.json_response({"size": len(await request.read())})

    async def parse(request: web.Request) -> web.Response:
        return web.json_response({"got": await read_json_body(request, allow_empty=True)})

    app.router.add_post("/test/json", parse)
    app.router.add_get("/test/refuse", refuse)
    app.router.add_get("/test/crash", crash)
    app.router.add_post("/test/echo", echo)
    srv = WebServer(app, "127.0.0.1", 0)
    await srv.start()
    try:
        yield srv
    finally:
        await srv.stop()


def url(server: WebServer, path: str) -> str:
    return f"http://127.0.0.1:{server.port}{path}"


async def test_healthz_answers_while_the_process_serves(server: WebServer) -> None:
    async with aiohttp.ClientSession() as http, http.get(url(server, "/healthz")) as resp:
        assert resp.status == 200
        assert await resp.json() == {"status": "ok"}


async def test_readyz_names_every_part_that_is_not_ready(server: WebServer, parts: Parts) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(url(server, "/readyz")) as resp:
            assert resp.status == 200
            assert (await resp.json())["status"] == "ready"
        parts.gateway = False

        def broken() -> bool:
            raise OSError("database is locked")

        parts.database = broken
        async with http.get(url(server, "/readyz")) as resp:
            assert resp.status == 503
            body = await resp.json()
        assert body["not_ready"] == ["gateway", "database"]
        assert body["checks"] == {"gateway": "not ready", "engine": "ok", "database": "not ready"}
        parts.gateway = True
        parts.database = lambda: True
        async with http.get(url(server, "/readyz")) as resp:
            assert resp.status == 200


async def test_a_problem_is_answered_as_rfc9457_with_field_errors(server: WebServer) -> None:
    async with aiohttp.ClientSession() as http, http.get(url(server, "/test/refuse")) as resp:
        assert resp.status == 422
        assert resp.content_type == PROBLEM_JSON
        body = await resp.json(content_type=None)
    assert body == {
        "type": "/api/problems/validation",
        "title": "Unprocessable Content",
        "status": 422,
        "detail": "The task is not valid; fix the fields listed in errors.",
        "errors": [{"field": "cron", "message": "Expected 5 fields, got 4."}],
    }


async def test_an_internal_error_is_logged_with_an_id_and_shown_as_an_apology(
    server: WebServer, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="web.problems"):
        async with aiohttp.ClientSession() as http, http.get(url(server, "/test/crash")) as resp:
            assert resp.status == 500
            body = await resp.json(content_type=None)
    assert "supersecret" not in str(body)
    error_id = body["detail"].split("error id ")[1].split(")")[0]
    [record] = [r for r in caplog.records if error_id in r.getMessage()]
    assert record.exc_info is not None


async def test_unknown_address_and_wrong_method_are_problems(server: WebServer) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(url(server, "/nowhere")) as resp:
            assert resp.status == 404 and resp.content_type == PROBLEM_JSON
            assert "/api/v1" in (await resp.json(content_type=None))["detail"]
        async with http.delete(url(server, "/healthz")) as resp:
            assert resp.status == 405 and resp.content_type == PROBLEM_JSON
            assert "GET" in resp.headers["Allow"]


async def test_a_body_over_1_mb_is_refused_with_413(server: WebServer) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(url(server, "/test/echo"), data=b"x" * (1024 * 1024)) as resp:
            assert resp.status == 200 and (await resp.json())["size"] == 1024 * 1024
        async with http.post(url(server, "/test/echo"), data=b"x" * (1024 * 1024 + 1)) as resp:
            assert resp.status == 413 and resp.content_type == PROBLEM_JSON
            assert "1 MB" in (await resp.json(content_type=None))["detail"]


async def test_stop_lets_a_request_in_flight_finish_then_refuses_connections() -> None:
    app = build_app(checks={}, metrics=Metrics())
    started = asyncio.Event()

    async def slow(request: web.Request) -> web.Response:
        started.set()
        await asyncio.sleep(0.3)
        return web.json_response({"done": True})

    app.router.add_get("/slow", slow)
    srv = WebServer(app, "127.0.0.1", 0)
    await srv.start()
    async with aiohttp.ClientSession() as http:
        pending = asyncio.ensure_future(http.get(url(srv, "/slow")))
        await started.wait()
        await srv.stop()
        resp = await pending
        assert resp.status == 200 and await resp.json() == {"done": True}
        with pytest.raises(aiohttp.ClientConnectionError):
            await http.get(url(srv, "/healthz"))


async def test_a_busy_port_fails_start_with_oserror() -> None:
    first = WebServer(build_app(checks={}, metrics=Metrics()), "127.0.0.1", 0)
    await first.start()
    try:
        assert first.port is not None
        second = WebServer(build_app(checks={}, metrics=Metrics()), "127.0.0.1", first.port)
        with pytest.raises(OSError):
            await second.start()
    finally:
        await first.stop()


async def test_the_database_readiness_check_answers_until_the_database_closes(
    tmp_path: Path,
) -> None:
    database = await Database.open(tmp_path / "ready.db")
    assert await database.ping() is True
    await database.close()
    assert await database.ping() is False


async def test_metrics_time_requests_by_route_template_never_by_raw_path(
    server: WebServer,
) -> None:
    async with aiohttp.ClientSession() as http:
        for path in ("/healthz", "/healthz", "/nowhere/123", "/nowhere/456", "/test/refuse"):
            async with http.get(url(server, path)):
                pass
        async with http.get(url(server, "/metrics")) as resp:
            assert resp.status == 200
            assert resp.headers["Content-Type"].startswith("text/plain; version=")
            text = await resp.text()
    counts = {
        (s.labels["route"], s.labels["status"]): s.value
        for family in text_string_to_metric_families(text)
        if family.name == "cadence_api_request_seconds"
        for s in family.samples
        if s.name.endswith("_count")
    }
    assert counts == {
        ("/healthz", "200"): 2.0,
        ("unmatched", "404"): 2.0,
        ("/test/refuse", "422"): 1.0,
    }
    assert "cadence_build_info" in text


async def test_the_operators_server_serves_health_readiness_and_metrics_only(
    parts: Parts,
) -> None:
    srv = WebServer(build_metrics_app(checks=parts.checks(), metrics=Metrics()), "127.0.0.1", 0)
    await srv.start()
    try:
        async with aiohttp.ClientSession() as http:
            for path, status in (("/healthz", 200), ("/readyz", 200), ("/metrics", 200)):
                async with http.get(url(srv, path)) as resp:
                    assert resp.status == status, path
            async with http.get(url(srv, "/api/v1/openapi.json")) as resp:
                assert resp.status == 404 and resp.content_type == PROBLEM_JSON
    finally:
        await srv.stop()


async def test_bodies_must_be_json(server: WebServer) -> None:
    cases = [
        ({"json": {"a": 1}}, 200, None),
        ({}, 200, None),  # an action route may take an empty body
        (
            {"data": "a=1", "headers": {"Content-Type": "application/x-www-form-urlencoded"}},
            415,
            "Content-Type: application/json",
        ),
        ({"data": "{oops", "headers": {"Content-Type": "application/json"}}, 400, "not valid JSON"),
    ]
    async with aiohttp.ClientSession() as http:
        for kwargs, status, words in cases:
            async with http.post(url(server, "/test/json"), **kwargs) as resp:
                assert resp.status == status, kwargs
                if words:
                    assert words in (await resp.json(content_type=None))["detail"]
