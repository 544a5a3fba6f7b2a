"""The durable record of the support mailbox: each e-mail stored once by its ``Message-ID``
before its turn runs, then marked answered in the same transaction that queues the reply in the
outbox. A message fetched again (the listener died before flagging it ``\\Seen``) is recognised:
answered or ignored ones are only flagged, unfinished ones are processed again, and a turn
that Rasa had already stored is answered from storage (``channels.turns.serve_turn``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Dict, Iterable, List, Optional

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from assistant.store import Store
from assistant.store.email_models import EmailBounce, EmailMessage, EmailThread
from assistant.store.models import OutboundEmail, utcnow
from channels import background
from channels.email.parse import ParsedEmail
from channels.email.replies import Reply
from channels.email.safety import judge
from channels.email.threading import normalise_subject, thread_of

RECEIVED, ANSWERED, IGNORED, BOUNCE, FAILED, QUEUED = (
    "received",
    "answered",
    "ignored",
    "bounce",
    "failed",
    "queued",
)
DONE = (ANSWERED, IGNORED, BOUNCE, FAILED)


@dataclass(frozen=True)
class Work:
    """An incoming e-mail whose turn is to run, held by this process until ``claim``."""

    id: int
    message_id: str
    conversation_id: str
    address: str
    subject: str
    text: str
    details: Dict[str, Any]
    attempts: int
    claim: datetime


@dataclass(frozen=True)
class Stored:
    """What storing an e-mail found: its row, its status, and whether it is new."""

    id: int
    status: str
    new: bool
    conversation_id: Optional[str]


def record(store: Store, mail: ParsedEmail, own_addresses: Iterable[str]) -> Stored:
    """Stores ``mail`` unless its ``Message-ID`` is known; a new one is judged (answer, ignore,
    bounce) and, when it is to be answered, put in its conversation and held for this process."""
    with store.session() as s:
        values = {"message_id": mail.message_id, "direction": "in", "address": mail.from_address[:255],
                  "subject": mail.subject, "text": mail.text, "details": mail.details(), "status": RECEIVED,
                  "attempts": 0}  # fmt: skip
        new = _insert_new(s, values)
        row = s.scalars(sa.select(EmailMessage).where(EmailMessage.message_id == mail.message_id)).one()
        if new:
            _judge(s, row, mail, own_addresses)
        return Stored(row.id, row.status, new, row.conversation_id)


def _insert_new(s: Session, values: Dict[str, Any]) -> bool:
    """One ``INSERT ... ON CONFLICT DO NOTHING``: of two processes storing the same message,
    one inserts it and the other sees it is there."""
    insert = postgresql.insert if s.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(EmailMessage).values(created_at=utcnow(), updated_at=utcnow(), **values)
    return s.execute(statement.on_conflict_do_nothing(index_elements=["message_id"])).rowcount == 1


def _judge(s: Session, row: EmailMessage, mail: ParsedEmail, own_addresses: Iterable[str]) -> None:
    verdict = judge(mail, own_addresses)
    if verdict.answer:
        row.conversation_id = thread_of(s, mail)
        return
    row.reason = verdict.reason
    row.status = BOUNCE if verdict.bounce is not None else IGNORED
    if verdict.bounce is not None:
        _record_bounce(s, mail.message_id, verdict.bounce)


def _record_bounce(s: Session, bounce_id: str, report: Dict[str, Any]) -> None:
    original = report.get("original_message_id")
    sent = (
        s.scalars(sa.select(EmailMessage).where(EmailMessage.message_id == original)).first()
        if original
        else None
    )
    s.add(EmailBounce(bounce_message_id=bounce_id, original_message_id=original,
                      conversation_id=sent.conversation_id if sent else None,
                      recipient=(report.get("recipient") or "")[:255] or None,
                      status=(report.get("status") or "")[:20] or None,
                      diagnostic=(report.get("diagnostic") or "")[:255] or None))  # fmt: skip


def claim(store: Store, row_id: int, held: Optional[datetime] = None, lease: float = 120) -> Optional[Work]:
    """Takes (or, holding it since ``held``, renews) a message whose turn is due, for ``lease``
    seconds; None when it is done, waits for another try, or another process holds it."""
    now = utcnow()
    free = sa.or_(EmailMessage.claimed_until.is_(None), EmailMessage.claimed_until < now)
    ours = free if held is None else sa.or_(free, EmailMessage.claimed_until == held)
    due_now = sa.or_(EmailMessage.next_attempt_at.is_(None), EmailMessage.next_attempt_at <= now)
    with store.session() as s:
        won = s.execute(
            sa.update(EmailMessage)
            .where(EmailMessage.id == row_id, EmailMessage.status == RECEIVED, ours, due_now)
            .values(claimed_until=now + timedelta(seconds=lease))
        ).rowcount
        row = s.get(EmailMessage, row_id) if won == 1 else None
        if row is None:
            return None
        return Work(row.id, row.message_id, row.conversation_id or "", row.address, row.subject,
                    row.text or "", dict(row.details or {}), row.attempts or 0, row.claimed_until)  # fmt: skip


def due(store: Store, limit: int = 50) -> List[int]:
    """Incoming messages whose turn is due and that no process holds, oldest first."""
    now = utcnow()
    with store.session() as s:
        query = sa.select(EmailMessage.id).where(
            EmailMessage.direction == "in", EmailMessage.status == RECEIVED,
            sa.or_(EmailMessage.claimed_until.is_(None), EmailMessage.claimed_until < now),
            sa.or_(EmailMessage.next_attempt_at.is_(None), EmailMessage.next_attempt_at <= now),
        )  # fmt: skip
        return list(s.scalars(query.order_by(EmailMessage.id).limit(limit)))


def status_of(store: Store, message_id: str) -> Optional[str]:
    with store.session() as s:
        return s.scalar(sa.select(EmailMessage.status).where(EmailMessage.message_id == message_id))


def status_of_row(store: Store, row_id: int) -> str:
    with store.session() as s:
        return str(s.scalar(sa.select(EmailMessage.status).where(EmailMessage.id == row_id)) or "")


def answer(store: Store, work: Work, reply: Optional[Reply], status: str = ANSWERED) -> bool:
    """Marks the message ``status`` and queues ``reply`` in the outbox, in one transaction;
    False when this process no longer held it."""
    with store.session() as s:
        done = s.execute(
            sa.update(EmailMessage)
            .where(
                EmailMessage.id == work.id,
                EmailMessage.claimed_until == work.claim,
                EmailMessage.status == RECEIVED,
            )  # fmt: skip
            .values(status=status, claimed_until=None, next_attempt_at=None, attempts=work.attempts + 1)
        ).rowcount
        if done != 1:
            return False
        if reply is not None:
            queue_reply(s, reply)
        return True


def queue_reply(s: Session, reply: Reply) -> OutboundEmail:
    """``reply`` in the outbox (the mailer sends it) and in the conversation's messages (so the
    customer's answer to it threads by its ``Message-ID``)."""
    mail = OutboundEmail(to_address=reply.to.lower(), subject=reply.subject, body=reply.text, kind="email_reply",
                         conversation_id=reply.conversation_id, message_id=reply.message_id,
                         headers=reply.headers, html_body=reply.html)  # fmt: skip
    s.add(mail)
    s.flush()
    s.add(EmailMessage(message_id=reply.message_id, conversation_id=reply.conversation_id, direction="out",
                       address=reply.to.lower(), subject=reply.subject, text=reply.own_text,
                       status=QUEUED, attempts=0, outbound_email_id=mail.id,
                       details={"author": reply.author, "references": _ids(reply.headers.get("References", ""))}))  # fmt: skip
    return mail


def _ids(header: str) -> List[str]:
    """The ``Message-ID``s of a ``References`` header we wrote (``<a> <b>``), without brackets:
    a later message in the thread (an agent's) carries the whole chain on."""
    return [part.strip("<>") for part in header.split() if part.strip("<>")]


def retry_later(store: Store, work: Work, error: Dict[str, Any], delay: float, attempts: int) -> bool:
    """Gives the message back for another try after ``delay`` seconds (channels/background.py)."""
    return background.retry_later(store, EmailMessage, work, error, delay, attempts)


def release_claim(store: Store, row_id: int, claim: datetime) -> None:
    """Lets another process take the message at once (this one is stopping): gives back the
    claim ``claim`` on row ``row_id`` (a no-op once it is answered or another process holds it)."""
    with store.session() as s:
        s.execute(
            sa.update(EmailMessage)
            .where(EmailMessage.id == row_id, EmailMessage.claimed_until == claim)
            .values(claimed_until=None)
        )


def history(store: Store, conversation_id: str, limit: int) -> List[EmailMessage]:
    """The conversation's last ``limit`` messages, newest first (quoted below a reply)."""
    with store.session() as s:
        query = sa.select(EmailMessage).where(
            EmailMessage.conversation_id == conversation_id,
            EmailMessage.status.in_((RECEIVED, ANSWERED, QUEUED)),
        )
        return list(s.scalars(query.order_by(EmailMessage.id.desc()).limit(limit)))


def address_of(store: Store, conversation_id: str) -> Optional[str]:
    """The customer's address of an e-mail conversation."""
    with store.session() as s:
        query = sa.select(EmailMessage.address, EmailMessage.subject, EmailMessage.message_id).where(
            EmailMessage.conversation_id == conversation_id
        )
        row = s.execute(query.order_by(EmailMessage.id.desc()).limit(1)).first()
        return row.address if row is not None else None


def last_message(store: Store, conversation_id: str) -> Optional[EmailMessage]:
    with store.session() as s:
        query = sa.select(EmailMessage).where(EmailMessage.conversation_id == conversation_id)
        return s.scalars(query.order_by(EmailMessage.id.desc()).limit(1)).first()


def queue_new(store: Store, reply: Reply) -> int:
    """Queues a message that answers no stored e-mail (an agent's, the HTTP API's); its
    conversation gets a thread row when it is new. Returns the outbox row's id."""
    with store.session() as s:
        if s.get(EmailThread, reply.conversation_id) is None:
            s.add(EmailThread(conversation_id=reply.conversation_id, address=reply.to.lower(),
                              subject_key=normalise_subject(reply.subject)))  # fmt: skip
        return int(queue_reply(s, reply).id)


def outbound_state(store: Store, outbound_id: int) -> Optional[OutboundEmail]:
    with store.session() as s:
        return s.get(OutboundEmail, outbound_id)


@dataclass(frozen=True)
class Outcome:
    conversation_id: Optional[str]
    reply: Optional[str]


def last_of(store: Store, message_id: str) -> Optional[Outcome]:
    """An incoming message's conversation and the text of the reply that answered it."""
    with store.session() as s:
        row = s.scalars(sa.select(EmailMessage).where(EmailMessage.message_id == message_id)).first()
        if row is None:
            return None
        reply = None
        if row.conversation_id:
            query = sa.select(EmailMessage.text).where(
                EmailMessage.conversation_id == row.conversation_id, EmailMessage.direction == "out",
                EmailMessage.id > row.id,
            )  # fmt: skip
            reply = s.scalars(query.order_by(EmailMessage.id).limit(1)).first()
        return Outcome(row.conversation_id, reply)
