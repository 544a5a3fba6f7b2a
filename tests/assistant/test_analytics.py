"""Analytics against the hand-computed fixture (tests/assistant/analytics_fixture.py), on
SQLite (the tracker store a file of its own, attached) and on the machine's PostgreSQL (one
database). Each expected figure is worked out in a comment from the fixture's table."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest
import sqlalchemy as sa

from assistant.analytics import Analytics, PeriodError, Sources, make_period
from assistant.analytics.indexes import EVENTS_INDEX, SENDER_INDEX, ensure_event_index
from assistant.conversations.tracker_events import EVENTS
from assistant.settings import Settings
from assistant.store import build_store
from assistant.store.llm_models import LLMCall
from assistant.store.repository import create_db_engine
from tests.assistant import analytics_fixture as fx
from tests.conftest import PG_URL_TEMPLATE, _admin, _fresh_store


@pytest.fixture(params=["sqlite", "postgresql"])
def analytics(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Analytics]:
    if request.param == "sqlite":
        settings = Settings(var_dir=tmp_path)
    else:
        settings = Settings(var_dir=tmp_path, database_url=request.getfixturevalue("pg_database"))
    store = _fresh_store(settings)
    tracker = create_db_engine(settings.tracker_store_url)
    EVENTS.metadata.drop_all(tracker)
    fx.load(store.engine, tracker)
    tracker.dispose()
    sources = Sources(settings.database_url, settings.tracker_store_url)
    yield Analytics(sources)
    sources.close()
    store.engine.dispose()


@pytest.fixture
def report(analytics: Analytics) -> Dict[str, Any]:
    return analytics.report(fx.PERIOD)


def test_conversations_customers_and_containment(report: Dict[str, Any]) -> None:
    o = report["overview"]
    # Berlin period: c1..c5 started in it (c6 before, c8 after, c7 deleted, c9 in January).
    assert o["total_conversations"] == 5
    # c1, c3 and c4 are not closed.
    assert o["active_conversations"] == 3
    # Handed over: c2 (queued, then an agent), c4 (queued); contained: c1, c3, c5 -> 3/5.
    assert (o["agent_handovers"], o["ai_resolved"], o["containment_rate"]) == (2, 3, 0.6)
    assert report["ai_performance"]["automation_rate"] == 0.6
    # customer 1 (c1, c5), anonymous c2, the WhatsApp number (c3, c4) -> 3; new: c2's visitor and
    # the WhatsApp number (customer 1 first wrote in January).
    assert (o["unique_customers"], o["new_customers"]) == (3, 2)


def test_messages_and_fallbacks(report: Dict[str, Any]) -> None:
    o, ai = report["overview"], report["ai_performance"]
    # Sent in the period: c1 2/2, c2 2/3, c3 1/1, c4 1/1, c5 1/1, c6 1/1 (its 03-27 turn) -> in 8, out 9.
    assert (o["messages_in"], o["messages_out"], o["agent_messages"]) == (8, 9, 1)
    # c2's nlu_fallback message and c3's core fallback action: 2 of 8 messages in.
    assert (ai["fallbacks"], ai["fallback_rate"]) == (2, 0.25)
    # (0.9 + 0.8 + 0.95 + 0.3 + 0.7 + 0.6 + 1.0 + 0.55) / 8 = 5.8 / 8
    assert ai["avg_intent_confidence"] == 0.725


def test_response_resolution_and_csat(report: Dict[str, Any]) -> None:
    o, csat = report["overview"], report["csat"]
    # First replies: c1 2 s, c2 4 s, c3 3 s (the action is not a reply), c4 10 s, c5 5 s -> 24 / 5.
    assert o["avg_response_time"] == 4.8
    # Closed: c2 after 3600 s, c5 after 300 s -> 1950.
    assert o["avg_resolution_time"] == 1950.0
    # Ratings in the period: 5 (c1), 2 (c2), 4 (c5); c8's 1 came after -> 11 / 3.
    assert csat == {"average": 3.67, "responses": 3, "satisfied_rate": 0.6667,
                    "distribution": {"1": 0, "2": 1, "3": 0, "4": 1, "5": 1}}  # fmt: skip
    assert o["avg_satisfaction_score"] == 3.67


def test_top_intents(report: Dict[str, Any]) -> None:
    assert report["top_intents"] == [
        # c1, c3, c5, c6; none handed over; (0.9 + 0.7 + 1.0 + 0.55) / 4
        {"intent": "order_status", "count": 4, "conversations": 4, "ai_resolved_rate": 1.0, "avg_confidence": 0.7875},
        # c2, c4, both handed over; (0.95 + 0.6) / 2
        {"intent": "human_handoff", "count": 2, "conversations": 2, "ai_resolved_rate": 0.0, "avg_confidence": 0.775},
        {"intent": "nlu_fallback", "count": 1, "conversations": 1, "ai_resolved_rate": 0.0, "avg_confidence": 0.3},
        {"intent": "thanks", "count": 1, "conversations": 1, "ai_resolved_rate": 1.0, "avg_confidence": 0.8},
    ]  # fmt: skip


def test_by_channel(report: Dict[str, Any]) -> None:
    assert report["by_channel"] == [
        # c1, c2, c5 (c2 handed over); messages of c1, c2, c5 and c6
        {"channel": "web", "conversations": 3, "ai_resolved": 2, "agent_handovers": 1,
         "containment_rate": 0.6667, "messages_in": 6, "messages_out": 7},
        {"channel": "whatsapp", "conversations": 2, "ai_resolved": 1, "agent_handovers": 1,
         "containment_rate": 0.5, "messages_in": 2, "messages_out": 2},
    ]  # fmt: skip


def test_days_in_berlin(report: Dict[str, Any]) -> None:
    series = report["trends"]["series"]
    assert [d["date"] for d in series] == fx.days(fx.FIRST_DAY, 4)
    # c2 (23:30 UTC) is Berlin's 03-28, c4 (22:30 UTC, after the clocks went forward) 03-30.
    assert [d["conversations"] for d in series] == [1, 1, 1, 2]
    assert [d["agent_handovers"] for d in series] == [0, 1, 0, 1]
    # Messages: 03-27 c1 + c6; 03-28 c2 (00:30-00:41 local); 03-29 c3; 03-30 c4 + c5.
    assert [(d["messages_in"], d["messages_out"]) for d in series] == [(3, 3), (2, 3), (1, 1), (2, 2)]


def test_the_same_days_in_utc_bucket_differently(analytics: Analytics) -> None:
    report = analytics.report(make_period(fx.FIRST_DAY, fx.LAST_DAY, "UTC"))
    # In UTC the period runs 03-27 00:00 to 03-31 00:00: c1, c2 on 03-27, c3, c4 on 03-29, c5 and c8
    # (23:00 UTC, Berlin's 03-31) on 03-30.
    assert [d["conversations"] for d in report["trends"]["series"]] == [2, 0, 2, 2]
    assert report["overview"]["total_conversations"] == 6
    # c8's rating (23:01 UTC) is inside now: 5, 2, 4, 1.
    assert report["csat"]["responses"] == 4


def test_hours_of_the_day_the_clocks_go_forward(analytics: Analytics) -> None:
    period = make_period(date(2026, 3, 29), date(2026, 3, 29), fx.ZONE, "hour")
    series = analytics.report(period)["trends"]["series"]
    hours = [h["hour"] for h in series]
    # 23 local hours: 02:00 does not exist in Berlin that day.
    assert len(hours) == 23 and "2026-03-29T02:00" not in hours and hours[0] == "2026-03-29T00:00"
    busy = {
        h["hour"]: (h["conversations"], h["messages_in"], h["messages_out"])
        for h in series
        if h["conversations"] or h["messages_in"]
    }
    # c3 started 00:30 UTC = 01:30 CET.
    assert busy == {"2026-03-29T01:00": (1, 1, 1)}


def test_a_channel_alone(analytics: Analytics) -> None:
    report = analytics.report(fx.PERIOD, channel="whatsapp")
    o = report["overview"]
    assert (o["total_conversations"], o["messages_in"], o["unique_customers"], o["new_customers"]) == (
        2,
        2,
        1,
        1,
    )
    assert report["csat"]["responses"] == 0 and report["csat"]["average"] is None
    assert [(i["intent"], i["count"]) for i in report["top_intents"]] == [
        ("human_handoff", 1),
        ("order_status", 1),
    ]


def test_dashboard(analytics: Analytics) -> None:
    board = analytics.dashboard(fx.PERIOD, fx.NOW)
    assert board["overview"]["total_conversations"] == 5 and board["overview"]["containment_rate"] == 0.6
    assert board["overview"]["fallback_rate"] == 0.25 and board["overview"]["avg_response_time"] == 4.8
    assert (
        board["by_channel"]["web"]["conversations"] == 3
        and board["by_channel"]["whatsapp"]["agent_handovers"] == 1
    )
    assert [d["conversations"] for d in board["by_day"]] == [1, 1, 1, 2]
    assert [(i["intent"], i["count"], i["ai_resolved_rate"]) for i in board["top_intents"]][:2] == [
        ("order_status", 4, 1.0), ("human_handoff", 2, 0.0)]  # fmt: skip
    assert board["csat"]["distribution"] == {"1": 0, "2": 1, "3": 0, "4": 1, "5": 1}
    # c4 waits since 03-29 22:31, one day before NOW; no one holds a conversation.
    assert board["queue"] == {"waiting": 1, "with_agents": 0, "oldest_wait_seconds": 86400.0,
                              "avg_wait_seconds": 86400.0, "waiting_by_priority": {"normal": 1}}  # fmt: skip


def test_an_empty_period_has_zeros_and_no_rates(analytics: Analytics) -> None:
    report = analytics.report(make_period(date(2025, 1, 1), date(2025, 1, 2), "UTC"))
    assert report["overview"]["total_conversations"] == 0 and report["overview"]["containment_rate"] is None
    assert report["ai_performance"]["fallback_rate"] is None and report["top_intents"] == []
    assert [d["conversations"] for d in report["trends"]["series"]] == [0, 0]


def test_the_clocks_going_back_make_one_25_hour_day() -> None:
    period = make_period(date(2026, 10, 25), date(2026, 10, 25), fx.ZONE, "hour")
    # 02:00 happens twice (CEST, then CET): one bucket; the day lasts 25 hours.
    assert len(period.buckets()) == 24 and (period.end - period.start).total_seconds() == 25 * 3600
    assert [offset for _, offset in period.offsets()] == [7200, 3600]


@pytest.mark.parametrize(
    ("args", "field"),
    [((date(2026, 3, 2), date(2026, 3, 1), "UTC", "day"), "date_from"),
     ((None, None, "Mars/Olympus", "day"), "tz"),
     ((None, None, "../../etc/passwd", "day"), "tz"),
     ((date(2026, 1, 1), date(2026, 3, 1), "UTC", "hour"), "date_to"),
     ((date(2024, 1, 1), date(2026, 1, 1), "UTC", "day"), "date_to"),
     ((None, None, "UTC", "week"), "granularity")],
)  # fmt: skip
def test_unusable_periods_are_refused(args: Any, field: str) -> None:
    with pytest.raises(PeriodError) as refused:
        make_period(*args)
    assert refused.value.field == field


def test_the_default_period_is_the_last_30_days() -> None:
    period = make_period(None, None, "Asia/Tokyo", today=date(2026, 11, 26))
    assert (period.first_day, period.last_day) == (date(2026, 10, 28), date(2026, 11, 26))
    assert period.describe()["start_utc"] == "2026-10-27T15:00:00Z"


def test_migration_0007_indexes_rasas_events_table_when_it_is_there(tmp_path: Path) -> None:
    name = f"analytics_index_{uuid.uuid4().hex[:8]}"
    _admin(f'CREATE DATABASE "{name}"')
    engine = create_db_engine(PG_URL_TEMPLATE.format(db=name))
    try:
        EVENTS.metadata.create_all(engine)  # Rasa's table, before the migrations run
        build_store(Settings(var_dir=tmp_path, database_url=PG_URL_TEMPLATE.format(db=name))).engine.dispose()
        assert {EVENTS_INDEX, SENDER_INDEX} <= {
            index["name"] for index in sa.inspect(engine).get_indexes("events")
        }
    finally:
        engine.dispose()
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_the_index_command_adds_it_once_rasa_made_the_table(tmp_path: Path) -> None:
    tracker = create_db_engine(Settings(var_dir=tmp_path).tracker_store_url)
    try:
        assert ensure_event_index(tracker) is False  # no events table yet
        EVENTS.metadata.create_all(tracker)
        assert ensure_event_index(tracker) is True and ensure_event_index(tracker) is True
        assert {EVENTS_INDEX, SENDER_INDEX} <= {
            index["name"] for index in sa.inspect(tracker).get_indexes("events")
        }
    finally:
        tracker.dispose()


def test_llm_calls_of_the_period_are_counted_with_their_tokens_and_cost(analytics: Analytics) -> None:
    inside, before = fx.PERIOD.start_naive + timedelta(hours=3), fx.PERIOD.start_naive - timedelta(seconds=1)
    rows = [dict(created_at=inside, outcome="ok", fallback=False, prompt_tokens=100, completion_tokens=20,
                 estimated_cost=Decimal("0.000027")),
            dict(created_at=inside, outcome="timeout", fallback=True, prompt_tokens=0, completion_tokens=0,
                 estimated_cost=Decimal(0)),
            dict(created_at=before, outcome="ok", fallback=False, prompt_tokens=999, completion_tokens=999,
                 estimated_cost=Decimal(1))]  # fmt: skip
    with analytics.sources.engine.begin() as db:
        db.execute(
            sa.insert(LLMCall.__table__), [dict(r, purpose="answer", model="m", attempts=1) for r in rows]
        )
    # the call before the period is left out; the timeout is a fallback
    assert analytics.report(fx.PERIOD)["llm"] == {
        "calls": 2, "fallbacks": 1, "prompt_tokens": 100, "completion_tokens": 20, "estimated_cost_usd": 0.000027,
    }  # fmt: skip
