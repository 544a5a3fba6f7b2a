"""What each kind of export reads: its columns, its filters, and the rows (one query, read
with a server-side cursor in batches so memory stays flat whatever the table's size).

- ``conversations``: the conversation model's table (not deleted ones), by ``created_at``;
- ``messages``: customers', the bot's and agents' messages from Rasa's ``events`` table, by
  the event's timestamp;
- ``users``: the accounts (never their secrets), by ``created_at``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import sqlalchemy as sa

from admin_api.accounts import admin
from assistant.conversations import lifecycle
from assistant.conversations.tracker_events import AGENT_ROLES, EVENTS, MESSAGE_TYPES, SENDER_KEY
from assistant.store.account_models import Account
from assistant.store.conversation_models import Conversation

BATCH = 2000
Row = Tuple[Any, ...]


@dataclass(frozen=True)
class Query:
    """A checked export request: date range (naive UTC), filters, columns."""

    date_from: Optional[datetime] = None
    date_to: Optional[datetime] = None
    filters: Dict[str, str] = field(default_factory=dict)
    columns: Tuple[str, ...] = ()


@dataclass(frozen=True)
class Kind:
    name: str
    columns: Tuple[str, ...]
    filters: Dict[str, Sequence[str]]  # name -> allowed values (empty: any short text)
    rows: Callable[[sa.engine.Engine, Query], Iterator[Dict[str, Any]]]
    source: str = "store"  # "store" or "tracker": which database the rows come from


def stream(engine: sa.engine.Engine, statement: Any) -> Iterator[Any]:
    """The statement's rows, fetched ``BATCH`` at a time through a server-side cursor."""
    with engine.connect() as connection:
        result = connection.execution_options(stream_results=True, max_row_buffer=BATCH).execute(statement)
        yield from result.yield_per(BATCH)


def iso(moment: Optional[datetime]) -> Optional[str]:
    return moment.isoformat(timespec="seconds") + "Z" if moment is not None else None


def _between(column: Any, query: Query) -> List[Any]:
    found = []
    if query.date_from is not None:
        found.append(column >= query.date_from)
    if query.date_to is not None:
        found.append(column <= query.date_to)
    return found


def conversation_rows(engine: sa.engine.Engine, query: Query) -> Iterator[Dict[str, Any]]:
    c = Conversation.__table__.c
    where = [c.deleted_at.is_(None), *_between(c.created_at, query)]
    where += [getattr(c, name) == value for name, value in query.filters.items() if name != "tag"]
    statement = sa.select(Conversation.__table__).where(*where).order_by(c.created_at, c.id)
    tag = query.filters.get("tag")
    for row in stream(engine, statement):
        tags = list(row.tags or [])
        if tag is not None and tag not in tags:
            continue
        yield {"id": row.id, "channel": row.channel, "status": row.status, "customer_id": row.customer_id,
               "assignee_id": row.assignee_id, "priority": row.priority, "tags": ";".join(map(str, tags)),
               "title": row.title, "contact_email": row.contact_email, "created_at": iso(row.created_at),
               "updated_at": iso(row.updated_at), "last_message_at": iso(row.last_message_at),
               "closed_at": iso(row.closed_at)}  # fmt: skip


def _epoch(moment: datetime) -> float:
    return moment.replace(tzinfo=timezone.utc).timestamp()


def message_rows(engine: sa.engine.Engine, query: Query) -> Iterator[Dict[str, Any]]:
    if not sa.inspect(engine).has_table("events"):
        return
    e = EVENTS.c
    where = [e.type_name.in_(MESSAGE_TYPES)]
    if query.date_from is not None:
        where.append(e.timestamp >= _epoch(query.date_from))
    if query.date_to is not None:
        where.append(e.timestamp <= _epoch(query.date_to))
    if "conversation_id" in query.filters:
        where.append(e.sender_id == query.filters["conversation_id"])
    if "intent" in query.filters:
        where.append(sa.and_(e.type_name == "user", e.intent_name == query.filters["intent"]))
    wanted = query.filters.get("type")
    for row in stream(engine, sa.select(EVENTS).where(*where).order_by(e.id)):
        message = _message(row)
        if wanted is None or message["type"] == wanted:
            yield message


def _message(row: Any) -> Dict[str, Any]:
    try:
        data = json.loads(row.data or "{}")
    except ValueError:
        data = {}
    data = data if isinstance(data, dict) else {}
    sender = (data.get("metadata") or {}).get(SENDER_KEY) or {}
    intent = ((data.get("parse_data") or {}).get("intent") or {}) if row.type_name == "user" else {}
    kind = row.type_name
    if kind == "bot" and isinstance(sender, dict) and sender.get("role") in AGENT_ROLES:
        kind = "agent"
    at = datetime.fromtimestamp(row.timestamp or 0.0, timezone.utc).replace(tzinfo=None)
    return {"id": row.id, "conversation_id": row.sender_id, "created_at": iso(at), "type": kind,
            "sender_id": str(sender.get("id") or "") if isinstance(sender, dict) else "",
            "text": data.get("text") or "", "intent": intent.get("name"), "confidence": intent.get("confidence"),
            "channel": data.get("input_channel")}  # fmt: skip


def user_rows(engine: sa.engine.Engine, query: Query) -> Iterator[Dict[str, Any]]:
    a = Account.__table__.c
    where = [*_between(a.created_at, query), *(getattr(a, n) == v for n, v in query.filters.items())]
    for row in stream(engine, sa.select(Account.__table__).where(*where).order_by(a.created_at, a.id)):
        yield {"id": row.id, "email": row.email, "name": row.name, "role": row.role, "status": row.status,
               "customer_id": row.customer_id, "email_verified": bool(row.email_verified),
               "totp_enabled": bool(row.totp_enabled), "created_at": iso(row.created_at),
               "last_login_at": iso(row.last_login_at), "last_seen_at": iso(row.last_seen_at)}  # fmt: skip


KINDS: Dict[str, Kind] = {
    "conversations": Kind(
        "conversations",
        (
            "id",
            "channel",
            "status",
            "customer_id",
            "assignee_id",
            "priority",
            "tags",
            "title",
            "contact_email",
            "created_at",
            "updated_at",
            "last_message_at",
            "closed_at",
        ),  # fmt: skip
        {
            "status": lifecycle.STATUSES,
            "channel": (),
            "assignee_id": (),
            "priority": lifecycle.PRIORITIES,
            "tag": (),
        },
        conversation_rows,
    ),
    "messages": Kind(
        "messages",
        (
            "id",
            "conversation_id",
            "created_at",
            "type",
            "sender_id",
            "text",
            "intent",
            "confidence",
            "channel",
        ),
        {"type": ("user", "bot", "agent"), "conversation_id": (), "intent": ()},
        message_rows,
        source="tracker",
    ),
    "users": Kind(
        "users",
        (
            "id",
            "email",
            "name",
            "role",
            "status",
            "customer_id",
            "email_verified",
            "totp_enabled",
            "created_at",
            "last_login_at",
            "last_seen_at",
        ),  # fmt: skip
        {"role": admin.ROLES, "status": admin.STATUSES},
        user_rows,
    ),
}


def projected(kind: Kind, query: Query, engine: sa.engine.Engine) -> Tuple[Tuple[str, ...], Iterator[Row]]:
    """The header and the rows (tuples in the header's order) of ``kind`` for ``query``."""
    columns = query.columns or kind.columns
    return columns, (tuple(row[c] for c in columns) for row in kind.rows(engine, query))
