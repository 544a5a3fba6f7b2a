"""Liveness and readiness of the Rasa server, added to its app by the REST channel.

- ``GET /health/live``: 200 while the process serves HTTP (restart it when this fails).
- ``GET /health/ready``: 200 when a model is loaded and the tracker store's database and, with
  ``REDIS_URL``, the Redis of the lock store answer; 503 with the failed checks otherwise
  (stop routing customers here until it is 200 again).
"""

from __future__ import annotations

from typing import Dict

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from assistant.health import LIVENESS, Check, Probe, database_probe, readiness_report, redis_probe, run_checks
from assistant.settings import Settings, get_settings


def add_health_routes(app: Sanic) -> None:
    """Adds ``/health/live`` and ``/health/ready`` to the Rasa server's app."""

    async def live(_: Request) -> HTTPResponse:
        return response.json(LIVENESS)

    async def ready(request: Request) -> HTTPResponse:
        settings = get_settings()
        checks = await run_checks(_probes(request.app, settings), settings.health_timeout_seconds)
        body, status = readiness_report([_model_check(request.app), *checks])
        return response.json(body, status=status)

    app.add_route(live, "/health/live", methods=["GET"], name="northwind_health_live")
    app.add_route(ready, "/health/ready", methods=["GET"], name="northwind_health_ready")


def _model_check(app: Sanic) -> Check:
    agent = getattr(app.ctx, "agent", None)
    loaded = agent is not None and agent.is_ready()
    return Check("model", loaded, 0.0, None if loaded else "not loaded")


def _probes(app: Sanic, settings: Settings) -> Dict[str, Probe]:
    """The tracker store's database, and Redis when configured (built on first use)."""
    if not hasattr(app.ctx, "northwind_probes"):
        timeout = settings.health_timeout_seconds
        probes = {"database": database_probe(settings.tracker_store_url, timeout)}
        if settings.redis_url:
            probes["redis"] = redis_probe(settings.redis_url, timeout)
        app.ctx.northwind_probes = probes
    return app.ctx.northwind_probes
