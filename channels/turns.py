"""Serving one turn so that it either completes or fails visibly, for the channels of this
project (the REST webhook and the web channel).

A turn is what ``Agent.handle_message`` does: take the conversation's ticket lock, then let the
processor parse the message, run the actions, store the tracker and collect the replies.
Here, in addition:

- the whole turn has a deadline (``TURN_TIMEOUT_SECONDS``); retries of lost connections
  inside it stop at the deadline (assistant/retry.py);
- under the lock, a message whose id is already stored in the conversation is answered from
  the stored replies instead of being processed again;
- Rasa's ``FailSafeTrackerStore`` is told to re-raise database errors (see ``fail_loudly``);
- errors are not swallowed: a failed turn raises, and the caller answers with an error.

Nothing of a failed turn is stored: Rasa writes the tracker once, at the end of the turn, and a
failure (including an action that reports one, assistant/turn_failure.py) stops it before that.
"""

from __future__ import annotations

import asyncio
import logging
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from rasa.core.agent import Agent
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.lock_store import LockError
from rasa.core.tracker_store import FailSafeTrackerStore, TrackerStore
from rasa.exceptions import ActionLimitReached
from rasa.shared.core.events import BotUttered, Event, UserUttered

from assistant.retry import is_transient, turn_deadline
from assistant.turn_failure import TurnFailed, raise_reported_failure, watch_the_processor, watching_actions
from channels import system_settings
from channels.envelope import InternalError, ServiceUnavailable
from channels.errors import ChannelError

logger = logging.getLogger(__name__)


class TurnCollector(CollectingOutputChannel):
    """Collects the bot's replies of one turn, for the channel named ``channel``; an action's
    failure report (a custom payload, assistant/turn_failure.py) raises, so the turn fails
    before Rasa stores it."""

    channel = "rest"

    @classmethod
    def name(cls) -> str:
        return cls.channel

    async def send_custom_json(self, recipient_id: str, json_message: Dict[str, Any], **kwargs: Any) -> None:
        raise_reported_failure(json_message)
        await super().send_custom_json(recipient_id, json_message, **kwargs)


AGAIN = "The assistant could not complete this message; send it again"
MAX_PREDICTIONS_PER_TURN = 25
_predictions: ContextVar[Optional[List[int]]] = ContextVar("predictions_this_turn", default=None)
LOCK_POLL_SECONDS = 0.05  # how often a message waiting for its conversation's lock looks again


class AssistantNotReady(Exception):
    """The server has no model loaded yet."""


@dataclass(frozen=True)
class TurnResult:
    """The replies of a turn, and whether they were replayed from storage."""

    messages: List[Dict[str, Any]]
    replayed: bool


async def serve_turn(
    agent: Optional[Agent], message: UserMessage, replayable: bool, timeout_seconds: float
) -> TurnResult:
    """Runs ``message`` through ``agent`` within ``timeout_seconds``. ``replayable``: the
    message id came from the client, so it may have been processed already.

    Raises ``asyncio.TimeoutError`` when the deadline passes, ``AssistantNotReady``, and
    whatever made the turn fail."""
    if agent is None or not agent.is_ready():
        raise AssistantNotReady("no model is loaded yet")
    fail_loudly(agent.tracker_store)
    watch_the_processor()
    limit_predictions(agent.processor)
    system_settings.apply_confidence_floor(agent.processor)
    token = _predictions.set([0])
    try:
        with turn_deadline(timeout_seconds), watching_actions():
            result = await asyncio.wait_for(_locked_turn(agent, message, replayable), timeout_seconds)
        return TurnResult(await system_settings.shortened(result.messages), result.replayed)
    finally:
        _predictions.reset(token)


def limit_predictions(processor: Any) -> None:
    """Rasa's circuit breaker counts the actions that stay in the tracker since the customer's
    message; actions whose events a revert undoes (the two-stage fallback's clarification) are
    not counted, and a policy that keeps predicting such an action spins forever without
    yielding to the event loop, so no deadline can stop it and the whole server hangs. Here a
    turn stops predicting after ``MAX_PREDICTIONS_PER_TURN``, the way Rasa's breaker stops."""
    if processor is None or getattr(processor, "_northwind_limited", False):
        return
    predict = processor.predict_next_with_tracker_if_should

    def limited(tracker: Any) -> Any:
        count = _predictions.get()
        if count is not None:
            count[0] += 1
            if count[0] > MAX_PREDICTIONS_PER_TURN:
                logger.warning("Stopped a turn of %s after %d predictions", tracker.sender_id, count[0] - 1)
                raise ActionLimitReached("The limit of actions to predict in one turn has been reached.")
        return predict(tracker)

    processor.predict_next_with_tracker_if_should = limited
    processor._northwind_limited = True


async def _locked_turn(agent: Agent, message: UserMessage, replayable: bool) -> TurnResult:
    output = message.output_channel
    async with agent.lock_store.lock(message.sender_id, wait_time_in_seconds=LOCK_POLL_SECONDS):
        if replayable:
            stored = await stored_reply(agent.tracker_store, message.sender_id, message.message_id)
            if stored is not None:
                for reply in stored:
                    await output.send_response(message.sender_id, dict(reply))
                return TurnResult(_collected(output), replayed=True)
        if not await system_settings.hand_to_agents(agent, message):
            await agent.processor.handle_message(message)  # type: ignore[union-attr]
    return TurnResult(_collected(output), replayed=False)


def turn_error(error: Exception, retry_after: int, label: str) -> ChannelError:
    """What a client is told about a turn that failed (logged with ``label``): a
    ``ServiceUnavailable`` when sending the message again later can work, else an
    ``InternalError``. Nothing of the turn was stored either way."""
    if isinstance(error, TurnFailed):
        if error.retryable:
            logger.warning("Turn %s failed: %s", label, error.message)
            return ServiceUnavailable(AGAIN, retry_after, {"reason": error.code.lower()})
        logger.error("Turn %s failed: %s", label, error.message)
        return InternalError("The assistant could not complete this message", {"reason": error.code.lower()})
    reason = _temporary_reason(error)
    if reason is not None:
        logger.warning("Turn %s failed (%s): %r", label, reason, error)
        return ServiceUnavailable(AGAIN, retry_after, {"reason": reason})
    logger.error("Turn %s failed", label, exc_info=error)
    return InternalError("The assistant could not complete this message")


def _temporary_reason(error: Exception) -> Optional[str]:
    """Why a failure is temporary (a retry later can succeed), or None when it is not."""
    if isinstance(error, asyncio.TimeoutError):
        return "timeout"
    if isinstance(error, AssistantNotReady):
        return "not_ready"
    if isinstance(error, LockError):
        return "conversation_busy" if not is_transient(error) else "store_unavailable"
    if is_transient(error):
        return "store_unavailable"
    return None


def _collected(output: Any) -> List[Dict[str, Any]]:
    return list(output.messages) if isinstance(output, CollectingOutputChannel) else []


def fail_loudly(tracker_store: TrackerStore) -> None:
    """Rasa wraps every tracker store in a ``FailSafeTrackerStore`` that, when the database
    fails, reads "no such conversation" (the conversation silently starts over) and writes to
    memory (the turn looks stored, and is lost). Its error callback, which Rasa leaves unset,
    now re-raises the error instead."""
    if isinstance(tracker_store, FailSafeTrackerStore):
        tracker_store._on_tracker_store_error = _reraise


def _reraise(error: Exception) -> None:
    raise error


async def stored_reply(
    tracker_store: TrackerStore, sender_id: str, message_id: str
) -> Optional[List[Dict[str, Any]]]:
    """The bot messages stored in reply to ``message_id``, or None when it was not stored."""
    primary = _primary(tracker_store)
    lookup = getattr(primary, "stored_reply", None)
    if lookup is not None:  # our SQL tracker store: one indexed query
        return await lookup(sender_id, message_id)
    tracker = await tracker_store.retrieve_full_tracker(sender_id)
    return replies_after(list(tracker.events), message_id) if tracker else None


def _primary(tracker_store: TrackerStore) -> TrackerStore:
    """The configured store inside Rasa's wrappers (``FailSafe``/``Awaitable``)."""
    inner = getattr(tracker_store, "_tracker_store", None)
    return _primary(inner) if isinstance(inner, TrackerStore) else tracker_store


def replies_after(events: List[Event], message_id: str) -> Optional[List[Dict[str, Any]]]:
    """The bot messages between the user message ``message_id`` and the next user message."""
    replies: Optional[List[Dict[str, Any]]] = None
    for event in events:
        if isinstance(event, UserUttered):
            if replies is not None:
                break
            if event.message_id == message_id:
                replies = []
        elif isinstance(event, BotUttered) and replies is not None:
            replies.append(event.message())
    return replies
