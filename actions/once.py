"""``@once_per_message``: the decorator for the ``run`` of every action that changes the store.

The action's store changes commit together with a record of its replies and events, and a
message processed again (a client retrying after a failed turn) gets the recorded reply
instead of a second change (assistant/effects.py). Actions need nothing else: they keep
calling ``get_store()`` as usual.
"""

from __future__ import annotations

import functools
from typing import Any, Awaitable, Callable, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.services import get_store
from assistant.effects import EffectKey, Outcome, run_once

Run = Callable[[Any, CollectingDispatcher, Tracker, DomainDict], Awaitable[List[EventType]]]


def once_per_message(run: Run) -> Run:
    """Makes an action's ``run`` take effect at most once per message of a conversation."""

    @functools.wraps(run)
    async def run_once_per_message(
        self: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        async def attempt() -> Outcome:
            collected = CollectingDispatcher()
            events = await run(self, collected, tracker, domain)
            return Outcome(collected.messages, list(events or []))

        outcome = await run_once(get_store(), effect_key(tracker, self.name()), attempt)
        dispatcher.messages.extend(outcome.messages)
        return outcome.events

    return run_once_per_message


def effect_key(tracker: Tracker, action: str) -> Optional[EffectKey]:
    """The key of this run: conversation, the id of the message being answered, action."""
    message_id = (tracker.latest_message or {}).get("message_id")
    return EffectKey(tracker.sender_id, str(message_id), action) if message_id else None
