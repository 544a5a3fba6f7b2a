from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from actions.returns import ActionCheckRefundStatus, ActionCreateReturn, ValidateReturnForm
from assistant.store import Store
from tests.actions.helpers import DOMAIN, run_action, said
from tests.conftest import make_tracker


def validate_for_return(order_id: str):
    dispatcher = CollectingDispatcher()
    slots = ValidateReturnForm().validate_order_id(order_id, dispatcher, make_tracker(), DOMAIN)
    return slots, said(dispatcher)


def test_a_delivered_order_inside_the_window_gets_an_rma(store: Store) -> None:
    slots, _ = validate_for_return("20002")
    assert slots == {"order_id": "20002", "order_id_attempts": 0}
    texts, _ = run_action(
        ActionCreateReturn(), make_tracker(slots={"order_id": "20002", "return_reason": "too small"})
    )
    assert "RMA number is RMA-" in texts[0]
    [created] = store.get_order(20002).returns
    assert created.reason == "too small" and created.rma in texts[0]


def test_an_order_delivered_more_than_30_days_ago_cannot_be_returned(store: Store) -> None:
    slots, texts = validate_for_return("30003")
    assert slots["form_aborted"] is True
    assert "outside our return window" in texts[0]


def test_an_order_not_yet_delivered_cannot_be_returned(store: Store) -> None:
    slots, texts = validate_for_return("48213")
    assert slots["form_aborted"] is True
    assert "hasn't been delivered yet" in texts[0]


def test_a_second_return_for_the_same_order_is_refused(store: Store) -> None:
    run_action(ActionCreateReturn(), make_tracker(slots={"order_id": "20002", "return_reason": "broken"}))
    slots, texts = validate_for_return("20002")
    assert slots["form_aborted"] is True and "already a return" in texts[0]


def test_refund_status_tells_a_processing_refund(store: Store) -> None:
    texts, _ = run_action(ActionCheckRefundStatus(), make_tracker(slots={"order_id": "50005"}))
    assert texts == [texts[0]] and "$158.00" in texts[0] and "processing" in texts[0]


def test_refund_status_tells_a_completed_refund(store: Store) -> None:
    texts, _ = run_action(ActionCheckRefundStatus(), make_tracker(slots={"order_id": "40004"}))
    assert "was completed on" in texts[0]


def test_refund_status_for_an_order_without_refund(store: Store) -> None:
    texts, _ = run_action(ActionCheckRefundStatus(), make_tracker(slots={"order_id": "48213"}))
    assert "no refund on order 48213" in texts[0]
