"""``create_app(settings=None)``: the admin API as a Sanic application. Pools (database
engines, the HTTP session to the Rasa server) open before the server starts, on
``app.ctx.services``, and close after it stops; nothing happens at import."""

from __future__ import annotations

import itertools
from typing import Any, Optional

from sanic import Sanic
from sanic.request import Request
from sanic.response import BaseHTTPResponse

from admin_api.blueprints import api_keys, auth, chat, conversations, docs, handoff, health, knowledge, users
from admin_api.context import Services
from admin_api.envelope import request_id
from admin_api.errors import handle_error
from admin_api.keys import jwt_secret
from admin_api.rasa_client import RasaClient
from assistant.conversations.tracker_events import TrackerEvents
from assistant.settings import Settings, get_settings
from assistant.store import build_store

MAX_BODY_BYTES = 256 * 1024
_names = itertools.count(1)


def create_app(settings: Optional[Settings] = None, name: Optional[str] = None) -> Sanic:
    """The admin API on ``settings`` (the environment's by default)."""
    settings = settings or get_settings()
    app = Sanic(name or f"northwind_admin_api_{next(_names)}")
    app.config.REQUEST_MAX_SIZE = MAX_BODY_BYTES
    app.config.FALLBACK_ERROR_FORMAT = "json"
    for make in (health.blueprint, docs.blueprint, auth.blueprint, users.blueprint, api_keys.blueprint,
                 conversations.blueprint, handoff.blueprint, chat.blueprint, knowledge.blueprint):  # fmt: skip
        app.blueprint(make())
    app.error_handler.add(Exception, handle_error)
    app.register_middleware(_stamp_request, "request")
    app.register_middleware(_stamp_response, "response")
    app.register_listener(_opener(settings), "before_server_start")
    app.register_listener(_close, "after_server_stop")
    return app


def _opener(settings: Settings) -> Any:
    async def open_services(app: Sanic, _loop: Any) -> None:
        rasa = RasaClient(settings)
        await rasa.open()
        app.ctx.services = Services(settings=settings, store=build_store(settings),
                                    tracker=TrackerEvents(settings.tracker_store_url), rasa=rasa,
                                    jwt_secret=jwt_secret(settings))  # fmt: skip

    return open_services


async def _close(app: Sanic, _loop: Any) -> None:
    services: Optional[Services] = getattr(app.ctx, "services", None)
    if services is not None:
        await services.rasa.close()
        services.tracker.close()
        services.store.engine.dispose()


async def _stamp_request(request: Request) -> None:
    request_id(request)


async def _stamp_response(request: Request, response: BaseHTTPResponse) -> None:
    response.headers.setdefault("X-Request-Id", request_id(request))
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Cache-Control", "no-store")
