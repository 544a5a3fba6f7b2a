"""The analytics answers: :meth:`Analytics.report` (every figure, for ``GET
/api/admin/analytics``) and :meth:`Analytics.dashboard` (what the dashboard page charts, for
``GET /api/admin/analytics/dashboard``), assembled from the queries of
:mod:`assistant.analytics.queries`, all run on one connection."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, Callable, Dict, List, Optional

from sqlalchemy.engine import Connection

from assistant.analytics import queries
from assistant.analytics.period import Period
from assistant.analytics.queries import Scope
from assistant.analytics.sources import Sources
from assistant.store.llm_models import usage

RATINGS = (1, 2, 3, 4, 5)
Query = Callable[[Connection], Any]
PARALLEL_QUERIES = 4  # within the engine's pool of 5, so connections are reused


class Analytics:
    """Analytics over the store's database and the tracker store's events."""

    def __init__(self, sources: Sources, parallel: bool = True) -> None:
        self.sources, self.parallel = sources, parallel

    def report(self, period: Period, channel: Optional[str] = None) -> Dict[str, Any]:
        scope = self._scope(period, channel)
        found = self._gather({
            **_common_queries(scope),
            "details": lambda db: queries.message_details(db, scope),
            "customers": lambda db: queries.customers(db, scope),
            "intents": lambda db: queries.top_intents(db, scope, confidence=True),
            "llm": lambda db: usage(db, period.start_naive, period.end_naive),
        })  # fmt: skip
        common, details = _common(found, scope), found["details"]
        common["overview"].update(found["customers"], agent_messages=details["agent_messages"])
        return {
            "period": period.describe(),
            "filters": {"channel": channel},
            "overview": common["overview"],
            "ai_performance": {**common["performance"],
                               "avg_intent_confidence": _round(details["avg_intent_confidence"], 4)},
            "csat": common["csat"],
            "top_intents": [_intent(i) for i in found["intents"]],
            "by_channel": common["channels"],
            "trends": {"granularity": period.granularity, "series": common["series"]},
            "llm": found["llm"],
        }  # fmt: skip

    def dashboard(self, period: Period, now: datetime, channel: Optional[str] = None) -> Dict[str, Any]:
        scope = self._scope(period, channel)
        found = self._gather({
            **_common_queries(scope),
            "intents": lambda db: queries.top_intents(db, scope),
            "queue": lambda db: queries.queue(db, now, channel),
        })  # fmt: skip
        common = _common(found, scope)
        return {
            "period": period.describe(),
            "overview": {**common["overview"], **common["performance"]},
            "by_channel": {c["channel"]: c for c in common["channels"]},
            "by_day": common["series"],
            "top_intents": [_intent(i) for i in found["intents"]],
            "csat": common["csat"],
            "queue": found["queue"],
        }

    def _scope(self, period: Period, channel: Optional[str]) -> Scope:
        with self.sources.connect() as db:
            return Scope(period, channel, self.sources.events(db))

    def _gather(self, calls: Dict[str, Query]) -> Dict[str, Any]:
        """The answers of independent queries: at once on PostgreSQL (a connection each, so
        the server's cores share the work), one after another on SQLite's one file."""
        if self.sources.sqlite or not self.parallel:
            with self.sources.connect() as db:
                return {name: call(db) for name, call in calls.items()}

        def run(call: Query) -> Any:
            with self.sources.connect() as db:
                return call(db)

        with ThreadPoolExecutor(max_workers=PARALLEL_QUERIES, thread_name_prefix="analytics") as pool:
            futures = {name: pool.submit(run, call) for name, call in calls.items()}
            return {name: future.result() for name, future in futures.items()}


def _common_queries(scope: Scope) -> Dict[str, Query]:
    """What both answers share: conversations and messages (by channel and by bucket), first
    response, CSAT."""
    return {
        "started": lambda db: queries.conversations_grouped(db, scope),
        "sent": lambda db: queries.messages_grouped(db, scope),
        "ratings": lambda db: queries.csat(db, scope),
        "response": lambda db: queries.first_response(db, scope),
    }


def _common(found: Dict[str, Any], scope: Scope) -> Dict[str, Any]:
    started, sent, ratings = found["started"], found["sent"], found["ratings"]
    total = _sum(started)
    overview = _overview(total, _sum(sent), ratings, found["response"])
    by_channel, messages = _by(started, "channel"), _by(sent, "channel")
    return {
        "overview": overview,
        "performance": _performance(total, _sum(sent)),
        "csat": _csat(ratings),
        "channels": [_channel(name, by_channel[name], messages.get(name, {})) for name in sorted(by_channel)],
        "series": _series(scope.period, _by(started, "bucket"), _by(sent, "bucket")),
    }


def _sum(rows: List[Dict[str, Any]]) -> Dict[str, float]:
    total: Dict[str, float] = {}
    for row in rows:
        for name, value in row.items():
            if name not in ("channel", "bucket"):
                total[name] = total.get(name, 0.0) + float(value or 0)
    return total


def _by(rows: List[Dict[str, Any]], key: str) -> Dict[Any, Dict[str, float]]:
    groups: Dict[Any, List[Dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(row[key], []).append(row)
    return {name: _sum(members) for name, members in groups.items()}


def _overview(
    started: Dict[str, float], sent: Dict[str, float], ratings: Dict[int, int], response: Any
) -> Dict[str, Any]:
    total, handed = int(started.get("conversations", 0)), int(started.get("handed_over", 0))
    resolved = started.get("resolved", 0)
    return {
        "total_conversations": total,
        "active_conversations": int(started.get("open", 0)),
        "ai_resolved": total - handed,
        "agent_handovers": handed,
        "containment_rate": _rate(total - handed, total),
        "messages_in": int(sent.get("messages_in", 0)),
        "messages_out": int(sent.get("messages_out", 0)),
        "avg_response_time": _seconds(response),
        "avg_resolution_time": _seconds(started["resolution_seconds"] / resolved if resolved else None),
        "avg_satisfaction_score": _csat(ratings)["average"],
    }


def _performance(started: Dict[str, float], sent: Dict[str, float]) -> Dict[str, Any]:
    total, handed = int(started.get("conversations", 0)), int(started.get("handed_over", 0))
    incoming, fallbacks = int(sent.get("messages_in", 0)), int(sent.get("fallbacks", 0))
    return {"automation_rate": _rate(total - handed, total), "fallbacks": fallbacks,
            "fallback_rate": _rate(fallbacks, incoming)}  # fmt: skip


def _channel(name: str, started: Dict[str, float], sent: Dict[str, float]) -> Dict[str, Any]:
    total, handed = int(started.get("conversations", 0)), int(started.get("handed_over", 0))
    return {"channel": name, "conversations": total, "ai_resolved": total - handed,
            "agent_handovers": handed, "containment_rate": _rate(total - handed, total),
            "messages_in": int(sent.get("messages_in", 0)), "messages_out": int(sent.get("messages_out", 0))}  # fmt: skip


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


def _series(
    period: Period, started: Dict[Any, Dict[str, float]], sent: Dict[Any, Dict[str, float]]
) -> List[Dict[str, Any]]:
    """Every local day (or hour) of the period, with zeros where nothing happened."""
    by_label_started = {period.label_of_index(int(k)): v for k, v in started.items()}
    by_label_sent = {period.label_of_index(int(k)): v for k, v in sent.items()}
    key = "date" if period.granularity == "day" else "hour"
    series = []
    for label in period.buckets():
        conversations = int(by_label_started.get(label, {}).get("conversations", 0))
        handed = int(by_label_started.get(label, {}).get("handed_over", 0))
        messages = by_label_sent.get(label, {})
        series.append({key: label, "conversations": conversations, "ai_resolved": conversations - handed,
                       "agent_handovers": handed, "containment_rate": _rate(conversations - handed, conversations),
                       "messages_in": int(messages.get("messages_in", 0)),
                       "messages_out": int(messages.get("messages_out", 0))})  # fmt: skip
    return series


def _rate(part: float, whole: float) -> Optional[float]:
    return round(part / whole, 4) if whole else None


def _seconds(value: Any) -> Optional[float]:
    return _round(value, 1)


def _round(value: Any, digits: int) -> Optional[float]:
    return None if value is None else round(float(value), digits)
