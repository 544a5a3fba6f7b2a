"""Conversations as the API shows them: the conversation model's row with its customer,
assignee, message count and last message (from the tracker store), and the detail view with
the transcript, notes, status history and place in the queue."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, TypedDict

import sqlalchemy as sa

from admin_api.accounts.views import when
from assistant.conversations import handoff, registry
from assistant.conversations.lifecycle import PENDING
from assistant.conversations.tracker_events import Summary, TrackerEvents
from assistant.store import Store
from assistant.store.account_models import Account
from assistant.store.conversation_models import Conversation
from assistant.store.models import Customer


class ConversationView(TypedDict):
    id: str
    title: Optional[str]
    channel: str
    status: str
    priority: str
    tags: List[str]
    assignee: Optional[Dict[str, str]]
    customer: Optional[Dict[str, Any]]
    message_count: int
    last_message: Optional[Dict[str, Any]]
    follow_up: Optional[str]
    created_at: Optional[str]
    updated_at: Optional[str]
    queued_at: Optional[str]
    closed_at: Optional[str]
    last_message_at: Optional[str]


def views(
    store: Store, tracker: TrackerEvents, rows: List[Conversation], staff: bool = True
) -> List[ConversationView]:
    summaries = tracker.summaries([row.id for row in rows])
    customers, names = _customers(store, rows), _staff_names(store, rows)
    return [_view(row, summaries.get(row.id), customers, names, staff) for row in rows]


def detail(
    store: Store, tracker: TrackerEvents, conversation: Conversation, staff: bool = True
) -> Dict[str, Any]:
    """Everything about one conversation; customers see their messages and status only."""
    [view] = views(store, tracker, [conversation], staff)
    data: Dict[str, Any] = dict(view)
    if not staff:
        data["messages"] = [
            e for e in tracker.transcript(conversation.id) if e["type"] in ("user", "bot", "agent")
        ]
        return data
    data["transcript"] = tracker.transcript(conversation.id)
    data["external_id"] = conversation.external_id
    data["contact_email"] = conversation.contact_email
    data["notes"] = [{"id": n.id, "author": {"id": n.author_id, "name": n.author_name}, "content": n.body,
                      "created_at": when(n.created_at)} for n in registry.notes(store, conversation.id)]  # fmt: skip
    data["history"] = [{"from": h.from_status, "to": h.to_status, "assignee_id": h.assignee_id,
                        "by": {"type": h.actor_type, "id": h.actor_id}, "reason": h.reason,
                        "at": when(h.created_at)} for h in registry.history(store, conversation.id)]  # fmt: skip
    data["undelivered"] = [{"text": m.text, "error": m.error, "at": when(m.at)}
                           for m in registry.undelivered(store, conversation.id)]  # fmt: skip
    if conversation.status == PENDING:
        data["queue_position"] = handoff.position_in_queue(store, conversation)
    return data


def _view(row: Conversation, summary: Optional[Summary], customers: Dict[int, Customer],
          names: Dict[str, str], staff: bool) -> ConversationView:  # fmt: skip
    customer = customers.get(row.customer_id) if row.customer_id is not None else None
    return {
        "id": row.id, "title": row.title, "channel": row.channel, "status": row.status,
        "priority": row.priority, "tags": list(row.tags or []),
        "assignee": {"id": row.assignee_id, "name": names.get(row.assignee_id, row.assignee_id)}
        if row.assignee_id else None,
        "customer": {"id": customer.id, "name": customer.name, "email": customer.email, "tier": customer.tier}
        if customer is not None and staff else None,
        "message_count": summary.message_count if summary else 0,
        "last_message": summary.last_message if summary else None,
        "follow_up": row.follow_up, "created_at": when(row.created_at), "updated_at": when(row.updated_at),
        "queued_at": when(row.queued_at), "closed_at": when(row.closed_at),
        "last_message_at": when(row.last_message_at),
    }  # fmt: skip


def _customers(store: Store, rows: List[Conversation]) -> Dict[int, Customer]:
    ids = {row.customer_id for row in rows if row.customer_id is not None}
    if not ids:
        return {}
    with store.session() as s:
        return {c.id: c for c in s.scalars(sa.select(Customer).where(Customer.id.in_(ids)))}


def _staff_names(store: Store, rows: List[Conversation]) -> Dict[str, str]:
    ids = {row.assignee_id for row in rows if row.assignee_id}
    if not ids:
        return {}
    with store.session() as s:
        return dict(s.execute(sa.select(Account.id, Account.name).where(Account.id.in_(ids))).all())


def search_condition(store: Store, tracker: TrackerEvents, text: str) -> Any:
    """Conversations whose id, title, customer or any message contains ``text``."""
    needle = "%" + text.lower().replace("\\", "").replace("%", "").replace("_", "") + "%"
    customers = sa.select(Customer.id).where(
        sa.or_(sa.func.lower(Customer.name).like(needle), sa.func.lower(Customer.email).like(needle))
    )
    in_messages = list(tracker.search(text))
    return sa.or_(
        sa.func.lower(Conversation.id).like(needle),
        sa.func.lower(sa.func.coalesce(Conversation.title, "")).like(needle),
        Conversation.customer_id.in_(customers),
        Conversation.id.in_(in_messages),
    )
