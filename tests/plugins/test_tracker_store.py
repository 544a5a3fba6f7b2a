from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path
from typing import Iterator

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from assistant import settings as settings_module
from assistant.plugins.tracker_store import RedactingSQLTrackerStore
from tests.chaos.services import EphemeralPostgres

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


def stored_rows(tracker_store: RedactingSQLTrackerStore, sender: str) -> str:
    with tracker_store.session_scope() as session:
        rows = (
            session.query(tracker_store.SQLEvent.data)
            .filter(tracker_store.SQLEvent.sender_id == sender)
            .all()
        )
    return " ".join(data for (data,) in rows)


def test_a_one_time_code_typed_by_the_customer_never_reaches_the_database(tracker_store, domain) -> None:
    code_message = UserUttered(
        "it's 481 516", {"name": "inform", "confidence": 1.0},
        entities=[{"entity": "order_id", "value": "481516", "start": 5, "end": 12}],
    )  # fmt: skip
    events = [
        ActionExecuted("action_listen"), ActiveLoop("cancel_order_form"), SlotSet("order_id", "10001"),
        SlotSet("requested_slot", "verification_code"), ActionExecuted("action_listen"), code_message,
        SlotSet("verification_code", "it's 481 516"), SlotSet("order_id", "481516"),
        ActionExecuted("cancel_order_form"), SlotSet("order_id", "10001"), SlotSet("verification_code", "verified"),
        SlotSet("requested_slot", "confirmed"), ActionExecuted("action_listen"),
        UserUttered("yes, order 10001 please", {"name": "affirm", "confidence": 1.0}),
    ]  # fmt: skip
    tracker = DialogueStateTracker.from_events("coded", events, domain.slots)
    asyncio.run(tracker_store.save(tracker))
    stored = stored_rows(tracker_store, "coded")
    assert "481516" not in stored and "481 516" not in stored and "[CODE]" in stored
    assert "yes, order 10001 please" in stored, "only what was typed while a code was asked is masked"
    full = asyncio.run(tracker_store.retrieve_full_tracker("coded"))
    assert full.get_slot("order_id") == "10001" and full.get_slot("verification_code") == "verified"


def test_cards_and_ibans_in_messages_and_slots_are_masked_before_storage(tracker_store, domain) -> None:
    events = [
        ActionExecuted("action_listen"),
        UserUttered("card 4111-1111-1111-1111 and DE89 3704 0044 0532 0130 00", {"name": "inform", "confidence": 1.0}),
        SlotSet("issue_details", "charged on 5555 5555 5555 4444"),
    ]  # fmt: skip
    asyncio.run(tracker_store.save(DialogueStateTracker.from_events("cards", events, domain.slots)))
    stored = stored_rows(tracker_store, "cards")
    assert "4111" not in stored and "5555" not in stored and "3704" not in stored
    assert "[REDACTED CARD]" in stored and "[REDACTED IBAN]" in stored


# --- reliability: retries, the cache after a failure, replies of a stored message ------------


@pytest.fixture
def short_retries(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("STORE_RETRY_SECONDS", "0.5")
    settings_module.get_settings.cache_clear()
    yield
    settings_module.get_settings.cache_clear()


@pytest.fixture
def postgres() -> Iterator[EphemeralPostgres]:
    """A PostgreSQL of this test's own, which it may stop."""
    server = EphemeralPostgres().start()
    yield server
    server.destroy()


def user_turn(text: str, message_id: str, reply: str) -> list:
    return [UserUttered(text, {"name": "greet", "confidence": 1.0}, message_id=message_id),
            ActionExecuted("utter_greet"), BotUttered(reply), ActionExecuted("action_listen")]  # fmt: skip


def test_a_failed_write_is_not_cached_and_the_next_turn_reads_the_database(
    domain: Domain, postgres: EphemeralPostgres, short_retries: None
) -> None:
    store = RedactingSQLTrackerStore(domain=domain, url=postgres.url())
    first = DialogueStateTracker.from_events("c", [ActionExecuted("action_listen"), *user_turn("one", "m1", "1")],
                                             domain.slots)  # fmt: skip
    asyncio.run(store.save(first))
    second = asyncio.run(store.retrieve("c"))
    for event in user_turn("two", "m2", "2"):
        second.update(event)
    postgres.stop()
    with pytest.raises(sa.exc.OperationalError):
        asyncio.run(store.save(second))
    assert "c" not in store._cache, "the cache must not hold a turn the database lacks"
    postgres.start()
    again = asyncio.run(store.retrieve("c"))
    assert [e.text for e in again.events if isinstance(e, UserUttered)] == ["one"]


def test_a_write_during_a_short_restart_is_retried_and_stored_once(
    domain: Domain, postgres: EphemeralPostgres
) -> None:
    store = RedactingSQLTrackerStore(domain=domain, url=postgres.url())
    tracker = DialogueStateTracker.from_events("c", [ActionExecuted("action_listen"), *user_turn("one", "m1", "1")],
                                               domain.slots)  # fmt: skip
    postgres.stop()
    threading.Timer(0.7, postgres.start).start()
    asyncio.run(store.save(tracker))  # waits for the database to come back (STORE_RETRY_SECONDS 5)
    full = asyncio.run(store.retrieve_full_tracker("c"))
    assert [e.text for e in full.events if isinstance(e, UserUttered)] == ["one"]


def test_reading_a_whole_history_during_a_short_restart_waits_for_the_database(
    domain: Domain, postgres: EphemeralPostgres
) -> None:
    store = RedactingSQLTrackerStore(domain=domain, url=postgres.url())
    tracker = DialogueStateTracker.from_events("c", [ActionExecuted("action_listen"), *user_turn("one", "m1", "1")],
                                               domain.slots)  # fmt: skip
    asyncio.run(store.save(tracker))
    postgres.stop()
    threading.Timer(0.7, postgres.start).start()
    full = asyncio.run(store.retrieve_full_tracker("c"))  # joining a conversation reads this
    assert [e.text for e in full.events if isinstance(e, UserUttered)] == ["one"]


def test_a_write_whose_answer_was_lost_is_not_stored_twice(
    tracker_store: RedactingSQLTrackerStore, domain: Domain, monkeypatch: pytest.MonkeyPatch
) -> None:
    original, calls = SQLTrackerStore.save, []

    async def commits_then_loses_the_answer(self, tracker):  # type: ignore[no-untyped-def]
        calls.append(1)
        await original(self, tracker)
        if len(calls) == 1:
            raise sa.exc.OperationalError(
                "COMMIT", {}, Exception("server closed the connection unexpectedly")
            )

    monkeypatch.setattr(SQLTrackerStore, "save", commits_then_loses_the_answer)
    asyncio.run(
        tracker_store.save(
            DialogueStateTracker.from_events("c", [ActionExecuted("action_listen")], domain.slots)
        )
    )
    tracker = asyncio.run(tracker_store.retrieve("c"))
    for event in user_turn("one", "m1", "1"):
        tracker.update(event)
    calls.clear()
    asyncio.run(tracker_store.save(tracker))
    full = asyncio.run(tracker_store.retrieve_full_tracker("c"))
    assert len(calls) == 1 and [e.text for e in full.events if isinstance(e, UserUttered)] == ["one"]


def test_a_stored_message_id_finds_the_replies_that_followed_it(
    tracker_store: RedactingSQLTrackerStore, domain: Domain
) -> None:
    events = [
        ActionExecuted("action_listen"),
        *user_turn("one", "m_1%", "first"),
        *user_turn("two", "m-2", "second"),
    ]
    asyncio.run(tracker_store.save(DialogueStateTracker.from_events("c", events, domain.slots)))
    assert [m["text"] for m in asyncio.run(tracker_store.stored_reply("c", "m_1%"))] == ["first"]
    assert [m["text"] for m in asyncio.run(tracker_store.stored_reply("c", "m-2"))] == ["second"]
    assert (
        asyncio.run(tracker_store.stored_reply("c", "mx1%")) is None
    ), "LIKE wildcards match only themselves"
    assert asyncio.run(tracker_store.stored_reply("other", "m-2")) is None
