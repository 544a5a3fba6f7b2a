"""Form validators for flows about an order and flows about an account: they find what the
flow touches, who owns it, and where a one-time code goes (see actions.verification)."""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Tuple

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.services import get_settings, get_store
from actions.verification import GuardedFormValidation, conversation_identity, refusal
from actions.verification_texts import ACCOUNT_ADDRESS, ORDER_ADDRESS, TYPED_ADDRESS
from assistant.identifiers import normalise_email, parse_order_id
from assistant.identity.facts import FactCheck, check_order_fact, marked_as_postcode, stated_fact
from assistant.identity.permissions import Decision, Level, decide
from assistant.store.models import Customer, Order


def order_in(tracker: Tracker) -> Optional[Order]:
    order_id = parse_order_id(tracker.get_slot("order_id"))
    return get_store().get_order(order_id) if order_id is not None else None


# "I don't know the number", "no idea", "can't find it": help instead of "that's no number".
NUMBER_UNKNOWN = re.compile(
    r"\b(?:don'?t|do not|dont|can'?t|cannot|cant)\s+(?:know|remember|find|have|see)\b|\bno idea\b|"
    r"\bnot sure\b|\bforgot\b|\blost (?:it|the)\b|\bwhere (?:do i|can i) find\b",
    re.IGNORECASE,
)
FIND_ORDER_NUMBER = ("No problem: the order number is in your order confirmation e-mail and under Account → "
                     "Orders (5 to 8 digits, like 48213). If you sign in, I can list your orders for you, or "
                     'say "agent" to talk to a person.')  # fmt: skip
# Intents a short answer with pleasantries is read as ("62701, thanks", "hi, it's NW1 6XE").
POLITE_INTENTS = ("thank", "greet", "goodbye")


def order_number_said(value: Any, tracker: Tracker) -> Any:
    """The order number of the latest message: of two numbers there ("order 48213, postcode
    62701"), the one its words do not call a postcode."""
    text = tracker.latest_message.get("text") or ""
    numbers = [e for e in tracker.latest_message.get("entities") or [] if e.get("entity") == "order_id"]
    if len(numbers) < 2 or not all(isinstance(e.get("start"), int) for e in numbers):
        return value
    plain = [e for e in numbers if not marked_as_postcode(text, e["start"], e["end"])]
    return plain[0]["value"] if plain and len(plain) < len(numbers) else value


def unlocked_orders(tracker: Tracker) -> List[int]:
    """Orders whose e-mail or postcode the customer gave in this session."""
    return [int(value) for value in tracker.get_slot("order_access") or []]


def order_decision(tracker: Tracker, permission: str, order: Order) -> Decision:
    return decide(
        permission, conversation_identity(tracker), order.customer_id, order.id in unlocked_orders(tracker)
    )


def account_holder(tracker: Tracker) -> Optional[Customer]:
    """The customer a signed-in (or channel-claimed) conversation is about, if any."""
    identity = conversation_identity(tracker)
    if identity.level is Level.ANONYMOUS or identity.customer_id is None:
        return None
    return get_store().get_customer(identity.customer_id)


def account_in(tracker: Tracker) -> Optional[Customer]:
    """The account a flow is about: the conversation's own, else the one of the typed e-mail."""
    holder = account_holder(tracker)
    if holder is not None:
        return holder
    email = normalise_email(tracker.get_slot("email"))
    return get_store().customer_by_email(email) if email else None


class OrderFormValidation(GuardedFormValidation):
    """Validates ``order_id`` (format and existence, re-asking at most twice) and the proof
    that the conversation may see or change that order."""

    permission = "view_order"
    target_slot = "order_id"

    def order_problem(self, order: Order) -> Optional[str]:
        """Why this flow cannot go on with ``order`` (told to the customer), or None."""
        return None

    def owner(self, tracker: Tracker) -> Tuple[bool, Optional[int]]:
        order = order_in(tracker)
        return (order is not None, order.customer_id if order else None)

    def fact_given(self, tracker: Tracker) -> bool:
        order = order_in(tracker)
        return order is not None and order.id in unlocked_orders(tracker)

    def code_target(self, tracker: Tracker) -> Tuple[str, Optional[int], str]:
        order = order_in(tracker)
        assert order is not None, "a code is only asked for once the order is known"
        return order.customer.email, order.customer_id, ORDER_ADDRESS

    def after_proof(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[str, Any]:
        order = order_in(tracker)
        problem = self.order_problem(order) if order is not None else None
        if problem:
            dispatcher.utter_message(text=problem)
            return {"form_aborted": True}
        return {}

    def validate_order_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        order_id = parse_order_id(order_number_said(value, tracker))
        order = get_store().get_order(order_id) if order_id is not None else None
        if order is None:
            return self._order_not_found(order_id, dispatcher, tracker)
        decision = order_decision(tracker, self.permission, order)
        if decision is Decision.NOT_OWNER:
            dispatcher.utter_message(text=refusal(self.permission))
            return {"order_id": str(order.id), "form_aborted": True}
        found = {"order_id": str(order.id), "order_id_attempts": 0}
        fact = stated_fact(tracker.latest_message.get("text") or "")
        if decision is Decision.NEED_FACT and fact is not None:  # said with the number: checked now
            tracker.slots.update(found)
            return {**found, **self.validate_order_fact(fact, dispatcher, tracker, domain)}
        return found

    def extract_order_fact(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """The e-mail or postcode asked for, in a message the NLU read as something else
        ("nw1 6xe thanks"): the domain's text mapping skips those intents."""
        if tracker.get_slot("requested_slot") != "order_fact" or tracker.get_slot("order_fact") is not None:
            return {}
        text = tracker.latest_message.get("text") or ""
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent in POLITE_INTENTS and (stated_fact(text) or any(c.isdigit() for c in text)):
            return {"order_fact": text}
        return {}

    def _order_not_found(
        self, order_id: Optional[int], dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> Dict[str, Any]:
        if order_id is None and NUMBER_UNKNOWN.search(tracker.latest_message.get("text") or ""):
            self._help_find_order(dispatcher, tracker)
            return {"order_id": None}
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

    def _help_find_order(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        """The customer does not know the number: a verified customer picks from their latest
        orders; anyone else hears where to find it."""
        state = conversation_identity(tracker)
        orders = get_store().recent_orders(state.customer_id) if state.verified and state.customer_id else []
        if not orders:
            dispatcher.utter_message(text=FIND_ORDER_NUMBER)
            return
        buttons = [
            {
                "title": f"Order {o.id} ({o.status}, {o.placed_at:%d %b})",
                "payload": f'/inform{{"order_id":"{o.id}"}}',
            }
            for o in orders
        ]
        dispatcher.utter_message(
            text="No problem. Here are your latest orders: which one is it?", buttons=buttons
        )

    def validate_order_fact(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """The order's e-mail or delivery postcode unlocks its details for this session."""
        order = order_in(tracker)
        if order is None:
            return {"order_fact": None}
        result = check_order_fact(get_store(), tracker.sender_id, order, str(value or ""))
        if result is FactCheck.MATCH:
            return {"order_fact": "given", "order_access": [*unlocked_orders(tracker), order.id]}
        if result is FactCheck.WRONG:
            dispatcher.utter_message(
                text=f"That doesn't match what we have for order {order.id}. Please check the "
                "e-mail address on the order or its delivery postcode."
            )
            return {"order_fact": None}
        dispatcher.utter_message(
            text="Sorry, I couldn't confirm that, so for your privacy I can't share this order's details here."
        )
        dispatcher.utter_message(response="utter_offer_human")
        return {"order_fact": None, "form_aborted": True, "human_offered": True}


class AccountFormValidation(GuardedFormValidation):
    """Finds the account a flow is about: the signed-in customer's, or the one of the e-mail
    address the customer types (never telling whether that address has an account)."""

    permission = "update_account"
    target_slot = "email"

    def form_slots(self, slots: List[str], tracker: Tracker) -> List[str]:
        if account_holder(tracker) is not None:
            return [slot for slot in slots if slot != "email"]
        return slots

    def owner(self, tracker: Tracker) -> Tuple[bool, Optional[int]]:
        if account_holder(tracker) is None and not tracker.get_slot("email"):
            return (False, None)
        account = account_in(tracker)
        return (True, account.id if account else None)

    def code_target(self, tracker: Tracker) -> Tuple[str, Optional[int], str]:
        holder = account_holder(tracker)
        if holder is not None:
            return holder.email, holder.id, ACCOUNT_ADDRESS
        email = normalise_email(tracker.get_slot("email")) or ""
        account = get_store().customer_by_email(email)
        return email, account.id if account else None, TYPED_ADDRESS

    def validate_email(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        email = normalise_email(value)
        if email is None:
            dispatcher.utter_message(
                text="That doesn't look like an e-mail address. Could you type it again, like name@example.com?"
            )
        return {"email": email}


def account_decision(tracker: Tracker, permission: str) -> Tuple[Optional[Customer], Decision]:
    """The account a flow is about and what this conversation may do with it."""
    account = account_in(tracker)
    return account, decide(permission, conversation_identity(tracker), account.id if account else None)
