"""The channel's output channels.

- ``TurnOutput`` collects the bot's replies during a turn; they are queued as one e-mail only
  once the turn is stored. An action's failure report (assistant/turn_failure.py) raises there,
  so the turn fails before Rasa stores it.
- ``EmailOutput`` sends at once: Rasa's HTTP API uses it for ``output_channel=email``
  (``trigger_intent``, reminders): the message is queued as a reply in the conversation's thread.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List

from rasa.core.channels.channel import OutputChannel

from channels.turns import TurnCollector

CHANNEL = "email"


class TurnOutput(TurnCollector):
    channel = CHANNEL


class EmailOutput(OutputChannel):
    """Queues each message as an e-mail in the conversation's thread (``send`` does it)."""

    def __init__(self, send: Callable[[str, List[str]], Any]) -> None:
        self.send = send

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.send(recipient_id, [text])

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: List[Dict[str, Any]], **kwargs: Any
    ) -> None:
        titles = "\n".join(f"  - {b.get('title')}" for b in buttons if isinstance(b, dict))
        await self.send(recipient_id, [f"{text}\n\nReply with one of:\n{titles}"])
