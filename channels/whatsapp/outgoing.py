"""Rasa's replies as WhatsApp messages (bodies of the Graph API's ``/messages``, without the
recipient, which the sender adds).

- text: one message per 4,096 characters, cut at a paragraph, line or word where possible;
- buttons: up to 3 (titles of at most 20 characters, body of at most 1,024) as interactive reply
  buttons, otherwise as a list (rows of 24 characters, 10 a message; more go in further lists);
  a tapped button or row sends its Rasa payload back as its id; link buttons become text;
- image URLs as images, attachments as documents (or the media type they name);
- custom payloads: ``{"whatsapp": {...}}`` or a complete message with a WhatsApp ``type`` goes out
  as given, ``{"template": {...}}`` as a template; anything else has no WhatsApp form and is
  recorded as failed rather than dropped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, cast

from channels.whatsapp import texts
from channels.whatsapp.wire import GraphMessage

TEXT_LIMIT = 4096
BUTTON_BODY_LIMIT = 1024
MAX_REPLY_BUTTONS, BUTTON_TITLE_LIMIT, BUTTON_ID_LIMIT = 3, 20, 256
MAX_LIST_ROWS, ROW_TITLE_LIMIT, ROW_DESCRIPTION_LIMIT, ROW_ID_LIMIT = 10, 24, 72, 200
SENDABLE = ("text", "interactive", "image", "document", "video", "audio", "sticker", "location",
            "contacts", "template")  # fmt: skip
MEDIA_TYPES = ("image", "video", "audio", "document")


@dataclass(frozen=True)
class Draft:
    """One message to send: its ``kind``, the Graph API body (None: it has no WhatsApp form)
    and the text a person reads in the conversation's history."""

    kind: str
    body: Optional[GraphMessage]
    text: str


def drafts_for(reply: Dict[str, Any]) -> List[Draft]:
    """The WhatsApp messages for one of Rasa's collected replies."""
    drafts: List[Draft] = []
    text, buttons = reply.get("text"), reply.get("buttons")
    if isinstance(buttons, list) and buttons:
        drafts += button_drafts(str(text or ""), buttons)
    elif isinstance(text, str) and text.strip():
        drafts += text_drafts(text)
    if reply.get("custom") is not None:
        drafts.append(custom_draft(reply["custom"]))
    if isinstance(reply.get("image"), str):
        drafts.append(Draft("image", {"type": "image", "image": {"link": reply["image"]}}, reply["image"]))
    if reply.get("attachment") is not None:
        drafts.append(attachment_draft(reply["attachment"]))
    return drafts


def text_drafts(text: str) -> List[Draft]:
    return [Draft("text", {"type": "text", "text": {"body": part, "preview_url": False}}, part)
            for part in split_text(text)]  # fmt: skip


def split_text(text: str, limit: int = TEXT_LIMIT) -> List[str]:
    """``text`` in parts of at most ``limit`` characters, cut at a paragraph, line or word."""
    parts, rest = [], text.strip()
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"), window.rfind(" "))
        cut = cut if cut > limit // 2 else limit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return parts + [rest] if rest else parts


def button_drafts(text: str, buttons: List[Any]) -> List[Draft]:
    """Text with Rasa buttons: reply buttons or lists, after any text that does not fit."""
    choices = [b for b in buttons if isinstance(b, dict) and _title(b) and not _url(b)]
    links = [f"{_title(b)}: {_url(b)}" for b in buttons if isinstance(b, dict) and _url(b)]
    text = "\n".join([text.strip(), *links]).strip()
    if not choices:
        return text_drafts(text)
    parts = split_text(text) or [texts.PLEASE_CHOOSE]
    leading = [d for part in parts[:-1] for d in text_drafts(part)]
    body = parts[-1]
    if (
        len(choices) <= MAX_REPLY_BUTTONS
        and len(body) <= BUTTON_BODY_LIMIT
        and all(len(_title(b)) <= BUTTON_TITLE_LIMIT for b in choices)
    ):
        return leading + [_reply_buttons(body, choices)]
    chunks = [choices[i : i + MAX_LIST_ROWS] for i in range(0, len(choices), MAX_LIST_ROWS)]
    return leading + [_list(body if i == 0 else texts.MORE_OPTIONS, chunk) for i, chunk in enumerate(chunks)]


def _reply_buttons(body: str, choices: List[Dict[str, Any]]) -> Draft:
    buttons = [{"type": "reply", "reply": {"id": _choice_id(b, BUTTON_ID_LIMIT), "title": _title(b)}}
               for b in choices]  # fmt: skip
    message: GraphMessage = {"type": "interactive", "interactive": {
        "type": "button", "body": {"text": body}, "action": {"buttons": buttons}}}  # fmt: skip
    return Draft("interactive", message, _readable(body, choices))


def _list(body: str, choices: List[Dict[str, Any]]) -> Draft:
    rows = []
    for choice in choices:
        title = _title(choice)
        row = {"id": _choice_id(choice, ROW_ID_LIMIT), "title": _cut(title, ROW_TITLE_LIMIT)}
        if len(title) > ROW_TITLE_LIMIT:
            row["description"] = _cut(title, ROW_DESCRIPTION_LIMIT)
        rows.append(row)
    action = {"button": texts.LIST_BUTTON, "sections": [{"rows": rows}]}
    message: GraphMessage = {"type": "interactive",
                             "interactive": {"type": "list", "body": {"text": body}, "action": action}}  # fmt: skip
    return Draft("interactive", message, _readable(body, choices))


def custom_draft(custom: Any) -> Draft:
    """A custom payload: a WhatsApp message given whole, a template, or nothing we can send."""
    shown = json.dumps(custom, ensure_ascii=False, default=str)[:1000]
    if isinstance(custom, dict) and isinstance(custom.get("whatsapp"), dict):
        custom = custom["whatsapp"]
    if isinstance(custom, dict) and isinstance(custom.get("template"), dict) and "type" not in custom:
        custom = {"type": "template", "template": custom["template"]}
    if (
        isinstance(custom, dict)
        and custom.get("type") in SENDABLE
        and isinstance(custom.get(str(custom.get("type"))), (dict, list))
    ):
        body = {k: v for k, v in custom.items() if k not in ("to", "messaging_product")}
        return Draft(str(custom["type"]), cast(GraphMessage, body), shown)
    return Draft("unsupported", None, shown)


def attachment_draft(attachment: Any) -> Draft:
    """An attachment: a URL (a document), or ``{"type": ..., "payload": {"src"|"url": ...}}``."""
    if isinstance(attachment, str) and attachment.startswith(("http://", "https://")):
        return Draft("document", {"type": "document", "document": {"link": attachment}}, attachment)
    if isinstance(attachment, dict):
        inner = attachment.get("payload")
        payload: Dict[str, Any] = inner if isinstance(inner, dict) else attachment
        link = payload.get("src") or payload.get("url") or payload.get("link")
        kind = str(attachment["type"]) if attachment.get("type") in MEDIA_TYPES else "document"
        if isinstance(link, str) and link.startswith(("http://", "https://")):
            media: Dict[str, Any] = {"link": link}
            name = payload.get("filename") or payload.get("name")
            if kind == "document" and isinstance(name, str):
                media["filename"] = name[:240]
            return Draft(kind, cast(GraphMessage, {"type": kind, kind: media}), link)
    return custom_draft(attachment)


def template_draft(name: str, language: str, components: Optional[List[Any]] = None) -> Draft:
    template: Dict[str, Any] = {"name": name, "language": {"code": language}}
    if components:
        template["components"] = components
    return Draft("template", {"type": "template", "template": template}, f"[template {name}]")


def _readable(body: str, choices: List[Dict[str, Any]]) -> str:
    return f"{body}\n[{' | '.join(_title(c) for c in choices)}]"


def _title(button: Dict[str, Any]) -> str:
    return str(button.get("title") or "").strip()


def _url(button: Dict[str, Any]) -> Optional[str]:
    url = button.get("url")
    return url if isinstance(url, str) and url.startswith(("http://", "https://")) else None


def _choice_id(button: Dict[str, Any], limit: int) -> str:
    """The payload Rasa gets back when the customer taps; the title when the payload is too long."""
    payload = str(button.get("payload") or "")
    return payload if payload and len(payload) <= limit else _cut(_title(button), limit)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
