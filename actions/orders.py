"""Order status, order cancellation and shipping information.

What is said about an order depends on who asks (actions.verification): its verified owner, or
someone who gave the order's e-mail or postcode, hears everything; a customer the channel only
claims to know hears the status, carrier and dates; anyone else is asked for proof first.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.forms import reset_flow_slots
from actions.guards import OrderFormValidation, order_decision, order_in
from actions.once import once_per_message
from actions.personal import offer_human_if_frustrated, remember, remember_order, say
from actions.services import get_store
from actions.verification import refusal
from assistant.identifiers import parse_order_id
from assistant.identity.permissions import Decision
from assistant.store import NotAllowed, NotFound
from assistant.store.models import Order

SHIPPING_OPTIONS = (
    "We ship with UPS, DHL, FedEx and USPS. Standard delivery takes 3-5 business days "
    "($5.99, free over $50) and express 1-2 business days ($14.99). Orders placed before "
    "2 pm ship the same day."
)
SHIPPING_CHOICE = re.compile(r"\b(express|standard)\b", re.I)
NEED_PROOF = (
    "For your privacy I can only share an order's details once I know it's yours: ask me "
    '"where is my order" and I\'ll check.'
)


def fmt_date(value: Optional[Any]) -> str:
    if value is None:
        return "an unknown date"
    if isinstance(value, datetime):
        value = value.date()
    return f"{value:%a %d %b %Y}"


def describe_items(order: Order) -> str:
    names = [item["name"] for item in order.items]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def describe_order(order: Order, full: bool = True) -> str:
    """One customer-facing sentence (or two) about where ``order`` is; ``full`` adds the
    tracking number and the delivery address."""
    head = f"Order {order.id} ({describe_items(order)})"
    tracking = f", tracking number {order.tracking_number}" if full and order.tracking_number else ""
    to = f" to {order.shipping_address}" if full and order.shipping_address else ""
    if order.status == "processing":
        eta = (
            f" It should arrive by {fmt_date(order.estimated_delivery)}." if order.estimated_delivery else ""
        )
        return (
            f"{head} was placed on {fmt_date(order.placed_at)} and is being prepared for shipping{to}.{eta}"
        )
    if order.status == "shipped":
        return (f"{head} shipped on {fmt_date(order.shipped_at)} with {order.carrier}{tracking}{to}. "
                f"Expected delivery: {fmt_date(order.estimated_delivery)}.")  # fmt: skip
    if order.status == "delivered":
        return f"{head} was delivered on {fmt_date(order.delivered_at)} by {order.carrier}{tracking}{to}."
    if order.status == "cancelled":
        return f"{head} was cancelled on {fmt_date(order.cancelled_at)}."
    return f"{head} has been returned to us. Ask me about your refund status for the details."


def order_answer(order: Order, decision: Decision) -> str:
    """What may be told about ``order`` under ``decision``."""
    if decision is Decision.ALLOW:
        return describe_order(order)
    if decision is Decision.ALLOW_BASIC:
        return (describe_order(order, full=False) + " For the tracking number, tell me the "
                "order's delivery postcode, or sign in.")  # fmt: skip
    return NEED_PROOF


class ValidateOrderStatusForm(OrderFormValidation):
    def name(self) -> str:
        return "validate_order_status_form"


class ActionCheckOrderStatus(Action):
    """Answers with the order's status, carrier, tracking number and dates."""

    def name(self) -> str:
        return "action_check_order_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        if tracker.get_slot("form_aborted"):
            return reset_flow_slots("order_id", keep_offer=True)
        order = order_in(tracker)
        if order is None:
            dispatcher.utter_message(text="Sorry, I couldn't find that order any more.")
            return reset_flow_slots("order_id")
        decision = order_decision(tracker, "view_order", order)
        await say(dispatcher, tracker, order_answer(order, decision))
        if decision is Decision.ALLOW:
            remember_order(tracker, order)
        return reset_flow_slots() + await offer_human_if_frustrated(dispatcher, tracker)


class ValidateCancelOrderForm(OrderFormValidation):
    permission = "cancel_order"

    def name(self) -> str:
        return "validate_cancel_order_form"

    def order_problem(self, order: Order) -> Optional[str]:
        if order.status == "processing":
            return None
        if order.status == "shipped":
            return (
                f"Order {order.id} has already shipped, so it can't be cancelled any more. "
                "Once it arrives you can return it within 30 days for a full refund."
            )
        if order.status == "delivered":
            return f"Order {order.id} was already delivered, so it can't be cancelled. You can start a return instead."
        return f"Order {order.id} is already {order.status}, so there's nothing to cancel."


class ActionCancelOrder(Action):
    """Cancels a not-yet-shipped order of the verified customer after they confirmed."""

    def name(self) -> str:
        return "action_cancel_order"

    @once_per_message
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        if tracker.get_slot("form_aborted"):
            return reset_flow_slots()
        order = order_in(tracker)
        if order is None or order_decision(tracker, "cancel_order", order) is not Decision.ALLOW:
            dispatcher.utter_message(text=refusal("cancel_order"))
            return reset_flow_slots()
        if not tracker.get_slot("confirmed"):
            dispatcher.utter_message(text=f"Okay, I've left order {order.id} as it is.")
            return reset_flow_slots()
        try:
            order = get_store().cancel_order(order.id)
        except NotAllowed as exc:
            dispatcher.utter_message(
                text=f"Sorry, order {order.id} can no longer be cancelled: it is {exc.reason}."
            )
            return reset_flow_slots()
        except NotFound:
            dispatcher.utter_message(text=f"Sorry, I couldn't find order {order.id}.")
            return reset_flow_slots("order_id")
        await say(dispatcher, tracker, f"Done: order {order.id} is cancelled. Your refund of "
                  f"${order.total:.2f} goes back to your original payment method within 5-7 business days.")  # fmt: skip
        remember_order(tracker, order)
        return reset_flow_slots()


class ActionShippingInfo(Action):
    """Shipping details of the order in the conversation (for whoever may see them), or our
    shipping options."""

    def name(self) -> str:
        return "action_shipping_info"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        preference = SHIPPING_CHOICE.search(tracker.latest_message.get("text") or "")
        if preference:
            remember(tracker, "preferred_shipping", preference.group(1).lower(), importance=0.7)
        entity = next(tracker.get_latest_entity_values("order_id"), None)
        order_id = parse_order_id(entity or tracker.get_slot("order_id"))
        order = get_store().get_order(order_id) if order_id else None
        if order is None:
            dispatcher.utter_message(text=SHIPPING_OPTIONS)
            return await offer_human_if_frustrated(dispatcher, tracker)
        decision = order_decision(tracker, "view_order", order)
        if decision is Decision.ALLOW and order.status == "processing":
            text = (f"Order {order.id} hasn't shipped yet; it should leave our warehouse within "
                    f"1 business day and arrive by {fmt_date(order.estimated_delivery)}.")  # fmt: skip
        elif decision in (Decision.ALLOW, Decision.ALLOW_BASIC):
            text = order_answer(order, decision)
        else:
            text = f"{SHIPPING_OPTIONS} {NEED_PROOF}"
        await say(dispatcher, tracker, text)
        if decision is Decision.ALLOW:
            remember_order(tracker, order)
        return await offer_human_if_frustrated(dispatcher, tracker)
