"""Admins manage users: list with filters and summary counts, create, read, update (name, role,
status, notes), deactivate. An admin cannot demote, deactivate or erase themself, and the last
active admin stays, so the API cannot lock everyone out."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional, Tuple

import sqlalchemy as sa
from sqlalchemy.orm import Session

from admin_api.accounts.registration import ensure_web_login, link_customer
from admin_api.accounts.sessions import revoke_all
from admin_api.errors import ApiError, NotFoundError
from admin_api.security.passwords import hash_secret
from assistant.store import Store
from assistant.store.account_models import Account
from assistant.store.conversation_models import Conversation
from assistant.store.models import utcnow

ROLES = ("admin", "agent", "customer")
STATUSES = ("active", "inactive", "suspended")


@dataclass
class UserFilters:
    role: Optional[str] = None
    status: Optional[str] = None
    search: Optional[str] = None
    date_from: Optional[datetime] = None
    date_to: Optional[datetime] = None


def list_users(store: Store, f: UserFilters, page: int, limit: int) -> Tuple[List[Tuple[Account, int]], int]:
    conditions = _conditions(f)
    with store.session() as s:
        total = s.scalar(sa.select(sa.func.count(Account.id)).where(*conditions)) or 0
        query = sa.select(Account).where(*conditions).order_by(Account.created_at.desc(), Account.id)
        accounts = list(s.scalars(query.offset((page - 1) * limit).limit(limit)))
        counts = conversation_counts(s, accounts)
    return [(a, counts.get(a.id, 0)) for a in accounts], int(total)


def summary(store: Store, now: datetime) -> Dict[str, int]:
    today = now.replace(hour=0, minute=0, second=0)
    with store.session() as s:

        def count(*where: Any) -> int:
            return int(s.scalar(sa.select(sa.func.count(Account.id)).where(*where)) or 0)

        return {"total_users": count(), "active_users": count(Account.status == "active"),
                "new_users_today": count(Account.created_at >= today),
                "new_users_week": count(Account.created_at >= now - timedelta(days=7)),
                **{f"{role}s": count(Account.role == role) for role in ROLES}}  # fmt: skip


def conversation_counts(s: Session, accounts: List[Account]) -> Dict[str, int]:
    """Customers: their conversations; staff: the conversations they hold."""
    customers = {a.customer_id: a.id for a in accounts if a.customer_id is not None}
    staff = [a.id for a in accounts if a.role != "customer"]
    found: Dict[str, int] = {}
    live = Conversation.deleted_at.is_(None)
    if customers:
        rows = s.execute(sa.select(Conversation.customer_id, sa.func.count()).where(
            Conversation.customer_id.in_(list(customers)), live).group_by(Conversation.customer_id))  # fmt: skip
        found.update({customers[cid]: int(n) for cid, n in rows})
    if staff:
        rows = s.execute(sa.select(Conversation.assignee_id, sa.func.count()).where(
            Conversation.assignee_id.in_(staff), live).group_by(Conversation.assignee_id))  # fmt: skip
        found.update({aid: int(n) for aid, n in rows})
    return found


def create_user(
    store: Store, email: str, name: str, role: str, password: str, notes: Optional[str]
) -> Account:
    """An account an admin makes: its e-mail counts as verified (the admin vouches for it)."""
    email = email.strip().lower()
    with store.session() as s:
        if s.scalars(sa.select(Account.id).where(Account.email == email)).first() is not None:
            raise ApiError(
                "A user with this e-mail exists", {"field": "email"}, code="EMAIL_TAKEN", status=409
            )
        account = Account(id=uuid.uuid4().hex, email=email, name=name.strip(), role=role, status="active",
                          password_hash=hash_secret(password), email_verified=True, notes=notes, preferences={})  # fmt: skip
        s.add(account)
        s.flush()
        link_customer(s, account)
    ensure_web_login(store, account)
    return account


def get_user(store: Store, user_id: str) -> Tuple[Account, int]:
    with store.session() as s:
        account = s.get(Account, user_id)
        if account is None:
            raise NotFoundError("No such user", code="USER_NOT_FOUND")
        return account, conversation_counts(s, [account]).get(account.id, 0)


def update_user(store: Store, actor_id: str, user_id: str, changes: Dict[str, Any]) -> Account:
    with store.session() as s:
        account = s.get(Account, user_id, with_for_update=True)
        if account is None:
            raise NotFoundError("No such user", code="USER_NOT_FOUND")
        _guard_admins(
            s, actor_id, account, changes.get("role", account.role), changes.get("status", account.status)
        )
        if "role" in changes and (changes["role"] == "customer") != (account.role == "customer"):
            raise ApiError("Customers and staff are different accounts", {"field": "role"},
                           code="ROLE_CHANGE_NOT_ALLOWED", status=409)  # fmt: skip
        ended = (
            changes.get("status", account.status) != "active"
            or changes.get("role", account.role) != account.role
        )
        for name in ("name", "role", "status", "notes"):
            if name in changes:
                setattr(account, name, changes[name].strip() if name == "name" else changes[name])
        account.updated_at = utcnow()
    if ended:
        revoke_all(store, user_id)
    return account


def deactivate(store: Store, actor_id: str, user_id: str) -> Account:
    return update_user(store, actor_id, user_id, {"status": "inactive"})


def _guard_admins(s: Session, actor_id: str, account: Account, role: str, status: str) -> None:
    if account.role != "admin" or (role == "admin" and status == "active"):
        return
    if account.id == actor_id:
        raise ApiError("You cannot demote or deactivate yourself", code="SELF_CHANGE_NOT_ALLOWED", status=409)
    others = s.scalar(sa.select(sa.func.count(Account.id)).where(
        Account.role == "admin", Account.status == "active", Account.id != account.id))  # fmt: skip
    if not others:
        raise ApiError("The last active admin must stay", code="LAST_ADMIN", status=409)


def _conditions(f: UserFilters) -> List[Any]:
    c: List[Any] = []
    if f.role:
        c.append(Account.role == f.role)
    if f.status:
        c.append(Account.status == f.status)
    if f.search:
        needle = f"%{f.search.lower().replace('%', '').replace('_', '')}%"
        c.append(sa.or_(sa.func.lower(Account.name).like(needle), sa.func.lower(Account.email).like(needle)))
    if f.date_from:
        c.append(Account.created_at >= f.date_from)
    if f.date_to:
        c.append(Account.created_at <= f.date_to)
    return c
