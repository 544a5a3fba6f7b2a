"""Exactly one effect per message: an action's change to the store and its record commit together,
and a message that comes again (a client retrying after a failure) replays the record.

A turn can fail after an action changed the store (cancelled an order, opened a ticket) but
before Rasa stored the turn: the client is told to retry, and sends the same message id. The
action then runs again on the same conversation state. ``run_once`` makes the second run harmless:

1. the ledger (table ``effects``) is keyed by conversation, message id and action; an entry there
   means the action already ran for this message, and its recorded outcome (the replies and
   events it returned) is handed back without touching the store;
2. otherwise the action runs inside one store transaction, and its outcome is added to the
   ledger in that same transaction: the change and its record exist together or not at all.

So a retried "yes, cancel it" cancels once and replies as the first time, and the conversation,
once stored, reports exactly what the store did. Two runs racing on one message (which Rasa's
conversation lock normally prevents) meet at the ledger's unique key: the loser rolls back and
replays the winner's outcome.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, List, Optional

import sqlalchemy as sa

from assistant.redaction import redact_card_numbers
from assistant.store import Store
from assistant.store.models import EffectRecord


@dataclass(frozen=True)
class EffectKey:
    """Which run of which action: one per action and message of a conversation."""

    conversation_id: str
    message_id: str
    action: str


@dataclass
class Outcome:
    """What an action run answered: the messages it sent and the events it returned."""

    messages: List[Dict[str, Any]]
    events: List[Dict[str, Any]]

    def to_json(self) -> Dict[str, Any]:
        """The outcome as stored: card numbers masked like everywhere else we store text."""
        raw = json.dumps({"messages": self.messages, "events": self.events}, default=str)
        return json.loads(redact_card_numbers(raw))

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> Outcome:
        return cls(list(data.get("messages") or []), list(data.get("events") or []))


async def run_once(
    store: Store, key: Optional[EffectKey], attempt: Callable[[], Awaitable[Outcome]]
) -> Outcome:
    """The outcome of ``attempt``, run at most once for ``key`` (always, without a key).

    ``attempt`` runs inside one store transaction together with the ledger entry, so it must do
    its store changes through ``store`` and nothing it cannot undo before the commit (use
    ``store.after_commit`` for that)."""
    if key is not None:
        recorded = recorded_outcome(store, key)
        if recorded is not None:
            return recorded
    try:
        with store.transaction() as session:
            outcome = await attempt()
            if key is not None:
                session.add(_record(key, outcome))
                session.flush()  # a concurrent run's entry makes this fail, before the commit
    except sa.exc.IntegrityError:
        recorded = recorded_outcome(store, key) if key is not None else None
        if recorded is None:
            raise
        return recorded
    return outcome


def recorded_outcome(store: Store, key: EffectKey) -> Optional[Outcome]:
    """The outcome recorded for ``key``, or None when the action has not run for it."""
    with store.session() as session:
        query = sa.select(EffectRecord.outcome).where(
            EffectRecord.conversation_id == key.conversation_id,
            EffectRecord.message_id == key.message_id,
            EffectRecord.action == key.action,
        )
        data = session.scalars(query).first()
    return Outcome.from_json(data) if data is not None else None


def _record(key: EffectKey, outcome: Outcome) -> EffectRecord:
    return EffectRecord(
        conversation_id=key.conversation_id[:255],
        message_id=key.message_id[:255],
        action=key.action[:100],
        outcome=outcome.to_json(),
    )
