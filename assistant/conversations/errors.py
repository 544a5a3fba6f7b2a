"""Typed errors of the conversation model; the admin API maps them to 404 and 409, the web
channel to its error events."""

from __future__ import annotations

from assistant.store.errors import NotAllowed, NotFound


class ConversationNotFound(NotFound):
    code = "CONVERSATION_NOT_FOUND"


class InvalidTransition(NotAllowed):
    """A status change the life cycle does not allow (e.g. anything after ``closed``)."""

    code = "INVALID_TRANSITION"

    def __init__(self, current: str, target: str) -> None:
        super().__init__("invalid_transition", f"a {current} conversation cannot become {target}")
        self.current, self.target = current, target


class ConversationConflict(NotAllowed):
    """The conversation's state forbids the request (hand back a conversation no agent holds)."""

    code = "CONFLICT"
