"""Passwords and e-mail codes, hashed with argon2id (argon2-cffi's defaults, RFC 9106's
second recommended profile). An unknown account is checked against a dummy hash, so a login
takes as long whether or not the account exists."""

from __future__ import annotations

import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    return PasswordHasher()


@lru_cache(maxsize=1)
def _dummy() -> str:
    return _hasher().hash(secrets.token_urlsafe(16))


def hash_secret(secret: str) -> str:
    return _hasher().hash(secret)


def verify_secret(hashed: str | None, secret: str) -> bool:
    """Whether ``secret`` matches ``hashed`` (None: an unknown account, checked all the same)."""
    try:
        return _hasher().verify(hashed or _dummy(), secret) and hashed is not None
    except (VerificationError, InvalidHashError):
        return False


def generate_password() -> str:
    """A random password for accounts made for someone (the first admin of the demo)."""
    return secrets.token_urlsafe(15)
