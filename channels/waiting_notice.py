"""Waiting is never silence, on every channel: after a customer's message in a conversation
that waits for an agent (the bot is paused), the conversation model says what to tell them
(their place in the queue, or that no agent is around and what they can do instead;
assistant/conversations/waiting.py). The notice is kept in the conversation's tracker; each
channel sends it its own way."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from rasa.shared.core.events import BotUttered, ConversationResumed

from assistant.conversations import waiting
from assistant.settings import get_settings
from assistant.store import get_store

if TYPE_CHECKING:
    from rasa.core.agent import Agent

logger = logging.getLogger(__name__)


async def queue_notice(agent: Agent, conversation_id: str, content: str) -> Optional[waiting.Notice]:
    """The notice for the customer's message ``content``, stored in the tracker, or None."""
    try:
        notice = await asyncio.to_thread(
            waiting.on_customer_message, get_store(), get_settings(), conversation_id, content
        )
    except Exception:
        logger.warning("No queue notice for %s", conversation_id, exc_info=True)
        return None
    if notice is None:
        return None
    async with agent.lock_store.lock(conversation_id):
        tracker = await agent.processor.fetch_tracker_with_initial_session(conversation_id)  # type: ignore[union-attr]
        if notice.resume:
            tracker.update(ConversationResumed())
        tracker.update(BotUttered(notice.text, data={"buttons": notice.buttons} if notice.buttons else {}))
        await agent.tracker_store.save(tracker)
    return notice


async def while_waiting(agent: Optional[Agent], conversation_id: str, content: str) -> List[Dict[str, Any]]:
    """What a channel sends after a turn the bot did not answer: in a conversation that waits
    for an agent, the notice now and then (as a bot message: ``text``, ``buttons``); else nothing."""
    tracker = await agent.tracker_store.retrieve(conversation_id) if agent is not None else None
    if agent is None or tracker is None or not tracker.is_paused():
        return []
    notice = await queue_notice(agent, conversation_id, content)
    if notice is None:
        return []
    message: Dict[str, Any] = {"text": notice.text}
    if notice.buttons:
        message["buttons"] = notice.buttons
    return [message]
