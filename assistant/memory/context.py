"""Short-term memory: a session's context from the tracker's events (recent turns, entities,
slots, the current intent, who the customer is), for ``GET /api/core/sessions/:id/context``."""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence

from assistant.conversations.tracker_events import iso
from assistant.identity.permissions import IdentityState, Level
from assistant.memory.summary import last_session

HIDDEN_SLOTS = (
    "session_started_metadata",
    "verification_code",
    "order_fact",
    "order_access",
    "requested_slot",
)
RECENT_TURNS = 20


def session_slots(events: Sequence[Mapping[str, Any]]) -> Dict[str, Any]:
    """The slots the session's events set (last value wins)."""
    slots: Dict[str, Any] = {}
    for event in events:
        if event.get("event") == "slot" and isinstance(event.get("name"), str):
            slots[event["name"]] = event.get("value")
    return slots


def session_identity(events: Sequence[Mapping[str, Any]]) -> IdentityState:
    slots = session_slots(events)
    try:
        level = Level(slots.get("verification") or Level.ANONYMOUS.value)
        customer_id = int(slots["customer_id"]) if slots.get("customer_id") is not None else None
    except (TypeError, ValueError):
        return IdentityState()
    return IdentityState(customer_id, level) if customer_id is not None else IdentityState()


def session_context(
    conversation_id: str, events: Sequence[Mapping[str, Any]], turns: int = RECENT_TURNS
) -> Dict[str, Any]:
    """The current session's context in seed 001's shape (``context.conversation_history`` ...)."""
    session = last_session(events)
    history: List[Dict[str, Any]] = []
    entities: Dict[str, Any] = {}
    intent: Optional[Dict[str, Any]] = None
    channel, last_at = None, None
    for event in session:
        kind = event.get("event")
        if kind == "user":
            parse = event.get("parse_data") or {}
            intent = parse.get("intent") or intent
            entities.update(
                {e["entity"]: e.get("value") for e in parse.get("entities") or [] if e.get("entity")}
            )
            channel = event.get("input_channel") or channel
        if kind in ("user", "bot") and event.get("text"):
            role = "user" if kind == "user" else "assistant"
            history.append({"role": role, "content": str(event["text"]), "at": iso(event.get("timestamp"))})
            last_at = event.get("timestamp")
    slots = {k: v for k, v in session_slots(session).items() if k not in HIDDEN_SLOTS}
    identity = session_identity(session)
    return {"sessionId": conversation_id, "userId": str(identity.customer_id) if identity.customer_id else None,
            "verification": identity.level.value, "channel": channel,
            "context": {"conversation_history": history[-turns:], "entities": entities, "slots": slots,
                        "intent": (intent or {}).get("name"), "confidence": (intent or {}).get("confidence"),
                        "last_interaction": iso(last_at)}}  # fmt: skip
