"""Conversations silent for a while are summarised into their verified customers' memory
without waiting for the customer to come back (a new session does it too, actions/session.py).

Run it from cron or a timer: ``python -m assistant.memory.idle`` (``MEMORY_IDLE_MINUTES``,
60 by default; conversations idle for longer than a week are left alone)."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Callable, Dict, List, Optional

import sqlalchemy as sa

from assistant.conversations.tracker_events import EVENTS, TrackerEvents
from assistant.llm import LLMClient
from assistant.llm.records import store_recorder
from assistant.llm.tasks import summarise_turns
from assistant.memory.cache import MemoryCache
from assistant.memory.context import session_identity
from assistant.memory.store import Memories, owner
from assistant.memory.summary import Summariser, known_names, last_session, summarise_session
from assistant.settings import get_settings
from assistant.store import build_store

LOOKBACK_SECONDS = 7 * 24 * 3600


def idle_conversations(tracker: TrackerEvents, idle_minutes: int, now: Optional[float] = None) -> List[str]:
    """Conversations whose last event is older than ``idle_minutes`` (and newer than a week)."""
    if not tracker.available():
        return []
    cutoff = (now or time.time()) - idle_minutes * 60
    last = sa.func.max(EVENTS.c.timestamp)
    query = sa.select(EVENTS.c.sender_id).group_by(EVENTS.c.sender_id)
    query = query.having(sa.and_(last < cutoff, last > cutoff - LOOKBACK_SECONDS))
    with tracker.engine.connect() as connection:
        return [row[0] for row in connection.execute(query)]


def summarise_idle(memories: Memories, tracker: TrackerEvents, idle_minutes: int, now: Optional[float] = None,
                   summariser: Optional[Summariser] = None,
                   summariser_for: Optional[Callable[[int], Summariser]] = None) -> Dict[str, Dict[str, Any]]:  # fmt: skip
    """Summarises the last session of each idle conversation with a verified customer; what
    was written, by conversation (a session already summarised writes nothing again).
    ``summariser_for(customer_id)`` gives a customer's summariser (the LLM's, which masks
    their names)."""
    written: Dict[str, Dict[str, Any]] = {}
    for conversation_id in idle_conversations(tracker, idle_minutes, now):
        session = last_session(tracker.events(conversation_id))
        customer_id = owner(session_identity(session))
        if customer_id is None:
            continue
        chosen = summariser_for(customer_id) if summariser_for is not None else summariser
        found = summarise_session(memories, customer_id, session, chosen, conversation_id)
        if found:
            written[conversation_id] = found
    return written


def llm_summariser_for(llm: LLMClient, memories: Memories, loop: asyncio.AbstractEventLoop,
                       ) -> Callable[[int], Summariser]:  # fmt: skip
    """For this job (no event loop of its own): each customer's summariser is the LLM's note,
    run on ``loop`` (one loop for the whole job, so the client's connections stay usable)."""

    def for_customer(customer_id: int) -> Summariser:
        names = known_names(memories, customer_id)
        return lambda turns: loop.run_until_complete(summarise_turns(llm, turns, names))

    return for_customer


def main() -> None:
    settings = get_settings()
    store, tracker = build_store(settings), TrackerEvents(settings.tracker_store_url)
    loop = asyncio.new_event_loop()
    try:
        memories = Memories(store, MemoryCache.from_settings(settings))
        llm = LLMClient(settings.llm, recorder=store_recorder(store))
        chosen = llm_summariser_for(llm, memories, loop) if llm.configured else None
        written = summarise_idle(memories, tracker, settings.memory_idle_minutes, summariser_for=chosen)
        print(f"summarised {len(written)} idle conversation(s) into memory")
    finally:
        loop.close()
        tracker.close()
        store.engine.dispose()


if __name__ == "__main__":
    main()
