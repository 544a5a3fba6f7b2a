"""Access keys of web conversations started by anonymous visitors.

Knowing a conversation's id is not enough to read it: ids show up in agents' screens, logs and
links. When an anonymous visitor starts a conversation, the channel hands them a key (an HMAC
of the id with the deployment's identity key, so every Rasa process can check it without
shared state); only a socket that presents it, or the signed-in customer who owns the
conversation, or an agent, may join it. The rasa-webchat widget keeps the key inside its
session id (``<conversation id>~<key>``), which it stores and sends back on its own.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Optional, Tuple

SEPARATOR = "~"
KEY_LENGTH = 32


def access_key(secret: bytes, conversation_id: str) -> str:
    digest = hmac.new(secret, f"webchat-conversation:{conversation_id}".encode(), hashlib.sha256)
    return digest.hexdigest()[:KEY_LENGTH]


def key_is_valid(secret: bytes, conversation_id: str, key: Optional[str]) -> bool:
    return isinstance(key, str) and hmac.compare_digest(key, access_key(secret, conversation_id))


def widget_session_id(secret: bytes, conversation_id: str) -> str:
    """The session id the widget stores: the conversation id with its key."""
    return f"{conversation_id}{SEPARATOR}{access_key(secret, conversation_id)}"


def split_session_id(value: str) -> Tuple[str, Optional[str]]:
    """``(conversation id, key or None)`` of a widget session id."""
    conversation_id, _, key = value.partition(SEPARATOR)
    return conversation_id, key or None
