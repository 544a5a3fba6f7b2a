"""The analytics answers: :meth:`Analytics.report` (every figure, for ``GET
/api/admin/analytics``) and :meth:`Analytics.dashboard` (what the dashboard page charts, for
``GET /api/admin/analytics/dashboard``), assembled from the queries of
:mod:`assistant.analytics.queries`, all run on one connection."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, List, Optional

from sqlalchemy.engine import Connection

from assistant.analytics import queries
from assistant.analytics.period import Period
from assistant.analytics.queries import Scope
from assistant.analytics.sources import Sources

RATINGS = (1, 2, 3, 4, 5)


class Analytics:
    """Analytics over the store's database and the tracker store's events."""

    def __init__(self, sources: Sources) -> None:
        self.sources = sources

    def report(self, period: Period, channel: Optional[str] = None) -> Dict[str, Any]:
        with self.sources.connect() as db:
            scope = Scope(period, channel, self.sources.events(db))
            channels = queries.conversations_by_channel(db, scope)
            messages = queries.messages_by_channel(db, scope)
            details = queries.message_details(db, scope)
            ratings = queries.csat(db, scope)
            overview = _overview(channels, messages, ratings, queries.first_response(db, scope))
            overview.update(queries.customers(db, scope), agent_messages=details["agent_messages"])
            return {
                "period": period.describe(),
                "filters": {"channel": channel},
                "overview": overview,
                "ai_performance": {
                    **_performance(channels, messages),
                    "avg_intent_confidence": _round(details["avg_intent_confidence"], 4),
                },
                "csat": _csat(ratings),
                "top_intents": [_intent(i) for i in queries.top_intents(db, scope, confidence=True)],
                "by_channel": [_channel(c, messages.get(c["channel"], {})) for c in channels],
                "trends": {"granularity": period.granularity, "series": _series(db, scope)},
            }

    def dashboard(self, period: Period, now: datetime, channel: Optional[str] = None) -> Dict[str, Any]:
        with self.sources.connect() as db:
            scope = Scope(period, channel, self.sources.events(db))
            channels = queries.conversations_by_channel(db, scope)
            messages = queries.messages_by_channel(db, scope)
            ratings = queries.csat(db, scope)
            overview = _overview(channels, messages, ratings, queries.first_response(db, scope))
            return {
                "period": period.describe(),
                "overview": {**overview, **_performance(channels, messages)},
                "by_channel": {c["channel"]: _channel(c, messages.get(c["channel"], {})) for c in channels},
                "by_day": _series(db, scope),
                "top_intents": [_intent(i) for i in queries.top_intents(db, scope)],
                "csat": _csat(ratings),
                "queue": queries.queue(db, now, channel),
            }


def _overview(
    channels: List[Dict[str, Any]],
    messages: Dict[str, Dict[str, int]],
    ratings: Dict[int, int],
    response: Any,
) -> Dict[str, Any]:
    total = sum(int(c["conversations"]) for c in channels)
    handed = sum(int(c["handed_over"] or 0) for c in channels)
    resolved = sum(int(c["resolved"] or 0) for c in channels)
    seconds = sum(float(c["resolution_seconds"] or 0) for c in channels)
    return {
        "total_conversations": total,
        "active_conversations": sum(int(c["open"] or 0) for c in channels),
        "ai_resolved": total - handed,
        "agent_handovers": handed,
        "containment_rate": _rate(total - handed, total),
        "messages_in": sum(m.get("messages_in", 0) for m in messages.values()),
        "messages_out": sum(m.get("messages_out", 0) for m in messages.values()),
        "avg_response_time": _seconds(response),
        "avg_resolution_time": _seconds(seconds / resolved if resolved else None),
        "avg_satisfaction_score": _csat(ratings)["average"],
    }


def _performance(channels: List[Dict[str, Any]], messages: Dict[str, Dict[str, int]]) -> Dict[str, Any]:
    total = sum(int(c["conversations"]) for c in channels)
    handed = sum(int(c["handed_over"] or 0) for c in channels)
    incoming = sum(m.get("messages_in", 0) for m in messages.values())
    fallbacks = sum(m.get("fallbacks", 0) for m in messages.values())
    return {"automation_rate": _rate(total - handed, total), "fallbacks": fallbacks,
            "fallback_rate": _rate(fallbacks, incoming)}  # fmt: skip


def _channel(row: Dict[str, Any], messages: Dict[str, int]) -> Dict[str, Any]:
    total, handed = int(row["conversations"]), int(row["handed_over"] or 0)
    return {"channel": row["channel"], "conversations": total, "ai_resolved": total - handed,
            "agent_handovers": handed, "containment_rate": _rate(total - handed, total),
            "messages_in": messages.get("messages_in", 0), "messages_out": messages.get("messages_out", 0)}  # fmt: skip


def _intent(row: Dict[str, Any]) -> Dict[str, Any]:
    conversations, handed = int(row["conversations"]), int(row["handed_over"] or 0)
    found = {"intent": row["intent"], "count": int(row["count"]), "conversations": conversations,
             "ai_resolved_rate": _rate(conversations - handed, conversations)}  # fmt: skip
    if "confidence" in row:
        found["avg_confidence"] = _round(row["confidence"], 4)
    return found


def _csat(ratings: Dict[int, int]) -> Dict[str, Any]:
    responses = sum(ratings.values())
    points = sum(value * count for value, count in ratings.items())
    satisfied = ratings.get(4, 0) + ratings.get(5, 0)
    return {"average": round(points / responses, 2) if responses else None, "responses": responses,
            "satisfied_rate": _rate(satisfied, responses),
            "distribution": {str(r): ratings.get(r, 0) for r in RATINGS}}  # fmt: skip


def _series(db: Connection, scope: Scope) -> List[Dict[str, Any]]:
    """Every local day (or hour) of the period, with zeros where nothing happened."""
    period = scope.period
    started = {period.label_of_index(k): v for k, v in queries.conversations_by_bucket(db, scope).items()}
    sent = {period.label_of_index(k): v for k, v in queries.messages_by_bucket(db, scope).items()}
    key = "date" if period.granularity == "day" else "hour"
    series = []
    for label in period.buckets():
        conversations = started.get(label, {}).get("conversations", 0)
        handed = started.get(label, {}).get("handed_over", 0)
        series.append({key: label, "conversations": conversations, "ai_resolved": conversations - handed,
                       "agent_handovers": handed, "containment_rate": _rate(conversations - handed, conversations),
                       "messages_in": sent.get(label, {}).get("messages_in", 0),
                       "messages_out": sent.get(label, {}).get("messages_out", 0)})  # fmt: skip
    return series


def _rate(part: float, whole: float) -> Optional[float]:
    return round(part / whole, 4) if whole else None


def _seconds(value: Any) -> Optional[float]:
    return _round(value, 1)


def _round(value: Any, digits: int) -> Optional[float]:
    return None if value is None else round(float(value), digits)
