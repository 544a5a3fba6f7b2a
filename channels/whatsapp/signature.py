"""Who may call the webhook: Meta's verification handshake and the signature of each delivery.

Meta signs every POST with ``X-Hub-Signature-256: sha256=<hex>``, the HMAC-SHA256 of the raw body
with the app secret. It is compared in constant time; nothing of an unsigned or wrongly signed
body is looked at.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Mapping, Optional

PREFIX = "sha256="


def sign(secret: str, raw: bytes) -> str:
    """The header value Meta sends for ``raw`` (also used by the tests and benchmarks)."""
    return PREFIX + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def signature_ok(secret: str, raw: bytes, header: Optional[str]) -> bool:
    """Whether ``header`` is the signature of ``raw`` with ``secret``."""
    if not header or not header.startswith(PREFIX):
        return False
    given = header[len(PREFIX) :].strip().lower()
    return hmac.compare_digest(given.encode(), sign(secret, raw)[len(PREFIX) :].encode())


def challenge_answer(verify_token: str, args: Mapping[str, str]) -> Optional[str]:
    """The ``hub.challenge`` to echo when Meta verifies the webhook with our token, else None."""
    token = args.get("hub.verify_token") or ""
    if args.get("hub.mode") != "subscribe" or not hmac.compare_digest(token.encode(), verify_token.encode()):
        return None
    challenge = args.get("hub.challenge")
    return challenge if challenge and len(challenge) <= 256 else None
