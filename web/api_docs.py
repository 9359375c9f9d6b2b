"""`GET /api/v1/openapi.json` and `GET /api/docs`: the API's description, for programs and people.

Both are built once, when the app is assembled, from the same document (`web.openapi`), and
served without a token: they describe the API and hold nothing of any server. The page is
plain HTML made here, with a little inline CSS and no script or asset from anywhere else, so it
reads the same offline, behind a strict firewall, and on a phone."""

from __future__ import annotations

import html
import json
import re
from typing import Any

from aiohttp import web

__all__ = ["OPENAPI_PATHS", "DocsRoutes", "render_page"]

_METHODS = ("get", "post", "put", "patch", "delete")

_CSS = """
body{font:16px/1.5 system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:1rem;color:#222}
h1,h2,h3{line-height:1.2}h2{border-bottom:2px solid #ddd;padding-bottom:.2rem;margin-top:2.5rem}
code,.path{font-family:ui-monospace,monospace;font-size:.92em;overflow-wrap:anywhere}
.op{border:1px solid #ddd;border-radius:6px;padding:.2rem 1rem 1rem;margin:1rem 0}
.m{display:inline-block;min-width:4.2rem;text-align:center;border-radius:4px;color:#fff;
font-weight:600;font-size:.85rem;padding:.1rem .4rem;margin-right:.4rem}
.get{background:#2a6ebb}.post{background:#2e8540}.patch{background:#b36b00}
.delete{background:#b3261e}.put{background:#6b4fbb}
table{border-collapse:collapse;width:100%;display:block;overflow-x:auto}
th,td{border-bottom:1px solid #eee;text-align:left;padding:.25rem .5rem;vertical-align:top}
nav li{margin:.15rem 0}a{color:#1a5aa6}.req{color:#b3261e;font-size:.8rem}
"""


class DocsRoutes:
    """Serves one document, built before the app starts, as JSON and as a page."""

    def __init__(self, document: dict[str, Any]) -> None:
        self._json = json.dumps(document, indent=1, sort_keys=False).encode()
        self._page = render_page(document).encode()

    def add_to(self, app: web.Application) -> None:
        app.router.add_get("/api/v1/openapi.json", self.openapi_json)
        app.router.add_get("/api/docs", self.docs_page)

    async def openapi_json(self, request: web.Request) -> web.Response:
        return web.Response(body=self._json, content_type="application/json")

    async def docs_page(self, request: web.Request) -> web.Response:
        return web.Response(body=self._page, content_type="text/html", charset="utf-8")


def render_page(document: dict[str, Any]) -> str:
    """The whole document as one readable HTML page: every operation with its parameters,
    body fields and responses, grouped by tag, then the shared schemas."""
    info = document["info"]
    groups: dict[str, list[tuple[str, str, dict[str, Any]]]] = {
        tag["name"]: [] for tag in document.get("tags", [])
    }
    for path, item in document["paths"].items():
        for method in _METHODS:
            if method in item:
                operation = item[method]
                for tag in operation.get("tags", ["other"])[:1]:
                    groups.setdefault(tag, []).append((method, path, operation))
    tag_text = {t["name"]: t.get("description", "") for t in document.get("tags", [])}
    out = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        '<meta name=viewport content="width=device-width,initial-scale=1">',
        f"<title>{_e(info['title'])} {_e(info['version'])}</title><style>{_CSS}</style>",
        f"</head><body><h1>{_e(info['title'])} <small>{_e(info['version'])}</small></h1>",
        _prose(info.get("description", "")),
        '<p>The same description as JSON: <a href="/api/v1/openapi.json">'
        "/api/v1/openapi.json</a> (OpenAPI 3.1).</p><nav><h2>Contents</h2><ul>",
    ]
    for tag, operations in groups.items():
        if not operations:
            continue
        out.append(f'<li><a href="#tag-{_e(tag)}">{_e(tag)}</a><ul>')
        for method, path, operation in operations:
            out.append(
                f'<li><a href="#{_e(operation["operationId"])}">{method.upper()} '
                f"<span class=path>{_e(path)}</span></a></li>"
            )
        out.append("</ul></li>")
    out.append('<li><a href="#schemas">Schemas</a></li></ul></nav>')
    for tag, operations in groups.items():
        if not operations:
            continue
        out.append(f'<h2 id="tag-{_e(tag)}">{_e(tag)}</h2>{_prose(tag_text.get(tag, ""))}')
        out += [_operation(document, method, path, op) for method, path, op in operations]
    out.append('<h2 id="schemas">Schemas</h2>')
    for name, schema in document["components"]["schemas"].items():
        out.append(f'<h3 id="schema-{_e(name)}">{_e(name)}</h3>')
        out.append(_prose(schema.get("description", "")) + _fields(document, schema))
    out.append("</body></html>")
    return "\n".join(out)


def _operation(document: dict[str, Any], method: str, path: str, op: dict[str, Any]) -> str:
    parts = [
        f'<section class=op id="{_e(op["operationId"])}"><h3><span class="m {method}">'
        f"{method.upper()}</span><span class=path>{_e(path)}</span></h3>",
        f"<p><strong>{_e(op.get('summary', ''))}</strong></p>",
        _prose(op.get("description", "")),
    ]
    if op.get("security") == []:
        parts.append("<p>No token needed.</p>")
    parameters = [_resolve(document, p) for p in op.get("parameters", [])]
    if parameters:
        parts.append(
            "<h4>Parameters</h4><table><tr><th>Name</th><th>In</th><th>Type</th>"
            "<th>Description</th></tr>"
        )
        for p in parameters:
            required = " <span class=req>required</span>" if p.get("required") else ""
            parts.append(
                f"<tr><td><code>{_e(p['name'])}</code>{required}</td><td>{_e(p['in'])}</td>"
                f"<td>{_type(document, p.get('schema', {}))}</td>"
                f"<td>{_inline(p.get('description', ''))}</td></tr>"
            )
        parts.append("</table>")
    body = op.get("requestBody")
    if body:
        body = _resolve(document, body)
        parts.append("<h4>Request body</h4>" + _prose(body.get("description", "")))
        for media, content in body.get("content", {}).items():
            schema = content.get("schema", {})
            parts.append(
                f"<p><code>{_e(media)}</code>: {_type(document, schema)}"
                f"{' (optional)' if not body.get('required') else ''}</p>"
            )
            parts.append(_fields(document, schema))
    parts.append("<h4>Responses</h4><table><tr><th>Status</th><th>Meaning</th></tr>")
    for status, response in op.get("responses", {}).items():
        response = _resolve(document, response)
        kinds = ", ".join(
            f"<code>{_e(media)}</code> {_type(document, c.get('schema', {}))}"
            for media, c in response.get("content", {}).items()
        )
        headers = ", ".join(f"<code>{_e(h)}</code>" for h in response.get("headers", {}))
        inline = "".join(
            _fields(document, c["schema"])
            for c in response.get("content", {}).values()
            if "$ref" not in c.get("schema", {"$ref": ""})
        )
        parts.append(
            f"<tr><td>{_e(status)}</td><td>{_inline(response.get('description', ''))}"
            f"{'<br>' + kinds if kinds else ''}"
            f"{'<br>Headers: ' + headers if headers else ''}{inline}</td></tr>"
        )
    parts.append("</table></section>")
    return "\n".join(parts)


def _fields(document: dict[str, Any], schema: dict[str, Any]) -> str:
    """A table of an object schema's properties (after `$ref` and `allOf`), or nothing."""
    schema = _flatten(document, schema)
    properties = schema.get("properties") or {}
    if not properties:
        return ""
    required = set(schema.get("required", ()))
    rows = ["<table><tr><th>Field</th><th>Type</th><th>Description</th></tr>"]
    for name, sub in properties.items():
        mark = " <span class=req>required</span>" if name in required else ""
        mark += " <em>read-only</em>" if sub.get("readOnly") else ""
        rows.append(
            f"<tr><td><code>{_e(name)}</code>{mark}</td><td>{_type(document, sub)}</td>"
            f"<td>{_inline(sub.get('description', ''))}</td></tr>"
        )
    rows.append("</table>")
    return "".join(rows)


def _flatten(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    schema = _resolve(document, schema)
    if "allOf" not in schema:
        return schema
    merged: dict[str, Any] = {"properties": {}, "required": []}
    for part in schema["allOf"]:
        part = _flatten(document, part)
        merged["properties"].update(part.get("properties", {}))
        merged["required"] += part.get("required", [])
    return merged


def _type(document: dict[str, Any], schema: dict[str, Any]) -> str:
    """A short readable type: a link for a named schema, `a | b` for choices, limits shown."""
    if "$ref" in schema:
        kind, name = schema["$ref"].split("/")[-2:]
        if kind == "schemas":
            return f'<a href="#schema-{_e(name)}">{_e(name)}</a>'
        return _type(document, _resolve(document, schema))
    if "const" in schema:
        return f"<code>{_e(json.dumps(schema['const']))}</code>"
    if "properties" in schema and "type" not in schema:
        schema = dict(schema, type="object")
    for key in ("anyOf", "oneOf"):
        if key in schema and "type" not in schema:
            return " | ".join(_type(document, s) for s in schema[key])
        if key in schema and all(set(s) == {"required"} for s in schema[key]):
            choices = " or ".join(
                "+".join(f"<code>{_e(n)}</code>" for n in s["required"]) for s in schema[key]
            )
            return (
                f"{_type(document, {k: v for k, v in schema.items() if k != key})}"
                f" (with {'exactly one of' if key == 'oneOf' else 'any of'}: {choices})"
            )
    if "allOf" in schema:
        return "object"
    types = schema.get("type", "any")
    names = types if isinstance(types, list) else [types]
    text = " | ".join(str(t) for t in names)
    if "array" in names and "items" in schema:
        text = text.replace("array", f"array of {_type(document, schema['items'])}")
    if "enum" in schema:
        text = " | ".join(f"<code>{_e(json.dumps(v))}</code>" for v in schema["enum"])
    limits = [
        f"{label} {schema[key]}"
        for key, label in (
            ("minimum", "≥"),
            ("maximum", "≤"),
            ("minLength", "length ≥"),
            ("maxLength", "length ≤"),
            ("minItems", "items ≥"),
            ("maxItems", "items ≤"),
        )
        if key in schema
    ]
    if "format" in schema:
        limits.insert(0, str(schema["format"]))
    return text + (f" <small>({_e(', '.join(limits))})</small>" if limits else "")


def _resolve(document: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
    seen = 0
    while "$ref" in item and seen < 10:
        node: Any = document
        for part in item["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        item, seen = node, seen + 1
    return item


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _inline(text: str) -> str:
    """Escaped text with `code` spans."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", _e(text))


def _prose(text: str) -> str:
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    return "".join(f"<p>{_inline(' '.join(p.split()))}</p>" for p in paragraphs)


_PAGE_OP = {
    "security": [],
    "tags": ["Meta"],
}

OPENAPI_PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/openapi.json": {
        "get": {
            **_PAGE_OP,
            "operationId": "getOpenApiDocument",
            "summary": "This API's OpenAPI 3.1 document",
            "responses": {
                "200": {
                    "description": "The document.",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                }
            },
        }
    },
    "/api/docs": {
        "get": {
            **_PAGE_OP,
            "operationId": "getApiDocsPage",
            "summary": "This API's description as a readable page",
            "responses": {
                "200": {
                    "description": "An HTML page, with no script or asset from elsewhere.",
                    "content": {"text/html": {"schema": {"type": "string"}}},
                }
            },
        }
    },
}
"""The routes above, for the OpenAPI document (`web.openapi`)."""
