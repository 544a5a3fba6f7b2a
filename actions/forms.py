"""Shared form behaviour: abort a form cleanly, validate order numbers and account e-mails.

Each validator returns slot values; ``form_aborted`` set to True ends the form early (the
reason has already been told to the customer) and the form's submit action then does nothing.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.services import get_settings, get_store
from assistant.identifiers import normalise_email, parse_order_id
from assistant.store.models import Customer, Order

FLOW_SLOTS = ("confirmed", "accept_offer", "return_reason", "issue_details", "rating",
              "account_field", "new_value", "plan", "product")  # fmt: skip


def reset_flow_slots(*extra: str, keep_offer: bool = False) -> List[EventType]:
    """Events that clear the per-flow slots after a flow ends (order and e-mail are kept as
    context for follow-up questions unless named in ``extra``). ``keep_offer`` keeps a
    pending offer of a human, made by a validator that gave up."""
    names = (*FLOW_SLOTS, *extra, "form_aborted") + (() if keep_offer else ("human_offered",))
    return [SlotSet(name, None) for name in names] + [SlotSet("order_id_attempts", 0)]


class AbortableFormValidation(FormValidationAction):
    """Base of every form validator: a form with ``form_aborted`` set asks for nothing more."""

    @abstractmethod
    def name(self) -> str:
        """Each concrete validator is ``validate_<form>``."""

    async def required_slots(
        self,
        domain_slots: List[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[str]:
        if tracker.get_slot("form_aborted"):
            return []
        return domain_slots


class OrderFormValidation(AbortableFormValidation):
    """Validates ``order_id``: its format and its existence, re-asking at most twice."""

    def order_problem(self, order: Order) -> Optional[str]:
        """Why this flow cannot go on with ``order`` (told to the customer), or None."""
        return None

    def validate_order_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        order_id = parse_order_id(value)
        order = get_store().get_order(order_id) if order_id is not None else None
        if order is not None:
            problem = self.order_problem(order)
            if problem:
                dispatcher.utter_message(text=problem)
                return {"order_id": str(order_id), "form_aborted": True}
            return {"order_id": str(order_id), "order_id_attempts": 0}
        attempts = int(tracker.get_slot("order_id_attempts") or 0) + 1
        if order_id is None:
            reason = "That doesn't look like an order number: they have 5 to 8 digits, like 48213."
        else:
            reason = f"I couldn't find an order with the number {order_id}."
        if attempts >= get_settings().max_order_id_attempts:
            dispatcher.utter_message(text=f"{reason} I'm sorry I couldn't find your order.")
            dispatcher.utter_message(response="utter_offer_human")
            return {"order_id": None, "order_id_attempts": attempts, "form_aborted": True,
                    "human_offered": True}  # fmt: skip
        dispatcher.utter_message(text=f"{reason} Could you check it and type it again?")
        return {"order_id": None, "order_id_attempts": attempts}


class AccountFormValidation(AbortableFormValidation):
    """Validates ``email`` and finds the customer's account (``customer_id``)."""

    reveal_unknown_accounts = True

    def validate_email(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        email = normalise_email(value)
        if email is None:
            dispatcher.utter_message(
                text="That doesn't look like an e-mail address. Could you type it again, like name@example.com?"
            )
            return {"email": None}
        customer = get_store().customer_by_email(email)
        if customer is None and self.reveal_unknown_accounts:
            dispatcher.utter_message(
                text=f"I couldn't find an account for {email}. Could you check the address?"
            )
            return {"email": None, "customer_id": None}
        return {"email": email, "customer_id": customer.id if customer else None}


def current_customer(tracker: Tracker) -> Optional[Customer]:
    """The customer identified earlier in this conversation by their e-mail."""
    email = tracker.get_slot("email")
    return get_store().customer_by_email(email) if email else None
