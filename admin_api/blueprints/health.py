"""``/api/health/live`` (the process serves HTTP) and ``/api/health/ready`` (the database
answers within ``HEALTH_TIMEOUT_SECONDS``; 503 with the failed checks otherwise)."""

from __future__ import annotations

from sanic import Blueprint
from sanic.response import HTTPResponse

from admin_api.blueprints.access import PUBLIC
from admin_api.envelope import ErrorBody, failure
from admin_api.routing import Call, endpoint
from assistant.health import LIVENESS, database_probe, readiness_report, run_checks


def blueprint() -> Blueprint:
    bp = Blueprint("health")

    @endpoint(bp, "GET", "/api/health/live", summary="Liveness", access=PUBLIC)
    async def live(call: Call) -> HTTPResponse:
        return call.ok(LIVENESS)

    @endpoint(bp, "GET", "/api/health/ready", summary="Readiness: the database answers", access=PUBLIC)
    async def ready(call: Call) -> HTTPResponse:
        settings = call.services.settings
        timeout = settings.health_timeout_seconds
        checks = await run_checks({"database": database_probe(settings.database_url, timeout)}, timeout)
        body, status = readiness_report(checks)
        if status == 200:
            return call.ok(body)
        error: ErrorBody = {"code": "SERVICE_UNAVAILABLE", "message": "Not ready", "details": body}
        return failure(call.request, 503, error, {"Retry-After": str(settings.retry_after_seconds)})

    return bp
