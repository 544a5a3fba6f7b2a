"""Messages to customers, recorded before they are sent and kept with what became of them.

A reply is queued (``pending``, held by the process that will send it) in the same transaction
that marks its customer message answered; the sender then records ``sent`` with Meta's id, or
``failed`` with Meta's error. Meta's later statuses (delivered, read, failed) move it on; a
status never moves it back. A process that dies before sending leaves its claim to expire and
another sends the message (``due``). Nothing is dropped: a message that cannot go out is
``failed``, with the reason, where the admin API can show it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, List, Optional, Tuple

import sqlalchemy as sa
from sqlalchemy.orm import Session

from assistant.store import Store
from assistant.store.models import WhatsAppMessage, WhatsAppStatus, utcnow
from channels.whatsapp.inbound import StatusReport
from channels.whatsapp.meta_errors import OUTSIDE_WINDOW
from channels.whatsapp.outgoing import Draft
from channels.whatsapp.rows import OutboundWork, claim_free, insert_new, new_claim, outbound_work

PENDING, SENT, FAILED = "pending", "sent", "failed"
PROGRESS = {PENDING: 0, SENT: 1, "delivered": 2, "read": 3}


def queue(s: Session, conversation_id: str, drafts: List[Draft], author: str,
          reply_to: Optional[int] = None, client_message_id: Optional[str] = None) -> List[OutboundWork]:  # fmt: skip
    """Records ``drafts`` to send, held by this process; a draft with no WhatsApp form is
    recorded failed at once. Replies to one message are numbered, so queueing them twice (a
    turn replayed after a crash) adds nothing."""
    claim, queued = new_claim(), []
    for seq, draft in enumerate(drafts):
        sendable = draft.body is not None
        values = {
            "conversation_id": conversation_id, "direction": "out", "kind": draft.kind,
            "author": author[:100], "text": draft.text, "body": draft.body,
            "status": PENDING if sendable else FAILED, "claimed_until": claim if sendable else None,
            "error": None if sendable else {"code": None, "title": "No WhatsApp form for this reply"},
            "reply_to_id": reply_to, "seq": seq if reply_to is not None else None,
            "client_message_id": client_message_id if seq == 0 else None, "attempts": 0,
        }  # fmt: skip
        if reply_to is None:
            s.add(WhatsAppMessage(**values))
            s.flush()
        elif not insert_new(s, WhatsAppMessage, values, ("reply_to_id", "seq")):
            continue
        if sendable:
            queued.append(outbound_work(_latest(s, conversation_id, reply_to, seq)))
    return queued


def _latest(s: Session, conversation_id: str, reply_to: Optional[int], seq: int) -> WhatsAppMessage:
    query = sa.select(WhatsAppMessage).where(WhatsAppMessage.conversation_id == conversation_id,
                                             WhatsAppMessage.direction == "out")  # fmt: skip
    if reply_to is not None:
        query = query.where(WhatsAppMessage.reply_to_id == reply_to, WhatsAppMessage.seq == seq)
    return s.scalars(query.order_by(WhatsAppMessage.id.desc()).limit(1)).one()


def record(store: Store, conversation_id: str, drafts: List[Draft], author: str,
           client_message_id: Optional[str] = None) -> List[OutboundWork]:  # fmt: skip
    """Queues messages that answer no customer message (an agent's, a template)."""
    with store.session() as s:
        return queue(s, conversation_id, drafts, author, client_message_id=client_message_id)


def claim(store: Store, message_id: int) -> Optional[OutboundWork]:
    """Takes a pending message no process holds (its sender died), for sending."""
    now = utcnow()
    with store.session() as s:
        won = s.execute(
            sa.update(WhatsAppMessage)
            .where(WhatsAppMessage.id == message_id, WhatsAppMessage.status == PENDING, claim_free(now))
            .values(claimed_until=new_claim())
        ).rowcount
        row = s.get(WhatsAppMessage, message_id) if won == 1 else None
        return outbound_work(row) if row is not None else None


def due(store: Store, limit: int = 50) -> List[int]:
    """Pending messages whose sender let go of them (or died), oldest first."""
    with store.session() as s:
        query = sa.select(WhatsAppMessage.id).where(
            WhatsAppMessage.direction == "out", WhatsAppMessage.status == PENDING, claim_free(utcnow())
        )
        return list(s.scalars(query.order_by(WhatsAppMessage.id).limit(limit)))


def mark_sent(store: Store, work: OutboundWork, wamid: str, attempts: int) -> None:
    """Records Meta's id of the sent message; a status that arrived first still counts."""
    with store.session() as s:
        known = s.scalars(sa.select(WhatsAppStatus).where(WhatsAppStatus.wamid == wamid)).all()
        row = s.get(WhatsAppMessage, work.id)
        if row is None:
            return
        row.wamid, row.status, row.sent_at, row.claimed_until = wamid, SENT, utcnow(), None
        row.attempts, row.error = attempts, None
        for status in sorted(known, key=lambda st: st.id):
            _move(row, status.status, status.error)


def mark_failed(store: Store, work: OutboundWork, error: Dict[str, Any], attempts: int) -> None:
    with store.session() as s:
        s.execute(
            sa.update(WhatsAppMessage)
            .where(WhatsAppMessage.id == work.id)
            .values(status=FAILED, error=error, claimed_until=None, attempts=attempts)
        )


def apply_status(s: Session, report: StatusReport) -> Tuple[int, bool]:
    """Stores a status Meta reported (once per message and status) and moves the message on.
    Returns (1 if new else 0, whether it says free text failed outside the 24-hour window)."""
    values = {"wamid": report.wamid, "conversation_id": report.conversation_id, "status": report.status,
              "error": report.error, "occurred_at": report.occurred_at, "created_at": utcnow()}  # fmt: skip
    if not insert_new(s, WhatsAppStatus, values, ("wamid", "status")):
        return 0, False
    row = s.scalars(sa.select(WhatsAppMessage).where(WhatsAppMessage.wamid == report.wamid)).first()
    if row is not None:
        _move(row, report.status, report.error)
    outside = report.status == FAILED and (report.error or {}).get("code") == OUTSIDE_WINDOW
    return 1, outside and (row is None or row.kind != "template")


def _move(row: WhatsAppMessage, status: str, error: Optional[Dict[str, Any]]) -> None:
    if status == FAILED:
        row.status, row.error = FAILED, error
    elif row.status != FAILED and PROGRESS.get(status, 0) > PROGRESS.get(row.status, 0):
        row.status = status


def reengaged_since(store: Store, conversation_id: str, since: datetime) -> bool:
    """Whether a re-engagement template went to the conversation since ``since``."""
    with store.session() as s:
        query = sa.select(sa.func.count(WhatsAppMessage.id)).where(
            WhatsAppMessage.conversation_id == conversation_id, WhatsAppMessage.direction == "out",
            WhatsAppMessage.kind == "template", WhatsAppMessage.author == "system",
            WhatsAppMessage.created_at >= since, WhatsAppMessage.status != FAILED,
        )  # fmt: skip
        return bool(s.scalar(query))


def by_client_id(store: Store, client_message_id: str) -> Optional[Dict[str, Any]]:
    """The outcome of an agent's message sent with this id before (a retried request)."""
    with store.session() as s:
        row = s.scalars(
            sa.select(WhatsAppMessage).where(WhatsAppMessage.client_message_id == client_message_id)
        ).first()
        if row is None:
            return None
        return {"id": row.id, "conversation_id": row.conversation_id, "status": row.status,
                "wamid": row.wamid, "error": row.error, "created_at": row.created_at}  # fmt: skip
