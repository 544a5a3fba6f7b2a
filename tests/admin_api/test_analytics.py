"""The analytics endpoints over real HTTP, on SQLite and PostgreSQL, against the hand-computed
fixture of tests/assistant/analytics_fixture.py (its figures are worked out in
tests/assistant/test_analytics.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict

import pytest

from tests.admin_api.conftest import Api, create_tracker_engine
from tests.admin_api.server import data
from tests.assistant import analytics_fixture as fx

BERLIN = {"date_from": "2026-03-27", "date_to": "2026-03-30", "tz": "Europe/Berlin"}


@pytest.fixture(scope="module")
def loaded(api: Api) -> Api:
    tracker = create_tracker_engine(api.settings)
    fx.load(api.store.engine, tracker)
    tracker.dispose()
    return api


def test_the_report_over_http(loaded: Api) -> None:
    report: Dict[str, Any] = data(loaded.admin.get("/api/admin/analytics", params=BERLIN))
    assert report["period"] == {"start": "2026-03-27", "end": "2026-03-30", "time_zone": "Europe/Berlin",
                                "granularity": "day", "start_utc": "2026-03-26T23:00:00Z",
                                "end_utc": "2026-03-30T22:00:00Z"}  # fmt: skip
    assert report["overview"] == {
        "total_conversations": 5, "active_conversations": 3, "ai_resolved": 3, "agent_handovers": 2,
        "containment_rate": 0.6, "messages_in": 8, "messages_out": 9, "avg_response_time": 4.8,
        "avg_resolution_time": 1950.0, "avg_satisfaction_score": 3.67, "unique_customers": 3,
        "new_customers": 2, "agent_messages": 1,
    }  # fmt: skip
    assert report["ai_performance"] == {"automation_rate": 0.6, "fallbacks": 2, "fallback_rate": 0.25,
                                        "avg_intent_confidence": 0.725}  # fmt: skip
    assert report["csat"]["distribution"] == {"1": 0, "2": 1, "3": 0, "4": 1, "5": 1}
    assert [(i["intent"], i["count"], i["ai_resolved_rate"]) for i in report["top_intents"]] == [
        ("order_status", 4, 1.0), ("human_handoff", 2, 0.0), ("nlu_fallback", 1, 0.0), ("thanks", 1, 1.0)]  # fmt: skip
    assert [(c["channel"], c["conversations"], c["containment_rate"]) for c in report["by_channel"]] == [
        ("web", 3, 0.6667), ("whatsapp", 2, 0.5)]  # fmt: skip
    assert [(d["date"], d["conversations"]) for d in report["trends"]["series"]] == list(
        zip(fx.days(fx.FIRST_DAY, 4), [1, 1, 1, 2], strict=True)
    )


def test_utc_and_hours(loaded: Api) -> None:
    utc = data(loaded.admin.get("/api/admin/analytics", params={**BERLIN, "tz": "UTC"}))
    assert [d["conversations"] for d in utc["trends"]["series"]] == [2, 0, 2, 2]
    day = {"date_from": "2026-03-29", "date_to": "2026-03-29", "tz": "Europe/Berlin", "granularity": "hour"}
    hours = data(loaded.admin.get("/api/admin/analytics", params=day))["trends"]["series"]
    assert len(hours) == 23 and [h["hour"] for h in hours if h["conversations"]] == ["2026-03-29T01:00"]


def test_the_dashboard_over_http(loaded: Api) -> None:
    board = data(loaded.admin.get("/api/admin/analytics/dashboard", params=BERLIN))
    assert board["overview"]["total_conversations"] == 5 and board["overview"]["fallback_rate"] == 0.25
    assert {k: v["conversations"] for k, v in board["by_channel"].items()} == {"web": 3, "whatsapp": 2}
    assert [d["agent_handovers"] for d in board["by_day"]] == [0, 1, 0, 1]
    assert board["csat"]["average"] == 3.67
    queue = board["queue"]
    waited = (datetime.utcnow() - fx.at("03-29 22:31:00")).total_seconds()
    assert (
        queue["waiting"] == 1
        and queue["with_agents"] == 0
        and abs(queue["oldest_wait_seconds"] - waited) < 120
    )


def test_a_channel_filter(loaded: Api) -> None:
    board = data(loaded.admin.get("/api/admin/analytics/dashboard", params={**BERLIN, "channel": "whatsapp"}))
    assert list(board["by_channel"]) == ["whatsapp"] and board["overview"]["messages_in"] == 2


@pytest.mark.parametrize(
    ("params", "field"),
    [({"tz": "Mars/Olympus"}, "tz"), ({"tz": "../../etc/passwd"}, "tz"),
     ({"date_from": "2026-03-02", "date_to": "2026-03-01"}, "date_from"),
     ({"date_from": "2024-01-01", "date_to": "2026-01-01"}, "date_to"),
     ({"date_from": "yesterday"}, "date_from"), ({"granularity": "week"}, "granularity"),
     ({"date_from": "2026-01-01", "date_to": "2026-03-01", "granularity": "hour"}, "date_to")],
)  # fmt: skip
def test_bad_ranges_are_422(loaded: Api, params: Dict[str, str], field: str) -> None:
    answer = loaded.admin.get("/api/admin/analytics", params=params)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["details"]["field"] == field


def test_only_admins_and_keys_with_the_scope(loaded: Api) -> None:
    assert loaded.agent.get("/api/admin/analytics").status_code == 403
    assert loaded.customer.get("/api/admin/analytics/dashboard").status_code == 403
    assert loaded.anonymous.get("/api/admin/analytics").status_code == 401
    key = data(loaded.admin.post("/api/admin/api-keys", {"name": "bi", "scopes": ["analytics:read"]}), 201)[
        "key"
    ]
    answer = loaded.client(api_key=key).get("/api/admin/analytics/dashboard", params=BERLIN)
    assert data(answer)["overview"]["total_conversations"] == 5
