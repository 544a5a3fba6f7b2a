"""API keys for service-to-service calls (``X-API-Key: nwk_<prefix>_<secret>``): created and
revoked by admins, shown once, stored as SHA-256, limited to their scopes."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from typing import List, Optional, Sequence, Tuple

import sqlalchemy as sa

from admin_api.errors import NotFoundError
from admin_api.security.principal import API_KEY_PREFIX
from admin_api.security.tokens import sha256
from assistant.store import Store
from assistant.store.account_models import ApiKey
from assistant.store.models import utcnow

SCOPES = (
    "users:read",
    "users:write",
    "conversations:read",
    "conversations:write",
    "gdpr",
    "export",
    "analytics:read",
)


def create_key(
    store: Store, name: str, scopes: Sequence[str], created_by: str, expires_at: Optional[datetime]
) -> Tuple[ApiKey, str]:
    """The new key's record and the key itself (shown to the admin this once)."""
    prefix = secrets.token_hex(4)
    key = f"{API_KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32).replace('_', '-')}"
    row = ApiKey(id=uuid.uuid4().hex, name=name.strip(), prefix=prefix, key_sha256=sha256(key),
                 scopes=sorted(set(scopes)), created_by=created_by, expires_at=expires_at)  # fmt: skip
    with store.session() as s:
        s.add(row)
    return row, key


def list_keys(store: Store) -> List[ApiKey]:
    with store.session() as s:
        return list(s.scalars(sa.select(ApiKey).order_by(ApiKey.created_at.desc(), ApiKey.id)))


def revoke_key(store: Store, key_id: str) -> ApiKey:
    with store.session() as s:
        row = s.get(ApiKey, key_id)
        if row is None:
            raise NotFoundError("No such API key", code="API_KEY_NOT_FOUND")
        row.revoked_at = row.revoked_at or utcnow()
        return row
