"""Rasa tracker store on ``DATABASE_URL`` that never stores a payment card number.

Registered in endpoints.yml as ``assistant.plugins.tracker_store.RedactingSQLTrackerStore``.
It is Rasa's own ``SQLTrackerStore`` (the ``events`` table), pointed at PostgreSQL when
``DATABASE_URL`` says so and at ``var/tracker.db`` otherwise, with card numbers masked in user
messages, their parse data and slot values before anything is written or streamed.
"""

from __future__ import annotations

from typing import Any, Optional

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.engine import make_url

from assistant.redaction import contains_card_number, redact_card_numbers
from assistant.settings import get_settings


class RedactingSQLTrackerStore(SQLTrackerStore):
    """SQL tracker store configured from ``Settings`` that redacts card numbers on save."""

    def __init__(
        self,
        domain: Optional[Domain] = None,
        event_broker: Optional[EventBroker] = None,
        url: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        kwargs.pop("host", None)
        parsed = make_url(url or get_settings().tracker_store_url)
        super().__init__(
            domain=domain,
            dialect=parsed.get_backend_name(),
            host=parsed.host,
            port=parsed.port,
            db=parsed.database or "rasa.db",
            username=parsed.username,
            password=parsed.password,
            event_broker=event_broker,
            query=dict(parsed.query) or None,
            **kwargs,
        )

    async def save(self, tracker: DialogueStateTracker) -> None:
        for event in tracker.events:
            redact_event(event)
        await super().save(tracker)


def redact_event(event: Event) -> None:
    """Masks card numbers inside ``event`` in place."""
    if isinstance(event, UserUttered) and event.text and contains_card_number(event.text):
        event.text = redact_card_numbers(event.text)
        event.parse_data["text"] = event.text
        for entity in event.entities:
            if isinstance(entity.get("value"), str):
                entity["value"] = redact_card_numbers(entity["value"])
    elif isinstance(event, SlotSet) and isinstance(event.value, str):
        if contains_card_number(event.value):
            event.value = redact_card_numbers(event.value)
