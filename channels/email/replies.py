"""The e-mail that answers a customer's e-mail: the bot's (or an agent's) messages as plain
text and HTML, ``Re:`` subject, ``In-Reply-To`` and ``References`` so the customer's mail client
threads it, ``Auto-Submitted: auto-replied`` so other robots do not answer it, and the
conversation's earlier messages quoted below."""

from __future__ import annotations

import html
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, List, Optional, Sequence

SIGNATURE = "Northwind Support"
MAX_REFERENCES = 20


@dataclass(frozen=True)
class Earlier:
    """A message quoted below the reply."""

    author: str
    text: str
    at: Optional[datetime]


@dataclass(frozen=True)
class Reply:
    conversation_id: str
    to: str
    subject: str
    message_id: str
    headers: Dict[str, str]
    text: str  # the whole plain body, quote included
    html: str
    own_text: str  # only what this reply says (kept in the conversation's messages)
    author: str = "bot"


def texts_of(messages: Sequence[Dict[str, Any]]) -> List[str]:
    """Rasa's collected messages as paragraphs: buttons as the titles one can reply with,
    images and attachments as links; custom payloads have no e-mail form."""
    paragraphs: List[str] = []
    for message in messages:
        text = str(message.get("text") or "").strip()
        buttons = [b for b in message.get("buttons") or [] if isinstance(b, dict) and b.get("title")]
        if buttons:
            text += "\n\nReply with one of:\n" + "\n".join(f"  - {b['title']}" for b in buttons)
        for key in ("image", "attachment"):
            if isinstance(message.get(key), str):
                text += f"\n{message[key]}"
        if text.strip():
            paragraphs.append(text.strip())
    return paragraphs


def compose(conversation_id: str, to: str, subject: str, in_reply_to: Optional[str], references: Sequence[str],
            paragraphs: Sequence[str], earlier: Sequence[Earlier], domain: str, author: str = "bot") -> Reply:  # fmt: skip
    """The reply to the message ``in_reply_to`` (None: a message that starts from our side)."""
    own = "\n\n".join(paragraphs).strip()
    message_id = f"{uuid.uuid4().hex}@{domain}"
    refs = [*references, *([in_reply_to] if in_reply_to else [])][-MAX_REFERENCES:]
    headers = {"Auto-Submitted": "auto-replied"}
    if in_reply_to:
        headers["In-Reply-To"] = f"<{in_reply_to}>"
    if refs:
        headers["References"] = " ".join(f"<{ref}>" for ref in dict.fromkeys(refs))
    text = f"{own}\n\n-- \n{SIGNATURE}\n" + "".join(_quoted_text(e) for e in earlier)
    return Reply(conversation_id, to, re_subject(subject), message_id, headers, text,
                 _html(paragraphs, earlier), own, author)  # fmt: skip


def re_subject(subject: str) -> str:
    subject = " ".join((subject or "").split())
    if not subject:
        return "Re: Your message to Northwind Support"
    return subject if subject.lower().startswith("re:") else f"Re: {subject}"[:250]


def _quoted_text(earlier: Earlier) -> str:
    when = earlier.at.strftime("%Y-%m-%d %H:%M UTC") if earlier.at else "earlier"
    lines = "\n".join(f"> {line}" if line else ">" for line in earlier.text.splitlines())
    return f"\nOn {when}, {earlier.author} wrote:\n{lines}\n"


def _html(paragraphs: Sequence[str], earlier: Sequence[Earlier]) -> str:
    body = "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)
    quotes = "".join(
        f"<p>On {e.at.strftime('%Y-%m-%d %H:%M UTC') if e.at else 'earlier'}, {html.escape(e.author)} wrote:</p>"
        f"<blockquote>{html.escape(e.text).replace(chr(10), '<br>')}</blockquote>"
        for e in earlier
    )
    return f"<html><body>{body}<p>-- <br>{SIGNATURE}</p>{quotes}</body></html>"
