"""A small, hand-computed world for the analytics tests (the expected figures are worked out
in tests/assistant/test_analytics.py next to each assertion).

The period is 2026-03-27..2026-03-30 in Europe/Berlin, which spans the clocks going forward on
2026-03-29 at 01:00 UTC (CET +1 -> CEST +2): the Berlin period runs from 2026-03-26 23:00 UTC to
2026-03-30 22:00 UTC. Times below are UTC.

| id | channel  | customer          | started           | handed over | status  | events (in the Berlin period) |
|----|----------|-------------------|-------------------|-------------|---------|-------------------------------|
| c1 | web      | customer 1        | 03-27 08:00       | no          | active  | 2 in, 2 out; rating 5         |
| c2 | web      | anonymous         | 03-27 23:30 (Berlin 03-28) | queued, then agent | closed 00:30 | 2 in (one nlu_fallback), 3 out (one agent's); rating 2 |
| c3 | whatsapp | +4915100000001    | 03-29 00:30       | no          | active  | 1 in, core fallback, 1 out    |
| c4 | whatsapp | +4915100000001    | 03-29 22:30 (Berlin 03-30) | queued | pending | 1 in, 1 out                   |
| c5 | web      | customer 1        | 03-30 10:00       | no          | closed 10:05 | 1 in, 1 out; rating 4    |
| c6 | web      | customer 2        | 03-26 20:00 (before) | no       | active  | 1 in, 1 out on 03-27 09:00    |
| c7 | web      | customer 4        | 03-28 12:00, deleted | no       | active  | (ignored)                     |
| c8 | web      | customer 3        | 03-30 23:00 (Berlin 03-31, after) | no | active | (after); rating 1        |
| c9 | web      | customer 1        | 2026-01-10        | no          | closed  | none                          |
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any, Dict, List, Optional

import sqlalchemy as sa

from assistant.analytics import make_period
from assistant.conversations.tracker_events import EVENTS
from assistant.store.conversation_models import Conversation, ConversationStatusChange
from assistant.store.models import Feedback

FIRST_DAY, LAST_DAY, ZONE = date(2026, 3, 27), date(2026, 3, 30), "Europe/Berlin"
NOW = datetime(2026, 3, 30, 22, 31)  # c4 has waited exactly one day
PERIOD = make_period(FIRST_DAY, LAST_DAY, ZONE)


def at(text: str) -> datetime:
    return datetime.strptime(f"2026-{text}", "%Y-%m-%d %H:%M:%S")


CONVERSATIONS: List[Dict[str, Any]] = [
    dict(id="c1", channel="web", customer_id=1, created_at=at("03-27 08:00:00")),
    dict(id="c2", channel="web", created_at=at("03-27 23:30:00"), status="closed", queued_at=at("03-27 23:31:00"),
         closed_at=at("03-28 00:30:00"), status_changed_at=at("03-28 00:30:00")),
    dict(id="c3", channel="whatsapp", external_id="4915100000001", created_at=at("03-29 00:30:00")),
    dict(id="c4", channel="whatsapp", external_id="4915100000001", created_at=at("03-29 22:30:00"),
         status="pending", queued_at=at("03-29 22:31:00"), status_changed_at=at("03-29 22:31:00")),
    dict(id="c5", channel="web", customer_id=1, created_at=at("03-30 10:00:00"), status="closed",
         closed_at=at("03-30 10:05:00"), status_changed_at=at("03-30 10:05:00")),
    dict(id="c6", channel="web", customer_id=2, created_at=at("03-26 20:00:00")),
    dict(id="c7", channel="web", customer_id=4, created_at=at("03-28 12:00:00"), deleted_at=at("03-28 13:00:00")),
    dict(id="c8", channel="web", customer_id=3, created_at=at("03-30 23:00:00")),
    dict(id="c9", channel="web", customer_id=1, created_at=at("01-10 09:00:00"), status="closed",
         closed_at=at("01-10 09:10:00"), status_changed_at=at("01-10 09:10:00")),
]  # fmt: skip
STATUS_CHANGES = [
    ("c2", "active", "pending", None, "bot", "03-27 23:31:00"),
    ("c2", "pending", "active", "agent-1", "staff", "03-27 23:40:00"),
    ("c2", "active", "closed", "agent-1", "staff", "03-28 00:30:00"),
    ("c4", "active", "pending", None, "bot", "03-29 22:31:00"),
    ("c5", "active", "closed", None, "customer", "03-30 10:05:00"),
    ("c9", "active", "closed", None, "customer", "01-10 09:10:00"),
]
FEEDBACK = [("c1", 5, "03-27 08:02:00"), ("c2", 2, "03-28 00:31:00"), ("c5", 4, "03-30 10:06:00"),
            ("c8", 1, "03-30 23:01:00")]  # fmt: skip
# (conversation, kind, when, intent or action, confidence)
EVENTS_ROWS = [
    ("c1", "user", "03-27 08:00:00", "order_status", 0.9),
    ("c1", "bot", "03-27 08:00:02", None, None),
    ("c1", "user", "03-27 08:01:00", "thanks", 0.8),
    ("c1", "bot", "03-27 08:01:01", None, None),
    ("c2", "user", "03-27 23:30:00", "human_handoff", 0.95),
    ("c2", "bot", "03-27 23:30:04", None, None),
    ("c2", "agent", "03-27 23:40:00", None, None),
    ("c2", "user", "03-27 23:41:00", "nlu_fallback", 0.3),
    ("c2", "bot", "03-27 23:41:02", None, None),
    ("c3", "user", "03-29 00:30:00", "order_status", 0.7),
    ("c3", "action", "03-29 00:30:01", "action_core_fallback", None),
    ("c3", "bot", "03-29 00:30:03", None, None),
    ("c4", "user", "03-29 22:30:00", "human_handoff", 0.6),
    ("c4", "bot", "03-29 22:30:10", None, None),
    ("c5", "user", "03-30 10:00:00", "order_status", 1.0),
    ("c5", "bot", "03-30 10:00:05", None, None),
    ("c6", "user", "03-26 20:00:00", "greet", 0.99),
    ("c6", "user", "03-27 09:00:00", "order_status", 0.55),
    ("c6", "bot", "03-27 09:00:01", None, None),
    ("c7", "user", "03-28 12:00:00", "greet", 0.9),
    ("c7", "bot", "03-28 12:00:01", None, None),
    ("c8", "user", "03-30 23:00:00", "greet", 0.99),
    ("c8", "bot", "03-30 23:00:01", None, None),
]


def _epoch(moment: datetime) -> float:
    return (moment - datetime(1970, 1, 1)).total_seconds()


def event_row(
    sender: str, kind: str, when: datetime, name: Optional[str], confidence: Optional[float]
) -> Dict[str, Any]:
    """An ``events`` row as Rasa's SQL tracker store writes it."""
    stamp = _epoch(when)
    if kind == "user":
        data = {"event": "user", "timestamp": stamp, "text": f"text {name}", "input_channel": None,
                "parse_data": {"intent": {"name": name, "confidence": confidence}, "entities": []},
                "metadata": {}}  # fmt: skip
        return dict(
            sender_id=sender, type_name="user", timestamp=stamp, intent_name=name, data=json.dumps(data)
        )
    if kind == "action":
        data = {"event": "action", "timestamp": stamp, "name": name, "policy": "RulePolicy"}
        return dict(
            sender_id=sender, type_name="action", timestamp=stamp, action_name=name, data=json.dumps(data)
        )
    metadata = (
        {"webchat_sender": {"id": "agent-1", "name": "Alice Agent", "role": "agent"}}
        if kind == "agent"
        else {}
    )
    data = {"event": "bot", "timestamp": stamp, "text": f"reply at {when}", "data": {}, "metadata": metadata}
    return dict(sender_id=sender, type_name="bot", timestamp=stamp, data=json.dumps(data))


def load(store_engine: sa.engine.Engine, tracker_engine: sa.engine.Engine) -> None:
    """Writes the fixture into the store's tables and the tracker store's ``events``."""
    with store_engine.begin() as db:
        for values in CONVERSATIONS:
            row = {"status": "active", "priority": "normal", "tags": [], "updated_at": values["created_at"],
                   "status_changed_at": values["created_at"], **values}  # fmt: skip
            db.execute(sa.insert(Conversation.__table__), [row])
        for cid, old, new, assignee, actor, when in STATUS_CHANGES:
            db.execute(sa.insert(ConversationStatusChange.__table__), [dict(
                conversation_id=cid, from_status=old, to_status=new, assignee_id=assignee,
                actor_type=actor, created_at=at(when))])  # fmt: skip
        for cid, rating, when in FEEDBACK:
            db.execute(
                sa.insert(Feedback.__table__), [dict(conversation_id=cid, rating=rating, created_at=at(when))]
            )
    EVENTS.metadata.create_all(tracker_engine)
    with tracker_engine.begin() as db:
        rows = [{"intent_name": None, "action_name": None, **event_row(cid, kind, at(when), name, conf)}
                for cid, kind, when, name, conf in EVENTS_ROWS]  # fmt: skip
        db.execute(sa.insert(EVENTS), rows)


def days(first: date, count: int) -> List[str]:
    return [(first + timedelta(days=i)).isoformat() for i in range(count)]
