"""One-time codes that prove a conversation belongs to a customer.

A code is 6 digits, e-mailed to the address on file through the outbox, valid for 10 minutes
and 5 attempts; after the fifth wrong attempt the conversation and the address are locked out
for a cool-down. Only an argon2 hash of the code is stored; the e-mail carries it as the
outbox's one-time ``secret``, erased once sent. An address without an account gets a code row
too (that no one receives), so the conversation cannot tell whether the account exists.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from functools import lru_cache
from typing import Optional

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from assistant.store import Store
from assistant.store.models import Customer, OutboundEmail, VerificationCode, utcnow

CODE_LIFETIME = timedelta(minutes=10)
MAX_ATTEMPTS = 5
COOLDOWN = timedelta(minutes=15)
MAX_CODES_PER_ADDRESS = 5  # per COOLDOWN window, against mail bombing
CODE_PATTERN = re.compile(r"(?<!\d)(\d{3})[ -]?(\d{3})(?!\d)")


class Outcome(str, Enum):
    SENT = "sent"
    VERIFIED = "verified"
    WRONG = "wrong"
    EXPIRED = "expired"
    LOCKED = "locked"
    NO_CODE = "no_code"


@dataclass(frozen=True)
class CodeResult:
    outcome: Outcome
    customer_id: Optional[int] = None
    attempts_left: int = 0
    locked_until: Optional[datetime] = None


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    # OWASP's minimum argon2id profile: a code is checked in a few milliseconds.
    return PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)


def typed_code(text: str) -> Optional[str]:
    """The 6-digit code in what the customer typed (``123456``, ``123 456``, ``code: 123-456``)."""
    found = CODE_PATTERN.findall(text or "")
    return found[0][0] + found[0][1] if len(found) == 1 else None


def issue_code(store: Store, conversation_id: str, address: str, customer_id: Optional[int]) -> CodeResult:
    """Creates a code for ``conversation_id`` and queues its e-mail to ``address`` (only when it
    is the address on file of ``customer_id``); earlier codes of the conversation stop working."""
    now = utcnow()
    with store.session() as s:
        locked = _locked_until(s, conversation_id, address, now)
        if locked is not None or _recent_codes(s, address, now) >= MAX_CODES_PER_ADDRESS:
            return CodeResult(Outcome.LOCKED, locked_until=locked or now + COOLDOWN)
        _retire(s, conversation_id, now)
        code = f"{secrets.randbelow(1_000_000):06d}"
        s.add(VerificationCode(conversation_id=conversation_id, address=address, customer_id=customer_id,
                               code_hash=_hasher().hash(code), expires_at=now + CODE_LIFETIME))  # fmt: skip
        customer = s.get(Customer, customer_id) if customer_id is not None else None
        if customer is not None and customer.email == address:
            s.add(_code_email(customer, code))
    return CodeResult(Outcome.SENT, attempts_left=MAX_ATTEMPTS)


def check_code(store: Store, conversation_id: str, typed: str) -> CodeResult:
    """Checks a typed code against the conversation's current one, counting the attempt."""
    now = utcnow()
    with store.session() as s:
        row = _current(s, conversation_id)
        if row is None:
            locked = _locked_until(s, conversation_id, None, now)
            return CodeResult(Outcome.LOCKED, locked_until=locked) if locked else CodeResult(Outcome.NO_CODE)
        if row.locked_until is not None and row.locked_until > now:
            return CodeResult(Outcome.LOCKED, locked_until=row.locked_until)
        if row.expires_at <= now:
            return CodeResult(Outcome.EXPIRED)
        row.attempts += 1
        if row.customer_id is not None and _matches(row.code_hash, typed):
            row.used_at = now
            return CodeResult(Outcome.VERIFIED, customer_id=row.customer_id)
        left = MAX_ATTEMPTS - row.attempts
        if left <= 0:
            row.locked_until = now + COOLDOWN
            return CodeResult(Outcome.LOCKED, locked_until=row.locked_until)
        return CodeResult(Outcome.WRONG, attempts_left=left)


def _matches(code_hash: str, typed: str) -> bool:
    code = typed_code(typed)
    if code is None:
        return False
    try:
        return _hasher().verify(code_hash, code)
    except (VerificationError, InvalidHashError):
        return False


def _current(s: sa.orm.Session, conversation_id: str) -> Optional[VerificationCode]:
    query = sa.select(VerificationCode).where(
        VerificationCode.conversation_id == conversation_id, VerificationCode.used_at.is_(None)
    )
    return s.scalars(query.order_by(VerificationCode.id.desc())).first()


def _retire(s: sa.orm.Session, conversation_id: str, now: datetime) -> None:
    """Earlier unused codes of the conversation stop working (a new one was asked for)."""
    s.execute(
        sa.update(VerificationCode)
        .where(VerificationCode.conversation_id == conversation_id, VerificationCode.used_at.is_(None))
        .values(used_at=now, expires_at=now)
    )


def _locked_until(
    s: sa.orm.Session, conversation_id: str, address: Optional[str], now: datetime
) -> Optional[datetime]:
    """When a lock-out of this conversation (or of this address, from any conversation) ends."""
    scope = VerificationCode.conversation_id == conversation_id
    if address is not None:
        scope = sa.or_(scope, VerificationCode.address == address)
    query = sa.select(sa.func.max(VerificationCode.locked_until)).where(
        scope, VerificationCode.locked_until > now
    )
    return s.scalar(query)


def _recent_codes(s: sa.orm.Session, address: str, now: datetime) -> int:
    query = sa.select(sa.func.count(VerificationCode.id)).where(
        VerificationCode.address == address, VerificationCode.created_at > now - COOLDOWN
    )
    return int(s.scalar(query) or 0)


def _code_email(customer: Customer, code: str) -> OutboundEmail:
    minutes = int(CODE_LIFETIME.total_seconds() // 60)
    body = (
        f"Hi {customer.name},\n\nYour Northwind verification code is {{secret}}.\n\n"
        f"Type it in the chat within {minutes} minutes. If you didn't ask for it, ignore this "
        "e-mail: nothing changes on your account without it.\n"
    )
    return OutboundEmail(kind="verification_code", to_address=customer.email,
                         subject="Your Northwind verification code", body=body, secret=code)  # fmt: skip
