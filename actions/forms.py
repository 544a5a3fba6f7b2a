"""Shared form behaviour: abort a form cleanly and reset a flow's slots when it ends.

Each validator returns slot values; ``form_aborted`` set to True ends the form early (the
reason has already been told to the customer) and the form's submit action then does nothing.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, Dict, List

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.negation import negates_action

FLOW_SLOTS = ("confirmed", "accept_offer", "return_reason", "issue_details", "rating",
              "account_field", "new_value", "plan", "product", "verification_code", "order_fact",
              "access_checked")  # fmt: skip
# The intent that starts each form. Said again while its form runs ("no, I still want to
# cancel"), it fills nothing, and Rasa would reject the form and fall back; the form asks its
# question again instead.
FORM_INTENTS = {
    "order_status_form": "order_status", "cancel_order_form": "cancel_order",
    "return_form": "return_item", "refund_status_form": "refund_status", "billing_form": "billing_issue",
    "payment_form": "update_payment", "cancel_subscription_form": "cancel_subscription",
    "change_plan_form": "change_plan", "reset_password_form": "reset_password",
    "update_account_form": "update_account", "delete_account_form": "delete_account",
    "feedback_form": "give_feedback",
}  # fmt: skip
# Forms whose whole purpose is to end something: "don't cancel my order" said while one runs
# stops it (other forms only ask again: "I don't want to change it, I want a return").
UNDONE_BY_A_DONT = ("cancel_order_form", "cancel_subscription_form", "delete_account_form")


def reset_flow_slots(*extra: str, keep_offer: bool = False) -> List[EventType]:
    """Events that clear the per-flow slots after a flow ends (order and e-mail are kept as
    context for follow-up questions unless named in ``extra``; the conversation's identity is
    kept until the session ends). ``keep_offer`` keeps a pending offer of a human, made by a
    validator that gave up."""
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

    def validate_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """The answer to "shall I ...?": a yes-intent is no yes when the words say not to
        ("dont cancel my order" can read as ``cancel_order``, which means yes there)."""
        text = tracker.latest_message.get("text") or ""
        return {"confirmed": bool(value) and not negates_action(text)}

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[str, Any]]:
        """The validators' events; when the customer only repeated what started this form, one
        that keeps the form going (it then asks its question again), unless they said not to
        ("dont cancel my order" can read as ``cancel_order``): then the form stops."""
        negated = negates_action(tracker.latest_message.get("text") or "")
        confirming = tracker.get_slot("requested_slot") == "confirmed"  # validate_confirmed says no
        if negated and not confirming and self.form_name() in UNDONE_BY_A_DONT and self._asked_again(tracker):
            dispatcher.utter_message(response="utter_form_stopped")
            return [SlotSet("form_aborted", True), SlotSet("requested_slot", None)]
        events = await super().run(dispatcher, tracker, domain)
        if self._asked_again(tracker) and not any(
            e.get("event") == "slot" and e.get("name") != "requested_slot" for e in events
        ):
            events.append(SlotSet("form_aborted", tracker.get_slot("form_aborted")))
        return events

    def _asked_again(self, tracker: Tracker) -> bool:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        return tracker.active_loop_name == self.form_name() and intent == FORM_INTENTS.get(self.form_name())
