"""The signed-in person's own account: profile, preferences and two-factor sign-in."""

from __future__ import annotations

from typing import Any, Dict, Optional

from admin_api.errors import ApiError, NotFoundError, Unauthorized
from admin_api.security import totp
from admin_api.security.passwords import hash_secret, verify_secret
from assistant.store import Store
from assistant.store.account_models import Account
from assistant.store.models import utcnow


def get_account(store: Store, account_id: str) -> Account:
    with store.session() as s:
        account = s.get(Account, account_id)
    if account is None:
        raise NotFoundError("No such user", code="USER_NOT_FOUND")
    return account


def update_profile(
    store: Store, account_id: str, name: Optional[str], preferences: Optional[Dict[str, Any]]
) -> Account:
    with store.session() as s:
        account = s.get(Account, account_id)
        if account is None:
            raise NotFoundError("No such user", code="USER_NOT_FOUND")
        if name is not None:
            account.name = name.strip()
        if preferences is not None:
            account.preferences = {**(account.preferences or {}), **preferences}
        account.updated_at = utcnow()
        return account


def start_totp(store: Store, account_id: str) -> Dict[str, str]:
    """A new secret for the authenticator app; sign-in asks for codes once it is confirmed."""
    with store.session() as s:
        account = s.get(Account, account_id)
        if account is None:
            raise NotFoundError("No such user", code="USER_NOT_FOUND")
        if account.totp_enabled:
            raise ApiError("Two-factor sign-in is on already", code="TOTP_ALREADY_ENABLED", status=409)
        account.totp_secret, account.totp_last_counter = totp.new_secret(), None
        return {
            "secret": account.totp_secret,
            "otpauth_uri": totp.provisioning_uri(account.totp_secret, account.email),
        }


def enable_totp(store: Store, account_id: str, code: str) -> None:
    with store.session() as s:
        account = s.get(Account, account_id)
        if account is None or not account.totp_secret or account.totp_enabled:
            raise ApiError("Start two-factor set-up first", code="TOTP_NOT_STARTED", status=409)
        step = totp.accepted_step(account.totp_secret, code, account.totp_last_counter)
        if step is not None:
            account.totp_enabled, account.totp_last_counter = True, step
    if step is None:
        raise Unauthorized("Wrong authenticator code", code="INVALID_TOTP")


def disable_totp(store: Store, account_id: str, password: str) -> None:
    with store.session() as s:
        account = s.get(Account, account_id)
        if account is None or not verify_secret(account.password_hash, password):
            raise Unauthorized("Wrong password", code="INVALID_CREDENTIALS")
        account.totp_enabled, account.totp_secret, account.totp_last_counter = False, None, None


def change_password(store: Store, account_id: str, current: str, new: str) -> None:
    """A new password; every session ends (sign in again everywhere)."""
    with store.session() as s:
        account = s.get(Account, account_id)
        if account is None or not verify_secret(account.password_hash, current):
            raise Unauthorized("Wrong password", code="INVALID_CREDENTIALS")
        account.password_hash, account.updated_at = hash_secret(new), utcnow()
