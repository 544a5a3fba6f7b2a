"""Who is on a socket: a JWT signed with the deployment's secret, or an anonymous visitor.

Tokens carry ``sub`` (the user's id), ``role`` and ``exp`` (all required, expiry enforced),
and optionally ``name``. The admin API issues them with :func:`issue_token`.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from ipaddress import ip_address
from typing import Any, Dict, Iterable, Mapping, Optional
from urllib.parse import parse_qs

import jwt

from channels.errors import AuthError

CUSTOMER_ROLES = frozenset({"customer", "user"})
AGENT_ROLES = frozenset({"agent", "admin"})
ROLES = CUSTOMER_ROLES | AGENT_ROLES


@dataclass(frozen=True)
class Identity:
    """The person (or service) behind a socket or an HTTP request."""

    id: str
    role: str
    name: str
    anonymous: bool = False

    @property
    def is_agent(self) -> bool:
        return self.role in AGENT_ROLES

    def public(self) -> Dict[str, str]:
        """What other participants see."""
        return {"id": self.id, "name": self.name, "role": self.role}


def anonymous_identity() -> Identity:
    return Identity(id=f"visitor-{uuid.uuid4().hex[:12]}", role="customer", name="Visitor", anonymous=True)


def issue_token(
    secret: str,
    user_id: str,
    role: str,
    name: Optional[str] = None,
    ttl: int = 3600,
    algorithm: str = "HS256",
) -> str:
    """A token for ``user_id`` with ``role``, valid for ``ttl`` seconds (negative: already expired)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {sorted(ROLES)}, got {role!r}")
    now = int(time.time())
    claims = {"sub": user_id, "role": role, "name": name or user_id, "iat": now, "exp": now + ttl}
    return jwt.encode(claims, secret, algorithm=algorithm)


def decode_token(token: str, secret: Optional[str], algorithm: str = "HS256") -> Identity:
    """The identity in ``token``; raises :class:`AuthError` when it is invalid or expired."""
    if not secret:
        raise AuthError("Tokens are not accepted: the server has no WEBCHAT_JWT_SECRET")
    try:
        claims = jwt.decode(
            token, secret, algorithms=[algorithm], options={"require": ["exp", "sub", "role"]}
        )
    except jwt.ExpiredSignatureError as exc:
        raise AuthError(
            "Invalid or expired token", {"reason": "token expired"}, code="TOKEN_EXPIRED"
        ) from exc
    except jwt.PyJWTError as exc:
        raise AuthError("Invalid or expired token", {"reason": str(exc)}) from exc
    role = str(claims["role"])
    if role not in ROLES:
        raise AuthError("Invalid or expired token", {"reason": f"unknown role {role!r}"})
    user_id = str(claims["sub"])
    return Identity(id=user_id, role=role, name=str(claims.get("name") or user_id))


def token_from(auth: Any, environ: Mapping[str, Any]) -> Optional[str]:
    """The token of a socket.io connection: ``auth.token``, else the ``token`` query parameter
    (the rasa-webchat widget cannot send ``auth``; its ``socketUrl`` can carry a query)."""
    if isinstance(auth, dict) and auth.get("token"):
        return str(auth["token"])
    values = parse_qs(str(environ.get("QUERY_STRING", ""))).get("token")
    return values[0] if values else None


def bearer_token(header: Optional[str]) -> Optional[str]:
    if header and header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return None


def client_ip(remote_addr: str, forwarded_for: Optional[str], trusted_proxies: Iterable[str]) -> str:
    """The client's address: the peer, or when the peer is a trusted proxy, the right-most
    X-Forwarded-For entry that is not a trusted proxy itself."""
    trusted = set(trusted_proxies)
    if remote_addr not in trusted or not forwarded_for:
        return remote_addr
    for hop in reversed([part.strip() for part in forwarded_for.split(",")]):
        if hop and hop not in trusted and _is_ip(hop):
            return hop
    return remote_addr


def _is_ip(text: str) -> bool:
    try:
        ip_address(text)
    except ValueError:
        return False
    return True
