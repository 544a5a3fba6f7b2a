"""The outbox of e-mails to customers: queued in the same transaction as what they report,
then claimed one row at a time by a mailer, so two workers never send the same e-mail."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import timedelta
from typing import Callable, List, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Session

from assistant.store.models import OutboundEmail, utcnow

MAX_SEND_ATTEMPTS = 10


class OutboxOperations:
    """Outbox methods of :class:`assistant.store.Store` (which provides ``session``)."""

    session: Callable[[], AbstractContextManager[Session]]

    def queue_email(
        self, to_address: str, subject: str, body: str, kind: str = "notice", secret: Optional[str] = None
    ) -> OutboundEmail:
        mail = OutboundEmail(
            to_address=to_address.lower(), subject=subject, body=body, kind=kind, secret=secret
        )
        with self.session() as s:
            s.add(mail)
        return mail

    def claim_next_email(self, lease: timedelta = timedelta(minutes=2)) -> Optional[OutboundEmail]:
        """Takes the oldest unsent e-mail that nobody holds, for ``lease``; None when done."""
        now = utcnow()
        free = sa.and_(
            OutboundEmail.sent_at.is_(None),
            OutboundEmail.failed_at.is_(None),
            sa.or_(OutboundEmail.claimed_until.is_(None), OutboundEmail.claimed_until < now),
        )
        for _ in range(20):  # another worker may win a row between our read and our update
            with self.session() as s:
                email_id = s.scalar(
                    sa.select(OutboundEmail.id).where(free).order_by(OutboundEmail.id).limit(1)
                )
                if email_id is None:
                    return None
                # A conditional update: of two workers that read the same id, one wins.
                won = s.execute(
                    sa.update(OutboundEmail)
                    .where(OutboundEmail.id == email_id, free)
                    .values(claimed_until=now + lease)
                ).rowcount
                if won == 1:
                    return s.get(OutboundEmail, email_id)
        return None

    def mark_email_sent(self, email_id: int) -> None:
        """Marks it sent and erases its one-time secret."""
        with self.session() as s:
            s.execute(
                sa.update(OutboundEmail)
                .where(OutboundEmail.id == email_id)
                .values(sent_at=utcnow(), secret=None, claimed_until=None, last_error=None)
            )

    def release_email(
        self, email_id: int, error: str, permanent: bool = False, hold_seconds: float = 0
    ) -> None:
        """Gives a claimed e-mail back after a failed try (held back ``hold_seconds``); it fails
        for good after a permanent error or ``MAX_SEND_ATTEMPTS`` tries (then its secret is
        erased too)."""
        with self.session() as s:
            mail = s.get(OutboundEmail, email_id)
            if mail is None:
                return
            mail.attempts = (mail.attempts or 0) + 1
            held = utcnow() + timedelta(seconds=hold_seconds) if hold_seconds > 0 else None
            mail.claimed_until, mail.last_error = held, error[:255]
            if permanent or mail.attempts >= MAX_SEND_ATTEMPTS:
                mail.failed_at, mail.secret = utcnow(), None

    def unsent_emails(self) -> List[OutboundEmail]:
        with self.session() as s:
            query = sa.select(OutboundEmail).where(
                OutboundEmail.sent_at.is_(None), OutboundEmail.failed_at.is_(None)
            )
            return list(s.scalars(query.order_by(OutboundEmail.id)))

    def outbox(self, to_address: Optional[str] = None) -> List[OutboundEmail]:
        with self.session() as s:
            query = sa.select(OutboundEmail).order_by(OutboundEmail.id)
            if to_address:
                query = query.where(OutboundEmail.to_address == to_address.lower())
            return list(s.scalars(query))
