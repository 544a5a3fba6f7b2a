"""The life cycle of a conversation, as in the seed API's state diagram:

``active`` (the bot, or the agent who holds it, is talking with the customer) -> ``pending``
(handed over, waiting in the queue for an agent) -> ``active`` (an agent took it) ->
``waiting`` (the agent awaits the customer's answer) -> ``active`` (the customer answered);
``active`` -> ``transferred`` (moved to another agent) -> ``active``; anything -> ``closed``.

``closed`` is final for staff. A customer writing again in a closed conversation reopens it
(the conversation is their Rasa sender id, which their browser keeps): recorded like any change.
"""

from __future__ import annotations

from typing import Dict, FrozenSet

from assistant.conversations.errors import InvalidTransition

ACTIVE, PENDING, WAITING, TRANSFERRED, CLOSED = "active", "pending", "waiting", "transferred", "closed"
STATUSES = (ACTIVE, PENDING, WAITING, TRANSFERRED, CLOSED)
PRIORITIES = ("low", "normal", "high", "urgent")
PRIORITY_RANK = {name: rank for rank, name in enumerate(reversed(PRIORITIES))}  # urgent first

TRANSITIONS: Dict[str, FrozenSet[str]] = {
    ACTIVE: frozenset({PENDING, WAITING, TRANSFERRED, CLOSED}),
    PENDING: frozenset({ACTIVE, CLOSED}),
    WAITING: frozenset({ACTIVE, CLOSED}),
    TRANSFERRED: frozenset({ACTIVE, CLOSED}),
    CLOSED: frozenset(),
}
# Statuses in which the bot is paused and an agent answers (or will).
WITH_AGENTS = frozenset({PENDING, WAITING, TRANSFERRED})


def check_transition(current: str, target: str) -> None:
    """Raises :class:`InvalidTransition` unless ``target`` may follow ``current``."""
    if target not in TRANSITIONS.get(current, frozenset()):
        raise InvalidTransition(current, target)


def held_by_agent(status: str, assignee_id: object) -> bool:
    """Whether an agent holds the conversation (or it waits for one): the bot stays quiet."""
    return status in WITH_AGENTS or (status == ACTIVE and assignee_id is not None)
