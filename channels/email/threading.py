"""Which conversation an e-mail belongs to: the message its ``In-Reply-To`` names, else the
newest message of its ``References`` we know, else an open thread of the same sender with the
same normalised subject; otherwise it starts a new conversation.

Only threads of the same address count: a stranger quoting someone's ``Message-ID`` or
subject does not land in that customer's conversation.
"""

from __future__ import annotations

import re
import uuid
from typing import List, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Session

from assistant.store.email_models import EmailMessage, EmailThread
from assistant.store.models import utcnow
from channels.email.parse import ParsedEmail

PREFIX = "email:"
REPLY_PREFIX = re.compile(r"^\s*((re|aw|sv|fw|fwd|wg|tr|antw|réf|ref)(\[\d+\])?\s*:\s*)+", re.IGNORECASE)
TAG = re.compile(r"^\s*\[[^\]]{1,40}\]\s*")


def normalise_subject(subject: str) -> str:
    """``order 10001`` for ``Re: RE: Fwd: [Ticket] Order  10001``: reply and forward prefixes
    (also in other languages), leading tags, case and spacing removed."""
    text = subject or ""
    for _ in range(10):
        before = text
        text = TAG.sub("", REPLY_PREFIX.sub("", text))
        if text == before:
            break
    return " ".join(text.lower().split())[:250]


def new_conversation_id() -> str:
    return f"{PREFIX}{uuid.uuid4().hex}"


def find_conversation(s: Session, mail: ParsedEmail) -> Optional[str]:
    """The conversation ``mail`` continues, or None for a new one."""
    for message_id in _candidates(mail):
        found = s.execute(
            sa.select(EmailMessage.conversation_id, EmailMessage.address).where(
                EmailMessage.message_id == message_id
            )
        ).first()
        if found is not None and found.conversation_id and found.address == mail.from_address:
            return str(found.conversation_id)
    key = normalise_subject(mail.subject)
    if not key:
        return None
    query = sa.select(EmailThread.conversation_id).where(
        EmailThread.address == mail.from_address, EmailThread.subject_key == key
    )
    return s.scalars(query.order_by(EmailThread.last_message_at.desc())).first()


def _candidates(mail: ParsedEmail) -> List[str]:
    ids = [mail.in_reply_to] if mail.in_reply_to else []
    return ids + [ref for ref in reversed(mail.references) if ref not in ids]


def thread_of(s: Session, mail: ParsedEmail) -> str:
    """The conversation of ``mail``: found, or made (with its thread row)."""
    found = find_conversation(s, mail)
    if found is not None:
        thread = s.get(EmailThread, found)
        if thread is not None:
            thread.last_message_at = utcnow()
        return found
    conversation_id = new_conversation_id()
    s.add(EmailThread(conversation_id=conversation_id, address=mail.from_address,
                      subject_key=normalise_subject(mail.subject)))  # fmt: skip
    return conversation_id
