"""How an agent's message reaches the customer, per channel: every channel registers its way
here, so that a reply goes out on the conversation's own channel.

- ``channel_endpoint``: the Rasa server's channel sends it live; the admin API posts it to
  ``{RASA_URL}/webhooks/<channel>/conversations/<id>/messages`` with an agent's token (the
  web channel: to the customer's socket; WhatsApp: through the Graph API; e-mail: a reply in
  the thread through the outbox; all keep it in the tracker).
- ``tracker``: stored in the conversation's tracker as the agent's message (Rasa's HTTP API);
  the customer reads it with their next answer or from the chat API (REST).
- ``email``: queued in the outbox to the conversation's contact address (a queued customer
  chose to continue by e-mail).

The e-mail channel sends an agent's reply in the conversation's thread (its channel endpoint,
channels/email/api.py); another channel registers its way with :func:`register_delivery`.
"""

from __future__ import annotations

from enum import Enum
from typing import Dict

from assistant.store.conversation_models import Conversation


class DeliveryMethod(str, Enum):
    CHANNEL_ENDPOINT = "channel_endpoint"
    TRACKER = "tracker"
    EMAIL = "email"


CHANNEL_DELIVERY: Dict[str, DeliveryMethod] = {
    "webchat": DeliveryMethod.CHANNEL_ENDPOINT,
    "whatsapp": DeliveryMethod.CHANNEL_ENDPOINT,
    "email": DeliveryMethod.CHANNEL_ENDPOINT,
    "rest": DeliveryMethod.TRACKER,
}


def register_delivery(channel: str, method: DeliveryMethod) -> None:
    CHANNEL_DELIVERY[channel] = method


def delivery_method(conversation: Conversation) -> DeliveryMethod:
    """The conversation's own channel's way, or e-mail when the customer chose it."""
    if conversation.follow_up == "email" and conversation.contact_email:
        return DeliveryMethod.EMAIL
    return CHANNEL_DELIVERY.get(conversation.channel, DeliveryMethod.TRACKER)
