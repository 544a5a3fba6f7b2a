"""The conversations table: find or create a conversation, change its status (every change
recorded with who, when and why), its priority, tags and title, agents' notes, and listings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Collection, List, Optional, Sequence, Tuple

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from assistant.conversations.errors import ConversationNotFound
from assistant.conversations.lifecycle import CLOSED, PENDING, check_transition
from assistant.store import Store
from assistant.store.conversation_models import Conversation, ConversationNote, ConversationStatusChange
from assistant.store.email_models import EmailBounce, EmailMessage
from assistant.store.models import OutboundEmail, WhatsAppMessage, utcnow

KEEP: Any = object()  # "leave the assignee as it is"


@dataclass(frozen=True)
class Actor:
    """Who changes a conversation: ``staff`` (an account), ``customer``, ``bot``, ``system``
    (a Rasa event seen in the tracker store) or ``api_key``."""

    type: str
    id: Optional[str] = None
    name: str = ""


BOT = Actor("bot", "bot", "Assistant")
SYSTEM = Actor("system", "tracker", "Tracker store")


@dataclass
class Filters:
    """What the admin listing narrows conversations to (None: no condition)."""

    status: Optional[str] = None
    channel: Optional[str] = None
    assignee: Optional[str] = None  # an account id, or "none" for the bot's
    priority: Optional[str] = None
    tag: Optional[str] = None
    date_from: Optional[datetime] = None
    date_to: Optional[datetime] = None
    customer_id: Optional[int] = None
    ids: Optional[Collection[str]] = None
    include_deleted: bool = False
    extra: List[Any] = field(default_factory=list)


def find(store: Store, conversation_id: str) -> Optional[Conversation]:
    with store.session() as s:
        return s.get(Conversation, conversation_id)


def get(store: Store, conversation_id: str, include_deleted: bool = False) -> Conversation:
    conversation = find(store, conversation_id)
    if conversation is None or (conversation.deleted_at is not None and not include_deleted):
        raise ConversationNotFound(f"conversation {conversation_id} not found")
    return conversation


def ensure(
    s: Session,
    conversation_id: str,
    channel: Optional[str] = None,
    external_id: Optional[str] = None,
    customer_id: Optional[int] = None,
    at: Optional[datetime] = None,
) -> Conversation:
    """The conversation (locked for update), created when new; fills in what was unknown.
    Two processes creating it at once (the handoff action, a listing's sync) both get the row."""
    conversation = s.get(Conversation, conversation_id, with_for_update=True)
    if conversation is None:
        when = at or utcnow()
        try:
            with s.begin_nested():
                s.add(Conversation(id=conversation_id, channel=channel or "unknown", tags=[],
                                   created_at=when, updated_at=when, status_changed_at=when))  # fmt: skip
        except IntegrityError:
            pass  # created meanwhile by another process
        conversation = s.get(Conversation, conversation_id, with_for_update=True, populate_existing=True)
    if channel and conversation.channel == "unknown":
        conversation.channel = channel
    if external_id and not conversation.external_id:
        conversation.external_id = external_id
    if customer_id is not None and conversation.customer_id is None:
        conversation.customer_id = customer_id
    return conversation


def change_status(
    s: Session,
    conversation: Conversation,
    target: str,
    actor: Actor,
    reason: str = "",
    assignee: Any = KEEP,
    checked: bool = True,
    at: Optional[datetime] = None,
) -> None:
    """Moves ``conversation`` to ``target`` (checked against the life cycle unless told not
    to) and records it; a change of assignee alone is recorded too. ``at``: when it happened
    (a tracker event's time; now by default)."""
    if checked and target != conversation.status:
        check_transition(conversation.status, target)
    new_assignee = conversation.assignee_id if assignee is KEEP else assignee
    if target == conversation.status and new_assignee == conversation.assignee_id:
        return
    moment = at or datetime.utcnow()
    now = moment.replace(microsecond=0)
    s.add(ConversationStatusChange(conversation_id=conversation.id, from_status=conversation.status,
                                   to_status=target, assignee_id=new_assignee, actor_type=actor.type,
                                   actor_id=actor.id, reason=reason[:200] or None, created_at=now))  # fmt: skip
    if target == PENDING and conversation.status != PENDING:
        conversation.queued_at = moment
    conversation.closed_at = now if target == CLOSED else None
    conversation.status, conversation.assignee_id = target, new_assignee
    conversation.updated_at = now
    conversation.status_changed_at = moment  # precise: tracker events are compared with it


def update(
    store: Store,
    conversation_id: str,
    priority: Optional[str] = None,
    tags: Optional[Sequence[str]] = None,
    title: Optional[str] = None,
) -> Conversation:
    with store.session() as s:
        conversation = _live(s, conversation_id)
        if priority is not None:
            conversation.priority = priority
        if tags is not None:
            conversation.tags = sorted({tag.strip().lower() for tag in tags if tag.strip()})
        if title is not None:
            conversation.title = title.strip() or None
        conversation.updated_at = utcnow()
        return conversation


def add_note(store: Store, conversation_id: str, actor: Actor, body: str) -> ConversationNote:
    with store.session() as s:
        _live(s, conversation_id)
        note = ConversationNote(conversation_id=conversation_id, author_id=actor.id or actor.type,
                                author_name=actor.name or actor.type, body=body)  # fmt: skip
        s.add(note)
        s.flush()
        return note


def notes(store: Store, conversation_id: str) -> List[ConversationNote]:
    with store.session() as s:
        query = sa.select(ConversationNote).where(ConversationNote.conversation_id == conversation_id)
        return list(s.scalars(query.order_by(ConversationNote.id)))


def history(store: Store, conversation_id: str) -> List[ConversationStatusChange]:
    with store.session() as s:
        query = sa.select(ConversationStatusChange).where(
            ConversationStatusChange.conversation_id == conversation_id
        )
        return list(s.scalars(query.order_by(ConversationStatusChange.id)))


@dataclass(frozen=True)
class Undelivered:
    """A message to the customer that did not reach them: its text, why, and when."""

    text: str
    error: Any
    at: Optional[datetime]


def undelivered(store: Store, conversation_id: str) -> List[Undelivered]:
    """Messages to the customer their channel could not deliver, for the staff to see and follow
    up: WhatsApp's with Meta's error, e-mails the SMTP server refused for good or that bounced."""
    with store.session() as s:
        query = sa.select(WhatsAppMessage).where(
            WhatsAppMessage.conversation_id == conversation_id,
            WhatsAppMessage.direction == "out",
            WhatsAppMessage.status == "failed",
        )
        found = [Undelivered(m.text or "", m.error, m.updated_at)
                 for m in s.scalars(query.order_by(WhatsAppMessage.id))]  # fmt: skip
        mails = sa.select(OutboundEmail).where(
            OutboundEmail.conversation_id == conversation_id, OutboundEmail.failed_at.isnot(None)
        )
        found += [Undelivered(m.body, {"code": "smtp_refused", "title": m.last_error}, m.failed_at)
                  for m in s.scalars(mails.order_by(OutboundEmail.id))]  # fmt: skip
        found += [Undelivered(text or "", {"code": "bounced", "title": f"{b.status or ''} {b.diagnostic or ''}".strip(),
                              "recipient": b.recipient}, b.created_at) for b, text in s.execute(_bounces(conversation_id))]  # fmt: skip
        return found


def _bounces(conversation_id: str) -> Any:
    sent = sa.select(EmailMessage.text).where(EmailMessage.message_id == EmailBounce.original_message_id)
    return (
        sa.select(EmailBounce, sent.scalar_subquery())
        .where(EmailBounce.conversation_id == conversation_id)
        .order_by(EmailBounce.id)
    )


def search(store: Store, filters: Filters, page: int, limit: int) -> Tuple[List[Conversation], int]:
    """One page of the conversations that match, newest activity first, and how many match."""
    conditions = _conditions(filters)
    with store.session() as s:
        total = s.scalar(sa.select(sa.func.count(Conversation.id)).where(*conditions))
        newest = sa.func.coalesce(Conversation.last_message_at, Conversation.created_at)
        query = sa.select(Conversation).where(*conditions).order_by(newest.desc(), Conversation.id)
        rows = list(s.scalars(query.offset((page - 1) * limit).limit(limit)))
    return rows, int(total or 0)


def _conditions(f: Filters) -> List[Any]:
    c: List[Any] = list(f.extra)
    if not f.include_deleted:
        c.append(Conversation.deleted_at.is_(None))
    for column, value in ((Conversation.status, f.status), (Conversation.channel, f.channel),
                          (Conversation.priority, f.priority), (Conversation.customer_id, f.customer_id)):  # fmt: skip
        if value is not None:
            c.append(column == value)
    if f.assignee is not None:
        c.append(
            Conversation.assignee_id.is_(None)
            if f.assignee == "none"
            else Conversation.assignee_id == f.assignee
        )
    if f.tag is not None:
        c.append(sa.cast(Conversation.tags, sa.Text).like(f'%"{_escape(f.tag.lower())}"%', escape="\\"))
    if f.date_from is not None:
        c.append(Conversation.created_at >= f.date_from)
    if f.date_to is not None:
        c.append(Conversation.created_at <= f.date_to)
    if f.ids is not None:
        c.append(Conversation.id.in_(list(f.ids)))
    return c


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_").replace('"', "")


def _live(s: Session, conversation_id: str) -> Conversation:
    conversation = s.get(Conversation, conversation_id, with_for_update=True)
    if conversation is None or conversation.deleted_at is not None:
        raise ConversationNotFound(f"conversation {conversation_id} not found")
    return conversation


def live(s: Session, conversation_id: str) -> Conversation:
    """The conversation (locked for update) unless it is unknown or deleted."""
    return _live(s, conversation_id)
