"""The channel's output channels.

- ``TurnOutput`` collects the bot's replies during a turn; they are recorded and sent only once
  the turn is stored. An action's failure report (assistant/turn_failure.py) raises there, so
  the turn fails before Rasa stores it, as on the REST channel.
- ``WhatsAppOutput`` sends at once: Rasa's HTTP API uses it for ``output_channel=whatsapp``
  (``trigger_intent``, reminders). Each message is recorded, then sent.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa.core.channels.channel import OutputChannel

from channels.turns import TurnCollector
from channels.whatsapp import outbox
from channels.whatsapp.dbcall import db
from channels.whatsapp.outgoing import drafts_for
from channels.whatsapp.sender import Sender

CHANNEL = "whatsapp"


class TurnOutput(TurnCollector):
    channel = CHANNEL


class WhatsAppOutput(OutputChannel):
    """Sends each message to the conversation's number right away."""

    def __init__(self, sender: Sender) -> None:
        self.sender = sender

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    async def send_response(self, recipient_id: str, message: Dict[str, Any]) -> None:
        drafts = drafts_for(message)
        if drafts:
            works = await db(outbox.record, self.sender.store, recipient_id, drafts, "bot")
            await self.sender.deliver(works)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text})

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: List[Dict[str, Any]], **kwargs: Any
    ) -> None:
        await self.send_response(recipient_id, {"text": text, "buttons": buttons})

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"image": image})

    async def send_attachment(self, recipient_id: str, attachment: Any, **kwargs: Any) -> None:  # type: ignore[override]
        await self.send_response(recipient_id, {"attachment": attachment})

    async def send_custom_json(self, recipient_id: str, json_message: Dict[str, Any], **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"custom": json_message})
