"""What each type of customer message becomes: text for a Rasa turn, a voice note to
transcribe first, or a message the channel answers itself (media without a caption, a
location, a contact card, a type it cannot read), or nothing to answer (a reaction, a system
notice). Media are kept by reference (Meta's media id, type, hash, caption, file name)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, Optional

from channels.whatsapp import texts

MEDIA_KINDS = ("image", "video", "document", "sticker")
SILENT_KINDS = ("reaction", "system", "request_welcome", "ephemeral")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
MAX_TEXT_CHARS = 5000


@dataclass(frozen=True)
class Handling:
    """``text``: what Rasa gets (None: no turn); ``reply``: the channel's own answer instead;
    ``transcribe``: a voice note whose transcription becomes the text; ``media``: the
    reference stored with the message; ``silent``: recorded, nothing to answer."""

    text: Optional[str] = None
    reply: Optional[str] = None
    media: Optional[Dict[str, Any]] = None
    transcribe: bool = False
    silent: bool = False


def handling_of(kind: str, message: Dict[str, Any]) -> Handling:
    """How to handle a (masked) message of type ``kind``."""
    content = message.get(kind)
    if kind == "text":
        return _as_text(_get(content, "body"))
    if kind == "button":  # a quick-reply button of a template
        payload, title = _get(content, "payload"), _get(content, "text")
        return _as_text(payload if payload and payload.startswith("/") else title or payload)
    if kind == "interactive":
        return _interactive(content)
    if kind == "audio":
        return Handling(media=_media(content), transcribe=True)
    if kind in MEDIA_KINDS:
        media = _media(content)
        caption = _clean(media.get("caption")) if media else None
        return (
            Handling(text=caption, media=media)
            if caption
            else Handling(reply=texts.media_received(kind), media=media)
        )
    if kind == "location":
        return Handling(reply=texts.LOCATION_RECEIVED, media=_data(content))
    if kind == "contacts":
        return Handling(reply=texts.CONTACTS_RECEIVED, media={"contacts": content} if content else None)
    if kind in SILENT_KINDS:
        return Handling(silent=True, media=_data(content))
    return Handling(reply=texts.UNSUPPORTED)


def _interactive(content: Any) -> Handling:
    """A tap on one of our reply buttons or list rows: its id is the Rasa payload we sent."""
    if not isinstance(content, dict):
        return Handling(reply=texts.UNSUPPORTED)
    choice = content.get("button_reply") or content.get("list_reply")
    if not isinstance(choice, dict):
        return Handling(reply=texts.UNSUPPORTED)
    return _as_text(_get(choice, "id") or _get(choice, "title"))


def _as_text(value: Optional[str]) -> Handling:
    text = _clean(value)
    return Handling(text=text) if text else Handling(reply=texts.UNSUPPORTED)


def _clean(value: Any) -> Optional[str]:
    """Text without control characters (C0 but tabs and line breaks, DEL, C1), trimmed; None
    when blank."""
    if not isinstance(value, str):
        return None
    text = CONTROL.sub("", value).strip()
    return text[:MAX_TEXT_CHARS] if text else None


def _media(content: Any) -> Dict[str, Any]:
    if not isinstance(content, dict):
        return {}
    keys = ("id", "mime_type", "sha256", "caption", "filename", "voice", "animated")
    return {key: content[key] for key in keys if key in content}


def _data(content: Any) -> Optional[Dict[str, Any]]:
    return content if isinstance(content, dict) else None


def _get(content: Any, key: str) -> Optional[str]:
    value = content.get(key) if isinstance(content, dict) else None
    return value if isinstance(value, str) else None
