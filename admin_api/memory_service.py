"""What the memory, session and personalization endpoints share: whose data a ``user_id``
names (a customer's id, or the id of a customer's account), and the session reset."""

from __future__ import annotations

import asyncio
import json
from typing import Any, Dict, Optional

import sqlalchemy as sa

from admin_api.context import Services
from admin_api.errors import NotFoundError, ValidationFailed
from assistant.llm import LLMClient
from assistant.llm.records import store_recorder
from assistant.llm.tasks import summarise_turns
from assistant.memory.context import session_identity
from assistant.memory.store import owner
from assistant.memory.summary import Summariser, known_names, last_session, summarise_session
from assistant.store import Store, StoreError
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
    """The session about to be reset, into its verified customer's memory (nothing for others);
    its prose by the LLM when one is configured (the rules when it fails)."""
    session = last_session(events)
    customer_id = owner(session_identity(session))
    if customer_id is None:
        return {}
    summariser = llm_summariser(services, customer_id, conversation_id)
    return summarise_session(services.memories, customer_id, session, summariser, conversation_id)


def llm_summariser(services: Services, customer_id: int, conversation_id: str) -> Optional[Summariser]:
    """For a worker thread (no event loop there): the LLM's note, masking the customer's
    names, from a client of its own whose calls are recorded in ``llm_calls``; None without
    an LLM (or a customer on file), and the rules write the summary."""
    if not services.settings.llm.configured:
        return None
    try:
        names = known_names(services.memories, customer_id)
    except StoreError:
        return None
    llm = LLMClient(services.settings.llm, recorder=store_recorder(services.store))
    return lambda turns: asyncio.run(summarise_turns(llm, turns, names, conversation_id=conversation_id))


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
