"""Returns (30-day window, RMA numbers) and refund status."""

from __future__ import annotations

from datetime import date
from typing import List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.forms import reset_flow_slots
from actions.guards import OrderFormValidation, order_decision, order_in
from actions.once import once_per_message
from actions.orders import NEED_PROOF, fmt_date
from actions.services import get_settings, get_store
from actions.verification import refusal
from assistant.identity.permissions import Decision
from assistant.mailer import deliver_in_background
from assistant.store import NotAllowed, NotFound
from assistant.store.models import Order, Refund


def return_problem(order: Order, today: Optional[date] = None) -> Optional[str]:
    """Why ``order`` cannot be returned now, in words for the customer, or None."""
    store = get_store()
    if order.returns:
        return f"There's already a return for order {order.id}: {order.returns[0].rma} ({order.returns[0].status})."
    if order.status in ("processing", "shipped"):
        hint = "cancel it instead" if order.status == "processing" else "return it once it has arrived"
        return f"Order {order.id} hasn't been delivered yet, so it can't be returned; you can {hint}."
    if order.status != "delivered":
        return f"Order {order.id} is {order.status}, so it can't be returned."
    deadline = store.return_deadline(order)
    if deadline is not None and (today or date.today()) > deadline:
        return (f"Order {order.id} was delivered on {fmt_date(order.delivered_at)}, more than "
                f"{store.return_window_days} days ago, so it's outside our return window. If the item "
                "is faulty, it may still be covered by our 2-year warranty.")  # fmt: skip
    return None


class ValidateReturnForm(OrderFormValidation):
    permission = "create_return"

    def name(self) -> str:
        return "validate_return_form"

    def order_problem(self, order: Order) -> Optional[str]:
        return return_problem(order)


class ActionCreateReturn(Action):
    """Opens a return for a delivered order inside the return window and gives its RMA."""

    def name(self) -> str:
        return "action_create_return"

    @once_per_message
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        if tracker.get_slot("form_aborted"):
            return reset_flow_slots(keep_offer=True)
        order = order_in(tracker)
        if order is None or order_decision(tracker, "create_return", order) is not Decision.ALLOW:
            dispatcher.utter_message(text=refusal("create_return"))
            return reset_flow_slots()
        order_id = order.id
        try:
            rma = get_store().create_return(order_id, tracker.get_slot("return_reason") or "")
        except (NotAllowed, NotFound):
            order = get_store().get_order(order_id)
            text = return_problem(order) if order else None
            dispatcher.utter_message(text=text or f"Sorry, order {order_id} can't be returned.")
            return reset_flow_slots()
        deliver_in_background(get_store(), get_settings())
        dispatcher.utter_message(
            text=f"Your return is approved. Your RMA number is {rma}. Pack the item with the RMA "
            "number on the parcel and drop it at any UPS point; we've e-mailed you a free return "
            "label with these instructions. Your refund is issued within 5 business days of the "
            "item reaching us."
        )
        return reset_flow_slots()


class ValidateRefundStatusForm(OrderFormValidation):
    def name(self) -> str:
        return "validate_refund_status_form"


class ActionCheckRefundStatus(Action):
    """Tells the state of the refunds of an order."""

    def name(self) -> str:
        return "action_check_refund_status"

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
        if decision not in (Decision.ALLOW, Decision.ALLOW_BASIC):
            dispatcher.utter_message(text=NEED_PROOF)
            return reset_flow_slots()
        order_id = order.id
        refunds = get_store().refunds_for_order(order_id)
        if not refunds:
            dispatcher.utter_message(
                text=f"There's no refund on order {order_id}. If you'd like one, you can start a return "
                "or cancel the order while it hasn't shipped."
            )
        for refund in refunds:
            dispatcher.utter_message(text=describe_refund(order_id, refund, decision is Decision.ALLOW))
        return reset_flow_slots()


def describe_refund(order_id: int, refund: Refund, with_amount: bool = True) -> str:
    """A refund's state; its amount only for whoever may see the order's details."""
    what = (
        f"Your refund of ${refund.amount:.2f} for order {order_id}"
        if with_amount
        else f"Your refund for order {order_id}"
    )
    if refund.status == "completed":
        return (f"{what} was completed on {fmt_date(refund.completed_at)} to your {refund.method}. "
                "Banks can take up to 5 business days to show it.")  # fmt: skip
    return (f"{what} is {refund.status} since {fmt_date(refund.created_at)}; it should reach your "
            f"{refund.method} within 5-7 business days.")  # fmt: skip
