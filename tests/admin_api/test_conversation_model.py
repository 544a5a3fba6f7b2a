"""The conversation model itself (assistant/conversations) on a seeded SQLite store: the life
cycle, opening hours, what a queued customer is told and the choices they get, the queue's
order, and tracker events reconciled with the model."""

from __future__ import annotations

import time
import uuid
from dataclasses import replace
from datetime import datetime

import pytest

from assistant.conversations import handoff, registry, waiting
from assistant.conversations.errors import InvalidTransition
from assistant.conversations.hours import HoursError, parse_hours
from assistant.conversations.lifecycle import check_transition
from assistant.conversations.sync import sync
from assistant.conversations.tracker_events import EVENTS, TrackerEvents
from assistant.identity.secret import identity_secret
from assistant.settings import ConfigError, Settings
from assistant.store import Store
from assistant.store.account_models import Account
from assistant.store.models import utcnow
from tests.admin_api import events as ev

BOT = registry.Actor("bot", "bot", "Assistant")
AGENT = registry.Actor("staff", "agent-1", "Alice")


def settings_of(store: Store, **changes: object) -> Settings:
    from actions import services

    return replace(services.get_settings(), **{"support_hours": "always", **changes})  # type: ignore[arg-type]


def queued(store: Store, customer_id: int | None = None, priority: str | None = None) -> str:
    conversation_id = f"c-{uuid.uuid4().hex[:10]}"
    handoff.request_handoff(store, conversation_id, "requested", "webchat", customer_id, priority)
    return conversation_id


def sign_in_agent(store: Store) -> None:
    with store.session() as s:
        s.add(Account(id=uuid.uuid4().hex, email=f"{uuid.uuid4().hex[:6]}@staff.example", name="Alice", role="agent",
                      status="active", password_hash="x", email_verified=True, preferences={},
                      last_seen_at=utcnow()))  # fmt: skip


def test_the_life_cycle_allows_only_the_seeds_transitions() -> None:
    for current, target in (("active", "pending"), ("pending", "active"), ("active", "waiting"),
                            ("waiting", "active"), ("active", "transferred"), ("transferred", "active"),
                            ("active", "closed"), ("pending", "closed")):  # fmt: skip
        check_transition(current, target)
    for current, target in (
        ("closed", "active"),
        ("pending", "waiting"),
        ("waiting", "transferred"),
        ("closed", "pending"),
    ):
        with pytest.raises(InvalidTransition):
            check_transition(current, target)


def test_opening_hours() -> None:
    hours = parse_hours("Mon-Fri 08:00-20:00, Sat 09:00-17:00", "Europe/Berlin")
    assert hours.is_open(datetime(2026, 11, 23, 10, 0))  # a Monday, 11:00 in Berlin
    assert not hours.is_open(datetime(2026, 11, 29, 10, 0))  # a Sunday
    assert not hours.is_open(datetime(2026, 11, 23, 19, 30))  # 20:30 in Berlin
    for bad in ("Mon-Fri", "Mon-Fri 25:00-26:00", "Fri-Mon 08:00-09:00"):
        with pytest.raises(HoursError):
            parse_hours(bad, "UTC")
    with pytest.raises(ConfigError):
        Settings(support_timezone="Mars/Olympus")


def test_a_queued_customer_hears_where_they_stand_but_not_on_every_message(sqlite_store: Store) -> None:
    settings = settings_of(sqlite_store, queue_notice_seconds=120)
    sign_in_agent(sqlite_store)
    first, second = queued(sqlite_store), queued(sqlite_store)
    notice = waiting.on_customer_message(sqlite_store, settings, second, "hello?")
    assert notice is not None and "number 2 in the queue" in notice.text and not notice.buttons
    assert waiting.on_customer_message(sqlite_store, settings, second, "anyone?") is None
    assert waiting.on_customer_message(sqlite_store, settings, first, "hi") is not None
    handoff.assign(sqlite_store, first, "agent-1", AGENT)
    assert waiting.on_customer_message(sqlite_store, settings, first, "thanks") is None, "an agent has it"


def test_no_agent_or_closed_hours_are_said_with_a_way_on(sqlite_store: Store) -> None:
    nobody = waiting.on_customer_message(
        sqlite_store, settings_of(sqlite_store), queued(sqlite_store), "hello?"
    )
    assert nobody is not None and "No one from our support team is signed in" in nobody.text
    assert [b["title"] for b in nobody.buttons] == [waiting.CHOOSE_EMAIL, waiting.CHOOSE_BOT]
    another_day = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[(datetime.utcnow().weekday() + 3) % 7]
    closed = settings_of(sqlite_store, support_hours=f"{another_day} 10:00-11:00", support_timezone="UTC")
    away = waiting.on_customer_message(sqlite_store, closed, queued(sqlite_store), "hello?")
    assert away is not None and "away right now" in away.text and away.buttons


def test_going_back_to_the_assistant_hands_the_conversation_back(sqlite_store: Store) -> None:
    conversation = queued(sqlite_store)
    notice = waiting.on_customer_message(
        sqlite_store, settings_of(sqlite_store), conversation, "Back to the assistant"
    )
    assert notice is not None and notice.resume
    row = registry.get(sqlite_store, conversation)
    assert (row.status, row.assignee_id) == ("active", None)
    assert registry.history(sqlite_store, conversation)[-1].actor_type == "customer"
    assert sqlite_store.open_handoff(conversation) is None


def test_continuing_by_email_uses_the_address_on_file_or_asks_for_one(sqlite_store: Store) -> None:
    settings = settings_of(sqlite_store)
    jane = queued(sqlite_store, customer_id=1)
    notice = waiting.on_customer_message(sqlite_store, settings, jane, "Continue by e-mail")
    assert notice is not None and "j***@example.com" in notice.text
    assert registry.get(sqlite_store, jane).contact_email == "jane.doe@example.com"
    visitor = queued(sqlite_store)
    asked = waiting.on_customer_message(sqlite_store, settings, visitor, "continue by email")
    assert asked is not None and "Which e-mail address" in asked.text
    done = waiting.on_customer_message(sqlite_store, settings, visitor, "it's sam@example.org thanks")
    assert done is not None and registry.get(sqlite_store, visitor).contact_email == "sam@example.org"
    assert "email-follow-up" in registry.get(sqlite_store, visitor).tags


def test_on_the_email_channel_continuing_by_email_stays_in_the_thread(sqlite_store: Store) -> None:
    conversation = f"email:{uuid.uuid4().hex}"
    handoff.request_handoff(sqlite_store, conversation, "requested", "email", 1)
    notice = waiting.on_customer_message(
        sqlite_store, settings_of(sqlite_store), conversation, "Continue by e-mail"
    )
    assert notice is not None and "in this thread" in notice.text and not notice.buttons
    row = registry.get(sqlite_store, conversation)
    assert (row.status, row.follow_up, row.contact_email) == (
        "pending",
        None,
        None,
    ), "delivery stays the thread"


def test_the_queue_is_most_urgent_first_then_oldest(sqlite_store: Store) -> None:
    old = queued(sqlite_store)
    urgent = queued(sqlite_store, priority="urgent")
    newer = queued(sqlite_store)
    order = [c.id for c in handoff.queue(sqlite_store) if c.id in (old, urgent, newer)]
    assert order == [urgent, old, newer]
    assert handoff.position_in_queue(sqlite_store, registry.get(sqlite_store, newer)) >= 3


def test_a_resume_posted_to_rasa_hands_back_like_the_admin_api(sqlite_store: Store) -> None:
    from actions import services

    settings = services.get_settings()
    tracker = TrackerEvents(settings.tracker_store_url)
    EVENTS.metadata.create_all(tracker.engine)
    conversation = queued(sqlite_store)
    handoff.assign(sqlite_store, conversation, "agent-1", AGENT)
    time.sleep(0.01)
    ev.write(settings, conversation, [{"event": "resume"}])
    sync(sqlite_store, tracker, identity_secret(settings))
    row = registry.get(sqlite_store, conversation)
    assert (row.status, row.assignee_id) == ("active", None)
    assert registry.history(sqlite_store, conversation)[-1].actor_type == "system"
    tracker.close()


def test_processes_creating_one_conversation_at_once_all_succeed(pg_store: Store) -> None:
    """On PostgreSQL (SQLite takes writers one at a time)."""
    store = pg_store
    from concurrent.futures import ThreadPoolExecutor

    conversation_id = f"race-{uuid.uuid4().hex[:8]}"
    with ThreadPoolExecutor(4) as pool:
        results = list(
            pool.map(lambda _: handoff.request_handoff(store, conversation_id, "requested"), range(4))
        )
    assert {r.conversation.status for r in results} == {"pending"}
    assert store.open_handoff(conversation_id) is not None
