"""How the action server tells the Rasa server that an action could not run, so the turn fails
visibly instead of going on without it.

Rasa's processor catches every error of a custom action call, logs it and carries on: the
conversation is stored as if the action had run and said nothing. Our action server
(assistant/action_server.py) therefore never answers an action call with an error: when the
action fails it answers with one bot message holding a custom payload under ``FAILURE_KEY``.
Rasa hands that message to the channel's output channel before it stores anything; the REST, web
and WhatsApp channels' outputs raise ``TurnFailed`` there, so the turn stops and nothing of it is
stored.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Optional

FAILURE_KEY = "northwind_turn_failed"
# Channels whose output channel turns a report into the turn's failure. For the others the
# action server fails the way rasa-sdk does (Rasa logs and skips the action), so that a report
# never reaches a customer as a message. Add a channel here once its output raises on
# ``failure_in`` (WhatsApp: channels/whatsapp/output.py).
CHANNELS_THAT_FAIL_TURNS = frozenset({"rest", "webchat", "whatsapp"})


class TurnFailed(Exception):
    """A turn that cannot complete; ``retryable`` when asking again later can succeed."""

    def __init__(self, code: str, message: str, retryable: bool) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retryable = retryable


@dataclass(frozen=True)
class ActionFailure:
    """An action that did not run: which one, and whether a retry can help."""

    action: str
    retryable: bool

    def response(self) -> Dict[str, Any]:
        """The action server's answer to the action call (rasa-sdk's response format)."""
        payload = {"action": self.action, "retryable": self.retryable}
        return {"events": [], "responses": [{"custom": {FAILURE_KEY: payload}}]}

    def error(self) -> TurnFailed:
        if self.retryable:
            return TurnFailed("SERVICE_UNAVAILABLE", f"{self.action} could not reach the store", True)
        return TurnFailed("ACTION_FAILED", f"{self.action} failed", False)


def failure_in(custom: Any) -> Optional[ActionFailure]:
    """The failure a bot message's custom payload reports, or None for an ordinary payload."""
    if not isinstance(custom, dict) or not isinstance(custom.get(FAILURE_KEY), dict):
        return None
    payload = custom[FAILURE_KEY]
    return ActionFailure(str(payload.get("action") or "an action"), bool(payload.get("retryable")))


def raise_reported_failure(custom: Any) -> None:
    """Raises the failure a bot message's custom payload reports (the turn then fails before
    Rasa stores it); an ordinary payload passes."""
    failure = failure_in(custom)
    if failure is not None:
        raise failure.error()


def channel_fails_turns(action_call: Dict[str, Any]) -> bool:
    """True when the message being answered came in over a channel that understands reports."""
    tracker = action_call.get("tracker") or {}
    return tracker.get("latest_input_channel") in CHANNELS_THAT_FAIL_TURNS


# Rasa's processor also swallows a custom action it could not call at all (the action server
# is down): it logs "Encountered an exception while running action" and the turn goes on
# without it. A logging filter notes such a failure for the turn in progress, and the tracker
# store refuses to save that turn (``raise_if_an_action_failed``), so it fails visibly too.
SKIPPED_ACTION = "Encountered an exception while running action '"
_failed_actions: ContextVar[Optional[List[ActionFailure]]] = ContextVar("failed_actions", default=None)


@contextmanager
def watching_actions() -> Iterator[None]:
    """Marks the code inside as one turn whose skipped actions make it fail."""
    token = _failed_actions.set([])
    try:
        yield
    finally:
        _failed_actions.reset(token)


def raise_if_an_action_failed() -> None:
    """Raises the failure of the first action this turn could not run (inside a turn only)."""
    failed = _failed_actions.get()
    if failed:
        raise failed[0].error()


class SkippedActionFilter(logging.Filter):
    """Notes an action Rasa's processor could not run, for the turn in progress."""

    def filter(self, record: logging.LogRecord) -> bool:
        failed = _failed_actions.get()
        message = record.getMessage()
        if failed is not None and message.startswith(SKIPPED_ACTION):
            error = record.exc_info[1] if record.exc_info else None
            unreachable = "Couldn't connect" in str(error) or _caused_by_connection(error)
            failed.append(ActionFailure(message[len(SKIPPED_ACTION) :].split("'", 1)[0], unreachable))
        return True


def _caused_by_connection(error: Optional[BaseException]) -> bool:
    context = error.__context__ if error is not None else None
    return isinstance(context, (ConnectionError, asyncio.TimeoutError)) or "Connect" in type(context).__name__


def watch_the_processor() -> None:
    """Installs the filter on Rasa's processor logger (once)."""
    rasa_logger = logging.getLogger("rasa.core.processor")
    if not any(isinstance(f, SkippedActionFilter) for f in rasa_logger.filters):
        rasa_logger.addFilter(SkippedActionFilter())
