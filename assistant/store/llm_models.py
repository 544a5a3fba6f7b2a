"""The record of every LLM call (assistant/llm/): what the analytics count."""

from __future__ import annotations

import sqlalchemy as sa

from assistant.store.models import Base, utcnow


class LLMCall(Base):
    """One call to the LLM as the customer's turn saw it (retries included), or one that was
    not made (breaker open, deadline passed): outcome ``ok`` or the reason for the fallback."""

    __tablename__ = "llm_calls"

    id = sa.Column(sa.Integer, primary_key=True)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow, index=True)
    conversation_id = sa.Column(sa.String(64), index=True)
    purpose = sa.Column(sa.String(40), nullable=False)  # answer, classify, ...
    model = sa.Column(sa.String(120), nullable=False)
    outcome = sa.Column(sa.String(20), nullable=False)  # ok, error, timeout, breaker_open, ...
    fallback = sa.Column(sa.Boolean, nullable=False, default=False)
    attempts = sa.Column(sa.Integer, nullable=False, default=0)
    prompt_tokens = sa.Column(sa.Integer, nullable=False, default=0)
    completion_tokens = sa.Column(sa.Integer, nullable=False, default=0)
    estimated_cost = sa.Column(sa.Numeric(12, 6), nullable=False, default=0)
    latency_ms = sa.Column(sa.Integer, nullable=False, default=0)
    error = sa.Column(sa.String(255))
