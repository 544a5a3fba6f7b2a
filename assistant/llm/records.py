"""``llm_calls``: one row per LLM call, and the figures the analytics show."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Callable, Dict, Optional

import sqlalchemy as sa

from assistant.llm.client import CallRecord
from assistant.store import Store
from assistant.store.llm_models import LLMCall


def store_recorder(store: Store) -> Callable[[CallRecord], None]:
    """A recorder for :class:`LLMClient` that writes each call to ``store``."""

    def record(call: CallRecord) -> None:
        with store.transaction() as session:
            session.add(LLMCall(
                conversation_id=(call.conversation_id or None) and call.conversation_id[:64],
                purpose=call.purpose[:40], model=call.model[:120], outcome=call.outcome[:20],
                fallback=call.fallback, attempts=call.attempts, prompt_tokens=call.prompt_tokens,
                completion_tokens=call.completion_tokens, latency_ms=call.latency_ms,
                estimated_cost=Decimal(str(call.estimated_cost)), error=call.error,
            ))  # fmt: skip

    return record


def usage_summary(store: Store, since: Optional[datetime] = None) -> Dict[str, object]:
    """Calls, fallbacks, tokens and estimated cost (USD) since ``since`` (all time by default)."""
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
    with store.engine.connect() as connection:
        calls, fallbacks, prompt, completion, cost = connection.execute(query).one()
    return {"calls": int(calls), "fallbacks": int(fallbacks), "prompt_tokens": int(prompt),
            "completion_tokens": int(completion), "estimated_cost_usd": float(cost)}  # fmt: skip
