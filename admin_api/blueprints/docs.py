"""``/api/openapi.json`` and ``/api/docs``: the API's own description (admin_api/openapi.py)."""

from __future__ import annotations

from sanic import Blueprint, response
from sanic.response import HTTPResponse

from admin_api import openapi
from admin_api.blueprints.access import PUBLIC
from admin_api.routing import Call, endpoint

CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"


def blueprint() -> Blueprint:
    bp = Blueprint("docs")

    @endpoint(bp, "GET", "/api/openapi.json", summary="This API as an OpenAPI 3.1 document", access=PUBLIC)
    async def openapi_json(call: Call) -> HTTPResponse:
        """The document itself (not inside the envelope), for tools."""
        return response.json(openapi.document(call.request.app))

    @endpoint(bp, "GET", "/api/docs", summary="This API as a readable page", access=PUBLIC)
    async def docs(call: Call) -> HTTPResponse:
        page = openapi.page(openapi.document(call.request.app))
        return response.html(page, headers={"Content-Security-Policy": CSP})

    return bp
