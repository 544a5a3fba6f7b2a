"""Billing problems (a ticket for the billing team) and payment-method updates (a secure link,
never card numbers in chat)."""

from __future__ import annotations

from typing import List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.forms import reset_flow_slots
from actions.guards import AccountFormValidation, account_decision
from actions.links import PAYMENT_UPDATE, email_link
from actions.once import once_per_message
from actions.services import get_store
from actions.verification import refusal
from assistant.identity.permissions import Decision
from assistant.redaction import REDACTED_CARD, REDACTED_IBAN, contains_sensitive

CARD_WARNING = (
    "For your security, please never type card numbers in this chat. I haven't kept the number "
    "you sent, and it has been removed from our records."
)


def card_number_was_typed(tracker: Tracker) -> bool:
    """True when the customer's latest message held a card number or IBAN (masked by the
    channel already, so the marker is what is left of it)."""
    text = tracker.latest_message.get("text") or ""
    return REDACTED_CARD in text or REDACTED_IBAN in text or contains_sensitive(text)


class CardWarningFormValidation(AccountFormValidation):
    """Billing flows warn, on the turn it happens, when a card number was typed."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        if card_number_was_typed(tracker):
            dispatcher.utter_message(text=CARD_WARNING)
        return await super().run(dispatcher, tracker, domain)


class ValidateBillingForm(CardWarningFormValidation):
    permission = "billing_ticket"

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
        customer, decision = account_decision(tracker, "billing_ticket")
        if customer is None or decision is not Decision.ALLOW:
            dispatcher.utter_message(text=refusal("billing_ticket"))
            return reset_flow_slots()
        ticket = get_store().create_ticket(
            "billing",
            tracker.get_slot("issue_details") or "",
            conversation_id=tracker.sender_id,
            customer_id=customer.id,
        )
        dispatcher.utter_message(
            text=f"Thanks, I've opened billing ticket {ticket.reference}. Our billing team replies "
            "by e-mail within 1 business day, and any wrong charge is refunded in full."
        )
        return reset_flow_slots()


class ValidatePaymentForm(CardWarningFormValidation):
    permission = "update_payment"

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
        if tracker.get_slot("form_aborted"):
            return reset_flow_slots()
        customer, decision = account_decision(tracker, "update_payment")
        if customer is None or decision is not Decision.ALLOW:
            dispatcher.utter_message(text=refusal("update_payment"))
            return reset_flow_slots()
        email_link(customer.id, PAYMENT_UPDATE)
        dispatcher.utter_message(
            text="We've just e-mailed a secure link to the address on your account to update your "
            "payment method. The link works once, for one hour."
        )
        return reset_flow_slots()
