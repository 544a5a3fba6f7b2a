"""``@once_per_message`` on real actions: a retried message changes the store once."""

from __future__ import annotations

from typing import Optional

from rasa_sdk import Tracker

from actions.orders import ActionCancelOrder
from actions.support import ActionLogComplaint
from assistant.store import Store
from tests.actions.helpers import run_action
from tests.conftest import make_tracker


def with_message_id(tracker: Tracker, message_id: Optional[str]) -> Tracker:
    tracker.latest_message["message_id"] = message_id
    return tracker


def complaint(sender: str, message_id: Optional[str]) -> Tracker:
    tracker = make_tracker(text="your service is terrible", intent="complaint", sender_id=sender)
    return with_message_id(tracker, message_id)


def test_a_retried_complaint_opens_one_ticket_and_gets_the_same_answer(store: Store) -> None:
    first = run_action(ActionLogComplaint(), complaint("c-1", "m-1"))
    retried = run_action(ActionLogComplaint(), complaint("c-1", "m-1"))
    assert retried == first
    assert len(store.tickets_for_conversation("c-1")) == 1


def test_a_new_message_is_a_new_complaint(store: Store) -> None:
    run_action(ActionLogComplaint(), complaint("c-2", "m-1"))
    run_action(ActionLogComplaint(), complaint("c-2", "m-2"))
    run_action(ActionLogComplaint(), complaint("c-2", None))
    assert len(store.tickets_for_conversation("c-2")) == 3


def test_a_retried_yes_cancel_it_cancels_once_and_confirms_again(store: Store) -> None:
    def confirm() -> Tracker:
        tracker = make_tracker(slots={"order_id": "10001", "confirmed": True}, text="yes", intent="affirm",
                               sender_id="c-3", verified=1)  # fmt: skip
        return with_message_id(tracker, "yes-1")

    first, _ = run_action(ActionCancelOrder(), confirm())
    retried, _ = run_action(ActionCancelOrder(), confirm())
    assert "order 10001 is cancelled" in first[0] and retried == first
    assert store.get_order(10001).status == "cancelled"
    assert len(store.refunds_for_order(10001)) == 1, "one refund, not two"
