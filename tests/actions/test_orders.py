from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.orders import (
    ActionCancelOrder,
    ActionCheckOrderStatus,
    ActionShippingInfo,
    ValidateCancelOrderForm,
    ValidateOrderStatusForm,
)
from assistant.store import Store
from tests.actions.helpers import DOMAIN, run_action, said, slot_values
from tests.conftest import make_tracker


def validate_order_id(value, attempts=0, form=None):
    form = form or ValidateOrderStatusForm()
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(slots={"order_id_attempts": attempts}, text=str(value))
    return form.validate_order_id(value, dispatcher, tracker, DOMAIN), said(dispatcher)


def test_order_status_reports_status_carrier_tracking_and_dates(store: Store) -> None:
    texts, events = run_action(ActionCheckOrderStatus(), make_tracker(slots={"order_id": "48213"}))
    assert len(texts) == 1
    assert "48213" in texts[0] and "shipped" in texts[0]
    assert "UPS" in texts[0] and "1Z999AA10123456784" in texts[0]
    assert "Expected delivery" in texts[0]
    assert slot_values(events)["order_id_attempts"] == 0


@pytest.mark.parametrize(
    "typed", ["48213", "#48213", "ORD-48213", "ord-48213", "order 48213", ["48213", "#48213"]]
)
def test_order_numbers_are_accepted_in_every_way_customers_write_them(store: Store, typed) -> None:
    slots, texts = validate_order_id(typed)
    assert slots == {"order_id": "48213", "order_id_attempts": 0}
    assert texts == []


def test_a_malformed_order_number_is_asked_again(store: Store) -> None:
    slots, texts = validate_order_id("12ab", attempts=0)
    assert slots == {"order_id": None, "order_id_attempts": 1}
    assert "5 to 8 digits" in texts[0]


def test_an_unknown_order_is_reported_and_asked_again(store: Store) -> None:
    slots, texts = validate_order_id("99999", attempts=1)
    assert slots["order_id"] is None and slots["order_id_attempts"] == 2
    assert "couldn't find an order with the number 99999" in texts[0]


def test_after_the_third_failed_order_number_a_human_is_offered(store: Store) -> None:
    slots, texts = validate_order_id("555", attempts=2)
    assert slots["form_aborted"] is True and slots["human_offered"] is True
    assert texts[-1] == "utter_offer_human"
    texts, events = run_action(
        ActionCheckOrderStatus(), make_tracker(slots={"form_aborted": True, "human_offered": True})
    )
    assert texts == []
    assert "human_offered" not in slot_values(events), "the offer must survive the slot reset"


def test_sql_looking_order_numbers_are_rejected_and_the_store_is_untouched(store: Store) -> None:
    slots, _ = validate_order_id("48213; DROP TABLE orders; --")
    assert slots["order_id"] == "48213"  # the one order-number-like token, parsed as a number
    slots, texts = validate_order_id("' OR 1=1 --")
    assert slots["order_id"] is None and "5 to 8 digits" in texts[0]
    assert store.get_order(48213) is not None


def test_cancelling_an_unshipped_order_updates_the_store_and_starts_a_refund(store: Store) -> None:
    slots, texts = validate_order_id("10001", form=ValidateCancelOrderForm())
    assert slots == {"order_id": "10001", "order_id_attempts": 0}
    texts, _ = run_action(ActionCancelOrder(), make_tracker(slots={"order_id": "10001", "confirmed": True}))
    assert "order 10001 is cancelled" in texts[0]
    assert store.get_order(10001).status == "cancelled"
    assert [r.status for r in store.refunds_for_order(10001)] == ["processing"]


def test_a_shipped_order_cannot_be_cancelled(store: Store) -> None:
    slots, texts = validate_order_id("48213", form=ValidateCancelOrderForm())
    assert slots["form_aborted"] is True
    assert "already shipped" in texts[0]
    texts, _ = run_action(
        ActionCancelOrder(), make_tracker(slots={"order_id": "48213", "form_aborted": True})
    )
    assert texts == []
    assert store.get_order(48213).status == "shipped"


def test_declining_the_confirmation_keeps_the_order(store: Store) -> None:
    texts, _ = run_action(ActionCancelOrder(), make_tracker(slots={"order_id": "10001", "confirmed": False}))
    assert "left order 10001 as it is" in texts[0]
    assert store.get_order(10001).status == "processing"


def test_shipping_info_without_an_order_lists_the_options(store: Store) -> None:
    texts, _ = run_action(ActionShippingInfo(), make_tracker(text="how do you ship?", intent="shipping_info"))
    assert "3-5 business days" in texts[0]


def test_shipping_info_for_an_order_gives_its_carrier(store: Store) -> None:
    tracker = make_tracker(text="shipping for ORD-87654321", intent="shipping_info",
                           entities=[{"entity": "order_id", "value": "ORD-87654321"}])  # fmt: skip
    texts, _ = run_action(ActionShippingInfo(), tracker)
    assert "DHL" in texts[0] and "JD014600003828487654" in texts[0]
