"""``llm_calls``: one row per LLM call, and the figures the analytics show."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Callable, Dict, Optional

from assistant.llm.client import CallRecord
from assistant.store import Store
from assistant.store.llm_models import LLMCall, usage


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
    with store.engine.connect() as connection:
        return usage(connection, since)
