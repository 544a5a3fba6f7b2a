"""Tables of the one conversation model shared by every channel (assistant/conversations):
the conversation itself, every status change with who and when, agents' notes, and how far the
tracker store's events have been read into it."""

from __future__ import annotations

import sqlalchemy as sa

from assistant.store.models import Base, utcnow


class Conversation(Base):
    """A conversation on any channel; ``id`` is Rasa's sender id (the tracker's key)."""

    __tablename__ = "conversations"

    id = sa.Column(sa.String(255), primary_key=True)
    channel = sa.Column(sa.String(20), nullable=False, default="unknown", index=True)
    external_id = sa.Column(sa.String(255))
    customer_id = sa.Column(sa.Integer, sa.ForeignKey("customers.id"), index=True)
    title = sa.Column(sa.String(200))
    status = sa.Column(sa.String(20), nullable=False, default="active", index=True)
    assignee_id = sa.Column(sa.String(64), index=True)
    priority = sa.Column(sa.String(10), nullable=False, default="normal")
    tags = sa.Column(sa.JSON, nullable=False, default=list)
    follow_up = sa.Column(sa.String(20))  # "email_requested", "email": an agent answers by e-mail
    contact_email = sa.Column(sa.String(255))
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow, index=True)
    updated_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    status_changed_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    queued_at = sa.Column(sa.DateTime)
    last_message_at = sa.Column(sa.DateTime)
    last_notice_at = sa.Column(sa.DateTime)
    closed_at = sa.Column(sa.DateTime)
    deleted_at = sa.Column(sa.DateTime)


class ConversationStatusChange(Base):
    """One status change (or assignment) of a conversation: from, to, who, when and why."""

    __tablename__ = "conversation_status_changes"

    id = sa.Column(sa.Integer, primary_key=True)
    conversation_id = sa.Column(
        sa.String(255), sa.ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    from_status = sa.Column(sa.String(20))
    to_status = sa.Column(sa.String(20), nullable=False)
    assignee_id = sa.Column(sa.String(64))
    actor_type = sa.Column(sa.String(20), nullable=False)  # staff, customer, bot, system, api_key
    actor_id = sa.Column(sa.String(64))
    reason = sa.Column(sa.String(200))
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)


class ConversationNote(Base):
    """An agent's internal note on a conversation (never shown to the customer)."""

    __tablename__ = "conversation_notes"

    id = sa.Column(sa.Integer, primary_key=True)
    conversation_id = sa.Column(
        sa.String(255), sa.ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    author_id = sa.Column(sa.String(64), nullable=False)
    author_name = sa.Column(sa.String(120), nullable=False)
    body = sa.Column(sa.Text, nullable=False)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)


class SyncCursor(Base):
    """How far a reader has read an append-only source (the tracker store's ``events``)."""

    __tablename__ = "sync_cursors"

    name = sa.Column(sa.String(40), primary_key=True)
    position = sa.Column(sa.BigInteger, nullable=False, default=0)
    updated_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)


__all__ = ["Conversation", "ConversationStatusChange", "ConversationNote", "SyncCursor"]
