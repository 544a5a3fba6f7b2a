"""The admin API's side of a handoff step: check it against the conversation model first (a
dry run, rolled back), then make the tracker agree through the Rasa server (pause or resume
the bot, deliver the message on the conversation's own channel), then record it. A step the
model refuses changes nothing; a Rasa server that cannot be reached changes nothing (503);
a record that fails after Rasa acted is reconciled from the tracker's events (sync)."""

from __future__ import annotations

import time
from typing import Any, Callable, Dict, Optional

from admin_api.context import Services
from admin_api.security.principal import Principal
from admin_api.security.tokens import channel_token
from assistant.conversations import registry
from assistant.conversations.delivery import DeliveryMethod, delivery_method
from assistant.conversations.handoff import Change
from assistant.conversations.tracker_events import SENDER_KEY
from assistant.store import Store
from assistant.store.conversation_models import Conversation

Step = Callable[..., Change]


class _DryRun(Exception):
    def __init__(self, change: Change) -> None:
        super().__init__("dry run")
        self.was_held, self.now_held = change.was_held, change.now_held


def dry_run(store: Store, step: Step, *args: Any) -> _DryRun:
    """What ``step`` would do (whether an agent holds the conversation before and after),
    with everything it wrote rolled back."""
    try:
        with store.transaction():
            raise _DryRun(step(store, *args))
    except _DryRun as outcome:
        return outcome


async def perform(services: Services, step: Step, *args: Any, message: Optional[str] = None,
                  agent: Optional[Principal] = None) -> Dict[str, Any]:  # fmt: skip
    """Checks ``step``, delivers ``message`` (before the bot is resumed), makes the tracker
    follow (pause or resume), then records the step; the delivered message, if any."""
    conversation_id = str(args[0])
    outcome = await services.run(dry_run, services.store, step, *args)
    delivered: Dict[str, Any] = {}
    if message and agent is not None:
        conversation = await services.run(registry.get, services.store, conversation_id)
        delivered = await deliver(services, conversation, message, agent)
    if outcome.was_held != outcome.now_held:
        event = "pause" if outcome.now_held else "resume"
        await services.rasa.append_events(conversation_id, [{"event": event}])
    await services.run(step, services.store, *args)
    return delivered


async def deliver(
    services: Services, conversation: Conversation, content: str, agent: Principal
) -> Dict[str, Any]:
    """Sends an agent's message out on the conversation's own channel (or by e-mail when the
    customer chose it); the message as stored."""
    sender = {"id": agent.sub or agent.id, "name": agent.name, "role": agent.role if agent.staff else "agent"}
    method = delivery_method(conversation)
    if method is DeliveryMethod.CHANNEL_ENDPOINT:
        token = channel_token(services.jwt_secret, sender["id"], sender["role"], agent.name)
        return await services.rasa.channel_message(conversation.channel, conversation.id, content, token)
    event = {"event": "bot", "text": content, "metadata": {SENDER_KEY: sender}, "timestamp": time.time()}
    await services.rasa.append_events(conversation.id, [event])
    if method is DeliveryMethod.EMAIL and conversation.contact_email:
        await services.run(services.store.queue_email, conversation.contact_email,
                           "Re: your conversation with Northwind Support", f"{content}\n\n-- {agent.name}, Northwind Support\n")  # fmt: skip
    return {
        "conversation_id": conversation.id,
        "content": content,
        "sender": sender,
        "delivered_by": method.value,
    }
