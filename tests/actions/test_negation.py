"""A "don't" at a confirmation is never taken as a yes, whatever intent the words got."""

from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.account import ValidateDeleteAccountForm
from actions.negation import negates_action
from actions.orders import ValidateCancelOrderForm
from actions.returns import ValidateReturnForm
from actions.subscriptions import ValidateCancelSubscriptionForm, ValidateChangePlanForm
from tests.actions.helpers import DOMAIN, answer
from tests.conftest import make_tracker

SAYS_NO = [
    "dont cancel my order",
    "I do not want to cancel my plan anymore",
    "pls dont cancel my sub",
    "please don’t cancel my subscription",
    "no, do not delete my account",
    "I don't want to change plans after all",
    "never mind, don't go ahead",
    "stop, dont cancel",
]
SAYS_YES = [
    "yes cancel it",
    "no I still want to cancel",
    "I don't want it, cancel it",
    "I do not need it anymore so cancel it",
    "cancel, I don't want it",
    "not sure but cancel it anyway",
    "yes please go ahead",
]
VALIDATORS = [
    ValidateCancelOrderForm,
    ValidateCancelSubscriptionForm,
    ValidateChangePlanForm,
    ValidateDeleteAccountForm,
]


@pytest.mark.parametrize("text", SAYS_NO)
def test_a_negated_action_is_recognised(text: str) -> None:
    assert negates_action(text)


@pytest.mark.parametrize("text", SAYS_YES)
def test_a_wish_to_go_ahead_is_not_read_as_a_negation(text: str) -> None:
    assert not negates_action(text)


@pytest.mark.parametrize("validator", VALIDATORS)
def test_a_yes_intent_with_a_dont_in_its_words_confirms_nothing(validator: type) -> None:
    tracker = make_tracker(text="dont cancel my order", intent="cancel_order")
    assert validator().validate_confirmed(True, CollectingDispatcher(), tracker, DOMAIN) == {
        "confirmed": False
    }


@pytest.mark.parametrize("validator", VALIDATORS)
def test_a_plain_yes_still_confirms(validator: type) -> None:
    tracker = make_tracker(text="yes, cancel it", intent="affirm")
    assert validator().validate_confirmed(True, CollectingDispatcher(), tracker, DOMAIN) == {
        "confirmed": True
    }
    no = make_tracker(text="no", intent="deny")
    assert validator().validate_confirmed(False, CollectingDispatcher(), no, DOMAIN) == {"confirmed": False}


def test_saying_not_to_do_what_the_form_is_for_stops_the_form_and_keeps_nothing(sqlite_store: object) -> None:
    tracker = make_tracker(text="cancel order 10001", intent="cancel_order", active_loop="cancel_order_form")
    tracker.slots["requested_slot"] = "order_id"
    _, texts, slots = answer(
        ValidateCancelOrderForm(), tracker, "actually dont cancel my order", intent="cancel_order"
    )
    assert texts == ["utter_form_stopped"]
    assert slots == {"form_aborted": True, "requested_slot": None}


def test_asking_again_for_what_the_form_is_for_still_keeps_the_form_going(sqlite_store: object) -> None:
    tracker = make_tracker(
        text="cancel my subscription", intent="cancel_subscription", active_loop="cancel_subscription_form"
    )
    tracker.slots["requested_slot"] = "email"
    _, texts, slots = answer(
        ValidateCancelSubscriptionForm(), tracker, "no I still want to cancel", intent="cancel_subscription"
    )
    assert "utter_form_stopped" not in texts
    assert slots.get("form_aborted") is not True


def test_a_dont_in_a_form_that_ends_nothing_does_not_stop_it(sqlite_store: object) -> None:
    tracker = make_tracker(text="I want to return something", intent="return_item", active_loop="return_form")
    tracker.slots["requested_slot"] = "order_id"
    _, texts, slots = answer(
        ValidateReturnForm(), tracker, "I don't want to change it, I want to return it", intent="return_item"
    )
    assert "utter_form_stopped" not in texts
    assert slots.get("form_aborted") is not True


def test_at_the_confirmation_a_dont_read_as_cancel_is_a_no(sqlite_store: object) -> None:
    tracker = make_tracker(text="cancel order 10001", intent="cancel_order", active_loop="cancel_order_form")
    tracker.slots["requested_slot"] = "confirmed"
    _, texts, slots = answer(
        ValidateCancelOrderForm(), tracker, "dont cancel my order", intent="cancel_order", confirmed=True
    )
    assert slots["confirmed"] is False and "utter_form_stopped" not in texts
