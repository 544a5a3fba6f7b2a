"""The web chat page at ``/webchat``: webchat/dist/ as built by scripts/build_webchat.sh (the
rasa-webchat widget from the npm registry and our index.html); nothing comes from a CDN."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.config import WebChatConfig

logger = logging.getLogger(__name__)

ASSET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*\.(js|css|png|svg|ico|map|txt)$")
# The page loads only from this server: scripts, styles (the widget injects inline styles),
# images and the socket.io connection.
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'self'"
)
NOT_BUILT = "The web chat page is not built: run `bash scripts/build_webchat.sh` and restart the server.\n"


def add_page_routes(app: Sanic, config: WebChatConfig) -> None:
    """``GET /webchat`` (the page) and ``GET /webchat/<asset>`` (its script and licence)."""
    dist = config.dist_dir

    async def webchat_page(_: Request) -> HTTPResponse:
        index = dist / "index.html"
        if not index.is_file():
            return response.text(NOT_BUILT, status=503)
        html = index.read_text(encoding="utf-8").replace(
            "__SOCKET_PATH__", config.socketio_path.rstrip("/") + "/"
        )
        return response.html(
            html, headers={"Cache-Control": "no-cache", "Content-Security-Policy": PAGE_POLICY}
        )

    async def webchat_asset(_: Request, name: str) -> HTTPResponse:
        path = dist / name
        if not ASSET_NAME.match(name) or not path.is_file():
            return response.text("Not found\n", status=404)
        return await response.file(path, headers={"Cache-Control": "public, max-age=3600"})

    app.add_route(webchat_page, "/webchat", methods=["GET"], name="webchat_page", strict_slashes=False)
    app.add_route(webchat_asset, "/webchat/<name:str>", methods=["GET"], name="webchat_asset")
    app.register_listener(_announce(dist), "after_server_start")


def _announce(dist: Path) -> Any:
    async def announce_webchat_url(app: Sanic, _: Any) -> None:
        host = app.state.host if app.state.host not in (None, "0.0.0.0", "::") else "localhost"
        url = f"http://{host}:{app.state.port}/webchat"
        if (dist / "index.html").is_file():
            print(f"Web chat page: {url}", flush=True)
        else:
            print(f"Web chat page: {url} (not built yet: bash scripts/build_webchat.sh)", flush=True)

    return announce_webchat_url
