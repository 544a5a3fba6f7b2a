from __future__ import annotations

from actions.returns import ActionCheckRefundStatus, ActionCreateReturn, ValidateReturnForm
from assistant.store import Store
from tests.actions.helpers import answer, run_action
from tests.conftest import make_tracker

JANE, OMAR, MEI = 1, 2, 3


def start_return(order_id: str, customer: int):
    tracker = make_tracker(text=f"return {order_id}", intent="return_item", verified=customer)
    _, texts, slots = answer(ValidateReturnForm(), tracker, f"return {order_id}", order_id=order_id)
    return slots, texts


def test_a_delivered_order_inside_the_window_gets_an_rma_and_its_label_by_email(store: Store) -> None:
    slots, _ = start_return("20002", OMAR)
    assert slots["order_id"] == "20002" and slots["requested_slot"] == "return_reason"
    tracker = make_tracker(slots={"order_id": "20002", "return_reason": "too small"}, verified=OMAR)
    texts, _ = run_action(ActionCreateReturn(), tracker)
    assert "RMA number is RMA-" in texts[0] and "e-mailed you a free return label" in texts[0]
    [created] = store.get_order(20002).returns
    assert created.reason == "too small" and created.rma in texts[0]
    [label] = [m for m in store.outbox("omar.haddad@example.com") if m.kind == "return_label"]
    assert created.rma in label.subject and created.rma in label.body
    assert "Drop the parcel at any UPS point" in label.body


def test_an_order_delivered_more_than_30_days_ago_cannot_be_returned(store: Store) -> None:
    slots, texts = start_return("30003", OMAR)
    assert slots["form_aborted"] is True
    assert "outside our return window" in texts[0]


def test_an_order_not_yet_delivered_cannot_be_returned(store: Store) -> None:
    slots, texts = start_return("48213", JANE)
    assert slots["form_aborted"] is True
    assert "hasn't been delivered yet" in texts[0]


def test_an_unverified_conversation_learns_nothing_about_the_order_before_the_code(store: Store) -> None:
    tracker = make_tracker(text="return 48213", intent="return_item")
    _, texts, slots = answer(ValidateReturnForm(), tracker, "return 48213", order_id="48213")
    assert slots["requested_slot"] == "verification_code"
    assert not any("delivered" in t for t in texts)


def test_a_second_return_for_the_same_order_is_refused(store: Store) -> None:
    tracker = make_tracker(slots={"order_id": "20002", "return_reason": "broken"}, verified=OMAR)
    run_action(ActionCreateReturn(), tracker)
    slots, texts = start_return("20002", OMAR)
    assert slots["form_aborted"] is True and "already a return" in texts[0]


def test_a_return_of_someone_elses_order_is_refused(store: Store) -> None:
    tracker = make_tracker(slots={"order_id": "20002", "return_reason": "broken"}, verified=JANE)
    texts, _ = run_action(ActionCreateReturn(), tracker)
    assert "someone else's" in texts[0] and store.get_order(20002).returns == []


def test_refund_status_tells_a_processing_refund_with_its_amount(store: Store) -> None:
    texts, _ = run_action(ActionCheckRefundStatus(), make_tracker(slots={"order_id": "50005"}, verified=MEI))
    assert texts == [texts[0]] and "$158.00" in texts[0] and "processing" in texts[0]


def test_refund_status_tells_a_completed_refund(store: Store) -> None:
    texts, _ = run_action(ActionCheckRefundStatus(), make_tracker(slots={"order_id": "40004"}, verified=MEI))
    assert "was completed on" in texts[0]


def test_refund_amounts_need_the_owner_or_the_orders_email_or_postcode(store: Store) -> None:
    texts, _ = run_action(ActionCheckRefundStatus(), make_tracker(slots={"order_id": "50005"}, claimed=MEI))
    assert "processing" in texts[0] and "$" not in texts[0]
    texts, _ = run_action(ActionCheckRefundStatus(), make_tracker(slots={"order_id": "50005"}))
    assert "processing" not in texts[0] and "once I know it's yours" in texts[0]
    unlocked = make_tracker(slots={"order_id": "50005", "order_access": [50005]})
    texts, _ = run_action(ActionCheckRefundStatus(), unlocked)
    assert "$158.00" in texts[0]


def test_refund_status_for_an_order_without_refund(store: Store) -> None:
    texts, _ = run_action(ActionCheckRefundStatus(), make_tracker(slots={"order_id": "48213"}, verified=JANE))
    assert "no refund on order 48213" in texts[0]
