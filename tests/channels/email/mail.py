"""E-mails as customers' clients, vacation responders and mailer-daemons write them."""

from __future__ import annotations

import uuid
from email.message import EmailMessage
from email.utils import formatdate
from typing import Dict, List, Optional

SUPPORT = "support@northwind.example"


def new_id(domain: str = "customer.example") -> str:
    return f"{uuid.uuid4().hex}@{domain}"


def customer_mail(sender: str, subject: str, text: str, message_id: Optional[str] = None,
                  in_reply_to: Optional[str] = None, references: Optional[List[str]] = None,
                  to: str = SUPPORT, html: Optional[str] = None, headers: Optional[Dict[str, str]] = None) -> bytes:  # fmt: skip
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = f"<{message_id or new_id()}>"
    if in_reply_to:
        message["In-Reply-To"] = f"<{in_reply_to}>"
    if references:
        message["References"] = " ".join(f"<{r}>" for r in references)
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    return message.as_bytes()


def bounce(original_id: str, recipient: str, to: str = SUPPORT) -> bytes:
    """A delivery status notification (RFC 3464) about our message ``original_id``."""
    boundary = uuid.uuid4().hex
    return (
        f"From: Mail Delivery System <MAILER-DAEMON@mx.customer.example>\r\nTo: {to}\r\n"
        f"Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <{new_id('mx.customer.example')}>\r\n"
        f"Date: {formatdate(usegmt=True)}\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\r\n\r\n'
        f"--{boundary}\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        f"--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.customer.example\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        f"Diagnostic-Code: smtp; 550 5.1.1 <{recipient}>: Recipient address rejected\r\n"
        f"--{boundary}\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: {to}\r\nTo: {recipient}\r\n"
        f"Message-ID: <{original_id}>\r\nSubject: Re: something\r\n\r\n--{boundary}--\r\n"
    ).encode()
