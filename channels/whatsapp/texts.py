"""What the channel itself says to a customer, outside Rasa's responses: acknowledgements of
messages that need no turn, and the apology for a message that could not be answered."""

from __future__ import annotations

MEDIA_NOUNS = {"image": "photo", "video": "video", "document": "document", "sticker": "sticker"}

MEDIA_RECEIVED = "Thanks, I've got your {noun} and saved it with this conversation. How can I help you?"
LOCATION_RECEIVED = "Thanks, I've saved that location with this conversation. How can I help you?"
CONTACTS_RECEIVED = "Thanks, I've saved that contact card with this conversation. How can I help you?"
UNSUPPORTED = "Sorry, I can't read this kind of message. Could you write it as text?"
VOICE_NOT_UNDERSTOOD = "Sorry, I couldn't make out your voice message. Could you type it instead?"
TURN_FAILED = (
    "Sorry, something went wrong on our side and I couldn't answer your last message. "
    "Please send it again in a moment."
)
MORE_OPTIONS = "More options:"
LIST_BUTTON = "Choose"


def media_received(kind: str) -> str:
    return MEDIA_RECEIVED.format(noun=MEDIA_NOUNS.get(kind, "file"))


PLEASE_CHOOSE = "Please choose:"
