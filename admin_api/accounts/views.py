"""Accounts as the API shows them (never a hash or a secret)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, Optional, TypedDict

from assistant.store.account_models import Account, ApiKey


class UserView(TypedDict):
    id: str
    email: str
    name: str
    role: str
    status: str
    email_verified: bool
    customer_id: Optional[int]
    two_factor: bool
    notes: Optional[str]
    preferences: Dict[str, Any]
    conversations_count: int
    created_at: Optional[str]
    last_login: Optional[str]


class ApiKeyView(TypedDict):
    id: str
    name: str
    prefix: str
    scopes: list
    created_by: Optional[str]
    created_at: Optional[str]
    expires_at: Optional[str]
    last_used_at: Optional[str]
    revoked: bool


def when(moment: Optional[datetime]) -> Optional[str]:
    return moment.isoformat(timespec="seconds") + "Z" if moment else None


def user_view(account: Account, conversations_count: int = 0) -> UserView:
    return {
        "id": account.id,
        "email": account.email,
        "name": account.name,
        "role": account.role,
        "status": account.status,
        "email_verified": bool(account.email_verified),
        "customer_id": account.customer_id,
        "two_factor": bool(account.totp_enabled),
        "notes": account.notes,
        "preferences": dict(account.preferences or {}),
        "conversations_count": conversations_count,
        "created_at": when(account.created_at),
        "last_login": when(account.last_login_at),
    }


def api_key_view(key: ApiKey) -> ApiKeyView:
    return {
        "id": key.id,
        "name": key.name,
        "prefix": key.prefix,
        "scopes": list(key.scopes or []),
        "created_by": key.created_by,
        "created_at": when(key.created_at),
        "expires_at": when(key.expires_at),
        "last_used_at": when(key.last_used_at),
        "revoked": key.revoked_at is not None,
    }
