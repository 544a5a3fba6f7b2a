"""The OpenAPI 3.1 document of the app, built from the routes' declarations (admin_api/routing.py),
and a readable page of it (``/api/docs``): nothing is documented by hand, so nothing drifts."""

from __future__ import annotations

import html
import json
import re
from typing import Any, Dict, List

from sanic import Sanic

from admin_api.routing import Spec
from admin_api.schemas import Schema

PARAM = re.compile(r"<([A-Za-z_]+)(?::[^>]+)?>")
ERROR = {"type": "object", "required": ["success", "error", "meta"], "properties": {
    "success": {"const": False},
    "error": {"type": "object", "required": ["code", "message", "details"], "properties": {
        "code": {"type": "string"}, "message": {"type": "string"}, "details": {"type": "object"},
        "validation_errors": {"type": "array", "items": {"type": "object"}}}},
    "meta": {"$ref": "#/components/schemas/Meta"}}}  # fmt: skip
META = {"type": "object", "required": ["timestamp", "request_id"], "properties": {
    "timestamp": {"type": "string"}, "request_id": {"type": "string"},
    "pagination": {"type": "object", "properties": {k: {"type": "integer"} for k in ("page", "limit", "total", "pages")}},
    "summary": {"type": "object"}}}  # fmt: skip
ERROR_STATUSES = {"400": "Not JSON", "401": "No, expired or invalid credentials", "403": "Role or scope not allowed",
                  "404": "Not found", "409": "Not allowed in this state", "422": "Invalid fields",
                  "429": "Too many requests (Retry-After)", "503": "A dependency cannot be reached (Retry-After)"}  # fmt: skip


def specs(app: Sanic) -> List[Spec]:
    """The declaration of every route of the app (routes without one are a bug)."""
    found = [getattr(route.handler, "api_spec", None) for route in app.router.routes]
    unique = {(s.path, s.method): s for s in found if s is not None}
    return [unique[key] for key in sorted(unique)]


def openapi_path(path: str) -> str:
    return PARAM.sub(r"{\1}", path)


def document(app: Sanic) -> Dict[str, Any]:
    paths: Dict[str, Dict[str, Any]] = {}
    for spec in specs(app):
        paths.setdefault(openapi_path(spec.path), {})[spec.method.lower()] = _operation(spec)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Northwind admin API",
            "version": "1.0.0",
            "description": "Staff and customer auth, users, conversations and handoff, customers' chat API. "
            "Every answer uses the envelope {success, data | error, meta}.",
        },  # fmt: skip
        "paths": paths,
        "components": {
            "schemas": {"Error": ERROR, "Meta": META},
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            },  # fmt: skip
        },
    }


def _operation(spec: Spec) -> Dict[str, Any]:
    operation: Dict[str, Any] = {
        "operationId": f"{spec.tag}_{spec.method.lower()}_{openapi_path(spec.path)}".replace("/", "_").replace("{", "").replace("}", ""),
        "tags": [spec.tag], "summary": spec.summary, "description": spec.description,
        "x-access": spec.access.describe(), "parameters": _parameters(spec),
        "security": [] if spec.access.public else [{"bearer": []}] + ([{"apiKey": []}] if spec.access.scope else []),
        "responses": {str(spec.status): _success(spec.response),
                      **{code: {"description": text, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
                         for code, text in ERROR_STATUSES.items()}},
    }  # fmt: skip
    if spec.body is not None:
        operation["requestBody"] = {"required": bool(spec.body.get("required")),
                                    "content": {"application/json": {"schema": spec.body}}}  # fmt: skip
    return operation


def _parameters(spec: Spec) -> List[Dict[str, Any]]:
    found = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
             for name in PARAM.findall(spec.path)]  # fmt: skip
    found += [{"name": name, "in": "query", "required": False, "schema": schema}
              for name, schema in (spec.query or {}).items()]  # fmt: skip
    return found


def _success(data: Schema) -> Dict[str, Any]:
    schema = {"type": "object", "required": ["success", "data", "meta"],
              "properties": {"success": {"const": True}, "data": data, "meta": {"$ref": "#/components/schemas/Meta"}}}  # fmt: skip
    return {"description": "Success", "content": {"application/json": {"schema": schema}}}


def page(doc: Dict[str, Any]) -> str:
    """The document as a self-contained HTML page (no scripts, nothing loaded from elsewhere)."""
    parts = [f"<h1>{html.escape(doc['info']['title'])}</h1><p>{html.escape(doc['info']['description'])}</p>",
             '<p>Machine-readable: <a href="/api/openapi.json">/api/openapi.json</a> (OpenAPI 3.1).</p>']  # fmt: skip
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            parts.append(_section(path, method, op))
    style = ("body{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}"
             "section{border-top:1px solid #ddd;padding:.6rem 0}code.m{font-weight:700;margin-right:.5rem}"
             "pre{background:#f6f6f6;padding:.5rem;overflow:auto;font-size:12px}")  # fmt: skip
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>Northwind admin API</title>"
            f"<style>{style}</style></head><body>{''.join(parts)}</body></html>")  # fmt: skip


def _section(path: str, method: str, op: Dict[str, Any]) -> str:
    body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    params = ", ".join(f"{p['name']} ({p['in']})" for p in op["parameters"]) or "none"
    shown = f"<pre>{html.escape(json.dumps(body, indent=1))}</pre>" if body else ""
    return (f"<section id='{html.escape(op['operationId'])}'><h3><code class=m>{method.upper()}</code>"
            f"<code>{html.escape(path)}</code></h3><p><b>{html.escape(op['summary'])}</b> "
            f"{html.escape(op['description'])}</p><p>Who: {html.escape(op['x-access'])}. Parameters: "
            f"{html.escape(params)}.</p>{shown}</section>")  # fmt: skip
