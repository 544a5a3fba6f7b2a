"""Conversations silent past ``MEMORY_IDLE_MINUTES`` are summarised into their verified
customer's memory once; anonymous, claimed and still active conversations are not."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from assistant.conversations.tracker_events import EVENTS, TrackerEvents
from assistant.llm import LLMClient
from assistant.memory import Memories
from assistant.memory.idle import llm_summariser_for, summarise_idle
from assistant.settings import LLMSettings, Settings
from assistant.store import Store
from assistant.store.repository import create_db_engine
from tests.admin_api import events as ev
from tests.llm_standin import LLMStandIn


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


def test_with_an_llm_the_idle_job_writes_its_note_and_masks_the_name(
    sqlite_store: Store, tmp_path: Path
) -> None:
    settings = Settings(var_dir=tmp_path)
    engine = create_db_engine(settings.tracker_store_url)
    EVENTS.metadata.create_all(engine)
    engine.dispose()
    greeted = session("verified") + [ev.bot("Anything else, Omar?")]
    ev.write(settings, "idle-llm", greeted, start=time.time() - 7200)
    standin = LLMStandIn().start()
    standin.replier = lambda request: "The customer asked about delivered order 20002."
    loop = asyncio.new_event_loop()
    memories, tracker = Memories(sqlite_store), TrackerEvents(settings.tracker_store_url)
    try:
        llm = LLMClient(LLMSettings(base_url=standin.url, model="standin-1", retry_base_seconds=0.01))
        written = summarise_idle(
            memories, tracker, 60, summariser_for=llm_summariser_for(llm, memories, loop)
        )
        assert written["idle-llm"]["summary"] == "The customer asked about delivered order 20002."
        prompt = standin.chat_requests()[0]["messages"][1]["content"]
        assert "20002" in prompt and "Omar" not in prompt and "the customer" in prompt
    finally:
        loop.close()
        tracker.close()
        standin.stop()
