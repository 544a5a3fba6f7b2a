"""Delivers the store's outbox of customer e-mails (reset and payment links) over SMTP.

The actions queue an e-mail in the same transaction as the token it carries, then call
``deliver_outbox``; with no ``SMTP_URL`` configured the e-mails wait in the outbox (the demo's
embedded default). An e-mail that fails to send stays unsent and goes out on the next call.
"""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from assistant.store import Store

logger = logging.getLogger(__name__)


def deliver_outbox(store: Store, smtp_url: str, sender: str, timeout: float = 10) -> int:
    """Sends every unsent e-mail through ``smtp://[user:password@]host:port`` (``smtps://``
    for implicit TLS); returns how many went out. Inside a store transaction the sending waits
    until it commits (an e-mail cannot be rolled back), and 0 is returned."""
    if store.in_transaction():
        store.after_commit(lambda: _deliver(store, smtp_url, sender, timeout))
        return 0
    return _deliver(store, smtp_url, sender, timeout)


def _deliver(store: Store, smtp_url: str, sender: str, timeout: float) -> int:
    parts = urlsplit(smtp_url)
    client_class = smtplib.SMTP_SSL if parts.scheme == "smtps" else smtplib.SMTP
    pending = store.unsent_emails()
    if not pending:
        return 0
    sent = 0
    try:
        with client_class(parts.hostname or "localhost", parts.port or 25, timeout=timeout) as smtp:
            if parts.username:
                smtp.login(unquote(parts.username), unquote(parts.password or ""))
            for mail in pending:
                smtp.send_message(_message(sender, mail.to_address, mail.subject, mail.body))
                store.mark_email_sent(mail.id)
                sent += 1
    except (OSError, smtplib.SMTPException) as exc:
        logger.warning("Could not deliver the outbox over SMTP (%s); will retry.", exc)
    return sent


def _message(sender: str, to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message.set_content(body)
    return message
