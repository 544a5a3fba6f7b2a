"""The caller of a request: a signed-in account (bearer access token), a service (``X-API-Key``)
or nobody; and whether an endpoint's access rule lets them in (401 without credentials or with
bad ones, 403 with the wrong role or scope)."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import timedelta
from typing import FrozenSet, Optional

from admin_api.errors import Forbidden, Unauthorized
from admin_api.security.tokens import decode_access, sha256, subject
from assistant.conversations.registry import Actor
from assistant.store import Store
from assistant.store.account_models import Account, ApiKey, RevokedToken
from assistant.store.models import utcnow

STAFF_ROLES = frozenset({"admin", "agent"})
API_KEY_PREFIX = "nwk"


@dataclass(frozen=True)
class Access:
    """Who may call an endpoint: accounts with one of ``roles``, API keys with ``scope``."""

    roles: FrozenSet[str] = frozenset()
    scope: Optional[str] = None
    public: bool = False

    def describe(self) -> str:
        if self.public:
            return "public"
        who = ", ".join(sorted(self.roles)) or "no account"
        return f"{who}" + (f"; API keys with scope {self.scope}" if self.scope else "")


@dataclass(frozen=True)
class Principal:
    kind: str  # "account", "api_key", "anonymous"
    id: str
    role: str  # admin, agent, customer, service, anonymous
    name: str
    sub: str = ""
    customer_id: Optional[int] = None
    email: str = ""
    scopes: FrozenSet[str] = frozenset()
    jti: Optional[str] = None
    token_expires_at: Optional[int] = None

    @property
    def staff(self) -> bool:
        return self.kind == "account" and self.role in STAFF_ROLES

    def actor(self) -> Actor:
        kind = "api_key" if self.kind == "api_key" else "customer" if self.role == "customer" else "staff"
        return Actor(kind, self.id, self.name)


ANONYMOUS = Principal("anonymous", "", "anonymous", "")


def authenticate(
    store: Store, secret: str, authorization: Optional[str], api_key: Optional[str]
) -> Principal:
    """The caller named by the request's credentials (checked against the store)."""
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("Invalid or expired token", {"reason": "use Authorization: Bearer <token>"})
        return _account(store, secret, token.strip())
    if api_key:
        return _api_key(store, api_key.strip())
    return ANONYMOUS


def authorize(principal: Principal, access: Access) -> None:
    if access.public:
        return
    if principal.kind == "anonymous":
        raise Unauthorized("Authentication required", {"reason": "no token or API key"})
    if principal.kind == "api_key":
        if access.scope is None or access.scope not in principal.scopes:
            raise Forbidden("This API key may not do that", {"needs_scope": access.scope})
        return
    if principal.role not in access.roles:
        raise Forbidden("Your role may not do that", {"role": principal.role})


def _account(store: Store, secret: str, token: str) -> Principal:
    claims = decode_access(secret, token)
    with store.session() as s:
        account = s.get(Account, claims.account_id)
        revoked = s.get(RevokedToken, claims.jti) is not None
    if account is None or account.status != "active":
        raise Unauthorized("Invalid or expired token", {"reason": "account not active"})
    if revoked:
        raise Unauthorized("Invalid or expired token", {"reason": "token revoked"}, code="TOKEN_REVOKED")
    sub = subject(account.id, account.role, account.customer_id)
    return Principal("account", account.id, account.role, account.name, sub, account.customer_id,
                     account.email, jti=claims.jti, token_expires_at=claims.expires_at)  # fmt: skip


def _api_key(store: Store, key: str) -> Principal:
    parts = key.split("_")
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX:
        raise Unauthorized("Invalid API key", {"reason": "malformed key"})
    now = utcnow()
    with store.session() as s:
        row = s.query(ApiKey).filter(ApiKey.prefix == parts[1][:16]).first()
        if row is None or not hmac.compare_digest(row.key_sha256, sha256(key)):
            raise Unauthorized("Invalid API key", {"reason": "unknown key"})
        if row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now):
            raise Unauthorized("Invalid API key", {"reason": "revoked or expired"})
        if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
            row.last_used_at = now
        return Principal(
            "api_key", row.id, "service", row.name, f"apikey-{row.id}", scopes=frozenset(row.scopes or [])
        )
