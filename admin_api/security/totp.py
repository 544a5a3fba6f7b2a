"""Optional two-factor sign-in with time-based one-time passwords (RFC 6238, any authenticator
app). A code is good for its 30-second step and one step either side, once."""

from __future__ import annotations

import re
import time
from typing import Optional

import pyotp

ISSUER = "Northwind Support"


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def accepted_step(
    secret: str, code: str, last_step: Optional[int], now: Optional[float] = None
) -> Optional[int]:
    """The time step ``code`` belongs to when it is right and newer than ``last_step``, else None."""
    if not re.fullmatch(r"\d{6}", code or ""):
        return None
    totp, moment = pyotp.TOTP(secret), now or time.time()
    step = int(moment // totp.interval)
    for candidate in (step - 1, step, step + 1):
        if (last_step is None or candidate > last_step) and totp.at(candidate * totp.interval) == code:
            return candidate
    return None
