"""An incoming e-mail as the channel needs it: MIME parsed (plain text preferred, HTML turned
into text, any declared charset decoded), the customer's new text without the quoted reply and
signature below it, attachments recorded by name, type and size, and the headers that threading
(channels/email/threading.py) and loop safety (channels/email/safety.py) look at."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from email.utils import getaddresses, parseaddr
from typing import Any, Dict, List, Optional

from bs4 import BeautifulSoup

MAX_TEXT_CHARS = 5000
MESSAGE_ID = re.compile(r"<([^<>\s]{1,250})>")
# Where the quoted earlier message starts: "On <date>, <someone> wrote:", Outlook's header
# block or separator, or a German/French mail client's attribution line.
ATTRIBUTION = re.compile(
    r"^\s*(On\s.{0,200}wrote:|Am\s.{0,200}schrieb.{0,80}:|Le\s.{0,200}a\s+écrit\s*:|"
    r"-{2,}\s*Original Message\s*-{2,}|_{10,}|From:\s.+)\s*$",
    re.IGNORECASE,
)
SIGNATURE = re.compile(r"^(--\s*|Sent from my \w+.*|Get Outlook for \w+.*|Von meinem \w+ gesendet.*)$")


@dataclass
class Attachment:
    name: str
    content_type: str
    size: int


@dataclass
class ParsedEmail:
    """What the channel keeps of one e-mail."""

    message_id: str
    from_address: str
    from_name: str
    to: List[str]
    subject: str
    text: str
    in_reply_to: Optional[str] = None
    references: List[str] = field(default_factory=list)
    attachments: List[Attachment] = field(default_factory=list)
    headers: Dict[str, str] = field(default_factory=dict)  # lower-case names, for safety checks
    content_type: str = "text/plain"
    report: Optional[Dict[str, Any]] = None  # a delivery status report's parts (bounces)

    def details(self) -> Dict[str, Any]:
        """The JSON kept with the stored message."""
        return {
            "from_name": self.from_name, "to": self.to, "in_reply_to": self.in_reply_to,
            "references": self.references,
            "attachments": [a.__dict__ for a in self.attachments],
        }  # fmt: skip


def parse(raw: bytes) -> ParsedEmail:
    """The e-mail in ``raw`` (RFC 5322 bytes); never raises on a malformed message."""
    message = message_from_bytes(raw, policy=policy.default)
    name, address = parseaddr(_header(message, "From"))
    body, attachments, report = _walk(message)
    return ParsedEmail(
        message_id=_message_id(message, raw),
        from_address=address.strip().lower(),
        from_name=name.strip(),
        to=[
            a.strip().lower() for _, a in getaddresses([_header(message, "To"), _header(message, "Cc")]) if a
        ],
        subject=" ".join(_header(message, "Subject").split())[:250],
        text=new_text(body)[:MAX_TEXT_CHARS],
        in_reply_to=first_id(_header(message, "In-Reply-To")),
        references=ids_in(_header(message, "References")),
        attachments=attachments,
        headers={k.lower(): _header(message, k) for k in set(message.keys())},
        content_type=message.get_content_type(),
        report=report,
    )


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # a header the parser cannot decode is as good as absent
        return ""
    return str(value) if value is not None else ""


def _message_id(message: Message, raw: bytes) -> str:
    """The ``Message-ID`` without brackets; a message without one gets a stable id made from
    its bytes, so fetching it again is still recognised."""
    found = first_id(_header(message, "Message-ID"))
    return found or f"sha256-{hashlib.sha256(raw).hexdigest()[:40]}@northwind.invalid"


def first_id(value: str) -> Optional[str]:
    ids = ids_in(value)
    return ids[0] if ids else None


def ids_in(value: str) -> List[str]:
    return MESSAGE_ID.findall(value or "")[:50]


def _walk(message: Message) -> tuple:
    """(body text, attachments, delivery report) of a message's parts."""
    plain: List[str] = []
    html: List[str] = []
    attachments: List[Attachment] = []
    report: Optional[Dict[str, Any]] = None
    for part in message.walk():
        kind = part.get_content_type()
        if kind in ("message/delivery-status", "text/rfc822-headers"):
            report = {**(report or {}), **_report_part(part, kind)}
            continue
        if part.is_multipart():
            continue
        filename = part.get_filename()
        if filename or part.get_content_disposition() == "attachment":
            attachments.append(Attachment(str(filename or "unnamed")[:200], kind, len(_payload(part))))
        elif kind == "text/plain":
            plain.append(_text_of(part))
        elif kind == "text/html":
            html.append(html_to_text(_text_of(part)))
    if report is not None and "original_message_id" not in report:
        report["original_message_id"] = _rfc822_message_id(message)
    return "\n".join(plain) if plain else "\n".join(html), attachments, report


def _payload(part: Message) -> bytes:
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


def _text_of(part: Message) -> str:
    """A text part decoded with its declared charset (an unknown one read as UTF-8, Latin-1
    as the last resort: never an exception)."""
    data = _payload(part)
    charset = part.get_content_charset() or "utf-8"
    for candidate in (charset, "utf-8", "latin-1"):
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("utf-8", errors="replace")


def html_to_text(html: str) -> str:
    """Readable text of an HTML body: scripts and styles dropped, quoted blocks marked with
    ``>`` (so they are stripped like quoted plain text), one line per block."""
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "head"]):
        tag.decompose()
    for quote in soup.find_all("blockquote"):
        quote.replace_with("\n" + "\n".join(f"> {line}" for line in quote.get_text("\n").splitlines()) + "\n")
    for br in soup.find_all("br"):
        br.replace_with("\n")
    text = soup.get_text("\n")
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def new_text(body: str) -> str:
    """The customer's own new words: what comes before the quoted earlier message and the
    signature, without ``>`` lines."""
    kept: List[str] = []
    for line in body.replace("\r\n", "\n").split("\n"):
        stripped = line.rstrip()
        if SIGNATURE.match(stripped) or ATTRIBUTION.match(stripped):
            break
        if stripped.lstrip().startswith(">"):
            continue
        kept.append(stripped)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()


def _report_part(part: Message, kind: str) -> Dict[str, Any]:
    """Recipient, status and diagnostic of a delivery status report, or the bounced message's
    id from its returned headers."""
    text = _text_of(part) if kind == "text/rfc822-headers" else _status_text(part)
    found: Dict[str, Any] = {}
    patterns = {"recipient": r"^Final-Recipient:\s*[^;]*;\s*(\S+)", "status": r"^Status:\s*(\S+)",
                "diagnostic": r"^Diagnostic-Code:\s*(.+)$", "original_message_id": r"^Message-ID:\s*<([^>]+)>"}  # fmt: skip
    for key, pattern in patterns.items():
        match = re.search(pattern, text, re.IGNORECASE | re.MULTILINE)
        if match:
            found[key] = match.group(1).strip()[:250]
    return found


def _status_text(part: Message) -> str:
    payload = part.get_payload()
    if isinstance(payload, list):  # the email package parses delivery-status into header blocks
        return "\n".join(str(block) for block in payload)
    return _text_of(part)


def _rfc822_message_id(message: Message) -> Optional[str]:
    for part in message.walk():
        if part.get_content_type() == "message/rfc822":
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else inner
            if isinstance(inner, (Message, EmailMessage)):
                return first_id(_header(inner, "Message-ID"))
    return None
