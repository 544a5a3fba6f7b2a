"""Waiting is never silence, on every channel: after a customer's message in a conversation
that waits for an agent (the bot is paused), the conversation model says what to tell them
(their place in the queue, or that no agent is around and what they can do instead;
assistant/conversations/waiting.py). The notice is kept in the conversation's tracker; each
channel sends it its own way."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Optional

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
