from __future__ import annotations

import asyncio

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
from tests.actions.helpers import DOMAIN, form_turn, run_action, said, slot_values
from tests.conftest import make_tracker

JANE, OMAR = 1, 2


def validate_order_id(value, attempts=0, form=None, **identity):
    form = form or ValidateOrderStatusForm()
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(slots={"order_id_attempts": attempts}, text=str(value), **identity)
    return form.validate_order_id(value, dispatcher, tracker, DOMAIN), said(dispatcher)


def test_the_verified_owner_hears_status_carrier_tracking_and_dates(store: Store) -> None:
    tracker = make_tracker(slots={"order_id": "48213"}, verified=JANE)
    texts, events = run_action(ActionCheckOrderStatus(), tracker)
    assert len(texts) == 1
    assert "48213" in texts[0] and "shipped" in texts[0]
    assert "UPS" in texts[0] and "1Z999AA10123456784" in texts[0]
    assert "12 Market Street" in texts[0] and "Expected delivery" in texts[0]
    assert slot_values(events)["order_id_attempts"] == 0


def test_a_customer_the_channel_only_claims_hears_the_status_without_tracking(store: Store) -> None:
    texts, _ = run_action(ActionCheckOrderStatus(), make_tracker(slots={"order_id": "48213"}, claimed=JANE))
    assert "shipped" in texts[0] and "UPS" in texts[0]
    assert "1Z999AA10123456784" not in texts[0] and "Market Street" not in texts[0]


def test_an_anonymous_conversation_hears_nothing_about_an_order_without_proof(store: Store) -> None:
    for identity in ({}, {"verified": OMAR}, {"claimed": OMAR}):
        texts, _ = run_action(ActionCheckOrderStatus(), make_tracker(slots={"order_id": "48213"}, **identity))
        assert "shipped" not in texts[0] and "1Z999" not in texts[0]
        assert "once I know it's yours" in texts[0]


def test_the_order_status_form_asks_for_the_orders_email_or_postcode_when_not_signed_in(store: Store) -> None:
    form = ValidateOrderStatusForm()
    dispatcher = CollectingDispatcher()
    tracker = form_turn(make_tracker(text="48213"), {"order_id": "48213"})
    events = asyncio.run(form.run(dispatcher, tracker, DOMAIN))
    assert slot_values(events)["requested_slot"] == "order_fact"


@pytest.mark.parametrize("fact", ["jane.doe@example.com", "62701", " 627-01 ", "JANE.DOE@EXAMPLE.COM"])
def test_the_orders_email_or_postcode_unlocks_its_details(store: Store, fact: str) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(slots={"order_id": "48213"}, text=fact)
    slots = ValidateOrderStatusForm().validate_order_fact(fact, dispatcher, tracker, DOMAIN)
    assert slots == {"order_fact": "given", "order_access": [48213]}
    tracker = make_tracker(slots={"order_id": "48213", "order_access": [48213]})
    texts, _ = run_action(ActionCheckOrderStatus(), tracker)
    assert "1Z999AA10123456784" in texts[0]


def test_three_wrong_order_facts_end_the_attempt_and_offer_a_human(store: Store) -> None:
    form, tracker = ValidateOrderStatusForm(), make_tracker(slots={"order_id": "48213"})
    answers = []
    for wrong in ("omar.haddad@example.com", "99999", "SW1A 1AA"):
        dispatcher = CollectingDispatcher()
        answers.append((form.validate_order_fact(wrong, dispatcher, tracker, DOMAIN), said(dispatcher)))
    assert [a[0]["order_fact"] for a in answers] == [None, None, None]
    assert "doesn't match" in answers[0][1][0]
    assert answers[2][0]["form_aborted"] is True and answers[2][1][-1] == "utter_offer_human"


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


def test_the_verified_owner_cancels_an_unshipped_order_and_a_refund_starts(store: Store) -> None:
    slots, texts = validate_order_id("10001", form=ValidateCancelOrderForm(), verified=JANE)
    assert slots == {"order_id": "10001", "order_id_attempts": 0}
    tracker = make_tracker(slots={"order_id": "10001", "confirmed": True}, verified=JANE)
    texts, _ = run_action(ActionCancelOrder(), tracker)
    assert "order 10001 is cancelled" in texts[0]
    assert store.get_order(10001).status == "cancelled"
    assert [r.status for r in store.refunds_for_order(10001)] == ["processing"]


def test_a_verified_customer_cannot_cancel_someone_elses_order(store: Store) -> None:
    slots, texts = validate_order_id("10001", form=ValidateCancelOrderForm(), verified=OMAR)
    assert slots["form_aborted"] is True and "someone else's" in texts[0]
    texts, _ = run_action(
        ActionCancelOrder(), make_tracker(slots={"order_id": "10001", "confirmed": True}, verified=OMAR)
    )
    assert "someone else's" in texts[0]
    assert store.get_order(10001).status == "processing"


def test_an_anonymous_conversation_cannot_cancel_by_typing_an_order_number(store: Store) -> None:
    texts, _ = run_action(ActionCancelOrder(), make_tracker(slots={"order_id": "10001", "confirmed": True}))
    assert "can't" in texts[0]
    assert store.get_order(10001).status == "processing"


def test_a_shipped_order_cannot_be_cancelled(store: Store) -> None:
    form, dispatcher = ValidateCancelOrderForm(), CollectingDispatcher()
    tracker = form_turn(make_tracker(text="48213", verified=JANE), {"order_id": "48213"})
    events = asyncio.run(form.run(dispatcher, tracker, DOMAIN))
    assert slot_values(events)["form_aborted"] is True and slot_values(events)["requested_slot"] is None
    assert "already shipped" in said(dispatcher)[0]
    texts, _ = run_action(
        ActionCancelOrder(), make_tracker(slots={"order_id": "48213", "form_aborted": True})
    )
    assert texts == []
    assert store.get_order(48213).status == "shipped"


def test_declining_the_confirmation_keeps_the_order(store: Store) -> None:
    tracker = make_tracker(slots={"order_id": "10001", "confirmed": False}, verified=JANE)
    texts, _ = run_action(ActionCancelOrder(), tracker)
    assert "left order 10001 as it is" in texts[0]
    assert store.get_order(10001).status == "processing"


def test_shipping_info_without_an_order_lists_the_options(store: Store) -> None:
    texts, _ = run_action(ActionShippingInfo(), make_tracker(text="how do you ship?", intent="shipping_info"))
    assert "3-5 business days" in texts[0]


def test_shipping_info_for_an_order_gives_its_carrier_and_tracking_to_its_owner(store: Store) -> None:
    entities = [{"entity": "order_id", "value": "ORD-87654321"}]
    tracker = make_tracker(
        text="shipping for ORD-87654321", intent="shipping_info", entities=entities, verified=4
    )
    texts, _ = run_action(ActionShippingInfo(), tracker)
    assert "DHL" in texts[0] and "JD014600003828487654" in texts[0]
    anonymous = make_tracker(text="shipping for ORD-87654321", intent="shipping_info", entities=entities)
    texts, _ = run_action(ActionShippingInfo(), anonymous)
    assert "JD014600003828487654" not in texts[0] and "3-5 business days" in texts[0]


def entity(text: str, value: str) -> dict:
    start = text.index(value)
    return {"entity": "order_id", "value": value, "start": start, "end": start + len(value)}


@pytest.mark.parametrize(
    "text",
    ["where is my order 48213? postcode 62701", "order 48213 zip 62701", "62701 is my postcode, order 48213"],
)
def test_an_order_number_and_its_postcode_in_one_message_unlock_the_order_at_once(
    store: Store, text: str
) -> None:
    numbers = [entity(text, "48213"), entity(text, "62701")]
    tracker = make_tracker(text=text, intent="order_status", entities=numbers)
    dispatcher = CollectingDispatcher()
    slots = ValidateOrderStatusForm().validate_order_id("62701", dispatcher, tracker, DOMAIN)
    assert slots == {
        "order_id": "48213",
        "order_id_attempts": 0,
        "order_fact": "given",
        "order_access": [48213],
    }


def test_a_wrong_postcode_beside_the_order_number_is_answered_and_the_fact_asked_again(store: Store) -> None:
    text = "where is order 48213, my email is omar.haddad@example.com"
    tracker = make_tracker(text=text, intent="order_status", entities=[entity(text, "48213")])
    dispatcher = CollectingDispatcher()
    slots = ValidateOrderStatusForm().validate_order_id("48213", dispatcher, tracker, DOMAIN)
    assert slots == {"order_id": "48213", "order_id_attempts": 0, "order_fact": None}
    assert "doesn't match what we have for order 48213" in said(dispatcher)[0]


@pytest.mark.parametrize("typed", ["my postcode is 62701", "it's 62701 thanks", "zip: 627 01"])
def test_a_postcode_inside_a_sentence_is_recognised(store: Store, typed: str) -> None:
    tracker = make_tracker(slots={"order_id": "48213"}, text=typed)
    slots = ValidateOrderStatusForm().validate_order_fact(typed, CollectingDispatcher(), tracker, DOMAIN)
    assert slots == {"order_fact": "given", "order_access": [48213]}


def test_many_postcodes_in_one_message_are_no_answer(store: Store) -> None:
    typed = "62700 62701 62702 62703"
    tracker = make_tracker(slots={"order_id": "48213"}, text=typed)
    slots = ValidateOrderStatusForm().validate_order_fact(typed, CollectingDispatcher(), tracker, DOMAIN)
    assert slots == {"order_fact": None}


def test_a_postcode_with_thanks_is_taken_as_the_answer_when_the_postcode_was_asked(store: Store) -> None:
    form = ValidateOrderStatusForm()
    asked = make_tracker(
        slots={"order_id": "50005", "requested_slot": "order_fact"}, text="nw1 6xe thanks", intent="thank"
    )
    assert form.extract_order_fact(CollectingDispatcher(), asked, DOMAIN) == {"order_fact": "nw1 6xe thanks"}
    thanks = make_tracker(
        slots={"order_id": "50005", "requested_slot": "order_fact"}, text="thanks", intent="thank"
    )
    assert form.extract_order_fact(CollectingDispatcher(), thanks, DOMAIN) == {}
    other = make_tracker(
        slots={"order_id": "50005", "requested_slot": "order_id"}, text="nw1 6xe thanks", intent="thank"
    )
    assert form.extract_order_fact(CollectingDispatcher(), other, DOMAIN) == {}


def test_a_verified_customer_who_does_not_know_the_number_picks_from_their_latest_orders(
    store: Store,
) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(slots={"order_id_attempts": 1}, text="i dont know the number", verified=JANE)
    slots = ValidateOrderStatusForm().validate_order_id("i dont know the number", dispatcher, tracker, DOMAIN)
    assert slots == {"order_id": None}, "not knowing is no failed attempt"
    [message] = dispatcher.messages
    payloads = [b["payload"] for b in message["buttons"]]
    assert payloads and all(p.startswith('/inform{"order_id":') for p in payloads)
    assert {p.split('"')[-2] for p in payloads} <= {"48213", "10001", "1234567"}, "only Jane's own orders"


def test_anyone_else_who_does_not_know_the_number_hears_where_to_find_it(store: Store) -> None:
    for identity in ({}, {"claimed": JANE}):
        slots, texts = validate_order_id("no idea, sorry", **identity)
        assert slots == {"order_id": None} and "order confirmation e-mail" in texts[0]
        assert "48213" in texts[0] and "10001" not in texts[0]
