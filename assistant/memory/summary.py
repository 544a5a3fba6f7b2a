"""A finished session summarised into memory, by rules over the tracker's events: what the
customer asked about, the orders talked about, a shipping preference, a handoff left open,
their mood (sentiment per message), language and style.

Prose summaries can come from a better summariser (the LLM when one is configured: the actions
pass one, assistant/llm/tasks.py); without one, or when it fails or returns nothing, the rules
write it. Likewise ``scorer`` can replace VADER for the session's mood."""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence

from assistant.memory.store import Memories
from assistant.personalization.profile import (
    TOPIC_OF_INTENT,
    assign_segments,
    detect_language,
    detect_style,
    load_profile,
    store_event,
    update_profile,
)
from assistant.personalization.sentiment import Scorer, analyse

logger = logging.getLogger(__name__)
Turn = Dict[str, str]  # {"role": "user"|"assistant", "content": ...}
Summariser = Callable[[List[Turn]], Optional[str]]
SHIPPING = re.compile(r"\b(express|standard|next[- ]day|overnight)\b", re.I)
HANDOFF_ACTIONS = ("action_handoff", "action_default_fallback")
KEPT_MARKS = 50  # conversations whose summarised sessions are remembered per customer


@dataclass
class SessionFacts:
    turns: List[Turn] = field(default_factory=list)
    intents: List[str] = field(default_factory=list)
    order_ids: List[str] = field(default_factory=list)
    shipping: Optional[str] = None
    handed_over: bool = False
    sentiments: List[float] = field(default_factory=list)
    language: Optional[str] = None
    ended_at: float = 0.0

    @property
    def user_texts(self) -> List[str]:
        return [t["content"] for t in self.turns if t["role"] == "user"]

    @property
    def topics(self) -> Dict[str, int]:
        return dict(Counter(TOPIC_OF_INTENT[i] for i in self.intents if i in TOPIC_OF_INTENT))


def last_session(events: Sequence[Mapping[str, Any]]) -> List[Mapping[str, Any]]:
    """The events of the newest session (after its ``session_started``, or a ``restart``)."""
    starts = [i for i, e in enumerate(events) if e.get("event") in ("session_started", "restart")]
    return list(events[starts[-1] + 1 :] if starts else events)


def extract(events: Sequence[Mapping[str, Any]], scorer: Optional[Scorer] = None) -> SessionFacts:
    """The facts of one session's events (Rasa's event dicts); ``scorer`` replaces VADER."""
    facts = SessionFacts()
    for event in events:
        kind = event.get("event")
        facts.ended_at = max(facts.ended_at, float(event.get("timestamp") or 0.0))
        if kind == "user" and event.get("text") and not str(event["text"]).startswith("/"):
            _user(facts, event, scorer)
        elif kind == "user":
            _intent(facts, event)
        elif kind == "bot" and event.get("text"):
            facts.turns.append({"role": "assistant", "content": str(event["text"])})
        elif kind == "action" and event.get("name") in HANDOFF_ACTIONS:
            facts.handed_over = True
        elif kind == "slot" and event.get("name") == "order_id" and event.get("value"):
            _order(facts, str(event["value"]))
        elif kind == "slot" and event.get("name") == "language" and event.get("value"):
            facts.language = str(event["value"])
    facts.language = facts.language or detect_language(facts.user_texts)
    return facts


def _user(facts: SessionFacts, event: Mapping[str, Any], scorer: Optional[Scorer] = None) -> None:
    text = str(event["text"])
    facts.turns.append({"role": "user", "content": text})
    facts.sentiments.append(analyse(text, scorer).compound)
    found = SHIPPING.search(text)
    if found:
        facts.shipping = found.group(1).lower().replace(" ", "-")
    _intent(facts, event)


def _intent(facts: SessionFacts, event: Mapping[str, Any]) -> None:
    parse = event.get("parse_data") or {}
    name = (parse.get("intent") or {}).get("name")
    if name:
        facts.intents.append(str(name))
    for entity in parse.get("entities") or []:
        if entity.get("entity") == "order_id" and entity.get("value"):
            _order(facts, str(entity["value"]))


def _order(facts: SessionFacts, value: str) -> None:
    digits = re.sub(r"\D", "", value)
    if 5 <= len(digits) <= 8 and digits not in facts.order_ids:
        facts.order_ids.append(digits)


def rule_summary(facts: SessionFacts) -> str:
    """One or two sentences about the session, from the facts alone."""
    parts = []
    topics = sorted(facts.topics, key=lambda t: -facts.topics[t])
    parts.append(f"Asked about {', '.join(topics)}." if topics else "Chatted without a specific request.")
    if facts.order_ids:
        parts.append(f"Talked about order {', '.join(facts.order_ids)}.")
    if facts.handed_over:
        parts.append("Was handed over to a person.")
    if facts.sentiments:
        mood = analyse_mood(facts.sentiments)
        parts.append(f"Mood: {mood}.")
    return " ".join(parts)


def analyse_mood(compounds: List[float]) -> str:
    average = sum(compounds) / len(compounds)
    return "frustrated" if min(compounds) <= -0.5 else "negative" if average <= -0.05 else (
        "positive" if average >= 0.05 else "neutral")  # fmt: skip


def pending(memories: Memories, customer_id: int, events: Sequence[Mapping[str, Any]],
            conversation_id: str = "") -> Optional[SessionFacts]:  # fmt: skip
    """The facts of a session that still needs summarising (``None``: it has no customer
    message, or it was summarised already), so an LLM is only asked when it is."""
    facts = extract(events)
    return facts if _due(facts, memories.recall(customer_id), conversation_id) else None


def _due(facts: SessionFacts, known: Mapping[str, Any], conversation_id: str) -> bool:
    return bool(facts.user_texts) and _summarised(known).get(conversation_id, 0.0) < facts.ended_at


def summarise_session(memories: Memories, customer_id: int, events: Sequence[Mapping[str, Any]],
                      summariser: Optional[Summariser] = None, conversation_id: str = "",
                      scorer: Optional[Scorer] = None) -> Dict[str, Any]:  # fmt: skip
    """Writes one session's facts into the customer's memories and profile (once per session of
    each conversation: one already summarised, or one without a customer message, writes nothing)."""
    facts = extract(events, scorer)
    known = memories.recall(customer_id)
    done = _summarised(known)
    if not _due(facts, known, conversation_id):
        return {}
    written: Dict[str, Any] = {"summary": _prose(facts, summariser)}
    memories.remember(customer_id, "last_session_summary", written["summary"], type="summary",
                      importance=0.6, source="session_summary")  # fmt: skip
    if facts.order_ids:
        written["last_order"] = _write(
            memories, customer_id, "last_order", {"order_id": facts.order_ids[-1]}, 0.8
        )
    if facts.shipping:
        written["preferred_shipping"] = _write(
            memories, customer_id, "preferred_shipping", facts.shipping, 0.7
        )
    if facts.language:
        written["language"] = _write(memories, customer_id, "language", facts.language, 0.6)
    if facts.handed_over:
        written["open_issues"] = add_open_issue(memories, customer_id, {"kind": "handoff"}, known)
    done = dict(list({**done, conversation_id: facts.ended_at}.items())[-KEPT_MARKS:])
    memories.remember(customer_id, "summarised_sessions", done, type="short_term", importance=0.1,
                      source="session_summary")  # fmt: skip
    update_profile(memories.store, customer_id, topics=facts.topics, sentiments=facts.sentiments,
                   language=facts.language, style=detect_style(facts.user_texts), new_session=True)  # fmt: skip
    mood = analyse_mood(facts.sentiments)
    store_event(memories.store, customer_id, "conversation_summary", {"topics": facts.topics, "mood": mood,
                "orders": facts.order_ids, "handed_over": facts.handed_over}, session_id=conversation_id or None)  # fmt: skip
    written["segments"] = assign_segments(memories.store, customer_id)
    return written


def _summarised(known: Mapping[str, Any]) -> Dict[str, float]:
    """When each conversation's last summarised session ended."""
    item = known.get("summarised_sessions")
    value = item.value if item is not None else None
    return {str(k): float(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _write(memories: Memories, customer_id: int, key: str, value: Any, importance: float) -> Any:
    memories.remember(customer_id, key, value, importance=importance, source="session_summary")
    return value


def known_names(memories: Memories, customer_id: int) -> List[str]:
    """The names the customer is known by (their account's, its parts, the remembered one): what
    a summary's prompt masks."""
    name = load_profile(memories.store, customer_id).name
    remembered = memories.recall(customer_id).get("name")
    names = [name, *name.split()]
    return names + [str(remembered.value)] if remembered is not None else names


def add_open_issue(memories: Memories, customer_id: int, issue: Dict[str, Any],
                   known: Optional[Dict[str, Any]] = None) -> List[Dict[str, Any]]:  # fmt: skip
    """Adds ``issue`` to the customer's open issues (the newest ten are kept)."""
    known = known if known is not None else memories.recall(customer_id)
    current = known.get("open_issues")
    issues = list(current.value) if current is not None and isinstance(current.value, list) else []
    issues = (issues + [issue])[-10:]
    memories.remember(customer_id, "open_issues", issues, importance=0.9, source="conversation")
    return issues


def _prose(facts: SessionFacts, summariser: Optional[Summariser]) -> str:
    if summariser is not None:
        try:
            text = summariser(facts.turns)
            if text and text.strip():
                return text.strip()[:2000]
        except Exception:  # noqa: BLE001 - a summariser's failure never loses the session's facts
            logger.warning("summariser failed; using the rule-based summary", exc_info=True)
    return rule_summary(facts)
