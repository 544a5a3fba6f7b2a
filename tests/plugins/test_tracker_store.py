from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from assistant.plugins.tracker_store import RedactingSQLTrackerStore

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


@pytest.fixture
def tracker_store(domain: Domain, tmp_path: Path) -> RedactingSQLTrackerStore:
    return RedactingSQLTrackerStore(
        domain=domain, url=f"sqlite:///{tmp_path / 'tracker.db'}", compact_after=40, keep_turns=4
    )


def turn(text: str, reply: str) -> list:
    return [UserUttered(text, {"name": "greet", "confidence": 1.0}), ActionExecuted("utter_greet"),
            BotUttered(reply), ActionExecuted("action_listen")]  # fmt: skip


def long_conversation(sender: str, domain: Domain) -> DialogueStateTracker:
    events = [ActionExecuted("action_listen"), SlotSet("email", "jane.doe@example.com")]
    for i in range(20):
        events += turn(f"hello {i}", f"hi {i}")
    events += [ActiveLoop("billing_form"), SlotSet("requested_slot", "issue_details")]
    return DialogueStateTracker.from_events(sender, events, domain.slots)


def test_a_long_conversation_is_compacted_but_keeps_its_state(tracker_store, domain) -> None:
    asyncio.run(tracker_store.save(long_conversation("long", domain)))
    compacted = asyncio.run(tracker_store.retrieve("long"))
    assert len(compacted.events) < 25
    assert compacted.get_slot("email") == "jane.doe@example.com"
    assert compacted.active_loop_name == "billing_form"
    assert compacted.get_slot("requested_slot") == "issue_details"
    assert [e.text for e in compacted.events if isinstance(e, UserUttered)] == [
        f"hello {i}" for i in range(16, 20)
    ]


def test_events_added_to_a_compacted_tracker_are_all_stored_once(tracker_store, domain) -> None:
    asyncio.run(tracker_store.save(long_conversation("long", domain)))
    compacted = asyncio.run(tracker_store.retrieve("long"))
    for event in turn("one more", "sure"):
        compacted.update(event)
    asyncio.run(tracker_store.save(compacted))
    full = asyncio.run(tracker_store.retrieve_full_tracker("long"))
    texts = [e.text for e in full.events if isinstance(e, UserUttered)]
    assert texts == [f"hello {i}" for i in range(20)] + ["one more"]
    assert len(full.events) == len(long_conversation("long", domain).events) + 4


def test_card_numbers_never_reach_the_events_table(tracker_store, domain) -> None:
    card = "4111 1111 1111 1111"
    tracker = DialogueStateTracker.from_events("card", [ActionExecuted("action_listen"),
        UserUttered(f"my card is {card}", {"name": "update_payment", "confidence": 1.0}),
        SlotSet("issue_details", f"charged on {card}")], domain.slots)  # fmt: skip
    asyncio.run(tracker_store.save(tracker))
    with tracker_store.session_scope() as session:
        rows = [json.loads(row.data) for row in session.query(tracker_store.SQLEvent).all()]
    dumped = json.dumps(rows)
    assert card not in dumped and dumped.count("[REDACTED CARD]") == 3  # text, parse_data.text, slot


def test_a_cached_conversation_sees_what_another_process_stored(domain, tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    first, second = (RedactingSQLTrackerStore(domain=domain, url=url) for _ in range(2))
    tracker = DialogueStateTracker.from_events(
        "shared", [ActionExecuted("action_listen")] + turn("one", "1"), domain.slots
    )
    asyncio.run(first.save(tracker))  # cached in the first process
    other = asyncio.run(second.retrieve("shared"))
    for event in turn("two", "2"):
        other.update(event)
    asyncio.run(second.save(other))
    seen = asyncio.run(first.retrieve("shared"))
    assert [e.text for e in seen.events if isinstance(e, UserUttered)] == ["one", "two"]
    for event in turn("three", "3"):
        seen.update(event)
    asyncio.run(first.save(seen))
    full = asyncio.run(second.retrieve_full_tracker("shared"))
    assert [e.text for e in full.events if isinstance(e, UserUttered)] == ["one", "two", "three"]
