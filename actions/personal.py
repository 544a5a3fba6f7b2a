"""Memory, personalization and sentiment for the actions: thin hooks over assistant/memory and
assistant/personalization. Memories are written and read only for a verified customer.

With an LLM configured (assistant/llm/tasks.py) a finished session is summarised by it, the
sentiment of the customer's latest messages is its judgement, and a few templated answers are
rephrased to a verified customer's known style (facts checked); without one, or when it fails,
the rules, VADER and the templates as written answer, as before."""

from __future__ import annotations

import logging
import weakref
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.services import get_llm, get_memories, get_settings, get_store, get_system_settings
from actions.verification import conversation_identity
from assistant.llm import Deadline, LLMClient
from assistant.llm.tasks import rephrase, score_sentiments, summarise_turns
from assistant.memory import Memories, owner
from assistant.memory.summary import (
    Summariser,
    add_open_issue,
    known_names,
    last_session,
    pending,
    summarise_session,
)
from assistant.personalization.profile import LANGUAGES, load_profile
from assistant.personalization.replies import empty_slots, personal_slots, styled_async
from assistant.personalization.sentiment import Scorer, is_frustrated, recently_frustrated, vader_score
from assistant.store import StoreError
from assistant.store.models import Order

logger = logging.getLogger(__name__)
FRUSTRATION_NOTE = "I can tell this has been frustrating, and I'm sorry."
SCORED_MESSAGES = 4  # the latest messages the frustration rules read (recently_frustrated's window)
KEPT_SCORES = 2000  # the LLM's scores kept per client, by message text
KEPT_DEADLINES = 1000  # turns whose deadline is remembered (the newest)
_deadlines: Dict[Tuple[str, Any, Any], Deadline] = {}
_llm_scores: weakref.WeakKeyDictionary[LLMClient, Dict[str, float]] = weakref.WeakKeyDictionary()


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


def turn_deadline(tracker: Tracker) -> Deadline:
    """The deadline all LLM calls of the customer's current message share, across the actions
    that answer it (each is its own request from Rasa): made at its first call."""
    latest: Dict[str, Any] = next((e for e in reversed(tracker.events) if e.get("event") == "user"), {})
    key = (tracker.sender_id, latest.get("timestamp"), latest.get("text"))
    if key not in _deadlines:
        _deadlines[key] = Deadline(get_settings().llm.turn_deadline_seconds)
        while len(_deadlines) > KEPT_DEADLINES:
            _deadlines.pop(next(iter(_deadlines)))
    return _deadlines[key]


async def summarise_previous_session(tracker: Tracker) -> Dict[str, Any]:
    """At a new session's start: the session that just ended, into its verified customer's
    memory (the slots still hold that session's identity); its prose by the LLM when one is
    configured and answers usably, else by the rules."""
    customer_id = verified_customer(tracker)
    if customer_id is None:
        return {}
    try:
        session, memories = last_session(tracker.events), get_memories()
        summariser = await llm_summariser(memories, customer_id, session, tracker)
        return summarise_session(memories, customer_id, session, summariser, tracker.sender_id,
                                 scorer=known_scores())  # fmt: skip
    except StoreError:
        logger.warning("could not summarise the previous session of %s", tracker.sender_id, exc_info=True)
        return {}


async def llm_summariser(memories: Memories, customer_id: int, session: Sequence[Mapping[str, Any]],
                         tracker: Tracker) -> Optional[Summariser]:  # fmt: skip
    """The LLM's note on a session still to summarise, as a summariser (None: the rules)."""
    llm = get_llm()
    facts = pending(memories, customer_id, session, tracker.sender_id) if llm.configured else None
    if facts is None:
        return None
    names = known_names(memories, customer_id)
    note = await summarise_turns(llm, facts.turns, names, turn_deadline(tracker), tracker.sender_id)
    return None if note is None else (lambda turns: note)


def session_texts(tracker: Tracker) -> List[str]:
    """The customer's typed messages of this session, oldest first."""
    return [str(e.get("text")) for e in last_session(tracker.events)
            if e.get("event") == "user" and e.get("text") and not str(e.get("text")).startswith("/")]  # fmt: skip


def known_scores() -> Optional[Scorer]:
    """The LLM's scores of messages it has already judged (VADER for the others), or None
    without an LLM: no call is made."""
    llm = get_llm()
    if not llm.configured:
        return None
    scores = _llm_scores.setdefault(llm, {})
    return lambda text: scores[text] if text in scores else vader_score(text)


async def sentiment_scorer(tracker: Tracker) -> Optional[Scorer]:
    """With an LLM configured, its judgement of the latest messages (one call for the ones it
    has not judged yet); where it gives no usable answer, VADER's."""
    llm = get_llm()
    if not llm.configured:
        return None
    scores = _llm_scores.setdefault(llm, {})
    new = [text for text in dict.fromkeys(session_texts(tracker)[-SCORED_MESSAGES:]) if text not in scores]
    found = await score_sentiments(llm, new, turn_deadline(tracker), tracker.sender_id) if new else None
    for text, score in zip(new, found or [], strict=False):
        scores[text] = score
    while len(scores) > KEPT_SCORES:
        scores.pop(next(iter(scores)))
    return known_scores()


async def frustrated(tracker: Tracker) -> bool:
    """Whether the customer's latest messages show frustration (sentiment per message)."""
    return is_frustrated(session_texts(tracker), await sentiment_scorer(tracker))


async def was_frustrated(tracker: Tracker) -> bool:
    """Whether frustration showed in the customer's last few messages."""
    return recently_frustrated(session_texts(tracker), scorer=await sentiment_scorer(tracker))


async def offer_human_if_frustrated(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
    """Offers a human now when the customer is frustrated (and no offer is pending)."""
    if tracker.get_slot("human_offered") or tracker.active_loop_name or not await frustrated(tracker):
        return []
    dispatcher.utter_message(text=FRUSTRATION_NOTE)
    dispatcher.utter_message(response="utter_offer_human")
    return [SlotSet("human_offered", True)]


async def in_customer_style(tracker: Tracker, text: str) -> str:
    """``text`` rephrased by the LLM to the verified customer's known style (formal, casual)
    with its facts intact; otherwise (no LLM, no verified customer, style not known, facts
    changed, LLM unavailable) ``text`` as written."""
    llm, customer_id = get_llm(), verified_customer(tracker)
    if not llm.configured or customer_id is None:
        return text
    try:
        style = load_profile(get_store(), customer_id).communication_style
    except StoreError:
        return text

    async def rephraser(template: str, tone: str) -> Optional[str]:
        return await rephrase(llm, template, tone, turn_deadline(tracker), tracker.sender_id)

    return await styled_async(text, style, rephraser)


async def say(dispatcher: CollectingDispatcher, tracker: Tracker, text: str) -> None:
    """Sends ``text`` (an answer already decided) in the customer's style when it can be."""
    dispatcher.utter_message(text=await in_customer_style(tracker, text))


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
