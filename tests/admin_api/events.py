"""Conversations written straight into the tracker store's ``events`` table, as Rasa writes
them, for tests that do not run a Rasa server."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any, Dict, List, Optional

from assistant.conversations.tracker_events import EVENTS
from assistant.identity.claims import CLAIM_KEY, issue_claim
from assistant.identity.permissions import IdentityState, Level
from assistant.identity.secret import identity_secret
from assistant.settings import Settings
from assistant.store.repository import create_db_engine


def user(text: str, intent: str = "order_status", confidence: float = 0.93, channel: str = "rest",
         metadata: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:  # fmt: skip
    parse = {"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": []}
    return {"event": "user", "text": text, "parse_data": parse, "input_channel": channel,
            "message_id": uuid.uuid4().hex, "metadata": metadata or {}}  # fmt: skip


def bot(text: str, sender: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
    return {
        "event": "bot",
        "text": text,
        "data": {},
        "metadata": {"webchat_sender": sender} if sender else {},
    }


def action(name: str) -> Dict[str, Any]:
    return {"event": "action", "name": name, "policy": "RulePolicy", "confidence": 1.0}


def signed_in(settings: Settings, conversation_id: str, customer_id: int) -> Dict[str, Any]:
    """Metadata with the web channel's signed claim that ``customer_id`` is writing."""
    state = IdentityState(customer_id, Level.VERIFIED)
    claim = issue_claim(identity_secret(settings), conversation_id, "webchat", state,
                        external_id=f"customer-{customer_id}", method="jwt", linkable=True)  # fmt: skip
    return {CLAIM_KEY: claim}


def write(
    settings: Settings, sender: str, events: List[Dict[str, Any]], start: Optional[float] = None
) -> None:
    moment = start or time.time()
    engine = create_db_engine(settings.tracker_store_url)
    with engine.begin() as connection:
        for offset, event in enumerate(events):
            stamp = moment + offset * 0.01
            connection.execute(EVENTS.insert().values(
                sender_id=sender, type_name=event["event"], timestamp=stamp,
                intent_name=(event.get("parse_data") or {}).get("intent", {}).get("name"),
                action_name=event.get("name"), data=json.dumps({**event, "timestamp": stamp})))  # fmt: skip
    engine.dispose()
