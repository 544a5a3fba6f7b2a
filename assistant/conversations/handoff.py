"""Handoff to human agents, for every channel: the bot hands a conversation over (it joins the
queue), an agent takes it (or is given it), replies, and hands it back to the bot or closes it.
Each step is a status change recorded with who and when (registry.change_status), and keeps
the store's ``handoffs`` row of the conversation (waiting, assigned, resolved) up to date.

Whoever calls these also pauses or resumes the bot in the tracker when ``held`` changes (the
action server by its events, the admin API through Rasa's HTTP API, the web channel itself).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import List, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Session

from assistant.conversations import presence
from assistant.conversations.errors import ConversationConflict, InvalidTransition
from assistant.conversations.hours import parse_hours
from assistant.conversations.lifecycle import (
    ACTIVE,
    CLOSED,
    PENDING,
    PRIORITY_RANK,
    TRANSFERRED,
    WAITING,
    held_by_agent,
)
from assistant.conversations.registry import Actor, change_status, ensure, live
from assistant.settings import Settings
from assistant.store import Store
from assistant.store.conversation_models import Conversation
from assistant.store.models import Handoff, utcnow


@dataclass(frozen=True)
class Change:
    """A conversation after a handoff step, and whether an agent held it before and after."""

    conversation: Conversation
    was_held: bool
    now_held: bool


@dataclass(frozen=True)
class QueueInfo:
    """Where a queued conversation stands, for what the customer is told."""

    position: int
    wait_minutes: int
    agents_online: int
    open_now: bool
    hours: str


def request_handoff(
    store: Store,
    conversation_id: str,
    reason: str,
    channel: Optional[str] = None,
    customer_id: Optional[int] = None,
    priority: Optional[str] = None,
    actor: Actor = Actor("bot", "bot", "Assistant"),
) -> Change:
    """The bot hands the conversation over: it joins the queue (once; a repeat keeps it)."""
    with store.session() as s:
        conversation = ensure(s, conversation_id, channel, customer_id=customer_id)
        was_held = _held(conversation)
        if conversation.status == CLOSED:
            change_status(s, conversation, ACTIVE, actor, "customer came back", assignee=None, checked=False)
        if not held_by_agent(conversation.status, conversation.assignee_id):
            change_status(s, conversation, PENDING, actor, reason, assignee=None)
            conversation.last_notice_at = None
        if priority and PRIORITY_RANK[priority] < PRIORITY_RANK.get(conversation.priority, 99):
            conversation.priority = priority
        _handoff_row(s, conversation_id, reason)
        return Change(conversation, was_held, True)


def assign(
    store: Store, conversation_id: str, agent_id: str, actor: Actor, priority: Optional[str] = None
) -> Change:
    """Gives the conversation to ``agent_id``: takes it from the queue, takes over from the
    bot, or transfers it from another agent."""
    with store.session() as s:
        conversation = live(s, conversation_id)
        was_held = _held(conversation)
        status = conversation.status
        if status == CLOSED:
            raise InvalidTransition(CLOSED, ACTIVE)
        if status == PENDING or (status == ACTIVE and conversation.assignee_id is None):
            change_status(s, conversation, ACTIVE, actor, "assigned", assignee=agent_id)
        elif conversation.assignee_id != agent_id:
            change_status(s, conversation, TRANSFERRED, actor, "transferred", assignee=agent_id)
        if priority:
            conversation.priority = priority
        row = _handoff_row(s, conversation_id, "assigned")
        row.status, row.agent_id = "assigned", agent_id
        return Change(conversation, was_held, True)


def agent_reply(store: Store, conversation_id: str, agent: Actor, channel: Optional[str] = None) -> Change:
    """Before an agent's message goes out (from any channel or the admin API): a queued
    conversation becomes the agent's, a transferred one active again; a closed one refuses."""
    with store.session() as s:
        conversation = ensure(s, conversation_id, channel)
        was_held = _held(conversation)
        if conversation.status == CLOSED:
            raise InvalidTransition(CLOSED, ACTIVE)
        if conversation.status == PENDING:
            change_status(s, conversation, ACTIVE, agent, "agent replied", assignee=agent.id)
            row = _handoff_row(s, conversation_id, "assigned")
            row.status, row.agent_id = "assigned", agent.id
        elif conversation.status == TRANSFERRED and conversation.assignee_id == agent.id:
            change_status(s, conversation, ACTIVE, agent, "accepted the transfer")
        conversation.last_message_at = utcnow()
        return Change(conversation, was_held, _held(conversation))


def hand_back(store: Store, conversation_id: str, actor: Actor, reason: str = "handed back") -> Change:
    """The bot answers again (Rasa's ``resume``)."""
    with store.session() as s:
        conversation = live(s, conversation_id)
        if not _held(conversation):
            raise ConversationConflict("not_held", "no agent holds this conversation: the bot has it")
        handed_back(s, conversation, actor, reason)
        return Change(conversation, True, False)


def handed_back(s: Session, conversation: Conversation, actor: Actor, reason: str,
                at: Optional[datetime] = None) -> None:  # fmt: skip
    """The one hand-back step, whoever takes it: the admin API, a queued customer who goes back
    to the assistant, a ``resume`` posted to Rasa and read from the tracker store."""
    change_status(s, conversation, ACTIVE, actor, reason, assignee=None, at=at)
    _resolve(s, conversation.id, at)


def close(store: Store, conversation_id: str, actor: Actor, reason: str = "closed") -> Change:
    """Ends the conversation; the bot would answer a customer who comes back (and reopens it)."""
    with store.session() as s:
        conversation = live(s, conversation_id)
        was_held = _held(conversation)
        change_status(s, conversation, CLOSED, actor, reason)
        _resolve(s, conversation_id)
        return Change(conversation, was_held, False)


def set_status(store: Store, conversation_id: str, target: str, actor: Actor, reason: str = "") -> Change:
    """A status asked for by name (the admin API's update): each goes through its own step."""
    if target == CLOSED:
        return close(store, conversation_id, actor, reason or "closed")
    with store.session() as s:
        current = live(s, conversation_id)
        status, assignee, held = current.status, current.assignee_id, _held(current)
    if target == PENDING:
        if held and status != PENDING:
            raise InvalidTransition(status, PENDING)
        return request_handoff(store, conversation_id, reason or "queued by staff", actor=actor)
    if target == ACTIVE and (status == PENDING or (status == ACTIVE and assignee is not None)):
        return hand_back(store, conversation_id, actor, reason or "handed back")
    if target == TRANSFERRED:
        raise ConversationConflict("use_assign", "assign the conversation to another agent to transfer it")
    if target == WAITING and assignee is None:
        raise ConversationConflict("not_held", "only a conversation an agent holds can wait for the customer")
    with store.session() as s:
        conversation = live(s, conversation_id)
        was_held = _held(conversation)
        change_status(s, conversation, target, actor, reason)
        return Change(conversation, was_held, _held(conversation))


def customer_wrote(s: Session, conversation: Conversation, customer: Actor) -> None:
    """A customer's message: answering an agent who waits makes the conversation active again."""
    conversation.last_message_at = utcnow()
    if conversation.status == WAITING:
        change_status(s, conversation, ACTIVE, customer, "customer answered")


def queue(store: Store, limit: int = 100) -> List[Conversation]:
    """Conversations waiting for an agent: the most urgent first, then the oldest."""
    with store.session() as s:
        query = (
            sa.select(Conversation)
            .where(Conversation.status == PENDING, Conversation.deleted_at.is_(None))
            .order_by(_rank(), Conversation.queued_at, Conversation.id)
        )
        return list(s.scalars(query.limit(limit)))


def queue_info(store: Store, conversation: Conversation, settings: Settings, now: datetime) -> QueueInfo:
    hours = parse_hours(settings.support_hours, settings.support_timezone)
    online = presence.agents_online(store, now, settings.agent_presence_minutes)
    position = position_in_queue(store, conversation)
    wait = max(1, round(position * settings.minutes_per_customer / max(1, online)))
    return QueueInfo(position, wait, online, hours.is_open(now), hours.text)


def position_in_queue(store: Store, conversation: Conversation) -> int:
    rank = PRIORITY_RANK.get(conversation.priority, len(PRIORITY_RANK))
    queued_at = conversation.queued_at or utcnow()
    ahead = sa.or_(
        _rank() < rank,
        sa.and_(_rank() == rank, Conversation.queued_at < queued_at),
    )
    query = sa.select(sa.func.count(Conversation.id)).where(
        Conversation.status == PENDING,
        Conversation.deleted_at.is_(None),
        Conversation.id != conversation.id,
        ahead,
    )
    with store.session() as s:
        return int(s.scalar(query) or 0) + 1


def _rank() -> sa.sql.ColumnElement:
    whens = [(Conversation.priority == name, rank) for name, rank in PRIORITY_RANK.items()]
    return sa.case(*whens, else_=len(PRIORITY_RANK))


def _held(conversation: Conversation) -> bool:
    return held_by_agent(conversation.status, conversation.assignee_id)


def _handoff_row(s: Session, conversation_id: str, reason: str) -> Handoff:
    """The conversation's open ``handoffs`` row (the store's record), opened when there is none."""
    query = sa.select(Handoff).where(
        Handoff.conversation_id == conversation_id, Handoff.status.in_(("waiting", "assigned"))
    )
    row = s.scalars(query).first()
    if row is None:
        row = Handoff(conversation_id=conversation_id, reason=reason[:40], status="waiting")
        s.add(row)
        s.flush()
    return row


def _resolve(s: Session, conversation_id: str, at: Optional[datetime] = None) -> None:
    s.execute(
        sa.update(Handoff)
        .where(Handoff.conversation_id == conversation_id, Handoff.status.in_(("waiting", "assigned")))
        .values(status="resolved", resolved_at=(at or utcnow()).replace(microsecond=0))
    )
