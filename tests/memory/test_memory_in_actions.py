"""The actions write what matters for a verified customer (their last order, open issues, a
shipping preference), summarise a finished session into memory at the next session's start,
and personalize the new session; a mere claim gets nothing remembered."""

from __future__ import annotations

import sqlalchemy as sa

from actions.orders import ActionCheckOrderStatus, ActionShippingInfo
from actions.services import get_memories
from actions.session import ActionSessionStart
from actions.support import ActionLogComplaint
from assistant.identity.permissions import IdentityState, Level
from assistant.memory.summary import extract, rule_summary
from assistant.store import Store
from assistant.store.memory_models import BehaviorEvent, CustomerProfile
from tests.actions.helpers import run_action, slot_values
from tests.actions.test_verification import signed
from tests.conftest import make_tracker

JANE, OMAR = 1, 2


def user(text: str, intent: str, order_id: str = "") -> dict:
    entities = [{"entity": "order_id", "value": order_id}] if order_id else []
    return {"event": "user", "text": text, "timestamp": 1000.0,
            "parse_data": {"intent": {"name": intent, "confidence": 0.9}, "entities": entities}}  # fmt: skip


FINISHED_SESSION = [
    {"event": "session_started", "timestamp": 990.0},
    {"event": "slot", "name": "customer_id", "value": 1.0},
    {"event": "slot", "name": "verification", "value": "verified"},
    user("where is my order 48213", "order_status", "48213"),
    {"event": "bot", "text": "Order 48213 shipped on Mon with UPS.", "timestamp": 1001.0},
    user("can it come express next time? this is taking forever and it is terrible", "shipping_info"),
    {"event": "action", "name": "action_handoff", "timestamp": 1003.0},
]


def test_the_rules_summarise_a_session_from_its_events() -> None:
    facts = extract(FINISHED_SESSION)
    assert facts.topics == {"orders": 1, "shipping": 1} and facts.order_ids == ["48213"]
    assert facts.shipping == "express" and facts.handed_over and len(facts.sentiments) == 2
    summary = rule_summary(facts)
    assert "orders" in summary and "48213" in summary and "handed over" in summary and "Mood:" in summary


def test_a_finished_session_goes_into_memory_and_the_next_one_is_personal(store: Store) -> None:
    sender = "conv-memory-1"
    tracker = make_tracker(slots={"session_started_metadata": signed(IdentityState(JANE, Level.VERIFIED), sender),
                                  "customer_id": 1.0, "verification": "verified"},
                           events=FINISHED_SESSION, sender_id=sender)  # fmt: skip
    _, events = run_action(ActionSessionStart(), tracker)
    known = {k: v.value for k, v in get_memories().recall(JANE).items()}
    assert known["last_order"] == {"order_id": "48213"} and known["preferred_shipping"] == "express"
    assert known["open_issues"] == [{"kind": "handoff"}] and known["name"] == "Jane"
    assert "48213" in known["last_session_summary"]
    with store.session() as s:
        profile = s.get(CustomerProfile, JANE)
        assert profile.sessions == 1 and profile.topics == {"orders": 1, "shipping": 1}
        assert "premium_customers" in profile.segments
        summary = s.scalars(sa.select(BehaviorEvent).where(BehaviorEvent.customer_id == JANE)).one()
        assert summary.event_type == "conversation_summary" and summary.event_data["handed_over"] is True
    slots = slot_values(events)
    assert slots["customer_name"] == "Jane" and slots["persona"] == "returning"
    assert slots["priority_support"] is True and slots["customer_tier"] == "premium"
    assert slots["last_order_id"] == "48213" and slots["has_last_order"] is True
    run_action(ActionSessionStart(), tracker)
    assert (
        get_memories().recall(JANE)["last_session_summary"].value == known["last_session_summary"]
    ), "a session is summarised once"


def test_nothing_is_remembered_for_a_customer_the_channel_only_claims(store: Store) -> None:
    sender = "conv-memory-2"
    claimed_session = [
        dict(e, value="claimed") if e.get("name") == "verification" else e for e in FINISHED_SESSION
    ]
    tracker = make_tracker(slots={"session_started_metadata": signed(IdentityState(OMAR, Level.CLAIMED), sender),
                                  "customer_id": 1.0, "verification": "claimed"},
                           events=claimed_session, sender_id=sender)  # fmt: skip
    _, events = run_action(ActionSessionStart(), tracker)
    assert get_memories().recall(JANE) == {} and get_memories().recall(OMAR) == {}
    assert "customer_name" not in slot_values(events) and "persona" not in slot_values(events)


def test_answers_remember_the_last_order_issues_and_shipping_preference(store: Store) -> None:
    run_action(ActionCheckOrderStatus(), make_tracker(slots={"order_id": "48213"}, verified=JANE))
    run_action(ActionLogComplaint(), make_tracker(text="the parcel arrived broken", verified=JANE))
    run_action(ActionShippingInfo(), make_tracker(text="how much is express shipping", verified=JANE))
    known = {k: v.value for k, v in get_memories().recall(JANE).items()}
    assert known["last_order"]["order_id"] == "48213" and known["preferred_shipping"] == "express"
    assert known["open_issues"][0]["kind"] == "complaint" and known["open_issues"][0]["reference"]
    run_action(ActionCheckOrderStatus(), make_tracker(slots={"order_id": "48213"}, claimed=JANE))
    run_action(ActionLogComplaint(), make_tracker(text="broken again", claimed=OMAR))
    assert get_memories().recall(OMAR) == {}, "a claim writes nothing"
