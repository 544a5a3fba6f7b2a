"""Customers register themselves: the account waits until they prove the e-mail address with
the 6-digit code we send (through the outbox), then it is linked to the store's customer with
that address (or a new one) and to their web login ``customer-<id>`` (``channel_identities``,
channel ``webchat``), so that their token works on the web channel as that customer.

The answer to a registration is the same whether or not the address has an account already,
so registering cannot be used to learn who is a customer."""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from admin_api.errors import ApiError, Unauthorized
from admin_api.security.passwords import hash_secret, verify_secret
from admin_api.security.tokens import subject
from assistant.identity import links
from assistant.store import Store
from assistant.store.account_models import Account
from assistant.store.models import Customer, OutboundEmail, utcnow

CODE_LIFETIME = timedelta(minutes=30)
MAX_CODE_ATTEMPTS = 5


def register(store: Store, email: str, password: str, name: str) -> None:
    """Creates (or renews, while unverified) the customer's account and e-mails a code."""
    email = email.strip().lower()
    with store.session() as s:
        account = s.scalars(sa.select(Account).where(Account.email == email)).first()
        if account is not None and account.email_verified:
            s.add(_already_registered_email(account))
            return
        if account is None:
            account = Account(
                id=uuid.uuid4().hex, email=email, role="customer", status="active", preferences={}
            )
            s.add(account)
        account.name, account.password_hash = name.strip(), hash_secret(password)
        _new_code(s, account)


def verify_email(store: Store, email: str, code: str, password: str) -> Account:
    """Checks the e-mailed code (and the password chosen with it), then links the customer."""
    email = email.strip().lower()
    with store.session() as s:
        account = s.scalars(sa.select(Account).where(Account.email == email)).first()
        if account is None or account.email_verified or not account.email_code_hash:
            raise Unauthorized("Wrong or expired code", code="INVALID_CODE")
        if account.email_code_attempts >= MAX_CODE_ATTEMPTS or account.email_code_expires_at < utcnow():
            raise Unauthorized("Wrong or expired code: register again for a new one", code="INVALID_CODE")
        account.email_code_attempts += 1
        matched = verify_secret(account.email_code_hash, code) and verify_secret(
            account.password_hash, password
        )
        if matched:  # a wrong code still counts (committed) against the code's attempts
            account.email_verified, account.email_code_hash = True, None
            link_customer(s, account)
    if not matched:
        raise Unauthorized("Wrong or expired code", code="INVALID_CODE")
    ensure_web_login(store, account)
    return account


def link_customer(s: Session, account: Account) -> None:
    """Links a customer account to the store's customer with its e-mail, or a new customer."""
    if account.role != "customer" or account.customer_id is not None:
        return
    customer = s.scalars(sa.select(Customer).where(Customer.email == account.email)).first()
    if customer is None:
        customer = Customer(name=account.name, email=account.email)
        s.add(customer)
        s.flush()
    taken = s.scalars(sa.select(Account.id).where(Account.customer_id == customer.id)).first()
    if taken is not None and taken != account.id:
        raise ApiError("That customer already has an account", code="CUSTOMER_TAKEN", status=409)
    account.customer_id = customer.id


def ensure_web_login(store: Store, account: Account) -> None:
    """The link the web channel resolves a customer's token through (``sub`` -> customer)."""
    if account.role == "customer" and account.customer_id is not None and account.email_verified:
        web_login = subject(account.id, account.role, account.customer_id)
        links.link(store, links.WEBCHAT, web_login, account.customer_id, "jwt")


def _new_code(s: Session, account: Account) -> None:
    code = f"{secrets.randbelow(1_000_000):06d}"
    account.email_code_hash = hash_secret(code)
    account.email_code_expires_at = utcnow() + CODE_LIFETIME
    account.email_code_attempts = 0
    body = (f"Hi {account.name},\n\nYour Northwind sign-up code is {{secret}}.\n\nEnter it within "
            "30 minutes to finish creating your account. If you didn't sign up, ignore this e-mail.\n")  # fmt: skip
    s.add(OutboundEmail(kind="signup_code", to_address=account.email, subject="Your Northwind sign-up code",
                        body=body, secret=code))  # fmt: skip


def _already_registered_email(account: Account) -> OutboundEmail:
    body = (f"Hi {account.name},\n\nSomeone tried to create a Northwind account with this address, "
            "which already has one. If it was you, sign in instead (or reset your password).\n")  # fmt: skip
    return OutboundEmail(kind="notice", to_address=account.email, subject="Your Northwind account", body=body)
