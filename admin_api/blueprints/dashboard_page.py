"""``/admin``: the dashboard page (admin_dashboard/dist/, built by scripts/build_dashboard.sh:
Chart.js from the npm registry and our page), and ``/admin/assets/<name>``: its script, style
and licence. The page is public; it signs in with ``/api/auth/login`` and reads the admin-only
``/api/admin/analytics/dashboard``. A strict CSP: everything from this server, nothing inline."""

from __future__ import annotations

import re
from pathlib import Path

from sanic import Blueprint, response
from sanic.response import HTTPResponse

from admin_api.blueprints.access import PUBLIC
from admin_api.errors import ApiError, NotFoundError
from admin_api.routing import Call, endpoint
from assistant.settings import PROJECT_ROOT

DIST = PROJECT_ROOT / "admin_dashboard" / "dist"
ASSET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,80}\.(js|css|txt)$")
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


class NotBuilt(ApiError):
    status, code = 503, "SERVICE_UNAVAILABLE"


def blueprint(dist: Path = DIST) -> Blueprint:
    bp = Blueprint("dashboard_page")

    @endpoint(bp, "GET", "/admin", summary="The admin dashboard page (HTML)", access=PUBLIC)
    async def dashboard_page(call: Call) -> HTTPResponse:
        """Signs in with the admin API's login, then charts ``/api/admin/analytics/dashboard``."""
        index = dist / "index.html"
        if not index.is_file():
            raise NotBuilt("The dashboard page is not built: run `bash scripts/build_dashboard.sh`")
        return response.html(index.read_text(encoding="utf-8"),
                             headers={"Content-Security-Policy": PAGE_POLICY, "Cache-Control": "no-cache",
                                      "Referrer-Policy": "no-referrer"})  # fmt: skip

    @endpoint(bp, "GET", "/admin/assets/<name:str>", summary="A file of the dashboard page", access=PUBLIC)
    async def dashboard_asset(call: Call) -> HTTPResponse:
        name = call.params["name"]
        path = dist / name
        if not ASSET_NAME.match(name) or not path.is_file():
            raise NotFoundError("No such file", {"name": name[:80]})
        return await response.file(path, headers={"Cache-Control": "public, max-age=300"})

    return bp
