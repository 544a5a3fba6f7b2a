"""Conversations silent for a while are summarised into their verified customers' memory
without waiting for the customer to come back (a new session does it too, actions/session.py).

Run it from cron or a timer: ``python -m assistant.memory.idle`` (``MEMORY_IDLE_MINUTES``,
60 by default; conversations idle for longer than a week are left alone)."""

from __future__ import annotations

import time
from typing import Any, Dict, List, Optional

import sqlalchemy as sa

from assistant.conversations.tracker_events import EVENTS, TrackerEvents
from assistant.memory.cache import MemoryCache
from assistant.memory.context import session_identity
from assistant.memory.store import Memories, owner
from assistant.memory.summary import Summariser, last_session, summarise_session
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
                   summariser: Optional[Summariser] = None) -> Dict[str, Dict[str, Any]]:  # fmt: skip
    """Summarises the last session of each idle conversation with a verified customer; what
    was written, by conversation (a session already summarised writes nothing again)."""
    written: Dict[str, Dict[str, Any]] = {}
    for conversation_id in idle_conversations(tracker, idle_minutes, now):
        session = last_session(tracker.events(conversation_id))
        customer_id = owner(session_identity(session))
        if customer_id is None:
            continue
        found = summarise_session(memories, customer_id, session, summariser, conversation_id)
        if found:
            written[conversation_id] = found
    return written


def main() -> None:
    settings = get_settings()
    store, tracker = build_store(settings), TrackerEvents(settings.tracker_store_url)
    try:
        memories = Memories(store, MemoryCache.from_settings(settings))
        written = summarise_idle(memories, tracker, settings.memory_idle_minutes)
        print(f"summarised {len(written)} idle conversation(s) into memory")
    finally:
        tracker.close()
        store.engine.dispose()


if __name__ == "__main__":
    main()
