"""Subscription plans: cancel (confirm, one retention offer, then cancel) and change plan."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.forms import AccountFormValidation, current_customer, reset_flow_slots
from actions.once import once_per_message
from actions.orders import fmt_date
from actions.services import get_store
from assistant.identifiers import normalise_plan
from assistant.store import NotAllowed


class SubscriptionFormValidation(AccountFormValidation):
    """Account validation that also requires an active subscription."""

    def validate_email(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        slots = super().validate_email(value, dispatcher, tracker, domain)
        customer_id = slots.get("customer_id")
        if customer_id is None:
            return slots
        subscription = get_store().subscription_of(int(customer_id))
        if subscription is None or subscription.status != "active":
            dispatcher.utter_message(
                text="There's no active subscription on that account, so there's nothing to change."
            )
            return {**slots, "form_aborted": True}
        return slots


class ValidateCancelSubscriptionForm(SubscriptionFormValidation):
    def name(self) -> str:
        return "validate_cancel_subscription_form"

    async def required_slots(self, domain_slots, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        slots = await super().required_slots(domain_slots, dispatcher, tracker, domain)
        if tracker.get_slot("confirmed") is False:
            return [s for s in slots if s != "accept_offer"]
        return slots


class ActionCancelSubscription(Action):
    """Keeps the plan, applies the retention discount, or cancels, as the customer chose."""

    def name(self) -> str:
        return "action_cancel_subscription"

    @once_per_message
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        customer = current_customer(tracker)
        if tracker.get_slot("form_aborted") or customer is None:
            return reset_flow_slots()
        store = get_store()
        try:
            if not tracker.get_slot("confirmed"):
                dispatcher.utter_message(text="Great, your subscription stays as it is.")
            elif tracker.get_slot("accept_offer"):
                sub = store.apply_retention_offer(customer.id)
                dispatcher.utter_message(
                    text=f"Wonderful! You now get {sub.discount_percent}% off your {sub.plan} plan until {fmt_date(sub.discount_until)}."
                )
            else:
                sub = store.cancel_subscription(customer.id)
                dispatcher.utter_message(
                    text=f"Your {sub.plan} subscription is cancelled. You keep its benefits until the end of the current billing period, and you won't be charged again."
                )
        except NotAllowed as exc:
            if exc.reason == "offer_already_used":
                dispatcher.utter_message(
                    text="You already have a discount on your plan, so your subscription stays as it is."
                )
            else:
                dispatcher.utter_message(text="There's no active subscription on that account any more.")
        return reset_flow_slots()


class ValidateChangePlanForm(SubscriptionFormValidation):
    def name(self) -> str:
        return "validate_change_plan_form"

    def validate_plan(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        plan = normalise_plan(value)
        if plan is None:
            dispatcher.utter_message(
                text="We have three plans: basic, premium and enterprise. Which one would you like?"
            )
        return {"plan": plan}


class ActionChangePlan(Action):
    """Moves the customer's subscription to the chosen plan."""

    def name(self) -> str:
        return "action_change_plan"

    @once_per_message
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        customer = current_customer(tracker)
        if tracker.get_slot("form_aborted") or customer is None:
            return reset_flow_slots()
        plan = tracker.get_slot("plan")
        try:
            sub = get_store().change_plan(customer.id, plan)
        except NotAllowed as exc:
            if exc.reason == "same_plan":
                dispatcher.utter_message(
                    text=f"You're already on the {plan} plan, so nothing needs to change."
                )
            else:
                dispatcher.utter_message(text="There's no active subscription on that account to change.")
            return reset_flow_slots()
        dispatcher.utter_message(
            text=f"Done! You're now on the {sub.plan} plan at ${sub.monthly_price:.2f} a month, starting with your next bill on {fmt_date(sub.renews_on)}."
        )
        return reset_flow_slots()
