"""Subscription plans: cancel (show what ends, confirm, one retention offer, then cancel) and
change plan (show the new price and when it starts, confirm, then change)."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.forms import reset_flow_slots
from actions.guards import AccountFormValidation, account_decision, account_in
from actions.once import once_per_message
from actions.orders import fmt_date
from actions.services import get_store
from actions.verification import refusal
from assistant.identifiers import normalise_plan
from assistant.identity.permissions import Decision
from assistant.store import NotAllowed
from assistant.store.models import PLAN_PRICES, Subscription

NO_SUBSCRIPTION = "There's no active subscription on your account, so there's nothing to change."


def active_subscription(tracker: Tracker) -> Optional[Subscription]:
    account = account_in(tracker)
    subscription = get_store().subscription_of(account.id) if account else None
    return subscription if subscription is not None and subscription.status == "active" else None


class SubscriptionFormValidation(AccountFormValidation):
    """Account validation that, once the customer is verified, needs an active subscription."""

    def after_proof(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[str, Any]:
        if active_subscription(tracker) is None:
            dispatcher.utter_message(text=NO_SUBSCRIPTION)
            return {"form_aborted": True}
        return {}


class ValidateCancelSubscriptionForm(SubscriptionFormValidation):
    permission = "cancel_subscription"

    def name(self) -> str:
        return "validate_cancel_subscription_form"

    def form_slots(self, slots: List[str], tracker: Tracker) -> List[str]:
        slots = super().form_slots(slots, tracker)
        if tracker.get_slot("confirmed") is False:
            return [s for s in slots if s != "accept_offer"]
        return slots


class ActionAskCancelSubscriptionFormConfirmed(Action):
    """Shows what cancelling ends, and when, before asking to confirm."""

    def name(self) -> str:
        return "action_ask_cancel_subscription_form_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        sub = active_subscription(tracker)
        ends = f"on {fmt_date(sub.renews_on)}, " if sub and sub.renews_on else ""
        plan = f"your {sub.plan} plan (${sub.monthly_price:.2f} a month)" if sub else "your plan"
        dispatcher.utter_message(
            response="utter_confirm_subscription_cancel", plan_description=plan, ends=ends
        )
        return []


class ActionCancelSubscription(Action):
    """Keeps the plan, applies the retention discount, or cancels, as the customer chose."""

    def name(self) -> str:
        return "action_cancel_subscription"

    @once_per_message
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        if tracker.get_slot("form_aborted"):
            return reset_flow_slots()
        customer, decision = account_decision(tracker, "cancel_subscription")
        if customer is None or decision is not Decision.ALLOW:
            dispatcher.utter_message(text=refusal("cancel_subscription"))
            return reset_flow_slots()
        try:
            dispatcher.utter_message(text=self._apply_choice(tracker, customer.id))
        except NotAllowed as exc:
            if exc.reason == "offer_already_used":
                dispatcher.utter_message(
                    text="You already have a discount on your plan, so your subscription stays as it is."
                )
            else:
                dispatcher.utter_message(text="There's no active subscription on your account any more.")
        return reset_flow_slots()

    @staticmethod
    def _apply_choice(tracker: Tracker, customer_id: int) -> str:
        store = get_store()
        if not tracker.get_slot("confirmed"):
            return "Great, your subscription stays as it is."
        if tracker.get_slot("accept_offer"):
            sub = store.apply_retention_offer(customer_id)
            return f"Wonderful! You now get {sub.discount_percent}% off your {sub.plan} plan until {fmt_date(sub.discount_until)}."
        sub = store.cancel_subscription(customer_id)
        return (f"Your {sub.plan} subscription is cancelled. You keep its benefits until the end of "
                "the current billing period, and you won't be charged again.")  # fmt: skip


class ValidateChangePlanForm(SubscriptionFormValidation):
    permission = "change_plan"

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
            return {"plan": None}
        current = active_subscription(tracker)
        if current is not None and current.plan == plan:
            dispatcher.utter_message(text=f"You're already on the {plan} plan, so nothing needs to change.")
            return {"plan": plan, "form_aborted": True}
        return {"plan": plan}

    def after_proof(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[str, Any]:
        """A plan named before the customer was verified is checked against theirs now."""
        found = super().after_proof(dispatcher, tracker)
        current, plan = active_subscription(tracker), normalise_plan(tracker.get_slot("plan"))
        if not found and current is not None and current.plan == plan:
            dispatcher.utter_message(text=f"You're already on the {plan} plan, so nothing needs to change.")
            return {"form_aborted": True}
        return found


class ActionAskChangePlanFormConfirmed(Action):
    """Shows the new price and when it starts before asking to confirm."""

    def name(self) -> str:
        return "action_ask_change_plan_form_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        plan, sub = str(tracker.get_slot("plan")), active_subscription(tracker)
        now = f"from {sub.plan} (${sub.monthly_price:.2f} a month) " if sub else ""
        start = f"your next bill on {fmt_date(sub.renews_on)}" if sub and sub.renews_on else "your next bill"
        change = f"{now}to {plan} (${PLAN_PRICES.get(plan, 0):.2f} a month)"
        dispatcher.utter_message(response="utter_confirm_plan_change", change=change, start=start)
        return []


class ActionChangePlan(Action):
    """Moves the verified customer's subscription to the chosen plan once they confirmed."""

    def name(self) -> str:
        return "action_change_plan"

    @once_per_message
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        if tracker.get_slot("form_aborted"):
            return reset_flow_slots()
        customer, decision = account_decision(tracker, "change_plan")
        if customer is None or decision is not Decision.ALLOW:
            dispatcher.utter_message(text=refusal("change_plan"))
            return reset_flow_slots()
        plan = tracker.get_slot("plan")
        if not tracker.get_slot("confirmed"):
            dispatcher.utter_message(text="Okay, your plan stays as it is.")
            return reset_flow_slots()
        try:
            sub = get_store().change_plan(customer.id, plan)
        except NotAllowed as exc:
            text = (
                f"You're already on the {plan} plan, so nothing needs to change."
                if exc.reason == "same_plan"
                else NO_SUBSCRIPTION
            )
            dispatcher.utter_message(text=text)
            return reset_flow_slots()
        dispatcher.utter_message(
            text=f"Done! You're now on the {sub.plan} plan at ${sub.monthly_price:.2f} a month, starting with your next bill on {fmt_date(sub.renews_on)}."
        )
        return reset_flow_slots()
