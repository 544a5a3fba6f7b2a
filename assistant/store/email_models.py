"""Tables of the e-mail channel (channels/email/): every message of an e-mail conversation by
its ``Message-ID`` (how a message fetched again is recognised and answered once), the thread map
(a conversation's address and normalised subject), and bounces recorded against the message
that bounced."""

from __future__ import annotations

import sqlalchemy as sa

from assistant.store.models import Base, utcnow


class EmailMessage(Base):
    """One e-mail of a conversation, in either direction. ``message_id`` is the header without
    its angle brackets (unique: a message seen again is recognised).

    Incoming ``status``: ``received`` (its turn is still to run, again after ``next_attempt_at``
    when it failed for now), ``answered``, ``ignored`` (auto-reply, list mail, our own address:
    ``reason`` says which), ``bounce`` (recorded in ``email_bounces``), ``failed`` (the sender was
    asked to write again). Outgoing: ``queued`` (in the outbox, ``outbound_email_id``).
    ``claimed_until``: a process works on the row until then."""

    __tablename__ = "email_messages"

    id = sa.Column(sa.Integer, primary_key=True)
    message_id = sa.Column(sa.String(255), nullable=False, unique=True)
    conversation_id = sa.Column(sa.String(64), index=True)
    direction = sa.Column(sa.String(3), nullable=False)  # "in" or "out"
    address = sa.Column(sa.String(255), nullable=False)  # the customer's address
    subject = sa.Column(sa.String(255), nullable=False, default="")
    text = sa.Column(sa.Text)
    details = sa.Column(sa.JSON)  # threading headers, attachments, safety headers
    status = sa.Column(sa.String(20), nullable=False)
    reason = sa.Column(sa.String(40))
    error = sa.Column(sa.JSON)
    attempts = sa.Column(sa.Integer, nullable=False, default=0)
    next_attempt_at = sa.Column(sa.DateTime)
    claimed_until = sa.Column(sa.DateTime)
    outbound_email_id = sa.Column(sa.Integer, sa.ForeignKey("outbound_emails.id"))
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(sa.DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    __table_args__ = (sa.Index("ix_email_messages_work", "direction", "status", "next_attempt_at"),)


class EmailThread(Base):
    """An e-mail conversation: whose it is and its normalised subject (the last resort of
    threading when a reply carries no ``In-Reply-To`` or ``References`` we know)."""

    __tablename__ = "email_threads"

    conversation_id = sa.Column(sa.String(64), primary_key=True)
    address = sa.Column(sa.String(255), nullable=False)
    subject_key = sa.Column(sa.String(255), nullable=False)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    last_message_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)

    __table_args__ = (sa.Index("ix_email_threads_subject", "address", "subject_key"),)


class EmailBounce(Base):
    """A delivery failure report (from a mailer-daemon) about a message we sent."""

    __tablename__ = "email_bounces"

    id = sa.Column(sa.Integer, primary_key=True)
    bounce_message_id = sa.Column(sa.String(255), nullable=False, unique=True)
    original_message_id = sa.Column(sa.String(255), index=True)
    conversation_id = sa.Column(sa.String(64), index=True)
    recipient = sa.Column(sa.String(255))
    status = sa.Column(sa.String(20))
    diagnostic = sa.Column(sa.String(255))
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)


__all__ = ["EmailMessage", "EmailThread", "EmailBounce"]
