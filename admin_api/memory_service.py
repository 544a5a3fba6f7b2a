"""What the memory, session and personalization endpoints share: whose data a ``user_id``
names (a customer's id, or the id of a customer's account), and the session reset."""

from __future__ import annotations

import json
from typing import Any, Dict

import sqlalchemy as sa

from admin_api.context import Services
from admin_api.errors import NotFoundError, ValidationFailed
from assistant.memory.context import session_identity
from assistant.memory.store import owner
from assistant.memory.summary import last_session, summarise_session
from assistant.store import Store
from assistant.store.account_models import Account
from assistant.store.models import Customer


def resolve_customer(store: Store, user_id: str) -> int:
    """The customer ``user_id`` names: digits are a customer id, anything else an account id
    (of a customer's account); 404 when there is no such customer."""
    with store.session() as s:
        if user_id.isdigit() and len(user_id) < 10 and s.get(Customer, int(user_id)) is not None:
            return int(user_id)
        customer_id = s.scalar(sa.select(Account.customer_id).where(Account.id == user_id))
    if customer_id is None:
        raise NotFoundError("No customer has this id", {"user_id": user_id[:80]}, code="USER_NOT_FOUND")
    return int(customer_id)


def session_events(services: Services, conversation_id: str) -> list:
    events = services.tracker.events(conversation_id)
    if not events:
        raise NotFoundError(
            "No session has this id", {"sessionId": conversation_id}, code="SESSION_NOT_FOUND"
        )
    return events


def summarise_before_reset(services: Services, conversation_id: str, events: list) -> Dict[str, Any]:
    """The session about to be reset, into its verified customer's memory (nothing for others)."""
    session = last_session(events)
    customer_id = owner(session_identity(session))
    if customer_id is None:
        return {}
    return summarise_session(services.memories, customer_id, session, conversation_id=conversation_id)


def storable(value: Any, field: str) -> Any:
    """``value`` when a database can keep it as JSON (no NUL, no lone surrogate, keys too)."""
    text = json.dumps(value, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = "\x00"
    if "\x00" in text or "\\u0000" in text:
        raise ValidationFailed([{"field": field, "message": "contains characters that cannot be stored"}])
    return value
