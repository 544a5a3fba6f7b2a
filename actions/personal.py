"""Memory, personalization and sentiment for the actions: thin hooks over assistant/memory and
assistant/personalization. Memories are written and read only for a verified customer."""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.services import get_memories, get_system_settings
from actions.verification import conversation_identity
from assistant.memory import owner
from assistant.memory.summary import add_open_issue, last_session, summarise_session
from assistant.personalization.profile import LANGUAGES
from assistant.personalization.replies import empty_slots, personal_slots
from assistant.personalization.sentiment import is_frustrated, recently_frustrated
from assistant.store import StoreError
from assistant.store.models import Order

logger = logging.getLogger(__name__)
FRUSTRATION_NOTE = "I can tell this has been frustrating, and I'm sorry."


def verified_customer(tracker: Tracker) -> Optional[int]:
    """The customer this conversation proved it is (None for a claim or no one)."""
    return owner(conversation_identity(tracker))


def personal_slot_values(customer_id: Optional[int]) -> Dict[str, Any]:
    """The personal slots for ``customer_id`` (empty ones for None or an unknown customer), in
    the admins' default response style where the customer's own is not known."""
    style = get_system_settings().default_response_style
    if customer_id is None:
        return empty_slots(style)
    try:
        return personal_slots(get_memories(), customer_id, style)
    except StoreError:
        return empty_slots(style)


def remember(tracker: Tracker, key: str, value: Any, importance: float = 0.5) -> bool:
    """Stores a memory for the conversation's verified customer; False when there is none."""
    customer_id = verified_customer(tracker)
    if customer_id is None:
        return False
    get_memories().remember(customer_id, key, value, importance=importance, source="conversation")
    return True


def remember_order(tracker: Tracker, order: Order) -> bool:
    """The order the verified customer just talked about is their last order."""
    customer_id = verified_customer(tracker)
    if customer_id is None or order.customer_id != customer_id:
        return False
    value = {"order_id": str(order.id), "status": order.status}
    get_memories().remember(customer_id, "last_order", value, importance=0.8, source="conversation")
    return True


def remember_issue(tracker: Tracker, issue: Dict[str, Any]) -> bool:
    customer_id = verified_customer(tracker)
    if customer_id is None:
        return False
    add_open_issue(get_memories(), customer_id, issue)
    return True


def summarise_previous_session(tracker: Tracker) -> Dict[str, Any]:
    """At a new session's start: the session that just ended, into its verified customer's
    memory (the slots still hold that session's identity)."""
    customer_id = verified_customer(tracker)
    if customer_id is None:
        return {}
    try:
        session = last_session(tracker.events)
        return summarise_session(get_memories(), customer_id, session, conversation_id=tracker.sender_id)
    except StoreError:
        logger.warning("could not summarise the previous session of %s", tracker.sender_id, exc_info=True)
        return {}


def session_texts(tracker: Tracker) -> List[str]:
    """The customer's typed messages of this session, oldest first."""
    return [str(e.get("text")) for e in last_session(tracker.events)
            if e.get("event") == "user" and e.get("text") and not str(e.get("text")).startswith("/")]  # fmt: skip


def frustrated(tracker: Tracker) -> bool:
    """Whether the customer's latest messages show frustration (sentiment per message)."""
    return is_frustrated(session_texts(tracker))


def was_frustrated(tracker: Tracker) -> bool:
    """Whether frustration showed in the customer's last few messages."""
    return recently_frustrated(session_texts(tracker))


def offer_human_if_frustrated(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
    """Offers a human now when the customer is frustrated (and no offer is pending)."""
    if tracker.get_slot("human_offered") or tracker.active_loop_name or not frustrated(tracker):
        return []
    dispatcher.utter_message(text=FRUSTRATION_NOTE)
    dispatcher.utter_message(response="utter_offer_human")
    return [SlotSet("human_offered", True)]


def welcome(customer_id: Optional[int], language: Optional[str] = None) -> Dict[str, Any]:
    """The personal slots of a conversation that just learnt (or starts with) its verified
    customer; their name, and a language the channel tells, are remembered for next time."""
    values = personal_slot_values(customer_id)
    if customer_id is None or values["customer_name"] is None:
        return values
    memories = get_memories()
    known = memories.recall(customer_id)
    if "name" not in known:
        memories.remember(customer_id, "name", values["customer_name"], importance=0.9, source="account")
    if language in LANGUAGES and (known.get("language") is None or known["language"].value != language):
        memories.remember(customer_id, "language", language, importance=0.6, source="channel")
        first_time = values["persona"] is None
        values = personal_slot_values(customer_id)
        values["persona"] = None if first_time else values["persona"]  # what we just wrote is no past
    return values
