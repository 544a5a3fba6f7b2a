"""The analytics queries: each one SQL statement over the conversations table, its status
changes, the feedback table and Rasa's ``events`` table, answering counts and averages (rows
are never loaded into Python to be counted).

Definitions (README "Analytics"):
- a conversation belongs to the period when it *started* in it (``conversations.created_at``);
- it was *handed over* when it was ever queued for an agent or given to one (a status change
  to ``pending`` or one with an assignee); otherwise the assistant *contained* it (AI-resolved);
- messages, fallbacks, intents and confidence count the tracker events *sent* in the period:
  ``user`` events are messages in, ``bot`` events messages out (an agent's carry their role in
  ``metadata.webchat_sender``); a fallback is a message classified ``nlu_fallback`` or answered
  by the core fallback action;
- first response: from a conversation's first customer message to the first message out after
  it; resolution: from its start to ``closed_at`` (closed conversations only);
- CSAT: the 1-5 ratings of the feedback form given in the period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, List, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from assistant.analytics.period import Period
from assistant.analytics.sql import epoch, json_number, json_value, local_bucket
from assistant.conversations.lifecycle import CLOSED, PENDING, WITH_AGENTS
from assistant.store.conversation_models import Conversation, ConversationStatusChange
from assistant.store.models import Feedback

C = Conversation.__table__
SC = ConversationStatusChange.__table__
F = Feedback.__table__
FALLBACK_INTENT = "nlu_fallback"
FALLBACK_ACTIONS = ("action_core_fallback", "action_default_fallback")
AGENT_ROLES = ("agent", "admin")


@dataclass(frozen=True)
class Scope:
    """What a query covers: the period, an optional channel, and Rasa's events table (None
    while Rasa has not created it: event figures are then zero)."""

    period: Period
    channel: Optional[str]
    events: Optional[sa.Table]


def handed_over() -> Any:
    """1 when the conversation was ever queued for an agent or given to one, else 0."""
    taken = sa.select(SC.c.conversation_id).where(
        sa.or_(SC.c.to_status == PENDING, SC.c.assignee_id.isnot(None))
    )
    return sa.case((C.c.id.in_(taken), 1), else_=0)


def _live(scope: Scope) -> List[Any]:
    conditions: List[Any] = [C.c.deleted_at.is_(None)]
    if scope.channel:
        conditions.append(C.c.channel == scope.channel)
    return conditions


def _started(scope: Scope) -> List[Any]:
    p = scope.period
    return _live(scope) + [C.c.created_at >= p.start_naive, C.c.created_at < p.end_naive]


def _period_of(scope: Scope, events: sa.Table) -> List[Any]:
    p = scope.period
    return [events.c.timestamp >= p.start.timestamp(), events.c.timestamp < p.end.timestamp()]


def _sent(scope: Scope, events: sa.Table) -> List[Any]:
    return _live(scope) + _period_of(scope, events)


def conversations_grouped(db: Connection, scope: Scope) -> List[Dict[str, Any]]:
    """Per channel and local day or hour (bucket number): conversations started, handed over,
    still open, closed, and their resolution seconds (sums, so groups add up)."""
    p = scope.period
    bucket = local_bucket(epoch(C.c.created_at), p.offsets(), p.bucket_seconds).label("bucket")
    closed = C.c.closed_at.isnot(None) & (C.c.status == CLOSED)
    resolution = sa.case((closed, epoch(C.c.closed_at) - epoch(C.c.created_at)))
    query = sa.select(
        C.c.channel,
        bucket,
        sa.func.count().label("conversations"),
        sa.func.sum(handed_over()).label("handed_over"),
        sa.func.sum(sa.case((C.c.status != CLOSED, 1), else_=0)).label("open"),
        sa.func.count(resolution).label("resolved"),
        sa.func.sum(resolution).label("resolution_seconds"),
    ).where(*_started(scope))
    return [dict(row._mapping) for row in db.execute(query.group_by(C.c.channel, bucket))]


def customer_key() -> Any:
    """Who a conversation's customer is: their customer id when known, else the channel's
    external id (a WhatsApp number), else the conversation itself (an anonymous visitor)."""
    return sa.func.coalesce(
        sa.literal("customer:") + sa.cast(C.c.customer_id, sa.String),
        C.c.channel + sa.literal(":") + C.c.external_id,
        sa.literal("conversation:") + C.c.id,
    )


def customers(db: Connection, scope: Scope) -> Dict[str, int]:
    """Unique customers of the period's conversations, and how many had their first
    conversation ever in the period (new customers)."""
    key = customer_key()
    unique = db.execute(sa.select(sa.func.count(sa.distinct(key))).where(*_started(scope))).scalar()
    first = (
        sa.select(key.label("key"), sa.func.min(C.c.created_at).label("first"))
        .where(*_live(scope))
        .group_by(key)
        .subquery()
    )
    p = scope.period
    new = db.execute(
        sa.select(sa.func.count()).where(first.c.first >= p.start_naive, first.c.first < p.end_naive)
    ).scalar()
    return {"unique_customers": int(unique or 0), "new_customers": int(new or 0)}


def _message_columns(events: sa.Table) -> Dict[str, Any]:
    kind = events.c.type_name
    fallback = sa.or_(
        sa.and_(kind == "user", events.c.intent_name == FALLBACK_INTENT),
        sa.and_(kind == "action", events.c.action_name.in_(FALLBACK_ACTIONS)),
    )
    return {
        "messages_in": sa.func.sum(sa.case((kind == "user", 1), else_=0)),
        "messages_out": sa.func.sum(sa.case((kind == "bot", 1), else_=0)),
        "fallbacks": sa.func.sum(sa.case((fallback, 1), else_=0)),
    }


def _counted(events: sa.Table) -> Any:
    kind = events.c.type_name
    return sa.or_(
        kind.in_(("user", "bot")), sa.and_(kind == "action", events.c.action_name.in_(FALLBACK_ACTIONS))
    )


def messages_grouped(db: Connection, scope: Scope) -> List[Dict[str, Any]]:
    """Per channel and local day or hour: messages in and out and fallbacks sent (counted per
    conversation first, so the join with the conversations is small)."""
    events = scope.events
    if events is None:
        return []
    p = scope.period
    bucket = local_bucket(events.c.timestamp, p.offsets(), p.bucket_seconds).label("bucket")
    columns = _message_columns(events)
    per_conversation = (
        sa.select(events.c.sender_id, bucket, *(c.label(name) for name, c in columns.items()))
        .where(*_period_of(scope, events), _counted(events))
        .group_by(events.c.sender_id, bucket)
        .subquery()
    )
    query = (
        sa.select(C.c.channel, per_conversation.c.bucket, *(sa.func.sum(per_conversation.c[name]).label(name) for name in columns))
        .select_from(per_conversation.join(C, C.c.id == per_conversation.c.sender_id))
        .where(*_live(scope))
        .group_by(C.c.channel, per_conversation.c.bucket)
    )  # fmt: skip
    return [dict(row._mapping) for row in db.execute(query)]


def message_details(db: Connection, scope: Scope) -> Dict[str, Any]:
    """Agents' messages among the messages out, and the average intent confidence of the
    messages in (both read from the events' JSON)."""
    events = scope.events
    if events is None:
        return {"agent_messages": 0, "avg_intent_confidence": None}
    kind = events.c.type_name
    role = json_value(events.c.data, "metadata", "webchat_sender", "role")
    confidence = json_number(events.c.data, "parse_data", "intent", "confidence")
    query = (
        sa.select(
            sa.func.sum(sa.case((sa.and_(kind == "bot", role.in_(AGENT_ROLES)), 1), else_=0)),
            sa.func.avg(sa.case((kind == "user", confidence))),
        )
        .select_from(events.join(C, C.c.id == events.c.sender_id))
        .where(*_sent(scope, events), kind.in_(("user", "bot")))
    )
    agents, average = db.execute(query).one()
    return {"agent_messages": int(agents or 0), "avg_intent_confidence": _float(average)}


def first_response(db: Connection, scope: Scope) -> Optional[float]:
    """Average seconds from a conversation's first customer message to the first message out
    after it, over the period's conversations that got one: two probes of the events index on
    (conversation, kind, time) per conversation."""
    events = scope.events
    if events is None:
        return None
    inbound, outbound = events.alias("inbound"), events.alias("outbound")
    first_in = (
        sa.select(sa.func.min(inbound.c.timestamp))
        .where(inbound.c.sender_id == C.c.id, inbound.c.type_name == "user")
        .correlate(C)
        .scalar_subquery()
    )
    first_out = (
        sa.select(sa.func.min(outbound.c.timestamp))
        .where(
            outbound.c.sender_id == C.c.id, outbound.c.type_name == "bot", outbound.c.timestamp >= first_in
        )
        .correlate(C)
        .scalar_subquery()
    )
    waits = sa.select((first_out - first_in).label("wait")).where(*_started(scope)).subquery()
    return _float(db.execute(sa.select(sa.func.avg(waits.c.wait))).scalar())


def csat(db: Connection, scope: Scope) -> Dict[int, int]:
    """How many ratings of each value (1-5) were given in the period."""
    p = scope.period
    query = sa.select(F.c.rating, sa.func.count()).where(
        F.c.created_at >= p.start_naive, F.c.created_at < p.end_naive
    )
    if scope.channel:
        query = query.select_from(F.join(C, C.c.id == F.c.conversation_id)).where(*_live(scope))
    return {int(r): int(n) for r, n in db.execute(query.group_by(F.c.rating))}


def top_intents(
    db: Connection, scope: Scope, limit: int = 10, confidence: bool = False
) -> List[Dict[str, Any]]:
    """The most frequent intents of the period's messages in, with how many conversations
    they came up in and how many of those were handed over (and their average confidence)."""
    events = scope.events
    if events is None:
        return []
    inner = [events.c.intent_name.label("intent"), events.c.sender_id, sa.func.count().label("n")]
    if confidence:
        score = json_number(events.c.data, "parse_data", "intent", "confidence")
        inner += [sa.func.sum(score).label("score"), sa.func.count(score).label("scored")]
    per_conversation = (
        sa.select(*inner)
        .where(*_period_of(scope, events), events.c.type_name == "user", events.c.intent_name.isnot(None))
        .group_by(events.c.intent_name, events.c.sender_id)
        .subquery()
    )
    pc = per_conversation.c
    columns = [pc.intent, sa.func.sum(pc.n).label("count"), sa.func.count().label("conversations"),
               sa.func.sum(handed_over()).label("handed_over")]  # fmt: skip
    if confidence:
        columns.append(
            (sa.func.sum(pc.score) / sa.func.nullif(sa.func.sum(pc.scored), 0)).label("confidence")
        )
    query = (
        sa.select(*columns)
        .select_from(per_conversation.join(C, C.c.id == pc.sender_id))
        .where(*_live(scope))
        .group_by(pc.intent)
        .order_by(sa.desc("count"), pc.intent)
        .limit(limit)
    )
    return [dict(row._mapping) for row in db.execute(query)]


def queue(db: Connection, now: datetime, channel: Optional[str] = None) -> Dict[str, Any]:
    """The handoff queue now: conversations waiting for an agent (and how long the oldest has
    waited), and those an agent holds."""
    live = [C.c.deleted_at.is_(None)] + ([C.c.channel == channel] if channel else [])
    pending = C.c.status == PENDING
    held = sa.or_(
        C.c.status.in_(sorted(WITH_AGENTS - {PENDING})),
        sa.and_(C.c.status == "active", C.c.assignee_id.isnot(None)),
    )
    waited = sa.case((pending, epoch(sa.literal(now, sa.DateTime)) - epoch(C.c.queued_at)))
    query = sa.select(
        sa.func.sum(sa.case((pending, 1), else_=0)),
        sa.func.sum(sa.case((held, 1), else_=0)),
        sa.func.max(waited),
        sa.func.avg(waited),
    ).where(*live, sa.or_(pending, held))
    waiting, with_agents, oldest, average = db.execute(query).one()
    by_priority = db.execute(
        sa.select(C.c.priority, sa.func.count()).where(*live, pending).group_by(C.c.priority)
    )
    return {"waiting": int(waiting or 0), "with_agents": int(with_agents or 0),
            "oldest_wait_seconds": _round(oldest), "avg_wait_seconds": _round(average),
            "waiting_by_priority": {p: int(n) for p, n in by_priority}}  # fmt: skip


def _float(value: Any) -> Optional[float]:
    return None if value is None else float(value)


def _round(value: Any) -> Optional[float]:
    return None if value is None else round(float(value), 1)
