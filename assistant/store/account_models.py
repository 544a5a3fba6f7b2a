"""Tables of the people who sign in to the admin API (staff and customers), their sessions,
API keys for services, throttling of logins, and the audit trail of GDPR requests. Secrets
are stored only as hashes: argon2 for passwords and e-mail codes, SHA-256 for high-entropy
refresh tokens and API keys."""

from __future__ import annotations

import sqlalchemy as sa

from assistant.store.models import Base, utcnow


class Account(Base):
    """A login: an admin or agent (staff), or a customer linked to the store's customer."""

    __tablename__ = "accounts"

    id = sa.Column(sa.String(32), primary_key=True)
    email = sa.Column(sa.String(255), nullable=False, unique=True, index=True)
    name = sa.Column(sa.String(120), nullable=False)
    role = sa.Column(sa.String(20), nullable=False, index=True)  # admin, agent, customer
    status = sa.Column(sa.String(20), nullable=False, default="active", index=True)
    customer_id = sa.Column(sa.Integer, sa.ForeignKey("customers.id"), unique=True)
    password_hash = sa.Column(sa.String(255), nullable=False)
    email_verified = sa.Column(sa.Boolean, nullable=False, default=False)
    email_code_hash = sa.Column(sa.String(255))
    email_code_expires_at = sa.Column(sa.DateTime)
    email_code_attempts = sa.Column(sa.Integer, nullable=False, default=0)
    totp_secret = sa.Column(sa.String(64))
    totp_enabled = sa.Column(sa.Boolean, nullable=False, default=False)
    totp_last_counter = sa.Column(sa.BigInteger)
    notes = sa.Column(sa.Text)
    preferences = sa.Column(sa.JSON, nullable=False, default=dict)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow, index=True)
    updated_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    last_login_at = sa.Column(sa.DateTime)
    last_seen_at = sa.Column(sa.DateTime)  # staff presence: an agent is signed in while recent
    signed_out_at = sa.Column(sa.DateTime)


class RefreshToken(Base):
    """One refresh token of a session (``family_id``); each use rotates it, and using a rotated
    one again revokes the whole family (a stolen token is refused once either party uses it)."""

    __tablename__ = "refresh_tokens"

    id = sa.Column(sa.Integer, primary_key=True)
    account_id = sa.Column(
        sa.String(32), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True
    )
    family_id = sa.Column(sa.String(32), nullable=False, index=True)
    token_sha256 = sa.Column(sa.String(64), nullable=False, unique=True)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    expires_at = sa.Column(sa.DateTime, nullable=False)
    used_at = sa.Column(sa.DateTime)
    revoked_at = sa.Column(sa.DateTime)


class RevokedToken(Base):
    """An access token revoked before it expired (logout), by its ``jti``."""

    __tablename__ = "revoked_tokens"

    jti = sa.Column(sa.String(64), primary_key=True)
    account_id = sa.Column(sa.String(32), nullable=False)
    expires_at = sa.Column(sa.DateTime, nullable=False, index=True)


class ApiKey(Base):
    """A key for service-to-service calls (``X-API-Key``) with scopes; only its SHA-256 kept."""

    __tablename__ = "api_keys"

    id = sa.Column(sa.String(32), primary_key=True)
    name = sa.Column(sa.String(120), nullable=False)
    prefix = sa.Column(sa.String(16), nullable=False, unique=True)
    key_sha256 = sa.Column(sa.String(64), nullable=False, unique=True)
    scopes = sa.Column(sa.JSON, nullable=False, default=list)
    created_by = sa.Column(sa.String(32))
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    expires_at = sa.Column(sa.DateTime)
    last_used_at = sa.Column(sa.DateTime)
    revoked_at = sa.Column(sa.DateTime)


class LoginFailure(Base):
    """A failed sign-in, counted per account and per client address to throttle guessing."""

    __tablename__ = "login_failures"

    id = sa.Column(sa.Integer, primary_key=True)
    scope = sa.Column(sa.String(300), nullable=False, index=True)  # "account:<email>", "ip:<addr>"
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow, index=True)


class GdprAudit(Base):
    """Who erased or exported whom, and when. Holds no personal data of the subject beyond the
    ids and a SHA-256 of the e-mail address (to match a later request)."""

    __tablename__ = "gdpr_audit"

    id = sa.Column(sa.Integer, primary_key=True)
    action = sa.Column(sa.String(20), nullable=False)  # erase, export
    actor_id = sa.Column(sa.String(64), nullable=False)
    actor_role = sa.Column(sa.String(20), nullable=False)
    subject_account_id = sa.Column(sa.String(32))
    subject_customer_id = sa.Column(sa.Integer)
    subject_email_sha256 = sa.Column(sa.String(64))
    details = sa.Column(sa.JSON, nullable=False, default=dict)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow, index=True)


__all__ = ["Account", "RefreshToken", "RevokedToken", "ApiKey", "LoginFailure", "GdprAudit"]
