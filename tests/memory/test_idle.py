"""Conversations silent past ``MEMORY_IDLE_MINUTES`` are summarised into their verified
customer's memory once; anonymous, claimed and still active conversations are not."""

from __future__ import annotations

import time
from pathlib import Path

from assistant.conversations.tracker_events import EVENTS, TrackerEvents
from assistant.memory import Memories
from assistant.memory.idle import summarise_idle
from assistant.settings import Settings
from assistant.store import Store
from assistant.store.repository import create_db_engine
from tests.admin_api import events as ev


def session(level: str, customer_id: int = 2) -> list:
    asked = ev.user("where is my order 20002? express please", "order_status")
    asked["parse_data"]["entities"] = [{"entity": "order_id", "value": "20002"}]
    return [{"event": "session_started"}, {"event": "slot", "name": "customer_id", "value": customer_id},
            {"event": "slot", "name": "verification", "value": level}, asked, ev.bot("Order 20002 was delivered.")]  # fmt: skip


def test_idle_verified_conversations_are_summarised_once(sqlite_store: Store, tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path)
    engine = create_db_engine(settings.tracker_store_url)
    EVENTS.metadata.create_all(engine)
    engine.dispose()
    two_hours_ago = time.time() - 7200
    ev.write(settings, "idle-verified", session("verified"), start=two_hours_ago)
    ev.write(settings, "idle-claimed", session("claimed", 3), start=two_hours_ago)
    ev.write(settings, "still-talking", session("verified", 4))
    memories, tracker = Memories(sqlite_store), TrackerEvents(settings.tracker_store_url)
    try:
        written = summarise_idle(memories, tracker, idle_minutes=60)
        assert list(written) == ["idle-verified"] and written["idle-verified"]["last_order"] == {
            "order_id": "20002"
        }
        known = {k: v.value for k, v in memories.recall(2).items()}
        assert known["preferred_shipping"] == "express" and "20002" in known["last_session_summary"]
        assert memories.recall(3) == {} and memories.recall(4) == {}
        assert summarise_idle(memories, tracker, idle_minutes=60) == {}, "a session is summarised once"
    finally:
        tracker.close()
