"""Billing problems (a ticket for the billing team) and payment-method updates (a secure link,
never card numbers in chat)."""

from __future__ import annotations

from typing import List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.forms import AccountFormValidation, current_customer, reset_flow_slots
from actions.links import PAYMENT_UPDATE, email_link
from actions.once import once_per_message
from actions.services import get_store
from assistant.redaction import REDACTED_CARD, contains_card_number

CARD_WARNING = (
    "For your security, please never type card numbers in this chat. I haven't kept the number "
    "you sent, and it has been removed from our records."
)


def card_number_was_typed(tracker: Tracker, last_messages: int = 5) -> bool:
    """True when one of the customer's recent messages held a card number (already masked
    by the tracker store when it came in an earlier turn)."""
    texts = [e.get("text") or "" for e in tracker.events if e.get("event") == "user"]
    return any(REDACTED_CARD in t or contains_card_number(t) for t in texts[-last_messages:])


class ValidateBillingForm(AccountFormValidation):
    def name(self) -> str:
        return "validate_billing_form"


class ActionLogBillingIssue(Action):
    """Creates a billing ticket with the customer's description."""

    def name(self) -> str:
        return "action_log_billing_issue"

    @once_per_message
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        if tracker.get_slot("form_aborted"):
            return reset_flow_slots()
        customer = current_customer(tracker)
        ticket = get_store().create_ticket(
            "billing",
            tracker.get_slot("issue_details") or "",
            conversation_id=tracker.sender_id,
            customer_id=customer.id if customer else None,
        )
        if card_number_was_typed(tracker):
            dispatcher.utter_message(text=CARD_WARNING)
        dispatcher.utter_message(
            text=f"Thanks, I've opened billing ticket {ticket.reference}. Our billing team replies "
            "by e-mail within 1 business day, and any wrong charge is refunded in full."
        )
        return reset_flow_slots()


class ValidatePaymentForm(AccountFormValidation):
    """Any well-formed address is accepted so that the reply never tells whether it has an
    account."""

    reveal_unknown_accounts = False

    def name(self) -> str:
        return "validate_payment_form"


class ActionSendPaymentLink(Action):
    """E-mails a single-use secure link for updating the payment method."""

    def name(self) -> str:
        return "action_send_payment_link"

    @once_per_message
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        if card_number_was_typed(tracker):
            dispatcher.utter_message(text=CARD_WARNING)
        email = tracker.get_slot("email")
        customer = current_customer(tracker)
        if customer is not None:
            email_link(customer.id, PAYMENT_UPDATE)
        dispatcher.utter_message(
            text=f"If {email} belongs to a Northwind account, we've just sent it a secure link to "
            "update your payment method. The link works once, for one hour."
        )
        return reset_flow_slots()
