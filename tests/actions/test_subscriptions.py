from __future__ import annotations

import asyncio

from rasa_sdk.executor import CollectingDispatcher

from actions.subscriptions import (
    ActionAskCancelSubscriptionFormConfirmed,
    ActionAskChangePlanFormConfirmed,
    ActionCancelSubscription,
    ActionChangePlan,
    ValidateCancelSubscriptionForm,
    ValidateChangePlanForm,
)
from assistant.store import Store
from tests.actions.helpers import DOMAIN, answer, run_action, said
from tests.conftest import make_tracker

JANE, LUKAS = 1, 4  # Jane: premium, active. Lukas: no plan.


def test_cancelling_after_declining_the_offer_cancels_in_the_store(store: Store) -> None:
    tracker = make_tracker(slots={"confirmed": True, "accept_offer": False}, verified=JANE)
    texts, _ = run_action(ActionCancelSubscription(), tracker)
    assert "premium subscription is cancelled" in texts[0]
    assert store.subscription_of(1).status == "cancelled"


def test_accepting_the_retention_offer_keeps_the_plan_with_a_discount(store: Store) -> None:
    tracker = make_tracker(slots={"confirmed": True, "accept_offer": True}, verified=JANE)
    texts, _ = run_action(ActionCancelSubscription(), tracker)
    assert "25% off your premium plan" in texts[0]
    sub = store.subscription_of(1)
    assert sub.status == "active" and sub.discount_percent == 25


def test_an_unverified_conversation_cannot_cancel_a_subscription(store: Store) -> None:
    for identity in ({}, {"claimed": JANE}):
        tracker = make_tracker(slots={"email": "jane.doe@example.com", "confirmed": True}, **identity)
        texts, _ = run_action(ActionCancelSubscription(), tracker)
        assert "can't" in texts[0]
    assert store.subscription_of(1).status == "active"


def test_not_confirming_keeps_the_subscription_and_skips_the_offer(store: Store) -> None:
    form = ValidateCancelSubscriptionForm()
    tracker = make_tracker(slots={"confirmed": False}, verified=JANE)
    domain_slots = DOMAIN["forms"]["cancel_subscription_form"]["required_slots"]
    slots = asyncio.run(form.required_slots(domain_slots, CollectingDispatcher(), tracker, DOMAIN))
    assert slots == ["confirmed"]
    texts, _ = run_action(ActionCancelSubscription(), tracker)
    assert "stays as it is" in texts[0]
    assert store.subscription_of(1).status == "active"


def test_the_cancellation_shows_what_ends_and_when_before_asking(store: Store) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(verified=JANE)
    asyncio.run(ActionAskCancelSubscriptionFormConfirmed().run(dispatcher, tracker, DOMAIN))
    [message] = dispatcher.messages
    renews = store.subscription_of(1).renews_on
    assert message["response"] == "utter_confirm_subscription_cancel"
    assert message["plan_description"] == "your premium plan ($19.00 a month)"
    assert f"{renews:%d %b %Y}" in message["ends"]


def test_an_account_without_subscription_ends_the_flow_once_verified(store: Store) -> None:
    tracker = make_tracker(text="cancel my subscription", intent="cancel_subscription", verified=LUKAS)
    _, texts, slots = answer(ValidateCancelSubscriptionForm(), tracker, "cancel my subscription")
    assert slots["form_aborted"] is True and slots["requested_slot"] is None
    assert "no active subscription" in texts[0]


def test_an_unknown_address_is_not_told_whether_it_has_an_account(store: Store) -> None:
    tracker = make_tracker(text="change my plan", intent="change_plan")
    _, texts, slots = answer(
        ValidateChangePlanForm(), tracker, "ghost@example.com", email="ghost@example.com"
    )
    assert slots["email"] == "ghost@example.com" and slots["requested_slot"] == "verification_code"
    assert "If ghost@example.com has an account with us" in texts[0]


def test_the_plan_change_shows_the_new_price_and_start_before_asking(store: Store) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(slots={"plan": "enterprise"}, verified=JANE)
    asyncio.run(ActionAskChangePlanFormConfirmed().run(dispatcher, tracker, DOMAIN))
    [message] = dispatcher.messages
    assert message["response"] == "utter_confirm_plan_change"
    assert message["change"] == "from premium ($19.00 a month) to enterprise ($49.00 a month)"
    assert "your next bill on" in message["start"]


def test_changing_plan_updates_plan_and_price_once_confirmed(store: Store) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(verified=JANE)
    assert ValidateChangePlanForm().validate_plan("the business one", dispatcher, tracker, DOMAIN) == {
        "plan": "enterprise"
    }
    texts, _ = run_action(
        ActionChangePlan(), make_tracker(slots={"plan": "enterprise", "confirmed": True}, verified=JANE)
    )
    assert "now on the enterprise plan at $49.00" in texts[0]
    sub = store.subscription_of(1)
    assert sub.plan == "enterprise" and float(sub.monthly_price) == 49.0


def test_not_confirming_the_plan_change_keeps_the_plan(store: Store) -> None:
    texts, _ = run_action(
        ActionChangePlan(), make_tracker(slots={"plan": "basic", "confirmed": False}, verified=JANE)
    )
    assert "plan stays as it is" in texts[0]
    assert store.subscription_of(1).plan == "premium"


def test_changing_to_the_current_plan_changes_nothing(store: Store) -> None:
    dispatcher = CollectingDispatcher()
    slots = ValidateChangePlanForm().validate_plan("premium", dispatcher, make_tracker(verified=JANE), DOMAIN)
    assert slots["form_aborted"] is True and "already on the premium plan" in said(dispatcher)[0]


def test_an_unknown_plan_is_asked_again(store: Store) -> None:
    dispatcher = CollectingDispatcher()
    assert ValidateChangePlanForm().validate_plan("platinum", dispatcher, make_tracker(), DOMAIN) == {
        "plan": None
    }
    assert "basic, premium and enterprise" in said(dispatcher)[0]


def test_a_plan_named_before_verification_is_checked_against_the_customers_once_verified(
    store: Store,
) -> None:
    form = ValidateChangePlanForm()
    tracker = make_tracker(text="upgrade me to premium", intent="change_plan")
    tracker, _, slots = answer(form, tracker, "upgrade me to premium", plan="premium")
    assert slots["requested_slot"] == "email", "nobody is verified yet: the plan is taken as asked"
    tracker, _, slots = answer(form, tracker, "jane.doe@example.com", email="jane.doe@example.com")
    assert slots["requested_slot"] == "verification_code"
    [*_, mail] = [m for m in store.outbox("jane.doe@example.com") if m.kind == "verification_code"]
    tracker, texts, slots = answer(form, tracker, mail.secret, verification_code=mail.secret)
    assert slots["verification"] == "verified" and slots["form_aborted"] is True
    assert slots["requested_slot"] is None and "already on the premium plan" in texts[-1]
    assert store.subscription_of(1).plan == "premium"
