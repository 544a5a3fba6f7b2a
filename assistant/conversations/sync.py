"""Conversations of every channel, found in the tracker store: each new event read since the
last time (a cursor in ``sync_cursors``) creates or updates its conversation: channel, customer
(from the channel's signed identity claim, never from what a client typed), title, last
activity, and the handoff state that Rasa events express. A ``resume`` posted to Rasa's HTTP
API hands the conversation back exactly like the admin API does; a ``pause`` queues it; a
customer's message answers an agent who waits, or reopens a closed conversation."""

from __future__ import annotations

from datetime import datetime
from itertools import groupby
from typing import List, Optional

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from assistant.conversations.handoff import handed_back
from assistant.conversations.lifecycle import ACTIVE, CLOSED, PENDING, WAITING, held_by_agent
from assistant.conversations.registry import SYSTEM, Actor, change_status, ensure
from assistant.conversations.tracker_events import EventRow, TrackerEvents
from assistant.identity.claims import CLAIM_KEY, Claim, read_claim
from assistant.store import Store
from assistant.store.conversation_models import Conversation, SyncCursor

CURSOR = "tracker_events"
BATCH = 2000


def sync(store: Store, events: TrackerEvents, secret: bytes, max_batches: int = 50) -> int:
    """Reads what the tracker store gained since the last call; returns how many events."""
    seen = 0
    for _ in range(max_batches):
        with store.session() as s:
            cursor = _cursor(s)
            rows = events.rows_since(int(cursor.position), BATCH)
            for _sender, group in groupby(
                sorted(rows, key=lambda r: (r.sender_id, r.id)), key=lambda r: r.sender_id
            ):
                _apply(s, list(group), secret)
            if rows:
                cursor.position = rows[-1].id
                cursor.updated_at = datetime.utcnow().replace(microsecond=0)
        seen += len(rows)
        if len(rows) < BATCH:
            break
    return seen


def _apply(s: Session, rows: List[EventRow], secret: bytes) -> None:
    first = rows[0]
    users = [row for row in rows if row.type_name == "user"]
    claims = [claim for claim in (_claim(row, secret) for row in users) if claim is not None]
    claim = claims[0] if claims else None
    conversation = ensure(
        s,
        first.sender_id,
        channel=next((row.data.get("input_channel") for row in users if row.data.get("input_channel")), None),
        external_id=claim.external_id if claim else None,
        customer_id=claim.customer_id if claim else None,
        at=_time(first.timestamp),
    )
    if conversation.title is None and users:
        text = str(users[0].data.get("text") or "")
        conversation.title = text[:80] if text and not text.startswith("/") else None
    for row in rows:
        _event(s, conversation, row)


def _event(s: Session, conversation: Conversation, row: EventRow) -> None:
    at = _time(row.timestamp)
    if row.type_name in ("user", "bot"):
        conversation.last_message_at = max(at, conversation.last_message_at or at)
    newer = at > conversation.status_changed_at  # older events were seen by the last change
    held = held_by_agent(conversation.status, conversation.assignee_id)
    if not newer:
        return
    customer = Actor("customer", conversation.external_id, "Customer")
    if row.type_name == "user" and conversation.status == WAITING:
        change_status(s, conversation, ACTIVE, customer, "customer answered", at=at)
    elif row.type_name == "user" and conversation.status == CLOSED:
        change_status(
            s, conversation, ACTIVE, customer, "customer came back", assignee=None, checked=False, at=at
        )
    elif row.type_name == "pause" and not held:
        change_status(s, conversation, PENDING, SYSTEM, "paused in the tracker", assignee=None, at=at)
    elif row.type_name == "resume" and held:
        handed_back(s, conversation, SYSTEM, "resumed in the tracker", at)


def _claim(row: EventRow, secret: bytes) -> Optional[Claim]:
    metadata = row.data.get("metadata")
    if not isinstance(metadata, dict) or CLAIM_KEY not in metadata:
        return None
    return read_claim(metadata, row.sender_id, secret, now=row.timestamp)


def _time(timestamp: float) -> datetime:
    return datetime.utcfromtimestamp(timestamp)


def _cursor(s: Session) -> SyncCursor:
    """The cursor row, locked (two processes syncing at once take turns), made on first use."""
    cursor = s.get(SyncCursor, CURSOR, with_for_update=True)
    if cursor is None:
        try:
            with s.begin_nested():
                s.add(SyncCursor(name=CURSOR, position=0))
        except IntegrityError:
            pass  # made meanwhile by another process
        cursor = s.get(SyncCursor, CURSOR, with_for_update=True, populate_existing=True)
    return cursor
