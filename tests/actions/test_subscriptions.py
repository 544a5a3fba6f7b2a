from __future__ import annotations

import asyncio

from rasa_sdk.executor import CollectingDispatcher

from actions.subscriptions import (
    ActionCancelSubscription,
    ActionChangePlan,
    ValidateCancelSubscriptionForm,
    ValidateChangePlanForm,
)
from assistant.store import Store
from tests.actions.helpers import DOMAIN, run_action, said
from tests.conftest import make_tracker

JANE = "jane.doe@example.com"  # premium, active


def test_cancelling_after_declining_the_offer_cancels_in_the_store(store: Store) -> None:
    tracker = make_tracker(slots={"email": JANE, "confirmed": True, "accept_offer": False})
    texts, _ = run_action(ActionCancelSubscription(), tracker)
    assert "premium subscription is cancelled" in texts[0]
    assert store.subscription_of(1).status == "cancelled"


def test_accepting_the_retention_offer_keeps_the_plan_with_a_discount(store: Store) -> None:
    tracker = make_tracker(slots={"email": JANE, "confirmed": True, "accept_offer": True})
    texts, _ = run_action(ActionCancelSubscription(), tracker)
    assert "25% off your premium plan" in texts[0]
    sub = store.subscription_of(1)
    assert sub.status == "active" and sub.discount_percent == 25


def test_not_confirming_keeps_the_subscription_and_skips_the_offer(store: Store) -> None:
    form = ValidateCancelSubscriptionForm()
    tracker = make_tracker(slots={"email": JANE, "confirmed": False})
    slots = asyncio.run(
        form.required_slots(["email", "confirmed", "accept_offer"], CollectingDispatcher(), tracker, DOMAIN)
    )
    assert slots == ["email", "confirmed"]
    texts, _ = run_action(ActionCancelSubscription(), tracker)
    assert "stays as it is" in texts[0]
    assert store.subscription_of(1).status == "active"


def test_an_account_without_subscription_ends_the_flow(store: Store) -> None:
    dispatcher = CollectingDispatcher()
    slots = ValidateCancelSubscriptionForm().validate_email(
        "lukas.schmidt@example.com", dispatcher, make_tracker(), DOMAIN
    )
    assert slots["form_aborted"] is True
    assert "no active subscription" in said(dispatcher)[0]


def test_an_unknown_account_is_asked_again(store: Store) -> None:
    dispatcher = CollectingDispatcher()
    slots = ValidateChangePlanForm().validate_email("ghost@example.com", dispatcher, make_tracker(), DOMAIN)
    assert slots["email"] is None and "couldn't find an account" in said(dispatcher)[0]


def test_changing_plan_updates_plan_and_price(store: Store) -> None:
    dispatcher = CollectingDispatcher()
    assert ValidateChangePlanForm().validate_plan("the business one", dispatcher, make_tracker(), DOMAIN) == {
        "plan": "enterprise"
    }
    texts, _ = run_action(ActionChangePlan(), make_tracker(slots={"email": JANE, "plan": "enterprise"}))
    assert "now on the enterprise plan at $49.00" in texts[0]
    sub = store.subscription_of(1)
    assert sub.plan == "enterprise" and float(sub.monthly_price) == 49.0


def test_changing_to_the_current_plan_changes_nothing(store: Store) -> None:
    texts, _ = run_action(ActionChangePlan(), make_tracker(slots={"email": JANE, "plan": "premium"}))
    assert "already on the premium plan" in texts[0]


def test_an_unknown_plan_is_asked_again(store: Store) -> None:
    dispatcher = CollectingDispatcher()
    assert ValidateChangePlanForm().validate_plan("platinum", dispatcher, make_tracker(), DOMAIN) == {
        "plan": None
    }
    assert "basic, premium and enterprise" in said(dispatcher)[0]
