"""Shapes of what the web channel sends: conversation messages (``message_received``, history in
``conversation_joined``) and the rasa-webchat widget's ``bot_uttered`` payloads."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone
from typing import Any, Dict, Iterable, List, Optional

from rasa.shared.core.events import BotUttered, Event, UserUttered

CONVERSATION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$")
SENDER_KEY = "webchat_sender"

_POSITIVE = frozenset(
    "thanks thank great good awesome perfect love excellent helpful amazing nice wonderful happy "
    "brilliant fantastic appreciate glad pleased".split()
)
_NEGATIVE = frozenset(
    "bad terrible awful angry annoyed worst hate useless broken damaged wrong late never problem "
    "disappointed frustrated ridiculous complaint unacceptable horrible poor refund charged twice".split()
)


def now_iso(timestamp: Optional[float] = None) -> str:
    moment = datetime.fromtimestamp(timestamp, timezone.utc) if timestamp else datetime.now(timezone.utc)
    return moment.isoformat().replace("+00:00", "Z")


def split_text(text: str) -> List[str]:
    """Rasa's convention: a blank line separates the bubbles of one bot message."""
    parts = [part.strip() for part in (text or "").strip().split("\n\n")]
    return [part for part in parts if part] or [text or ""]


def sentiment(text: str) -> str:
    """A small word-list estimate: ``positive``, ``negative`` or ``neutral``."""
    words = re.findall(r"[a-z']+", (text or "").lower())
    score = sum(word in _POSITIVE for word in words) - sum(word in _NEGATIVE for word in words)
    if "!" in (text or "") and score < 0:
        score -= 1
    return "positive" if score > 0 else "negative" if score < 0 else "neutral"


def ai_metadata(parse_data: Optional[Dict[str, Any]], text: str) -> Dict[str, Any]:
    """Intent, confidence and sentiment of a customer's message, from Rasa's parse data."""
    intent = (parse_data or {}).get("intent") or {}
    confidence = intent.get("confidence")
    return {
        "intent": intent.get("name"),
        "confidence": round(float(confidence), 4) if confidence is not None else None,
        "sentiment": sentiment(text),
    }


def message(
    conversation_id: str,
    content: str,
    sender: Dict[str, str],
    message_type: str = "text",
    ai: Optional[Dict[str, Any]] = None,
    created_at: Optional[str] = None,
    **extra: Any,
) -> Dict[str, Any]:
    """A message as ``message_received`` and the history carry it."""
    body = {
        "id": uuid.uuid4().hex,
        "conversation_id": conversation_id,
        "content": content,
        "sender": sender,
        "message_type": message_type,
        "created_at": created_at or now_iso(),
        "ai_metadata": ai,
    }
    body.update({key: value for key, value in extra.items() if value is not None})
    return body


def quick_replies(buttons: Iterable[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Buttons as the widget's quick replies (Rasa's socket.io format)."""
    return [
        {"content_type": "text", "title": button.get("title", ""), "payload": button.get("payload", "")}
        for button in buttons
    ]


def history(
    events: Iterable[Event], conversation_id: str, customer: Dict[str, str], bot: Dict[str, str], limit: int
) -> List[Dict[str, Any]]:
    """The last ``limit`` messages of a conversation, from its tracker events."""
    result: List[Dict[str, Any]] = []
    for event in events:
        if isinstance(event, UserUttered) and event.text is not None:
            sender = (event.metadata or {}).get(SENDER_KEY) or customer
            ai = ai_metadata(event.parse_data, event.text)
            entry = message(conversation_id, event.text, sender, ai=ai, created_at=now_iso(event.timestamp))
            entry["id"] = event.message_id or entry["id"]
            result.append(entry)
        elif isinstance(event, BotUttered) and (event.text or event.data):
            result.append(_bot_history_entry(event, conversation_id, bot))
    return result[-limit:]


def _bot_history_entry(event: BotUttered, conversation_id: str, bot: Dict[str, str]) -> Dict[str, Any]:
    sender = (event.metadata or {}).get(SENDER_KEY) or bot
    buttons = (event.data or {}).get("buttons") or (event.data or {}).get("quick_replies")
    image = (event.data or {}).get("image")
    kind = "quick_replies" if buttons else "image" if image and not event.text else "text"
    return message(
        conversation_id,
        event.text or "",
        sender,
        message_type=kind,
        created_at=now_iso(event.timestamp),
        quick_replies=quick_replies(buttons) if buttons else None,
        attachments=[{"type": "image", "url": image}] if image else None,
    )
