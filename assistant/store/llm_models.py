"""The record of every LLM call (assistant/llm/): what the analytics count."""

from __future__ import annotations

from datetime import datetime
from typing import Dict, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Connection

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


def usage(
    connection: Connection, since: Optional[datetime] = None, until: Optional[datetime] = None
) -> Dict[str, object]:
    """Calls, fallbacks, tokens and estimated cost (USD) from ``since`` to before ``until``
    (naive UTC, as stored; open ends by default): for the analytics."""
    table = LLMCall.__table__
    query = sa.select(
        sa.func.count(table.c.id),
        sa.func.coalesce(sa.func.sum(sa.case((table.c.fallback, 1), else_=0)), 0),
        sa.func.coalesce(sa.func.sum(table.c.prompt_tokens), 0),
        sa.func.coalesce(sa.func.sum(table.c.completion_tokens), 0),
        sa.func.coalesce(sa.func.sum(table.c.estimated_cost), 0),
    )
    if since is not None:
        query = query.where(table.c.created_at >= since)
    if until is not None:
        query = query.where(table.c.created_at < until)
    calls, fallbacks, prompt, completion, cost = connection.execute(query).one()
    return {"calls": int(calls), "fallbacks": int(fallbacks), "prompt_tokens": int(prompt),
            "completion_tokens": int(completion), "estimated_cost_usd": round(float(cost), 6)}  # fmt: skip
