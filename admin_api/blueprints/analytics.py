"""``/api/admin/analytics`` and ``/api/admin/analytics/dashboard``: how the assistant is doing
over a date range in a time zone, computed in SQL (assistant/analytics). Admins, and API keys
with the ``analytics:read`` scope."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any, Dict

from sanic import Blueprint, Sanic
from sanic.response import HTTPResponse

from admin_api.blueprints.access import ANALYTICS
from admin_api.errors import ValidationFailed
from admin_api.routing import Call, endpoint
from admin_api.schemas import Schema, string
from assistant.analytics import Analytics, Period, PeriodError, Sources, make_period
from assistant.analytics.period import GRANULARITIES

ZONE = string(1, 64, pattern=r"^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+){0,2}$",
              description="IANA time zone of the days and hours (default UTC), e.g. Europe/Berlin")  # fmt: skip
PERIOD_QUERY: Dict[str, Schema] = {
    "date_from": string(
        fmt="date", description="first local day, 2026-11-01 (default: 29 days before date_to)"
    ),
    "date_to": string(fmt="date", description="last local day, included (default: today in tz)"),
    "tz": ZONE,
    "channel": string(
        1, 20, pattern=r"^[A-Za-z0-9_.-]+$", description="only this channel (web, whatsapp, ...)"
    ),
}
REPORT_QUERY = {**PERIOD_QUERY, "granularity": string(enum=GRANULARITIES, description="trend buckets: day (at most 366) or hour (at most 31 days)")}  # fmt: skip
_lock = threading.Lock()


def blueprint() -> Blueprint:
    bp = Blueprint("analytics")

    @endpoint(bp, "GET", "/api/admin/analytics", summary="Every analytics figure for a date range",
              access=ANALYTICS, query=REPORT_QUERY)  # fmt: skip
    async def analytics_report(call: Call) -> HTTPResponse:
        """Conversations started in the range (by channel and by local day or hour), messages in
        and out, unique and new customers, AI-resolved versus handed over (containment rate),
        fallback rate, average first-response and resolution seconds, CSAT, top intents with
        their containment rate and confidence. Rates are null when there is nothing to divide."""
        period = _period(call.query, call.query.get("granularity"))
        await call.services.synced()
        found = await call.services.run(
            analytics_of(call.request.app).report, period, call.query.get("channel")
        )
        return call.ok(found)

    @endpoint(bp, "GET", "/api/admin/analytics/dashboard", summary="What the dashboard page charts",
              access=ANALYTICS, query=PERIOD_QUERY)  # fmt: skip
    async def analytics_dashboard(call: Call) -> HTTPResponse:
        """Overview, by channel, by local day, top intents, CSAT, and the handoff queue now."""
        period = _period(call.query, "day")
        await call.services.synced()
        board = analytics_of(call.request.app).dashboard
        return call.ok(await call.services.run(board, period, datetime.utcnow(), call.query.get("channel")))

    @bp.after_server_stop
    async def close_analytics(app: Sanic, _loop: Any) -> None:
        found = getattr(app.ctx, "analytics", None)
        if found is not None:
            found.sources.close()

    return bp


def analytics_of(app: Sanic) -> Analytics:
    """The app's analytics (made on first use, on the store's and tracker store's databases)."""
    with _lock:
        found = getattr(app.ctx, "analytics", None)
        if found is None:
            settings = app.ctx.services.settings
            found = app.ctx.analytics = Analytics(Sources(settings.database_url, settings.tracker_store_url))
        return found


def _period(query: Dict[str, Any], granularity: Any) -> Period:
    try:
        return make_period(
            _day(query.get("date_from")), _day(query.get("date_to")), query.get("tz"), granularity
        )
    except PeriodError as refused:
        raise ValidationFailed([{"field": refused.field, "message": str(refused)}]) from refused


def _day(value: Any) -> Any:
    return value.date() if isinstance(value, datetime) else value
