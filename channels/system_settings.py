"""The admins' system settings (assistant/system_settings.py) as the channels' turns honour
them (channels/turns.py serves every turn: the REST webhook, the web channel, WhatsApp):

- ``auto_reply_enabled`` false: the customer's message is kept in the conversation, which joins
  the agents' queue (reason ``auto_reply_disabled``) and is paused; the customer is told where
  they stand (the same notice as a handoff), and the bot does not answer;
- ``ai_confidence_threshold``: the processor's parse (wrapped once, like the prediction limit
  of turns.py) turns an intent less confident than the threshold into ``nlu_fallback``, as
  Rasa's FallbackClassifier does, so the rules run the two-stage fallback;
- ``max_response_length``: the bot's texts sent to the customer are cut to that length."""

from __future__ import annotations

import asyncio
from functools import lru_cache
from typing import Any, Dict, List, Optional

from rasa.core.channels.channel import UserMessage
from rasa.shared.core.events import ActionExecuted, BotUttered, ConversationPaused, UserUttered

from assistant.conversations import handoff, waiting
from assistant.settings import get_settings
from assistant.store import get_store
from assistant.store.models import utcnow
from assistant.system_settings import SettingsCache, SystemSettings, truncate

FALLBACK_INTENT = "nlu_fallback"
HANDOFF_REASON = "auto_reply_disabled"


@lru_cache(maxsize=1)
def _cache() -> SettingsCache:
    return SettingsCache(get_store)


def current() -> SystemSettings:
    """The settings in force (read again every couple of seconds)."""
    return _cache().get()


def apply_confidence_floor(processor: Any) -> None:
    """Wraps ``processor.parse_message`` (once) with the ``ai_confidence_threshold`` check."""
    if processor is None or getattr(processor, "_northwind_floor", False):
        return
    parse = processor.parse_message

    async def parse_with_floor(message: Any, tracker: Any = None, only_output_properties: bool = True) -> Any:
        parsed = await parse(message, tracker, only_output_properties)
        threshold = (await asyncio.to_thread(current)).ai_confidence_threshold
        return below_floor(parsed, threshold)

    processor.parse_message = parse_with_floor
    processor._northwind_floor = True


def below_floor(parsed: Dict[str, Any], threshold: float) -> Dict[str, Any]:
    """``parsed`` with ``nlu_fallback`` as its intent when its intent is less confident."""
    intent = parsed.get("intent") or {}
    name, confidence = intent.get("name"), intent.get("confidence")
    if name in (None, FALLBACK_INTENT) or confidence is None or confidence >= threshold:
        return parsed
    fallback = {"name": FALLBACK_INTENT, "confidence": threshold}
    return {**parsed, "intent": fallback, "intent_ranking": [fallback, *(parsed.get("intent_ranking") or [])]}


async def hand_to_agents(agent: Any, message: UserMessage) -> bool:
    """With auto replies off: keeps the message, queues and pauses the conversation, tells the
    customer. False when the bot may answer (auto replies on, or already paused: then the
    processor keeps the message and the channel sends the waiting notice as usual)."""
    if (await asyncio.to_thread(current)).auto_reply_enabled:
        return False
    processor = agent.processor
    tracker = await processor.fetch_tracker_with_initial_session(message.sender_id, message.output_channel,
                                                                message.metadata)  # fmt: skip
    if tracker.is_paused():
        return False
    parsed = await processor.parse_message(message, tracker)
    tracker.update(UserUttered(message.text, parsed["intent"], parsed["entities"], parsed,
                               input_channel=message.input_channel, message_id=message.message_id,
                               metadata=message.metadata))  # fmt: skip
    notice = await asyncio.to_thread(_queue, message.sender_id, message.input_channel, _customer_id(tracker))
    data = {"buttons": notice.buttons} if notice.buttons else {}
    for event in (ActionExecuted("action_listen"), ConversationPaused(), BotUttered(notice.text, data=data)):
        tracker.update(event)
    await agent.tracker_store.save(tracker)
    reply: Dict[str, Any] = {"text": notice.text}
    if notice.buttons:
        reply["buttons"] = notice.buttons
    await message.output_channel.send_response(message.sender_id, reply)
    return True


def _queue(conversation_id: str, channel: Optional[str], customer_id: Optional[int]) -> waiting.Notice:
    store = get_store()
    change = handoff.request_handoff(store, conversation_id, HANDOFF_REASON, channel, customer_id)
    info = handoff.queue_info(store, change.conversation, get_settings(), utcnow())
    return waiting.handoff_notice(info)


def _customer_id(tracker: Any) -> Optional[int]:
    if tracker.get_slot("verification") not in ("verified", "claimed"):
        return None
    value = tracker.get_slot("customer_id")
    return int(value) if isinstance(value, (int, float)) else None


async def shortened(messages: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The replies with their texts cut to ``max_response_length`` (the REST webhook's)."""
    limit = (await asyncio.to_thread(current)).max_response_length
    return [
        {**m, "text": truncate(m["text"], limit)} if isinstance(m.get("text"), str) else m for m in messages
    ]


async def limited(text: str) -> str:
    """``text`` cut to ``max_response_length`` (the web channel's bubbles)."""
    return truncate(text, (await asyncio.to_thread(current)).max_response_length)
