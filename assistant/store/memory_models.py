"""Tables of what the assistant remembers about a verified customer (long-term memories) and
of personalization (a profile per customer, behaviour events, rule-based segments)."""

from __future__ import annotations

import sqlalchemy as sa

from assistant.store.models import Base, utcnow


class Memory(Base):
    """One key/value fact about a customer, e.g. ``preferred_shipping`` -> ``"express"``."""

    __tablename__ = "memories"
    __table_args__ = (sa.UniqueConstraint("customer_id", "key", name="uq_memories_customer_key"),)

    id = sa.Column(sa.Integer, primary_key=True)
    customer_id = sa.Column(sa.Integer, sa.ForeignKey("customers.id"), nullable=False, index=True)
    type = sa.Column(sa.String(20), nullable=False, default="long_term")
    key = sa.Column(sa.String(80), nullable=False)
    value = sa.Column(sa.JSON, nullable=False)
    importance = sa.Column(sa.Float, nullable=False, default=0.5)
    source = sa.Column(sa.String(40), nullable=False, default="conversation")
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    last_used_at = sa.Column(sa.DateTime)


class CustomerProfile(Base):
    """What personalization knows about a customer, kept up to date by the actions."""

    __tablename__ = "customer_profiles"

    customer_id = sa.Column(sa.Integer, sa.ForeignKey("customers.id"), primary_key=True)
    language = sa.Column(sa.String(8), nullable=False, default="en")
    communication_style = sa.Column(sa.String(20), nullable=False, default="neutral")
    topics = sa.Column(sa.JSON, nullable=False, default=dict)  # topic -> times asked
    sentiments = sa.Column(sa.JSON, nullable=False, default=list)  # recent compound scores
    segments = sa.Column(sa.JSON, nullable=False, default=list)
    sessions = sa.Column(sa.Integer, nullable=False, default=0)
    updated_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)


class BehaviorEvent(Base):
    """Something a customer did (a message sent, a flow finished), for personalization."""

    __tablename__ = "behavior_events"

    id = sa.Column(sa.Integer, primary_key=True)
    customer_id = sa.Column(sa.Integer, sa.ForeignKey("customers.id"), nullable=False, index=True)
    event_type = sa.Column(sa.String(40), nullable=False)
    event_data = sa.Column(sa.JSON, nullable=False, default=dict)
    session_id = sa.Column(sa.String(255))
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow, index=True)


class Segment(Base):
    """A rule-based segment: ``criteria`` = {"rules": [{field, operator, value}], "logic"}."""

    __tablename__ = "segments"

    id = sa.Column(sa.String(64), primary_key=True)
    name = sa.Column(sa.String(120), nullable=False)
    criteria = sa.Column(sa.JSON, nullable=False)
    auto_assign = sa.Column(sa.Boolean, nullable=False, default=True)
    update_frequency = sa.Column(sa.String(20), nullable=False, default="daily")
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
