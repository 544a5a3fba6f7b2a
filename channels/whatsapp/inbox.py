"""The durable inbox: customer messages stored before the webhook answers, then processed once.

A webhook call is answered 200 only after its messages and statuses are committed here. Each
message's Meta id (``wamid``) is unique, so a delivery Meta repeats (it retries for days) adds
nothing and starts no second turn. A message's turn then runs in the background; one that fails
for now is tried again later (``retry_later``), and one that cannot be answered is marked failed
with an apology queued for the customer (``fail``). A process that dies mid-turn leaves its
claim to expire, and another picks the message up (``due``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Dict, List, Optional, Tuple

import sqlalchemy as sa
from sqlalchemy.orm import Session

from assistant.store import Store
from assistant.store.models import WhatsAppMessage, utcnow
from channels import background
from channels.whatsapp import outbox
from channels.whatsapp.handling import handling_of
from channels.whatsapp.inbound import Inbound, Notification
from channels.whatsapp.outgoing import Draft
from channels.whatsapp.rows import InboundWork, OutboundWork, claim_free, inbound_work, insert_new, new_claim

RECEIVED, ANSWERED, RECORDED, FAILED = "received", "answered", "recorded", "failed"


@dataclass
class Stored:
    """What storing a notification did: new messages to work on (held by this process),
    repeats ignored, and conversations whose message failed outside the 24-hour window."""

    new: List[InboundWork] = field(default_factory=list)
    repeated: int = 0
    statuses: int = 0
    outside_window: List[str] = field(default_factory=list)


def store_notification(store: Store, notification: Notification) -> Stored:
    """Stores every message (once per ``wamid``) and status of a webhook call, in one
    transaction; the caller answers Meta only after this returns."""
    stored, claim = Stored(), new_claim()
    with store.session() as s:
        for message in notification.messages:
            if _insert_message(s, message, claim):
                row = s.scalars(
                    sa.select(WhatsAppMessage).where(WhatsAppMessage.wamid == message.wamid)
                ).one()
                if row.status == RECEIVED:
                    stored.new.append(inbound_work(row))
            else:
                stored.repeated += 1
        for report in notification.statuses:
            applied, outside_window = outbox.apply_status(s, report)
            stored.statuses += applied
            if outside_window:
                stored.outside_window.append(report.conversation_id)
    return stored


def _insert_message(s: Session, message: Inbound, claim: datetime) -> bool:
    handling = handling_of(message.kind, message.message)
    values = {
        "conversation_id": message.conversation_id, "direction": "in", "wamid": message.wamid,
        "kind": message.kind, "author": "customer", "text": handling.text, "media": handling.media,
        "body": message.message, "status": RECORDED if handling.silent else RECEIVED,
        "claimed_until": None if handling.silent else claim, "profile_name": message.profile_name,
        "sent_at": message.sent_at, "attempts": 0,
    }  # fmt: skip
    return insert_new(s, WhatsAppMessage, values, ("wamid",))


def claim(store: Store, message_id: int, held: Optional[datetime] = None) -> Optional[InboundWork]:
    """Takes (or, with the claim ``held``, renews) a message whose turn is due; None when
    another process holds it or it is done."""
    now, until = utcnow(), new_claim()
    ours = claim_free(now) if held is None else sa.or_(claim_free(now), WhatsAppMessage.claimed_until == held)
    with store.session() as s:
        won = s.execute(
            sa.update(WhatsAppMessage)
            .where(WhatsAppMessage.id == message_id, WhatsAppMessage.status == RECEIVED, ours)
            .values(claimed_until=until)
        ).rowcount
        row = s.get(WhatsAppMessage, message_id) if won == 1 else None
        return inbound_work(row) if row is not None else None


def due(store: Store, limit: int = 50) -> List[int]:
    """Customer messages whose turn is due and that no process holds, oldest first."""
    now = utcnow()
    with store.session() as s:
        query = sa.select(WhatsAppMessage.id).where(
            WhatsAppMessage.direction == "in",
            WhatsAppMessage.status == RECEIVED,
            claim_free(now),
            sa.or_(WhatsAppMessage.next_attempt_at.is_(None), WhatsAppMessage.next_attempt_at <= now),
        )
        return list(s.scalars(query.order_by(WhatsAppMessage.id).limit(limit)))


def answer(store: Store, work: InboundWork, text: Optional[str], transcription: Optional[str],
           replies: List[Draft]) -> Optional[List[OutboundWork]]:  # fmt: skip
    """Marks the message answered and queues its replies, in one transaction; None when this
    process no longer held it (another took over: it records the answer)."""
    with store.session() as s:
        if not _finish(s, work, ANSWERED, text=text, transcription=transcription, error=None):
            return None
        return outbox.queue(s, work.conversation_id, replies, author="bot", reply_to=work.id)


def retry_later(store: Store, work: InboundWork, error: Dict[str, Any], delay: float, attempts: int) -> bool:
    """Gives the message back for another try after ``delay`` seconds (channels/background.py)."""
    return background.retry_later(store, WhatsAppMessage, work, error, delay, attempts)


def fail(store: Store, work: InboundWork, error: Dict[str, Any], apology: Draft) -> List[OutboundWork]:
    """Marks the message failed and queues the apology that asks the customer to send it again."""
    with store.session() as s:
        if not _finish(s, work, FAILED, error=error, attempts=work.attempts + 1):
            return []
        return outbox.queue(s, work.conversation_id, [apology], author="system", reply_to=work.id)


def release(store: Store, work: InboundWork) -> None:
    """Lets another process take the message at once (this one is shutting down)."""
    with store.session() as s:
        s.execute(
            sa.update(WhatsAppMessage)
            .where(WhatsAppMessage.id == work.id, WhatsAppMessage.claimed_until == work.claim)
            .values(claimed_until=None)
        )


def _finish(s: Session, work: InboundWork, status: str, **values: Any) -> bool:
    done = s.execute(
        sa.update(WhatsAppMessage)
        .where(
            WhatsAppMessage.id == work.id,
            WhatsAppMessage.claimed_until == work.claim,
            WhatsAppMessage.status == RECEIVED,
        )  # fmt: skip
        .values(status=status, claimed_until=None, next_attempt_at=None, **values)
    ).rowcount
    return done == 1


def conversation_of(store: Store, message_id: int) -> Tuple[str, str]:
    """(conversation id, wamid) of a stored message (for logs and tests)."""
    with store.session() as s:
        row = s.get(WhatsAppMessage, message_id)
        return (row.conversation_id, row.wamid) if row is not None else ("", "")
