"""Delivers the store's outbox of customer e-mails (links, codes, return labels) over SMTP.

Actions queue an e-mail in the same transaction as what it reports, then call
:func:`deliver_in_background`, which sends on a worker thread so the action server's event loop
never waits for SMTP. With no ``SMTP_URL`` (the bare-machine default) e-mails wait in the
outbox. Each e-mail is claimed before it is sent, so two workers (threads or processes) never
send it twice; one that fails goes back to the outbox for the next delivery, and fails for good
after a permanent SMTP error or too many tries.

``smtp://user:password@host:587`` authenticates only after STARTTLS (a server that does not
offer it is refused); ``smtps://`` uses TLS from the start. ``SMTP_CA_FILE`` names the CA
bundle to trust for a private mail server. Without a user, plain SMTP to a relay is allowed.

An e-mail may carry the headers of a reply (``Message-ID``, ``In-Reply-To``, ``References``,
``Auto-Submitted``: the e-mail channel's answers, channels/email/) and an HTML alternative;
it then goes out as ``multipart/alternative``.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from functools import lru_cache
from typing import Optional
from urllib.parse import unquote, urlsplit

from assistant.settings import Settings
from assistant.store import Store
from assistant.store.models import OutboundEmail

logger = logging.getLogger(__name__)


TRANSIENT_HOLD_SECONDS = 60  # an e-mail refused for now waits this long before its next try
REPLY_HEADERS = ("In-Reply-To", "References", "Auto-Submitted", "Reply-To")


class InsecureSmtpError(smtplib.SMTPException):
    """The server would have us send credentials without TLS."""


def deliver_outbox(
    store: Store, smtp_url: str, sender: str, timeout: float = 10, ca_file: Optional[str] = None
) -> int:
    """Sends every unsent e-mail it can claim; returns how many went out."""
    sent, client = 0, None
    try:
        while (mail := store.claim_next_email()) is not None:
            try:
                client = client or _connect(smtp_url, timeout, ca_file)
                client.send_message(_message(sender, mail))
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as exc:
                # A refusal for now (4xx) is held back a while, not tried again in this loop.
                permanent = _permanent(exc)
                store.release_email(mail.id, _describe(exc), permanent=permanent,
                                    hold_seconds=0 if permanent else TRANSIENT_HOLD_SECONDS)  # fmt: skip
                continue
            except (OSError, smtplib.SMTPException) as exc:
                store.release_email(mail.id, _describe(exc))
                logger.warning(
                    "Could not deliver e-mail %s over SMTP (%s); will retry.", mail.id, _describe(exc)
                )
                break
            store.mark_email_sent(mail.id)
            sent += 1
    finally:
        _quit(client)
    return sent


def deliver_in_background(store: Store, settings: Settings) -> None:
    """Starts delivering the outbox on a worker thread (when SMTP is configured); inside a store
    transaction, once it has committed (an e-mail cannot be rolled back, and the worker would
    not see the rows yet)."""
    if settings.smtp_url:
        store.after_commit(lambda: _workers().submit(_deliver_logged, store, settings))


def deliver_configured(store: Store, settings: Settings) -> int:
    """Delivers the outbox now, on this thread, when SMTP is configured (the e-mail channel's
    sweep calls it, so e-mails that failed for now are tried again); never raises."""
    return _deliver_logged(store, settings) if settings.smtp_url else 0


def _deliver_logged(store: Store, settings: Settings) -> int:
    try:
        return deliver_outbox(
            store, str(settings.smtp_url), settings.mail_from, ca_file=settings.smtp_ca_file
        )
    except Exception:
        logger.exception("Outbox delivery failed")
        return 0


@lru_cache(maxsize=1)
def _workers() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=2, thread_name_prefix="mailer")


def _connect(smtp_url: str, timeout: float, ca_file: Optional[str]) -> smtplib.SMTP:
    parts = urlsplit(smtp_url)
    host, context = parts.hostname or "localhost", ssl.create_default_context(cafile=ca_file)
    if parts.scheme == "smtps":
        client: smtplib.SMTP = smtplib.SMTP_SSL(host, parts.port or 465, timeout=timeout, context=context)
    else:
        client = smtplib.SMTP(host, parts.port or 25, timeout=timeout)
        if parts.username:
            client.ehlo()
            if not client.has_extn("starttls"):
                client.quit()
                raise InsecureSmtpError("the server does not offer STARTTLS; refusing to send credentials")
            client.starttls(context=context)
            client.ehlo()
    if parts.username:
        client.login(unquote(parts.username), unquote(parts.password or ""))
    return client


def _message(sender: str, mail: OutboundEmail) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, mail.to_address, mail.subject
    body = mail.body.replace("{secret}", mail.secret) if mail.secret else mail.body
    message.set_content(body)
    if mail.html_body:
        message.add_alternative(mail.html_body, subtype="html")
    if mail.message_id:
        message["Message-ID"] = f"<{mail.message_id}>"
    for name, value in (mail.headers or {}).items():
        if name in REPLY_HEADERS and value:
            message[name] = str(value)
    return message


def _permanent(exc: smtplib.SMTPException) -> bool:
    code = getattr(exc, "smtp_code", None)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code = min((c for c, _ in exc.recipients.values()), default=None)
    return isinstance(code, int) and 500 <= code < 600


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:255]


def _quit(client: Optional[smtplib.SMTP]) -> None:
    if client is None:
        return
    try:
        client.quit()
    except (OSError, smtplib.SMTPException):
        client.close()
