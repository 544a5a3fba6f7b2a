"""Account self-service: password reset, account updates and account deletion."""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.forms import reset_flow_slots
from actions.guards import AccountFormValidation, account_decision, account_holder, account_in
from actions.links import PASSWORD_RESET, email_link
from actions.once import once_per_message
from actions.orders import fmt_date
from actions.services import get_store
from actions.verification import refusal
from assistant.identifiers import normalise_email
from assistant.identity.permissions import Decision
from assistant.store import NotAllowed

ACCOUNT_FIELDS = {
    "email": "email", "e-mail": "email", "mail": "email",
    "phone": "phone", "mobile": "phone", "cell": "phone", "telephone": "phone", "number": "phone",
    "name": "name",
    "address": "address", "shipping": "address", "postal": "address",
}  # fmt: skip
PHONE = re.compile(r"^\+?[\d\s().-]{7,20}$")


class ValidateResetPasswordForm(AccountFormValidation):
    """Accepts any well-formed address: the reply never reveals whether an account exists."""

    permission = "reset_password"

    def name(self) -> str:
        return "validate_reset_password_form"


class ActionSendPasswordReset(Action):
    def name(self) -> str:
        return "action_send_password_reset"

    @once_per_message
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        customer = account_in(tracker)
        if customer is not None:
            email_link(customer.id, PASSWORD_RESET)
        if account_holder(tracker) is not None:
            where = "We've sent a link to reset your password to the e-mail address on your account."
        else:
            where = f"If there's an account for {tracker.get_slot('email')}, we've sent it a link to reset the password."
        dispatcher.utter_message(
            text=f"{where} It's valid for one hour. Check your spam folder if it doesn't arrive in a few minutes."
        )
        return reset_flow_slots()


def normalise_field(value: Any) -> Optional[str]:
    words = re.findall(r"[a-z-]+", str(value or "").lower())
    fields = {ACCOUNT_FIELDS[w] for w in words if w in ACCOUNT_FIELDS}
    return fields.pop() if len(fields) == 1 else None


def check_new_value(field: str, value: str) -> Optional[str]:
    """The cleaned new value for ``field``, or None when it isn't acceptable."""
    value = value.strip()
    if field == "email":
        return normalise_email(value)
    if field == "phone":
        return value if PHONE.match(value) else None
    if field == "name":
        return value if 1 < len(value) <= 120 and not any(c.isdigit() for c in value) else None
    return value if 5 <= len(value) <= 255 else None


class ValidateUpdateAccountForm(AccountFormValidation):
    permission = "update_account"

    def name(self) -> str:
        return "validate_update_account_form"

    def validate_account_field(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        field = normalise_field(value)
        if field is None:
            dispatcher.utter_message(
                text="I can update your e-mail, phone number, name or shipping address. Which one?"
            )
        return {"account_field": field}

    def validate_new_value(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        field = tracker.get_slot("account_field") or "value"
        cleaned = check_new_value(field, str(value or ""))
        if cleaned is None:
            dispatcher.utter_message(text=f"That doesn't look like a valid {field}. Could you type it again?")
        return {"new_value": cleaned}


class ActionUpdateAccount(Action):
    def name(self) -> str:
        return "action_update_account"

    @once_per_message
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        if tracker.get_slot("form_aborted"):
            return reset_flow_slots()
        customer, decision = account_decision(tracker, "update_account")
        if customer is None or decision is not Decision.ALLOW:
            dispatcher.utter_message(text=refusal("update_account"))
            return reset_flow_slots()
        field, value = tracker.get_slot("account_field"), tracker.get_slot("new_value")
        try:
            get_store().update_customer(customer.id, field, value)
        except NotAllowed:
            dispatcher.utter_message(
                text="Sorry, I can't use that: it belongs to another account. Nothing was changed."
            )
            return reset_flow_slots()
        dispatcher.utter_message(text=f"Done: your {field} is now {value}.")
        extra = ("email",) if field == "email" else ()
        return reset_flow_slots(*extra)


class ValidateDeleteAccountForm(AccountFormValidation):
    permission = "delete_account"

    def name(self) -> str:
        return "validate_delete_account_form"


class ActionDeleteAccount(Action):
    """Schedules the erasure of the account after the customer confirmed."""

    def name(self) -> str:
        return "action_delete_account"

    @once_per_message
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        if tracker.get_slot("form_aborted"):
            return reset_flow_slots()
        customer, decision = account_decision(tracker, "delete_account")
        if customer is None or decision is not Decision.ALLOW:
            dispatcher.utter_message(text=refusal("delete_account"))
            return reset_flow_slots()
        if not tracker.get_slot("confirmed"):
            dispatcher.utter_message(text="Okay, your account stays as it is.")
            return reset_flow_slots()
        try:
            when = get_store().schedule_erasure(customer.id)
        except NotAllowed:
            dispatcher.utter_message(text="Sorry, I couldn't schedule that. Please contact support.")
            return reset_flow_slots()
        dispatcher.utter_message(
            text=f"Your account is scheduled for deletion on {fmt_date(when)}. Any subscription "
            "is cancelled now. If you change your mind before then, just contact us."
        )
        return reset_flow_slots("email")
