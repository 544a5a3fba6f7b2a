"""``create_app(settings=None)``: the admin API as a Sanic application. Pools (database
engines, the HTTP session to the Rasa server) open before the server starts, on
``app.ctx.services``, and close after it stops; nothing happens at import."""

from __future__ import annotations

import itertools
import logging
import threading
from typing import Any, Optional

from sanic import Sanic
from sanic.request import Request
from sanic.response import BaseHTTPResponse

from admin_api.blueprints import (
    analytics,
    api_keys,
    auth,
    chat,
    conversations,
    dashboard_page,
    docs,
    export,
    handoff,
    health,
    knowledge,
    memory,
    personalization,
    sessions,
    system_settings,
    users,
)
from admin_api.context import Services
from admin_api.envelope import request_id
from admin_api.errors import handle_error
from admin_api.export import jobs
from admin_api.keys import jwt_secret
from admin_api.rasa_client import RasaClient
from admin_api.security.throttle import RateLimiter
from assistant.analytics.indexes import ensure_event_index
from assistant.conversations.tracker_events import TrackerEvents
from assistant.settings import Settings, get_settings
from assistant.store import build_store
from assistant.store.repository import create_db_engine

logger = logging.getLogger(__name__)
MAX_BODY_BYTES = 256 * 1024
_names = itertools.count(1)


def create_app(settings: Optional[Settings] = None, name: Optional[str] = None) -> Sanic:
    """The admin API on ``settings`` (the environment's by default)."""
    settings = settings or get_settings()
    app = Sanic(name or f"northwind_admin_api_{next(_names)}")
    app.config.REQUEST_MAX_SIZE = MAX_BODY_BYTES
    app.config.FALLBACK_ERROR_FORMAT = "json"
    for make in (health.blueprint, docs.blueprint, auth.blueprint, users.blueprint, api_keys.blueprint,
                 conversations.blueprint, handoff.blueprint, chat.blueprint, memory.blueprint,
                 sessions.blueprint, personalization.blueprint, export.blueprint,
                 system_settings.blueprint, analytics.blueprint, dashboard_page.blueprint,
                 knowledge.blueprint):  # fmt: skip
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
        limiter = RateLimiter(settings.rate_limit_requests, settings.rate_limit_window_seconds,
                              settings.redis_url, f"{settings.redis_key_prefix}:ratelimit")  # fmt: skip
        store = build_store(settings)
        app.ctx.services = Services(settings=settings, store=store, tracker=TrackerEvents(settings.tracker_store_url),
                                    rasa=rasa, jwt_secret=jwt_secret(settings), limiter=limiter)  # fmt: skip
        jobs.fail_interrupted(store)
        threading.Thread(target=_index_events, args=(settings,), name="events-index", daemon=True).start()

    return open_services


def _index_events(settings: Settings) -> None:
    """The analytics' indexes on Rasa's events table, once Rasa has made it (migration 0007 adds
    them when the table is already there); in the background, a big table takes a while."""
    engine = create_db_engine(settings.tracker_store_url)
    try:
        ensure_event_index(engine)
    except Exception:
        logger.warning("admin API: could not index the events table for analytics", exc_info=True)
    finally:
        engine.dispose()


async def _close(app: Sanic, _loop: Any) -> None:
    services: Optional[Services] = getattr(app.ctx, "services", None)
    if services is not None:
        await services.rasa.close()
        if services.limiter is not None:
            await services.limiter.close()
        services.tracker.close()
        services.store.engine.dispose()


async def _stamp_request(request: Request) -> None:
    request_id(request)
    services: Optional[Services] = getattr(request.app.ctx, "services", None)
    if services is not None:
        services.metrics.started(request)


async def _stamp_response(request: Request, response: BaseHTTPResponse) -> None:
    services: Optional[Services] = getattr(request.app.ctx, "services", None)
    if services is not None:
        services.metrics.observe(request, response)
    quota = getattr(request.ctx, "rate_limit", None)
    if quota is not None:
        for name, value in quota.headers().items():
            response.headers[name] = value
    response.headers.setdefault("X-Request-Id", request_id(request))
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Cache-Control", "no-store")
