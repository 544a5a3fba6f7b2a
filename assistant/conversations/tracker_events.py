"""Conversations as the tracker store keeps them: Rasa's ``events`` table (``var/tracker.db``
on SQLite, the business database on PostgreSQL; see ``Settings.tracker_store_url``), read with
plain SQL so that listings cost one query per page, not one tracker per conversation.

Messages come out in one shape for every channel: ``user`` (with intent, confidence and
entities), ``bot`` and ``agent`` (a bot event whose sender is an agent), and the transcript adds
``action`` and ``event`` (pause, resume, session start) entries.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Collection, Dict, List, Optional, Set, Tuple

import sqlalchemy as sa

from assistant.store.repository import create_db_engine

SENDER_KEY = "webchat_sender"  # who wrote a message, in its metadata (web channel, admin API)
AGENT_ROLES = ("agent", "admin")
MESSAGE_TYPES = ("user", "bot")
STATUS_EVENTS = ("pause", "resume", "session_started", "restart")
CUSTOMER = {"id": "customer", "name": "Customer", "role": "customer"}
BOT = {"id": "bot", "name": "Assistant", "role": "bot"}

_metadata = sa.MetaData()
EVENTS = sa.Table(
    "events",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False),
    sa.Column("type_name", sa.String(255), nullable=False),
    sa.Column("timestamp", sa.Float),
    sa.Column("intent_name", sa.String(255)),
    sa.Column("action_name", sa.String(255)),
    sa.Column("data", sa.Text),
)


@dataclass(frozen=True)
class EventRow:
    id: int
    sender_id: str
    type_name: str
    timestamp: float
    data: Dict[str, Any]


@dataclass(frozen=True)
class Summary:
    message_count: int
    last_message: Optional[Dict[str, Any]]


def iso(timestamp: Optional[float]) -> Optional[str]:
    if timestamp is None:
        return None
    moment = datetime.fromtimestamp(timestamp, timezone.utc).isoformat(timespec="seconds")
    return moment.replace("+00:00", "Z")


class TrackerEvents:
    """Reads (and, for erasure, deletes) the tracker store's events."""

    def __init__(self, url: str) -> None:
        self.engine = create_db_engine(url)
        self._ready = False

    def close(self) -> None:
        self.engine.dispose()

    def available(self) -> bool:
        """Whether Rasa has created its table yet (it does when the Rasa server first starts)."""
        if not self._ready:
            self._ready = sa.inspect(self.engine).has_table("events")
        return self._ready

    def rows_since(self, position: int, limit: int) -> List[EventRow]:
        if not self.available():
            return []
        query = sa.select(EVENTS).where(EVENTS.c.id > position).order_by(EVENTS.c.id).limit(limit)
        return self._rows(query)

    def transcript(self, sender_id: str) -> List[Dict[str, Any]]:
        """Every message, action and pause/resume of the conversation, oldest first."""
        if not self.available():
            return []
        query = sa.select(EVENTS).where(EVENTS.c.sender_id == sender_id).order_by(EVENTS.c.id)
        entries = (entry(row) for row in self._rows(query))
        return [e for e in entries if e is not None]

    def events(self, sender_id: str) -> List[Dict[str, Any]]:
        """The conversation's events as Rasa stores them (its event dicts), oldest first."""
        if not self.available():
            return []
        query = sa.select(EVENTS).where(EVENTS.c.sender_id == sender_id).order_by(EVENTS.c.id)
        return [{"timestamp": row.timestamp, **row.data, "event": row.type_name} for row in self._rows(query)]

    def messages(self, sender_id: str, page: int, limit: int) -> Tuple[List[Dict[str, Any]], int]:
        """One page of the conversation's messages (oldest first) and how many there are."""
        if not self.available():
            return [], 0
        where = sa.and_(EVENTS.c.sender_id == sender_id, EVENTS.c.type_name.in_(MESSAGE_TYPES))
        with self.engine.connect() as connection:
            total = connection.execute(sa.select(sa.func.count()).where(where)).scalar() or 0
        query = sa.select(EVENTS).where(where).order_by(EVENTS.c.id).offset((page - 1) * limit).limit(limit)
        return [e for e in (entry(row) for row in self._rows(query)) if e is not None], int(total)

    def summaries(self, sender_ids: Collection[str]) -> Dict[str, Summary]:
        """Message count and last message of each conversation."""
        if not sender_ids or not self.available():
            return {}
        where = sa.and_(EVENTS.c.sender_id.in_(list(sender_ids)), EVENTS.c.type_name.in_(MESSAGE_TYPES))
        grouped = sa.select(EVENTS.c.sender_id, sa.func.count(), sa.func.max(EVENTS.c.id)).where(where)
        with self.engine.connect() as connection:
            counts = connection.execute(grouped.group_by(EVENTS.c.sender_id)).all()
        last_ids = [last for _, _, last in counts]
        last = {
            row.sender_id: entry(row)
            for row in self._rows(sa.select(EVENTS).where(EVENTS.c.id.in_(last_ids)))
        }
        return {sender: Summary(int(count), last.get(sender)) for sender, count, _ in counts}

    def search(self, text: str, limit: int = 1000) -> Set[str]:
        """Conversations with a message containing ``text`` (case-insensitive)."""
        if not self.available():
            return set()
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = (
            sa.select(EVENTS.c.sender_id)
            .where(EVENTS.c.type_name.in_(MESSAGE_TYPES), EVENTS.c.data.ilike(f"%{escaped}%", escape="\\"))
            .distinct()
            .limit(limit)
        )
        with self.engine.connect() as connection:
            return {row[0] for row in connection.execute(query)}

    def replies_after(self, sender_id: str, message_id: str) -> List[Dict[str, Any]]:
        """The bot's (and agents') messages after the user message ``message_id``."""
        replies: List[Dict[str, Any]] = []
        found = False
        for item in self.transcript(sender_id):
            if item["type"] == "user":
                if found:
                    break
                found = item.get("message_id") == message_id
            elif found and item["type"] in ("bot", "agent"):
                replies.append(item)
        return replies

    def delete(self, sender_ids: Collection[str]) -> int:
        """Erases every event of the conversations (GDPR erasure, a customer deleting one)."""
        if not sender_ids or not self.available():
            return 0
        with self.engine.begin() as connection:
            result = connection.execute(sa.delete(EVENTS).where(EVENTS.c.sender_id.in_(list(sender_ids))))
        return int(result.rowcount or 0)

    def _rows(self, query: Any) -> List[EventRow]:
        with self.engine.connect() as connection:
            found = connection.execute(query).all()
        return [EventRow(r.id, r.sender_id, r.type_name, r.timestamp or 0.0, _json(r.data)) for r in found]


def entry(row: EventRow) -> Optional[Dict[str, Any]]:
    """A tracker event as a transcript entry, or None for events that are not shown."""
    data, at = row.data, iso(row.timestamp)
    base = {"id": str(row.id), "created_at": at}
    if row.type_name == "user":
        parse = data.get("parse_data") or {}
        intent = parse.get("intent") or {}
        metadata = data.get("metadata") or {}
        sender = metadata.get(SENDER_KEY) or CUSTOMER
        return {**base, "type": "user", "content": data.get("text") or "", "sender": _person(sender),
                "intent": intent.get("name"), "confidence": intent.get("confidence"),
                "entities": [{"entity": e.get("entity"), "value": e.get("value")} for e in parse.get("entities") or []],
                "message_id": metadata.get("message_id") or data.get("message_id"), "channel": data.get("input_channel")}  # fmt: skip
    if row.type_name == "bot":
        sender = (data.get("metadata") or {}).get(SENDER_KEY) or BOT
        kind = "agent" if sender.get("role") in AGENT_ROLES else "bot"
        buttons = (data.get("data") or {}).get("buttons") or []
        return {**base, "type": kind, "content": data.get("text") or "", "sender": _person(sender),
                "buttons": [b.get("title") for b in buttons if isinstance(b, dict)]}  # fmt: skip
    if row.type_name == "action" and data.get("name") != "action_listen":
        return {**base, "type": "action", "action": data.get("name"), "policy": data.get("policy"),
                "confidence": data.get("confidence")}  # fmt: skip
    if row.type_name in STATUS_EVENTS:
        return {**base, "type": "event", "event": row.type_name}
    return None


def _person(sender: Dict[str, Any]) -> Dict[str, str]:
    return {key: str(sender.get(key) or "") for key in ("id", "name", "role")}


def _json(text: Optional[str]) -> Dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
