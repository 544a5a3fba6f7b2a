"""What the assistant says while a customer proves who they are."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from assistant.identity.codes import CodeResult

# How a code's destination is described: never whether an account exists.
ORDER_ADDRESS = "order"
TYPED_ADDRESS = "typed"
ACCOUNT_ADDRESS = "account"


def code_sent_text(wording: str, address: str = "") -> str:
    if wording == TYPED_ADDRESS:
        return (f"To keep accounts safe I need to check it's you. If {address} has an account "
                "with us, I've just e-mailed it a 6-digit code.")  # fmt: skip
    where = (
        "the e-mail address on file for that order"
        if wording == ORDER_ADDRESS
        else "the e-mail address on your account"
    )
    return (
        f"To keep your account safe I need to check it's you: I've just e-mailed a 6-digit code to {where}."
    )


def wrong_code_text(result: CodeResult) -> str:
    if result.outcome.value == "expired":
        return 'That code has expired (codes last 10 minutes). Say "resend" and I\'ll send a new one.'
    if result.outcome.value == "no_code":
        return "There's no code waiting for this conversation. Say \"resend\" and I'll send one."
    tries = "1 try" if result.attempts_left == 1 else f"{result.attempts_left} tries"
    return f"Sorry, that code isn't right. You have {tries} left."


def locked_text(until: Optional[datetime]) -> str:
    minutes = max(1, round(((until or datetime.utcnow()) - datetime.utcnow()).total_seconds() / 60))
    return (f"For your security I can't accept more codes for the next {minutes} minutes, so I "
            "haven't changed anything. You can still ask me general questions, or say \"agent\" "
            "to talk to a person.")  # fmt: skip
