"""``/api/health/live`` (the process serves HTTP), ``/api/health/ready`` (the database and,
with ``REDIS_URL``, Redis answer within ``HEALTH_TIMEOUT_SECONDS``; 503 with the failed checks
otherwise) and ``/health``: every dependency reported on its own (database, Redis or "not
configured", the Rasa server, the action server), ``status`` "ok" or "degraded". ``/health`` is
a report (always 200, for dashboards and people); load balancers gate on ``/api/health/ready``."""

from __future__ import annotations

from typing import Any, Dict

from sanic import Blueprint, response
from sanic.response import HTTPResponse

from admin_api.blueprints.access import PUBLIC
from admin_api.envelope import ErrorBody, failure
from admin_api.metrics import CONTENT_TYPE
from admin_api.routing import Call, endpoint
from assistant.health import (
    LIVENESS,
    Probe,
    database_probe,
    http_probe,
    readiness_report,
    redis_probe,
    run_checks,
)
from assistant.settings import Settings


def blueprint() -> Blueprint:
    bp = Blueprint("health")

    @endpoint(bp, "GET", "/api/health/live", summary="Liveness", access=PUBLIC)
    async def live(call: Call) -> HTTPResponse:
        return call.ok(LIVENESS)

    @endpoint(bp, "GET", "/api/health/ready", summary="Readiness: the database answers", access=PUBLIC)
    async def ready(call: Call) -> HTTPResponse:
        settings = call.services.settings
        timeout = settings.health_timeout_seconds
        checks = await run_checks(_store_probes(settings), timeout)
        return _answer(call, *readiness_report(checks), "Not ready")

    @endpoint(bp, "GET", "/health", summary="Health of every dependency, each reported", access=PUBLIC)
    async def health(call: Call) -> HTTPResponse:
        settings = call.services.settings
        timeout = settings.health_timeout_seconds
        probes = {**_store_probes(settings), "rasa_server": http_probe(f"{settings.rasa_url}/", timeout),
                  "action_server": http_probe(f"{settings.action_server_url}/health", timeout)}  # fmt: skip
        body, status = readiness_report(await run_checks(probes, timeout))
        body["status"] = "ok" if status == 200 else "degraded"
        if not settings.redis_url:
            body["checks"]["redis"] = {"ok": True, "configured": False}
        return call.ok(body)

    @endpoint(bp, "GET", "/metrics", summary="Prometheus metrics (text exposition format)", access=PUBLIC)
    async def metrics(call: Call) -> HTTPResponse:
        """Request counts and latency by route and status, and figures of the domain."""
        services = call.services
        await services.run(services.metrics.refresh, services.store)
        return response.raw(services.metrics.render(), content_type=CONTENT_TYPE)

    return bp


def _store_probes(settings: Settings) -> Dict[str, Probe]:
    timeout = settings.health_timeout_seconds
    probes = {"database": database_probe(settings.database_url, timeout)}
    if settings.redis_url:
        probes["redis"] = redis_probe(settings.redis_url, timeout)
    return probes


def _answer(call: Call, body: Dict[str, Any], status: int, message: str) -> HTTPResponse:
    if status == 200:
        return call.ok(body)
    error: ErrorBody = {"code": "SERVICE_UNAVAILABLE", "message": message, "details": body}
    retry = call.services.settings.retry_after_seconds
    return failure(call.request, 503, error, {"Retry-After": str(retry)})
