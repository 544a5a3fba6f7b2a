"""GDPR requests about a person: export everything stored about them, or erase it.

Erasure removes the account and its sessions, the customer's profile (the store's customer row
is anonymised: orders stay for the books, without their delivery address), the web logins
linked to them, their conversations with every tracker event, notes and status history, what
the assistant recorded in those conversations (feedback, codes, effects, handoffs), e-mails
to the address, ticket texts, and the customer's memories, personalization profile and
behaviour events (with the memory cache in Redis). The audit record keeps who erased whom and when, with the ids and a SHA-256
of the address only. Tracker events go first: a failure part-way leaves the request to run
again (everything it does can be done twice)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Dict, List, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Session

from admin_api.errors import ApiError, NotFoundError
from admin_api.security.principal import Principal
from admin_api.security.tokens import sha256
from assistant.conversations.tracker_events import TrackerEvents
from assistant.memory.cache import MemoryCache
from assistant.store import Store
from assistant.store.account_models import Account, GdprAudit, LoginFailure, RefreshToken, RevokedToken
from assistant.store.conversation_models import Conversation, ConversationNote, ConversationStatusChange
from assistant.store.memory_models import BehaviorEvent, CustomerProfile, Memory
from assistant.store.models import (
    AccountToken,
    ChannelIdentity,
    Customer,
    EffectRecord,
    FailedAttempt,
    Feedback,
    Handoff,
    Order,
    OutboundEmail,
    Refund,
    ReturnRequest,
    Subscription,
    Ticket,
    VerificationCode,
)

HIDDEN = {
    "password_hash",
    "email_code_hash",
    "totp_secret",
    "secret",
    "code_hash",
    "token_sha256",
    "key_sha256",
}
BY_CONVERSATION = (EffectRecord, Feedback, FailedAttempt, VerificationCode, Handoff, ConversationNote,
                   ConversationStatusChange)  # fmt: skip


def erase(store: Store, tracker: TrackerEvents, actor: Principal, user_id: str,
          cache: Optional[MemoryCache] = None) -> Dict[str, Any]:  # fmt: skip
    account = _account(store, user_id)
    if account.id == actor.id:
        raise ApiError("You cannot erase yourself", code="SELF_CHANGE_NOT_ALLOWED", status=409)
    conversations = _conversation_ids(store, account.customer_id)
    events = tracker.delete(conversations)
    with store.transaction() as s:
        counts = {"tracker_events": events, "conversations": len(conversations), "memories": 0}
        if account.customer_id is not None:
            counts.update(_erase_memories(s, account.customer_id))
        counts.update(_erase_conversations(s, conversations))
        if account.customer_id is not None:
            counts.update(_erase_customer(s, account.customer_id, account.email))
        _erase_account(s, account)
        if account.customer_id is not None and cache is not None:
            store.after_commit(lambda: cache.drop(account.customer_id))
        audit = GdprAudit(action="erase", actor_id=actor.id, actor_role=actor.role, subject_account_id=account.id,
                          subject_customer_id=account.customer_id, subject_email_sha256=sha256(account.email),
                          details=counts)  # fmt: skip
        s.add(audit)
        s.flush()
        return audit_view(audit)


def export(store: Store, tracker: TrackerEvents, actor: Principal, user_id: str) -> Dict[str, Any]:
    account = _account(store, user_id)
    conversations = _conversation_ids(store, account.customer_id)
    with store.session() as s:
        data: Dict[str, Any] = {"account": row_dict(account), "generated_at": _iso(datetime.utcnow())}
        if account.customer_id is not None:
            data.update(_customer_data(s, account.customer_id, account.email))
        data["conversations"] = [_conversation_data(s, tracker, cid) for cid in conversations]
        s.add(GdprAudit(action="export", actor_id=actor.id, actor_role=actor.role, subject_account_id=account.id,
                        subject_customer_id=account.customer_id, subject_email_sha256=sha256(account.email),
                        details={"conversations": len(conversations)}))  # fmt: skip
    return data


def audit_log(store: Store, page: int, limit: int) -> tuple:
    with store.session() as s:
        total = s.scalar(sa.select(sa.func.count(GdprAudit.id))) or 0
        rows = s.scalars(
            sa.select(GdprAudit).order_by(GdprAudit.id.desc()).offset((page - 1) * limit).limit(limit)
        )
        return [audit_view(row) for row in rows], int(total)


def audit_view(row: GdprAudit) -> Dict[str, Any]:
    return row_dict(row)


def row_dict(row: Any) -> Dict[str, Any]:
    """A row's columns as JSON values, without hashes and secrets."""
    return {c.name: _json(getattr(row, c.name)) for c in row.__table__.columns if c.name not in HIDDEN}


def _account(store: Store, user_id: str) -> Account:
    with store.session() as s:
        account = s.get(Account, user_id)
    if account is None:
        raise NotFoundError("No such user", code="USER_NOT_FOUND")
    if account.role == "admin":
        with store.session() as s:
            others = s.scalar(sa.select(sa.func.count(Account.id)).where(
                Account.role == "admin", Account.status == "active", Account.id != account.id))  # fmt: skip
        if not others:
            raise ApiError("The last active admin must stay", code="LAST_ADMIN", status=409)
    return account


def _conversation_ids(store: Store, customer_id: Any) -> List[str]:
    if customer_id is None:
        return []
    with store.session() as s:
        return list(s.scalars(sa.select(Conversation.id).where(Conversation.customer_id == customer_id)))


def _erase_conversations(s: Session, ids: List[str]) -> Dict[str, int]:
    counts: Dict[str, int] = {}
    if not ids:
        return counts
    for model in BY_CONVERSATION:
        result = s.execute(sa.delete(model).where(model.conversation_id.in_(ids)))
        counts[model.__tablename__] = int(result.rowcount or 0)
    s.execute(
        sa.update(Ticket)
        .where(Ticket.conversation_id.in_(ids))
        .values(description="[erased]", conversation_id=None)
    )
    s.execute(sa.delete(Conversation).where(Conversation.id.in_(ids)))
    return counts


def _erase_customer(s: Session, customer_id: int, email: str) -> Dict[str, int]:
    customer = s.get(Customer, customer_id)
    address = customer.email if customer is not None else email
    mails = s.execute(sa.delete(OutboundEmail).where(OutboundEmail.to_address.in_({address, email})))
    s.execute(sa.delete(ChannelIdentity).where(ChannelIdentity.customer_id == customer_id))
    s.execute(sa.delete(AccountToken).where(AccountToken.customer_id == customer_id))
    s.execute(sa.delete(VerificationCode).where(sa.or_(VerificationCode.customer_id == customer_id,
                                                       VerificationCode.address.in_({address, email}))))  # fmt: skip
    s.execute(
        sa.update(Ticket)
        .where(Ticket.customer_id == customer_id)
        .values(description="[erased]", customer_id=None)
    )
    s.execute(
        sa.update(Order)
        .where(Order.customer_id == customer_id)
        .values(shipping_address=None, shipping_postcode=None)
    )
    if customer is not None:
        customer.name, customer.email = "Erased customer", f"erased-{customer_id}@erased.invalid"
        customer.phone = customer.address = customer.postcode = None
        customer.erasure_scheduled_for = None
    return {"emails": int(mails.rowcount or 0), "customer_anonymised": 1 if customer is not None else 0}


def _erase_memories(s: Session, customer_id: int) -> Dict[str, int]:
    """The customer's memories, profile and behaviour events (the cache entry goes after commit)."""
    counts = {}
    for model, key in ((Memory, "memories"), (CustomerProfile, "personalization_profiles"),
                       (BehaviorEvent, "behavior_events")):  # fmt: skip
        counts[key] = int(s.execute(sa.delete(model).where(model.customer_id == customer_id)).rowcount or 0)
    return counts


def _erase_account(s: Session, account: Account) -> None:
    s.execute(sa.delete(RefreshToken).where(RefreshToken.account_id == account.id))
    s.execute(sa.delete(RevokedToken).where(RevokedToken.account_id == account.id))
    s.execute(sa.delete(LoginFailure).where(LoginFailure.scope == f"account:{account.email}"))
    s.execute(
        sa.update(ConversationNote)
        .where(ConversationNote.author_id == account.id)
        .values(author_name="erased user")
    )
    s.execute(sa.delete(Account).where(Account.id == account.id))


def _customer_data(s: Session, customer_id: int, email: str) -> Dict[str, Any]:
    def rows(model: Any, *where: Any) -> List[Dict[str, Any]]:
        return [row_dict(r) for r in s.scalars(sa.select(model).where(*where))]

    orders = rows(Order, Order.customer_id == customer_id)
    order_ids = [o["id"] for o in orders]
    customer = s.get(Customer, customer_id)
    return {
        "customer": row_dict(customer) if customer else None,
        "orders": orders,
        "returns": rows(ReturnRequest, ReturnRequest.order_id.in_(order_ids)),
        "refunds": rows(Refund, Refund.order_id.in_(order_ids)),
        "subscription": rows(Subscription, Subscription.customer_id == customer_id),
        "tickets": rows(Ticket, Ticket.customer_id == customer_id),
        "channel_identities": rows(ChannelIdentity, ChannelIdentity.customer_id == customer_id),
        "emails": rows(OutboundEmail, OutboundEmail.to_address == (customer.email if customer else email)),
        "memories": rows(Memory, Memory.customer_id == customer_id),
        "personalization_profile": rows(CustomerProfile, CustomerProfile.customer_id == customer_id),
        "behavior_events": rows(BehaviorEvent, BehaviorEvent.customer_id == customer_id),
    }


def _conversation_data(s: Session, tracker: TrackerEvents, conversation_id: str) -> Dict[str, Any]:
    conversation = s.get(Conversation, conversation_id)
    where = ConversationStatusChange.conversation_id == conversation_id
    return {
        "conversation": row_dict(conversation) if conversation else {"id": conversation_id},
        "transcript": tracker.transcript(conversation_id),
        "status_changes": [row_dict(r) for r in s.scalars(sa.select(ConversationStatusChange).where(where))],
        "feedback": [
            row_dict(r)
            for r in s.scalars(sa.select(Feedback).where(Feedback.conversation_id == conversation_id))
        ],
    }


def _json(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return _iso(value)
    if isinstance(value, Decimal):
        return str(value)
    return value


def _iso(value: Any) -> str:
    return value.isoformat() + ("Z" if isinstance(value, datetime) else "")
