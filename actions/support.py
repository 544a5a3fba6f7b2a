"""Complaints, feedback, handoff to a human, stopping a flow and the fallback actions."""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import (
    ActionExecuted,
    ActiveLoop,
    ConversationPaused,
    EventType,
    FollowupAction,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.forms import AbortableFormValidation, reset_flow_slots
from actions.guards import account_holder
from actions.knowledge import knowledge_answer
from actions.once import once_per_message
from actions.personal import frustrated, remember_issue, turn_deadline, was_frustrated
from actions.services import get_llm, get_settings, get_store
from assistant.conversations import handoff, waiting
from assistant.identifiers import parse_rating
from assistant.knowledge.answers import OPEN_QUESTION_RELEVANCE
from assistant.llm.classify import classify_intent
from assistant.store.models import utcnow

NOT_THAT = "No, something else"
TWO_STAGE_FALLBACK = "action_two_stage_fallback"
INTENT_LABELS = {
    "order_status": "check the status of an order", "cancel_order": "cancel an order",
    "return_item": "return an item", "refund_status": "check a refund",
    "shipping_info": "ask about shipping", "billing_issue": "report a billing problem",
    "update_payment": "update your payment method", "cancel_subscription": "cancel your subscription",
    "change_plan": "change your plan", "reset_password": "reset your password",
    "update_account": "update your account details", "delete_account": "delete your account",
    "complaint": "make a complaint", "give_feedback": "give us feedback",
    "request_human": "talk to a person",
}  # fmt: skip
# Sentiment escalation (actions/personal.py): a frustrated customer is offered a person at once.
FRUSTRATED_OFFER = ("I'm sorry this is frustrating. Would you like me to connect you with a member "
                    "of our support team right away?")  # fmt: skip
OFFER_BUTTONS = [{"title": "Yes, please", "payload": "/affirm"}, {"title": "No, thanks", "payload": "/deny"}]
# A complaint about a delivery: the order can be looked up at once (the number alone is enough,
# data/rules/forms.yml), so the customer is told so.
DELIVERY_WORDS = re.compile(
    r"\b(?:late|delay\w*|lost|missing|still waiting|where(?:'?s| is)|wheres|never (?:arrived|came|showed up)|"
    r"(?:hasn'?t|has not|didn'?t|did not|not|haven'?t|have not) (?:arrived|come|been delivered|received|shown up))\b",
    re.IGNORECASE,
)
CHECK_ORDER_HINT = "If you send me the order number, I'll check where it is right away."


class ActionLogComplaint(Action):
    """Acknowledges a complaint, records it as a ticket and offers a human."""

    def name(self) -> str:
        return "action_log_complaint"

    @once_per_message
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        customer = account_holder(tracker)  # only a customer the channel or a code vouched for
        ticket = get_store().create_ticket(
            "complaint",
            tracker.latest_message.get("text") or "",
            conversation_id=tracker.sender_id,
            customer_id=customer.id if customer else None,
            priority="high",
        )
        text = tracker.latest_message.get("text") or ""
        hint = (
            f" {CHECK_ORDER_HINT}" if DELIVERY_WORDS.search(text) and not tracker.get_slot("order_id") else ""
        )
        dispatcher.utter_message(
            text="I'm really sorry about this; that's not the experience we want you to have. "
            f"I've logged it as complaint {ticket.reference} so our team follows up.{hint}"
        )
        remember_issue(tracker, {"kind": "complaint", "reference": ticket.reference})
        return [SlotSet("human_offered", True)]


class ValidateFeedbackForm(AbortableFormValidation):
    def name(self) -> str:
        return "validate_feedback_form"

    def validate_rating(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        rating = parse_rating(value)
        if rating is None:
            dispatcher.utter_message(text="Please give a number from 1 to 5.")
            return {"rating": None}
        return {"rating": str(rating)}


class ActionSaveFeedback(Action):
    """Stores the 1-5 rating with the conversation."""

    def name(self) -> str:
        return "action_save_feedback"

    @once_per_message
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        rating = int(tracker.get_slot("rating"))
        get_store().record_feedback(tracker.sender_id, rating)
        if rating >= 4:
            dispatcher.utter_message(text=f"Thank you for the {rating}/5! We're glad we could help.")
        else:
            dispatcher.utter_message(text=f"Thanks for your honest {rating}/5. We'll use it to do better.")
        return reset_flow_slots()


def handoff_events(tracker: Tracker) -> List[EventType]:
    """Stops any flow and pauses the bot in this conversation until an agent hands it back."""
    events: List[EventType] = []
    if tracker.active_loop_name:
        events += [ActiveLoop(None), SlotSet("requested_slot", None)]
    # The listen before the pause makes the next message, once an agent hands the
    # conversation back, a fresh user turn for the policies.
    return events + reset_flow_slots() + [ActionExecuted("action_listen"), ConversationPaused()]


class ActionHandoff(Action):
    """Marks the conversation as waiting for an agent and tells the customer."""

    def name(self) -> str:
        return "action_handoff"

    @once_per_message
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        reason = "complaint" if _was_complaint(tracker) else "requested"
        notice = await hand_over(tracker, reason, "high" if reason == "complaint" else None)
        text = f"I'm connecting you with a member of our support team. {notice.text}"
        dispatcher.utter_message(text=text, buttons=notice.buttons)
        return handoff_events(tracker)


async def hand_over(tracker: Tracker, reason: str, priority: Optional[str] = None) -> waiting.Notice:
    """Queues the conversation for an agent (the one conversation model, assistant/conversations)
    and says where the customer stands: place and wait, or that no one is there right now."""
    store, customer = get_store(), account_holder(tracker)
    priority = priority or await handoff_priority(tracker)
    change = handoff.request_handoff(store, tracker.sender_id, reason, tracker.get_latest_input_channel(),
                                     customer.id if customer else None, priority)  # fmt: skip
    info = handoff.queue_info(store, change.conversation, get_settings(), utcnow())
    return waiting.handoff_notice(info)


async def handoff_priority(tracker: Tracker) -> Optional[str]:
    """Priority handling: a frustrated customer, or a verified one on a premium tier."""
    if await was_frustrated(tracker) or tracker.get_slot("priority_support"):
        return "high"
    return None


def _was_complaint(tracker: Tracker) -> bool:
    return any(e.get("name") == "action_log_complaint" for e in tracker.events[-8:])


class ActionDeclineHuman(Action):
    def name(self) -> str:
        return "action_decline_human"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        return [SlotSet("human_offered", None)]


class ActionStopForm(Action):
    """The customer changed their mind: stop the current flow cleanly."""

    def name(self) -> str:
        return "action_stop_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        return [ActiveLoop(None), SlotSet("requested_slot", None)] + reset_flow_slots()


class ActionDefaultFallback(Action):
    """Repeated failure to understand (two-stage fallback exhausted): hand over to a human."""

    def name(self) -> str:
        return "action_default_fallback"

    @once_per_message
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        notice = await hand_over(tracker, "fallback")
        dispatcher.utter_message(
            text="Sorry, I'm having trouble understanding. I've asked a member of our support "
            f"team to take over. {notice.text}",
            buttons=notice.buttons,
        )
        return handoff_events(tracker)


class ActionDefaultAskAffirmation(Action):
    """First stage of the two-stage fallback: checks what the customer meant, in words."""

    def name(self) -> str:
        return "action_default_ask_affirmation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        if await frustrated(tracker):
            dispatcher.utter_message(text=FRUSTRATED_OFFER, buttons=[
                {"title": "Yes, connect me", "payload": "/request_human"},
                {"title": "No, I'll rephrase", "payload": "/deny"}])  # fmt: skip
            return []
        ranking = tracker.latest_message.get("intent_ranking") or []
        candidates = [i["name"] for i in ranking if i.get("name") in INTENT_LABELS]
        guess = await llm_guess(tracker)
        if guess is not None:  # the LLM's reading goes first; the customer still confirms it
            candidates = [guess] + [c for c in candidates if c != guess]
        if not candidates:
            dispatcher.utter_message(response="utter_ask_rephrase")
            return []
        intent = candidates[0]
        dispatcher.utter_message(
            text=f"Sorry, I'm not sure I understood. Do you want to {INTENT_LABELS[intent]}?",
            buttons=[
                {"title": "Yes", "payload": f"/{intent}"},
                {"title": NOT_THAT, "payload": "/deny"},
            ],
        )
        return []


async def llm_guess(tracker: Tracker) -> Optional[str]:
    """With an LLM configured, which request the unsure message means (assistant/llm/classify.py)."""
    llm = get_llm()
    if not llm.configured:
        return None
    text = tracker.latest_message.get("text") or ""
    return await classify_intent(llm, text, INTENT_LABELS, turn_deadline(tracker), tracker.sender_id)


class ActionCoreFallback(Action):
    """No rule or story fits the conversation: answer from the help centre when a passage is
    clearly about the message (an open question the NLU filed elsewhere), else ask to rephrase;
    either way forget the message, so the dialogue goes on from where it was (and no further
    action is predicted this turn).

    Two cases come after the two-stage fallback: a typed "yes" to "Do you want to ...?" means
    the suggested request (the buttons carry it, typing cannot), so it is taken as that request;
    and a fallback loop the revert would bring back is ended (else Rasa predicts it forever)."""

    def name(self) -> str:
        return "action_core_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        ended: List[EventType] = [ActiveLoop(None)] if tracker.active_loop_name == TWO_STAGE_FALLBACK else []
        suggested = suggestion_answered(tracker)
        if suggested is not None and (tracker.latest_message.get("intent") or {}).get("name") == "affirm":
            as_requested = {
                "intent": {"name": suggested, "confidence": 1.0},
                "entities": [],
                "text": f"/{suggested}",
            }
            return ended + [
                ActionExecuted("action_listen"),
                UserUttered(f"/{suggested}", parse_data=as_requested),
            ]
        if await frustrated(tracker) and not tracker.get_slot("human_offered"):
            dispatcher.utter_message(text=FRUSTRATED_OFFER, buttons=OFFER_BUTTONS)
            return [
                UserUtteranceReverted(),
                *ended,
                SlotSet("human_offered", True),
                FollowupAction("action_listen"),
            ]
        answer = await knowledge_answer(tracker, OPEN_QUESTION_RELEVANCE)  # an open question?
        if answer.text:
            dispatcher.utter_message(text=answer.text)
        else:
            dispatcher.utter_message(response="utter_ask_rephrase")
        return [UserUtteranceReverted(), *ended, FollowupAction("action_listen")]


def suggestion_answered(tracker: Tracker) -> Optional[str]:
    """The request the bot's last question ("Do you want to ...?") suggested, if that is
    what the customer just answered."""
    for event in reversed(tracker.events):
        if event.get("event") != "bot":
            continue
        buttons = (event.get("data") or {}).get("buttons") or []
        if len(buttons) == 2 and buttons[1].get("title") == NOT_THAT:
            intent = str(buttons[0].get("payload", "")).lstrip("/")
            return intent if intent in INTENT_LABELS else None
        return None
    return None
