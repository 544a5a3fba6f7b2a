"""Shared pieces of the channel's tables: rows as plain snapshots for the worker and sender,
and an insert that leaves an existing row alone (how a repeated message id is recognised)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Dict, Optional

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from assistant.store.models import WhatsAppMessage, utcnow

LEASE = timedelta(minutes=2)  # how long a process may work on a row before another takes over


@dataclass(frozen=True)
class InboundWork:
    """A customer message whose turn is to run, held by this process until ``claim``."""

    id: int
    conversation_id: str
    wamid: str
    kind: str
    text: Optional[str]
    media: Optional[Dict[str, Any]]
    body: Dict[str, Any]
    attempts: int
    claim: datetime


@dataclass(frozen=True)
class OutboundWork:
    """A message to send, held by this process until ``claim``."""

    id: int
    conversation_id: str
    kind: str
    body: Optional[Dict[str, Any]]
    text: str
    author: str
    claim: datetime


def inbound_work(row: WhatsAppMessage) -> InboundWork:
    return InboundWork(row.id, row.conversation_id, row.wamid, row.kind, row.text, row.media,
                       row.body or {}, row.attempts or 0, row.claimed_until)  # fmt: skip


def outbound_work(row: WhatsAppMessage) -> OutboundWork:
    return OutboundWork(row.id, row.conversation_id, row.kind, row.body, row.text or "", row.author,
                        row.claimed_until)  # fmt: skip


def insert_new(s: Session, model: Any, values: Dict[str, Any], unique: tuple) -> bool:
    """Inserts ``values`` unless a row with the same ``unique`` columns exists; True if inserted.
    One statement (``ON CONFLICT DO NOTHING``), so two processes storing the same message race
    safely: one inserts it, the other sees it is there."""
    dialect = s.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(model).values(**values).on_conflict_do_nothing(index_elements=list(unique))
    return s.execute(statement).rowcount == 1


def claim_free(now: datetime) -> Any:
    """Rows no process holds (never claimed, or the holder's lease ran out)."""
    return sa.or_(WhatsAppMessage.claimed_until.is_(None), WhatsAppMessage.claimed_until < now)


def new_claim() -> datetime:
    return utcnow() + LEASE
