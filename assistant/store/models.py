"""SQLAlchemy models of the store: customers, orders, returns, refunds, subscriptions, tickets,
and what the assistant records about conversations (feedback, handoffs, outgoing e-mail)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import declarative_base, relationship

Base: Any = declarative_base()  # SQLAlchemy 1.4: declarative_base() is untyped

ORDER_STATUSES = ("processing", "shipped", "delivered", "cancelled", "returned")
PLANS = ("basic", "premium", "enterprise")
PLAN_PRICES = {"basic": 9.0, "premium": 19.0, "enterprise": 49.0}


def utcnow() -> datetime:
    return datetime.utcnow().replace(microsecond=0)


class Customer(Base):
    __tablename__ = "customers"

    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(sa.String(120), nullable=False)
    email = sa.Column(sa.String(255), nullable=False, unique=True, index=True)
    phone = sa.Column(sa.String(40))
    address = sa.Column(sa.String(255))
    postcode = sa.Column(sa.String(16))
    tier = sa.Column(sa.String(20), nullable=False, default="standard")
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    erasure_scheduled_for = sa.Column(sa.Date)

    orders = relationship("Order", back_populates="customer", order_by="Order.placed_at")
    subscription = relationship("Subscription", back_populates="customer", uselist=False)


class Order(Base):
    __tablename__ = "orders"

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=False)
    customer_id = sa.Column(sa.Integer, sa.ForeignKey("customers.id"), nullable=False, index=True)
    items = sa.Column(sa.JSON, nullable=False)
    total = sa.Column(sa.Numeric(10, 2), nullable=False)
    status = sa.Column(sa.String(20), nullable=False)
    carrier = sa.Column(sa.String(40))
    tracking_number = sa.Column(sa.String(60))
    placed_at = sa.Column(sa.DateTime, nullable=False)
    shipped_at = sa.Column(sa.DateTime)
    estimated_delivery = sa.Column(sa.Date)
    delivered_at = sa.Column(sa.DateTime)
    cancelled_at = sa.Column(sa.DateTime)
    shipping_address = sa.Column(sa.String(255))
    shipping_postcode = sa.Column(sa.String(16))

    customer = relationship("Customer", back_populates="orders")
    returns = relationship("ReturnRequest", back_populates="order")
    refunds = relationship("Refund", back_populates="order", order_by="Refund.created_at")


class ReturnRequest(Base):
    __tablename__ = "returns"

    id = sa.Column(sa.Integer, primary_key=True)
    rma = sa.Column(sa.String(20), nullable=False, unique=True)
    order_id = sa.Column(sa.Integer, sa.ForeignKey("orders.id"), nullable=False, index=True)
    reason = sa.Column(sa.Text)
    status = sa.Column(sa.String(20), nullable=False, default="requested")
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)

    order = relationship("Order", back_populates="returns")


class Refund(Base):
    __tablename__ = "refunds"

    id = sa.Column(sa.Integer, primary_key=True)
    order_id = sa.Column(sa.Integer, sa.ForeignKey("orders.id"), nullable=False, index=True)
    amount = sa.Column(sa.Numeric(10, 2), nullable=False)
    status = sa.Column(sa.String(20), nullable=False, default="pending")
    method = sa.Column(sa.String(40), nullable=False, default="original payment method")
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    completed_at = sa.Column(sa.DateTime)

    order = relationship("Order", back_populates="refunds")


class Subscription(Base):
    __tablename__ = "subscriptions"

    id = sa.Column(sa.Integer, primary_key=True)
    customer_id = sa.Column(sa.Integer, sa.ForeignKey("customers.id"), nullable=False, unique=True)
    plan = sa.Column(sa.String(20), nullable=False)
    status = sa.Column(sa.String(20), nullable=False, default="active")
    monthly_price = sa.Column(sa.Numeric(10, 2), nullable=False)
    renews_on = sa.Column(sa.Date)
    discount_percent = sa.Column(sa.Integer, nullable=False, default=0)
    discount_until = sa.Column(sa.Date)
    cancelled_at = sa.Column(sa.DateTime)

    customer = relationship("Customer", back_populates="subscription")


class Ticket(Base):
    __tablename__ = "tickets"

    id = sa.Column(sa.Integer, primary_key=True)
    reference = sa.Column(sa.String(20), nullable=False, unique=True)
    category = sa.Column(sa.String(40), nullable=False)
    description = sa.Column(sa.Text, nullable=False)
    status = sa.Column(sa.String(20), nullable=False, default="open")
    priority = sa.Column(sa.String(20), nullable=False, default="normal")
    customer_id = sa.Column(sa.Integer, sa.ForeignKey("customers.id"), index=True)
    conversation_id = sa.Column(sa.String(255), index=True)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)


class Feedback(Base):
    __tablename__ = "feedback"

    id = sa.Column(sa.Integer, primary_key=True)
    conversation_id = sa.Column(sa.String(255), nullable=False, index=True)
    rating = sa.Column(sa.Integer, nullable=False)
    comment = sa.Column(sa.Text)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)

    __table_args__ = (sa.CheckConstraint("rating BETWEEN 1 AND 5", name="rating_1_to_5"),)


class Handoff(Base):
    """A conversation waiting for (or served by) a human agent."""

    __tablename__ = "handoffs"

    id = sa.Column(sa.Integer, primary_key=True)
    conversation_id = sa.Column(sa.String(255), nullable=False, index=True)
    reason = sa.Column(sa.String(40), nullable=False)
    status = sa.Column(sa.String(20), nullable=False, default="waiting")
    agent_id = sa.Column(sa.String(255))
    requested_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    resolved_at = sa.Column(sa.DateTime)


class OutboundEmail(Base):
    """Outbox of e-mails to customers (links, codes, return labels); the mailer drains it.

    A one-time secret (a verification code) is kept in ``secret`` and substituted for
    ``{secret}`` in the body only while sending; it is erased once the e-mail is sent. A worker
    claims a row (``claimed_until``) before sending it, so two workers never send one e-mail."""

    __tablename__ = "outbound_emails"

    id = sa.Column(sa.Integer, primary_key=True)
    kind = sa.Column(sa.String(30), nullable=False, default="notice")
    to_address = sa.Column(sa.String(255), nullable=False)
    subject = sa.Column(sa.String(255), nullable=False)
    body = sa.Column(sa.Text, nullable=False)
    secret = sa.Column(sa.String(64))
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    claimed_until = sa.Column(sa.DateTime)
    attempts = sa.Column(sa.Integer, nullable=False, default=0)
    last_error = sa.Column(sa.String(255))
    sent_at = sa.Column(sa.DateTime)
    failed_at = sa.Column(sa.DateTime)
    # Replies of the e-mail channel: the conversation, our Message-ID, threading and
    # Auto-Submitted headers, and the HTML alternative of ``body``.
    conversation_id = sa.Column(sa.String(64), index=True)
    message_id = sa.Column(sa.String(255))
    headers = sa.Column(sa.JSON)
    html_body = sa.Column(sa.Text)


class AccountToken(Base):
    """A single-use secret behind a link we e-mail (password reset, payment update).

    Only the SHA-256 of the token is stored, so a database dump cannot be used to take over
    an account."""

    __tablename__ = "account_tokens"

    id = sa.Column(sa.Integer, primary_key=True)
    customer_id = sa.Column(sa.Integer, sa.ForeignKey("customers.id"), nullable=False, index=True)
    purpose = sa.Column(sa.String(30), nullable=False)
    token_sha256 = sa.Column(sa.String(64), nullable=False, unique=True)
    expires_at = sa.Column(sa.DateTime, nullable=False)
    used_at = sa.Column(sa.DateTime)


class ChannelIdentity(Base):
    """A channel's identifier of a person (a web login, a WhatsApp number, an e-mail sender)
    linked to a customer, with how the link was proven and when."""

    __tablename__ = "channel_identities"
    __table_args__ = (sa.UniqueConstraint("channel", "external_id", name="one_link_per_identity"),)

    id = sa.Column(sa.Integer, primary_key=True)
    channel = sa.Column(sa.String(20), nullable=False)
    external_id = sa.Column(sa.String(255), nullable=False)
    customer_id = sa.Column(sa.Integer, sa.ForeignKey("customers.id"), nullable=False, index=True)
    verified_by = sa.Column(sa.String(30), nullable=False)
    verified_at = sa.Column(sa.DateTime)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    last_seen_at = sa.Column(sa.DateTime)


class VerificationCode(Base):
    """A one-time code e-mailed to prove a conversation is the customer's: only its argon2
    hash is stored. ``customer_id`` is empty when the address asked for has no account (the
    conversation is told the same either way)."""

    __tablename__ = "verification_codes"

    id = sa.Column(sa.Integer, primary_key=True)
    conversation_id = sa.Column(sa.String(255), nullable=False, index=True)
    address = sa.Column(sa.String(255), nullable=False, index=True)
    customer_id = sa.Column(sa.Integer, sa.ForeignKey("customers.id"))
    code_hash = sa.Column(sa.String(255), nullable=False)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    expires_at = sa.Column(sa.DateTime, nullable=False)
    attempts = sa.Column(sa.Integer, nullable=False, default=0)
    used_at = sa.Column(sa.DateTime)
    locked_until = sa.Column(sa.DateTime)


class FailedAttempt(Base):
    """A wrong answer to a check (an order's e-mail or postcode) against ``subject``; recent
    rows throttle guessing across conversations."""

    __tablename__ = "failed_attempts"

    id = sa.Column(sa.Integer, primary_key=True)
    subject = sa.Column(sa.String(255), nullable=False, index=True)
    conversation_id = sa.Column(sa.String(255), nullable=False)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow, index=True)


class EffectRecord(Base):
    """What an action did for one message of a conversation (its replies and events), written
    in the same transaction as the action's change to the store; a retried message replays it
    instead of changing the store again (assistant/effects.py)."""

    __tablename__ = "effects"

    id = sa.Column(sa.Integer, primary_key=True)
    conversation_id = sa.Column(sa.String(255), nullable=False)
    message_id = sa.Column(sa.String(255), nullable=False)
    action = sa.Column(sa.String(100), nullable=False)
    outcome = sa.Column(sa.JSON, nullable=False)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("conversation_id", "message_id", "action", name="one_effect_per_message"),
    )


# --- WhatsApp channel (issue 11: channels/whatsapp/) ------------------------------------------


class WhatsAppMessage(Base):
    """Every message of a WhatsApp conversation, in either direction: what came in (its text as
    handed to NLU, a voice note's transcription, a media reference) and how it was handled; what
    went out and whether it was delivered. ``conversation_id`` is the Rasa sender id
    (``whatsapp:<digits>``). Meta's id of an incoming message (``wamid``) is unique, so a webhook
    delivered again is recognised and never processed twice.

    Incoming ``status``: ``received`` (its turn is still to run, or to run again after
    ``next_attempt_at``), ``answered``, ``recorded`` (a reaction or system notice: nothing to
    answer), ``failed`` (the customer was told to send it again). Outgoing: ``pending``, ``sent``,
    ``delivered``, ``read``, ``failed`` (with Meta's ``error``). ``claimed_until``: a process is
    working on the row until then."""

    __tablename__ = "whatsapp_messages"

    id = sa.Column(sa.Integer, primary_key=True)
    conversation_id = sa.Column(sa.String(64), nullable=False, index=True)
    direction = sa.Column(sa.String(3), nullable=False)  # "in" or "out"
    wamid = sa.Column(sa.String(255), unique=True)
    kind = sa.Column(sa.String(20), nullable=False)
    author = sa.Column(sa.String(100), nullable=False)  # customer, bot, agent:<id>, system
    text = sa.Column(sa.Text)
    transcription = sa.Column(sa.Text)
    media = sa.Column(sa.JSON)
    body = sa.Column(sa.JSON)
    status = sa.Column(sa.String(20), nullable=False)
    error = sa.Column(sa.JSON)
    attempts = sa.Column(sa.Integer, nullable=False, default=0)
    next_attempt_at = sa.Column(sa.DateTime)
    claimed_until = sa.Column(sa.DateTime)
    reply_to_id = sa.Column(sa.Integer, sa.ForeignKey("whatsapp_messages.id"))
    seq = sa.Column(sa.Integer)
    client_message_id = sa.Column(sa.String(128), unique=True)
    profile_name = sa.Column(sa.String(255))
    sent_at = sa.Column(sa.DateTime)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(sa.DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("reply_to_id", "seq", name="one_reply_per_position"),
        sa.Index("ix_whatsapp_messages_work", "direction", "status", "next_attempt_at"),
    )


class WhatsAppStatus(Base):
    """A delivery status Meta reported for a message we sent (sent, delivered, read, failed with
    its error); one row per message and status, so a webhook delivered again adds nothing."""

    __tablename__ = "whatsapp_statuses"

    id = sa.Column(sa.Integer, primary_key=True)
    wamid = sa.Column(sa.String(255), nullable=False, index=True)
    conversation_id = sa.Column(sa.String(64), nullable=False, index=True)
    status = sa.Column(sa.String(20), nullable=False)
    error = sa.Column(sa.JSON)
    occurred_at = sa.Column(sa.DateTime)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)

    __table_args__ = (sa.UniqueConstraint("wamid", "status", name="one_row_per_status"),)


__all__ = [
    "ChannelIdentity",
    "VerificationCode",
    "FailedAttempt",
    "Base",
    "Customer",
    "Order",
    "ReturnRequest",
    "Refund",
    "Subscription",
    "Ticket",
    "Feedback",
    "Handoff",
    "OutboundEmail",
    "AccountToken",
    "EffectRecord",
    "WhatsAppMessage",
    "WhatsAppStatus",
    "ORDER_STATUSES",
    "PLANS",
    "PLAN_PRICES",
]
