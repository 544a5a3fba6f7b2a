"""Sessions: sign in (throttled, with the two-factor code when enabled), rotating refresh
tokens (a rotated token used again revokes its whole session: someone copied it), logout
(revokes the access token and the session; stored, so it holds across restarts)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional, TypedDict

import sqlalchemy as sa

from admin_api.accounts.registration import ensure_web_login
from admin_api.errors import ApiError, Forbidden, Unauthorized
from admin_api.security import throttle, totp
from admin_api.security.passwords import verify_secret
from admin_api.security.principal import Principal
from admin_api.security.tokens import issue_access, new_refresh_token, sha256, subject
from assistant.settings import Settings
from assistant.store import Store
from assistant.store.account_models import Account, RefreshToken, RevokedToken
from assistant.store.models import utcnow


class TokenPair(TypedDict):
    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int


@dataclass(frozen=True)
class SignedIn:
    account: Account
    tokens: TokenPair


def login(store: Store, settings: Settings, secret: str, email: str, password: str,
          totp_code: Optional[str], ip: str) -> SignedIn:  # fmt: skip
    email = email.strip().lower()
    throttle.check(store, settings, email, ip)
    with store.session() as s:
        account = s.scalars(sa.select(Account).where(Account.email == email)).first()
    if not verify_secret(account.password_hash if account else None, password) or account is None:
        throttle.record_failure(store, email, ip)
        raise Unauthorized("Wrong e-mail or password", code="INVALID_CREDENTIALS")
    if account.totp_enabled:
        _second_factor(store, email, ip, account, totp_code)
    if account.status != "active":
        raise Forbidden("This account is not active", code="ACCOUNT_INACTIVE")
    if not account.email_verified:
        raise Forbidden("Confirm your e-mail address with the code we sent first", code="EMAIL_NOT_VERIFIED")
    throttle.clear_account(store, email)
    with store.session() as s:
        account = s.get(Account, account.id)
        account.last_login_at = utcnow()
        if account.role != "customer":
            account.last_seen_at, account.signed_out_at = utcnow(), None
    ensure_web_login(store, account)
    return SignedIn(account, new_session(store, settings, secret, account))


def _second_factor(store: Store, email: str, ip: str, account: Account, code: Optional[str]) -> None:
    if not code:
        raise Unauthorized("Enter the code of your authenticator app", code="TOTP_REQUIRED")
    with store.session() as s:
        row = s.get(Account, account.id, with_for_update=True)
        step = totp.accepted_step(row.totp_secret or "", code, row.totp_last_counter)
        if step is not None:
            row.totp_last_counter = step
    if step is None:
        throttle.record_failure(store, email, ip)
        raise Unauthorized("Wrong or used authenticator code", code="INVALID_TOTP")


def new_session(store: Store, settings: Settings, secret: str, account: Account,
                family: Optional[str] = None) -> TokenPair:  # fmt: skip
    """An access token and a refresh token (a new session, or the next one of ``family``)."""
    refresh, digest = new_refresh_token()
    expires = utcnow() + timedelta(days=settings.refresh_token_days)
    with store.session() as s:
        s.add(RefreshToken(account_id=account.id, family_id=family or uuid.uuid4().hex,
                           token_sha256=digest, expires_at=expires))  # fmt: skip
    sub = subject(account.id, account.role, account.customer_id)
    access, ttl = issue_access(
        secret, account.id, sub, account.role, account.name, settings.access_token_minutes
    )
    return {"access_token": access, "refresh_token": refresh, "token_type": "Bearer", "expires_in": ttl}


def refresh(store: Store, settings: Settings, secret: str, token: str) -> SignedIn:
    now = utcnow()
    with store.session() as s:
        row = s.scalars(sa.select(RefreshToken).where(RefreshToken.token_sha256 == sha256(token))).first()
        if row is None or row.revoked_at is not None or row.expires_at <= now:
            raise_invalid = True
        elif row.used_at is not None:  # replayed: someone else holds the session too
            _revoke_family(s, row.family_id, now)
            raise_invalid = True
        else:
            raise_invalid = False
            row.used_at = now
            account, family = s.get(Account, row.account_id), row.family_id
    if raise_invalid:
        raise Unauthorized("Invalid or expired refresh token", code="INVALID_REFRESH_TOKEN")
    if account is None or account.status != "active":
        raise Unauthorized("This account is not active", code="ACCOUNT_INACTIVE")
    return SignedIn(account, new_session(store, settings, secret, account, family))


def logout(store: Store, principal: Principal, refresh_token: Optional[str]) -> int:
    """Revokes the caller's access token and their session (all sessions without a refresh
    token); returns how many sessions ended."""
    now = utcnow()
    with store.session() as s:
        if principal.jti and s.get(RevokedToken, principal.jti) is None:
            expires = datetime.utcfromtimestamp(principal.token_expires_at or 0)
            s.add(RevokedToken(jti=principal.jti, account_id=principal.id, expires_at=expires))
        query = sa.select(RefreshToken).where(
            RefreshToken.account_id == principal.id, RefreshToken.revoked_at.is_(None)
        )
        if refresh_token:
            row = s.scalars(
                sa.select(RefreshToken).where(RefreshToken.token_sha256 == sha256(refresh_token))
            ).first()
            if row is None or row.account_id != principal.id:
                raise ApiError("That refresh token is not yours", code="INVALID_REFRESH_TOKEN", status=400)
            query = query.where(RefreshToken.family_id == row.family_id)
        families = {row.family_id for row in s.scalars(query)}
        for family in families:
            _revoke_family(s, family, now)
        account = s.get(Account, principal.id)
        if account is not None:
            account.signed_out_at = now
    return len(families)


def revoke_all(store: Store, account_id: str) -> None:
    """Ends every session of the account (deactivation, role change)."""
    with store.session() as s:
        s.execute(sa.update(RefreshToken).where(RefreshToken.account_id == account_id,
                                                RefreshToken.revoked_at.is_(None)).values(revoked_at=utcnow()))  # fmt: skip


def _revoke_family(s: sa.orm.Session, family: str, now: datetime) -> None:
    s.execute(sa.update(RefreshToken).where(RefreshToken.family_id == family, RefreshToken.revoked_at.is_(None))
              .values(revoked_at=now))  # fmt: skip
