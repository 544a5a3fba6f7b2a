"""The conversation's identity, as the actions see it, and proof before acting.

Identity lives in two slots nothing typed can fill (``customer_id`` and ``verification``, set
at session start from the channel's signed claim, and by a one-time code); a later message
whose channel proves more (the visitor signed in) raises it. :class:`GuardedFormValidation` is
the base of every form that reads or changes a customer's data: it asks
``assistant.identity.permissions.decide`` and, when proof is missing, adds a slot to the form:
``verification_code`` (a code e-mailed to the address on file) or ``order_fact`` (the order's
e-mail or postcode). While the customer answers one of those, digits they type are not taken
as an order number.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.forms import AbortableFormValidation
from actions.services import get_settings, get_store
from actions.verification_texts import code_sent_text, locked_text, wrong_code_text
from assistant.identity import claims, codes, links
from assistant.identity.permissions import RULES, Decision, IdentityState, Level, decide
from assistant.identity.secret import identity_secret
from assistant.mailer import deliver_in_background

CODE_SLOT, FACT_SLOT = "verification_code", "order_fact"
PROOF_SLOTS = (CODE_SLOT, FACT_SLOT)
PROOF_FOR: Dict[Optional[Decision], str] = {Decision.NEED_CODE: CODE_SLOT, Decision.NEED_FACT: FACT_SLOT}
RESEND_WORDS = ("resend", "new code", "another code", "didn't get", "did not get", "not received",
                "haven't received", "no code", "send again", "send it again")  # fmt: skip
_RANK = {Level.ANONYMOUS: 0, Level.CLAIMED: 1, Level.VERIFIED: 2}


def latest_claim(tracker: Tracker) -> Optional[claims.Claim]:
    """The channel's signed claim on the customer's latest message, if genuine."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            secret = identity_secret(get_settings())
            return claims.read_claim(event.get("metadata"), tracker.sender_id, secret)
    return None


def slot_identity(tracker: Tracker) -> IdentityState:
    raw_id, raw_level = tracker.get_slot("customer_id"), tracker.get_slot("verification")
    try:
        level = Level(raw_level or Level.ANONYMOUS.value)
        customer_id = int(raw_id) if raw_id is not None else None
    except (TypeError, ValueError):
        return IdentityState()
    return IdentityState(customer_id, level) if customer_id is not None else IdentityState()


def conversation_identity(tracker: Tracker) -> IdentityState:
    """The slots' identity, or the latest message's claim when the channel proves more."""
    state, claim = slot_identity(tracker), latest_claim(tracker)
    if claim is not None and _RANK[claim.state.level] > _RANK[state.level]:
        return claim.state
    return state


def identity_slots(state: IdentityState) -> Dict[str, Any]:
    return {"customer_id": state.customer_id, "verification": state.level.value}


def slot_before_latest_message(tracker: Tracker, name: str) -> Any:
    """The value ``name`` had before the customer's latest message was processed."""
    events, value = tracker.events, None
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=len(events))
    for event in events[:last_user]:
        if event.get("event") == "slot" and event.get("name") == name:
            value = event.get("value")
    return value


def wants_new_code(text: str) -> bool:
    lowered = (text or "").lower()
    return any(words in lowered for words in RESEND_WORDS)


class GuardedFormValidation(AbortableFormValidation):
    """A form that needs the customer's proof before it reads or changes their data.

    Subclasses name the permission (a key of ``RULES``) and say whose data the form touches
    (:meth:`owner`), where a code goes (:meth:`code_target`) and what to check once the
    customer may go on (:meth:`after_proof`, once per flow)."""

    permission = "view_order"
    target_slot = "order_id"

    def owner(self, tracker: Tracker) -> Tuple[bool, Optional[int]]:
        """Whether the target (an order, an account) is known yet, and its owner."""
        raise NotImplementedError

    def code_target(self, tracker: Tracker) -> Tuple[str, Optional[int], str]:
        """The address a code goes to, its account (None: no account) and how to say so."""
        raise NotImplementedError

    def after_proof(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[str, Any]:
        """Slots to set once the customer may go on (e.g. abort: the order has shipped)."""
        return {}

    def decision(self, tracker: Tracker) -> Optional[Decision]:
        known, owner_id = self.owner(tracker)
        if not known:
            return None
        return decide(self.permission, conversation_identity(tracker), owner_id, self.fact_given(tracker))

    def fact_given(self, tracker: Tracker) -> bool:
        return False

    def form_slots(self, slots: List[str], tracker: Tracker) -> List[str]:
        """The form's own slots for this conversation (e.g. no e-mail when signed in)."""
        return slots

    async def required_slots(
        self, domain_slots: List[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[str]:
        """The form's slots without the proof this conversation does not need (the domain
        lists the proof slots each form may ask for)."""
        slots = list(await super().required_slots(domain_slots, dispatcher, tracker, domain))
        needed = PROOF_FOR.get(self.decision(tracker))
        return [slot for slot in self.form_slots(slots, tracker) if slot not in PROOF_SLOTS or slot == needed]

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        asked_before = tracker.get_slot("requested_slot")
        events = self._keep_order_while_proving(tracker, asked_before)
        events += await super().run(dispatcher, tracker, domain)
        if not tracker.slots.get("form_aborted"):
            if await self._next_slot(dispatcher, tracker, domain) == CODE_SLOT and asked_before != CODE_SLOT:
                events += self._send_code(dispatcher, tracker)
            elif self.decision(tracker) is Decision.ALLOW and not tracker.get_slot("access_checked"):
                events += self._check_access(dispatcher, tracker)
        tracker.add_slots([e for e in events if e.get("event") == "slot"])
        events = [e for e in events if e.get("name") != "requested_slot"]
        return events + [SlotSet("requested_slot", await self._next_slot(dispatcher, tracker, domain))]

    async def _next_slot(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Optional[str]:
        required = await self.required_slots(self.domain_slots(domain), dispatcher, tracker, domain)
        return next((slot for slot in required if tracker.slots.get(slot) is None), None)

    def _check_access(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
        """Once per flow, when the customer may go on: what else stops the flow."""
        found = {"access_checked": True, **self.after_proof(dispatcher, tracker)}
        return [SlotSet(name, value) for name, value in found.items()]

    def _keep_order_while_proving(self, tracker: Tracker, asked: Optional[str]) -> List[EventType]:
        """Digits typed as a code or a postcode are no order number: undo that extraction."""
        previous = slot_before_latest_message(tracker, "order_id")
        if asked not in PROOF_SLOTS or tracker.get_slot("order_id") == previous:
            return []
        tail = len(tracker.events)
        while tail and tracker.events[tail - 1].get("event") == "slot":
            tail -= 1
        candidates = [e for e in tracker.events[tail:] if e.get("name") != "order_id"]
        tracker.events = tracker.events[:tail] + candidates
        tracker.slots["order_id"] = previous
        return [SlotSet("order_id", previous)]

    def _send_code(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
        address, customer_id, wording = self.code_target(tracker)
        result = codes.issue_code(get_store(), tracker.sender_id, address, customer_id)
        if result.outcome is codes.Outcome.LOCKED:
            dispatcher.utter_message(text=locked_text(result.locked_until))
            return [SlotSet("form_aborted", True)]
        deliver_in_background(get_store(), get_settings())
        dispatcher.utter_message(text=code_sent_text(wording, address))
        return []

    def extract_verification_code(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """A message holding a 6-digit code answers the code question, whatever NLU made of
        it ("my code is 123456" is no question about promo codes)."""
        text = tracker.latest_message.get("text") or ""
        if tracker.get_slot("requested_slot") == CODE_SLOT and codes.typed_code(text) is not None:
            return {CODE_SLOT: text}
        return {}

    def validate_verification_code(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """Checks the typed code; never keeps what was typed in a slot."""
        text = str(value or "")
        if codes.typed_code(text) is None:
            if (tracker.latest_message.get("intent") or {}).get("name") in ("deny", "stop"):
                dispatcher.utter_message(response="utter_form_stopped")  # "no, keep it": nothing is done
                return {CODE_SLOT: None, "form_aborted": True}
            if wants_new_code(text):
                self._send_code(dispatcher, tracker)
            else:
                dispatcher.utter_message(
                    text='The code has 6 digits, like 123456. If it hasn\'t arrived, say "resend".'
                )
            return {CODE_SLOT: None}
        result = codes.check_code(get_store(), tracker.sender_id, text)
        if result.outcome is codes.Outcome.VERIFIED:
            return self._verified(dispatcher, tracker, int(result.customer_id or 0))
        if result.outcome is codes.Outcome.LOCKED:
            dispatcher.utter_message(text=locked_text(result.locked_until))
            return {CODE_SLOT: None, "form_aborted": True}
        dispatcher.utter_message(text=wrong_code_text(result))
        return {CODE_SLOT: None}

    def _verified(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, customer_id: int
    ) -> Dict[str, Any]:
        state = IdentityState(customer_id, Level.VERIFIED)
        claim = latest_claim(tracker)
        if claim is not None and claim.linkable and claim.external_id:
            links.link(get_store(), claim.channel, claim.external_id, customer_id, "code")
        dispatcher.utter_message(text="Thanks, that's the right code: you're verified for this conversation.")
        from actions.personal import welcome  # here: actions.personal builds on this module

        return {CODE_SLOT: "verified", **identity_slots(state), **welcome(customer_id)}


def refusal(permission: str) -> str:
    return f"Sorry, I can't {RULES[permission].description} for someone else's order or account."
