"""Access tokens, refresh tokens and tokens for the web channel.

An access token is an HS256 JWT signed with ``WEBCHAT_JWT_SECRET`` carrying what the web
channel reads (``sub``, ``role``, ``name``, ``exp``) plus ``uid`` (the account), ``jti`` and
``typ: access``: a signed-in customer uses the same token on the web socket, where ``sub``
(``customer-<id>``) is their linked web login. Access tokens live ``ACCESS_TOKEN_MINUTES``;
logout revokes them by ``jti``. Refresh tokens are random (256 bits), stored as SHA-256,
rotated on every use. Tokens the admin API mints to call the web channel on someone's behalf
are ``typ: channel``, live a minute, and are refused by the admin API itself.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any, Dict, Tuple

import jwt

from admin_api.errors import Unauthorized

ALGORITHM = "HS256"
ACCESS, CHANNEL = "access", "channel"


@dataclass(frozen=True)
class AccessClaims:
    account_id: str
    sub: str
    role: str
    name: str
    jti: str
    expires_at: int


def subject(account_id: str, role: str, customer_id: int | None) -> str:
    """The ``sub`` of an account's tokens: a customer's web login, or the staff account's id."""
    return f"customer-{customer_id}" if role == "customer" and customer_id is not None else account_id


def issue_access(
    secret: str, account_id: str, sub: str, role: str, name: str, minutes: int
) -> Tuple[str, int]:
    """A new access token and how many seconds it lives."""
    now, ttl = int(time.time()), minutes * 60
    claims = {"sub": sub, "uid": account_id, "role": role, "name": name, "typ": ACCESS,
              "jti": uuid.uuid4().hex, "iat": now, "exp": now + ttl}  # fmt: skip
    return jwt.encode(claims, secret, algorithm=ALGORITHM), ttl


def channel_token(secret: str, sub: str, role: str, name: str, ttl: int = 60) -> str:
    """A short token for the web channel's HTTP endpoint, acting for ``sub``."""
    now = int(time.time())
    claims = {"sub": sub, "role": role, "name": name, "typ": CHANNEL, "iat": now, "exp": now + ttl}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_access(secret: str, token: str) -> AccessClaims:
    """The claims of a genuine, unexpired access token; 401 otherwise (``TOKEN_EXPIRED``)."""
    try:
        claims: Dict[str, Any] = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub", "role", "jti", "uid"]}
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized(
            "Invalid or expired token", {"reason": "token expired"}, code="TOKEN_EXPIRED"
        ) from exc
    except jwt.PyJWTError as exc:
        raise Unauthorized("Invalid or expired token", {"reason": "invalid token"}) from exc
    if claims.get("typ") != ACCESS:
        raise Unauthorized("Invalid or expired token", {"reason": "not an access token"})
    return AccessClaims(str(claims["uid"]), str(claims["sub"]), str(claims["role"]),
                        str(claims.get("name") or ""), str(claims["jti"]), int(claims["exp"]))  # fmt: skip


def new_refresh_token() -> Tuple[str, str]:
    """A refresh token and its SHA-256 (what is stored)."""
    token = secrets.token_urlsafe(32)
    return token, sha256(token)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
