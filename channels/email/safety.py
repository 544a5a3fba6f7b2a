"""Loop and abuse safety: which e-mails the assistant must never answer.

Never answered: ``Auto-Submitted`` other than ``no`` (RFC 3834: auto-replies, vacation notices,
other bots), ``Precedence: bulk/list/junk``, mailing-list mail (``List-Id``,
``List-Unsubscribe``), vacation responders' ``X-Autoreply``/``X-Autorespond``, a message from
our own address (it would answer itself), and bounces: a delivery status report or a message
from ``MAILER-DAEMON``/``postmaster``, which is recorded against the message that bounced.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Iterable, Optional

from channels.email.parse import ParsedEmail, first_id

BOUNCE_SENDERS = ("mailer-daemon", "postmaster", "mail-daemon")
LIST_HEADERS = ("list-id", "list-unsubscribe", "list-post")
AUTOREPLY_HEADERS = ("x-autoreply", "x-autorespond", "x-auto-response-suppress")


@dataclass(frozen=True)
class Verdict:
    """Whether to answer; when not, why (``reason``) and, for a bounce, what bounced."""

    answer: bool
    reason: Optional[str] = None
    bounce: Optional[Dict[str, Any]] = None


ANSWER = Verdict(True)


def judge(mail: ParsedEmail, own_addresses: Iterable[str]) -> Verdict:
    """The verdict on ``mail`` received at one of ``own_addresses``."""
    if is_bounce(mail):
        return Verdict(False, "bounce", bounce_details(mail))
    own = {address.lower() for address in own_addresses if address}
    if not mail.from_address or "@" not in mail.from_address:
        return Verdict(False, "no_sender")
    if mail.from_address in own:
        return Verdict(False, "own_address")
    reason = _automatic(mail.headers)
    return Verdict(False, reason) if reason else ANSWER


def _automatic(headers: Dict[str, str]) -> Optional[str]:
    auto = headers.get("auto-submitted", "").split(";")[0].strip().lower()
    if auto and auto != "no":
        return "auto_submitted"
    if headers.get("precedence", "").strip().lower() in ("bulk", "list", "junk", "auto_reply"):
        return "precedence"
    if any(headers.get(name) for name in LIST_HEADERS):
        return "list_mail"
    if any(headers.get(name) for name in AUTOREPLY_HEADERS[:2]):
        return "auto_submitted"
    return None


def is_bounce(mail: ParsedEmail) -> bool:
    local = mail.from_address.split("@", 1)[0]
    report = mail.content_type == "multipart/report" and "delivery-status" in mail.headers.get(
        "content-type", ""
    )
    return report or mail.report is not None or local in BOUNCE_SENDERS or not mail.from_address


def bounce_details(mail: ParsedEmail) -> Dict[str, Any]:
    """What bounced, to whom and why: the report's fields, the bounced message's id from the
    returned headers, else from the bounce's own ``In-Reply-To``/``References``."""
    report = dict(mail.report or {})
    original = report.get("original_message_id") or mail.in_reply_to
    if not original and mail.references:
        original = mail.references[-1]
    report["original_message_id"] = first_id(f"<{original}>") if original else None
    return report
