"""Session start: the conversation's identity comes from the channel, never from the past.

Rasa runs ``action_session_start`` on a conversation's first message and after an hour of
silence. Here the new session's identity slots are set from the channel's signed claim on that
message (``session_started_metadata``); a previous session's verification is not inherited,
and only harmless context (the order and product talked about) carries over.

The session that ended is summarised into its verified customer's memory here (Rasa starts a
new session after an hour of silence), and the new session's personal slots are set for the
customer the channel proved (actions/personal.py).
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.personal import summarise_previous_session, welcome
from actions.services import get_settings
from actions.verification import identity_slots
from assistant.identity import claims
from assistant.identity.permissions import ANONYMOUS, IdentityState
from assistant.identity.secret import identity_secret
from assistant.memory import owner

CARRIED_OVER = ("order_id", "product")


class ActionSessionStart(Action):
    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        metadata: Any = tracker.get_slot("session_started_metadata")
        claim = claims.read_claim(metadata, tracker.sender_id, identity_secret(get_settings()))
        state = claim.state if claim is not None else ANONYMOUS
        events: List[EventType] = [SessionStarted()]
        events += [SlotSet(name, tracker.get_slot(name)) for name in CARRIED_OVER if tracker.get_slot(name)]
        events += [SlotSet(name, value) for name, value in identity_slots(state).items()]
        personal = await self._personal(tracker, state, metadata)
        events += [SlotSet(name, value) for name, value in personal.items() if value is not None]
        if metadata:
            events.append(SlotSet("session_started_metadata", metadata))
        return events + [ActionExecuted("action_listen")]

    @staticmethod
    async def _personal(tracker: Tracker, state: IdentityState, metadata: Any) -> Dict[str, Any]:
        """The session that ended goes into its customer's memory; the new one is personalized
        for the customer the channel proved (memory never follows a mere claim)."""
        await summarise_previous_session(tracker)
        language = metadata.get("language") if isinstance(metadata, dict) else None
        return welcome(owner(state), language if isinstance(language, str) else None)
