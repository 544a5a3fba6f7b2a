"""The store's business operations over SQLAlchemy, used by the actions and the admin API.

Every method opens a short session, commits, and returns detached rows, so callers never hold
a connection between conversation turns. Inside ``Store.transaction()`` the methods instead join
that one transaction, so several calls (and a record of them) commit together or not at all.
"""

from __future__ import annotations

import hashlib
import secrets
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Callable, Iterator, List, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload, sessionmaker

from assistant.redaction import redact_card_numbers
from assistant.store.errors import NotAllowed, NotFound
from assistant.store.models import (
    PLAN_PRICES,
    PLANS,
    AccountToken,
    Base,
    Customer,
    Feedback,
    Handoff,
    Order,
    OutboundEmail,
    Refund,
    ReturnRequest,
    Subscription,
    Ticket,
    utcnow,
)
from assistant.store.outbox import OutboxOperations

RETENTION_DISCOUNT_PERCENT = 25
RETENTION_MONTHS = 3
ERASURE_GRACE_DAYS = 30
LINK_LIFETIME = timedelta(hours=1)


@dataclass
class _Transaction:
    """The transaction that store calls of the current task join, and what runs after it commits."""

    store: Store
    session: Session
    after_commit: List[Callable[[], object]] = field(default_factory=list)


_current: ContextVar[Optional[_Transaction]] = ContextVar("store_transaction", default=None)


def create_db_engine(url: str) -> sa.engine.Engine:
    """An engine for ``url``; SQLite gets a busy timeout so two processes can share the file."""
    if url.startswith("sqlite"):
        return sa.create_engine(url, connect_args={"timeout": 15, "check_same_thread": False})
    return sa.create_engine(
        url, pool_pre_ping=True, pool_size=5, max_overflow=10, connect_args={"connect_timeout": 3}
    )  # a server going down fails fast, then is retried


class Store(OutboxOperations):
    """Business data access. Build it with an engine; ``create_schema`` makes the tables."""

    def __init__(self, engine: sa.engine.Engine, return_window_days: int = 30) -> None:
        self.engine = engine
        self.return_window_days = return_window_days
        self._sessions = sessionmaker(bind=engine, expire_on_commit=False, future=True)

    def create_schema(self) -> None:
        """Every table of the models at once (tests, demo reset); the same schema as the
        migrations produce (tests/admin_api/test_migrations.py checks it)."""
        Base.metadata.create_all(self.engine)

    def drop_schema(self) -> None:
        """Every table, and the migrations' version with them."""
        Base.metadata.drop_all(self.engine)
        with self.engine.begin() as connection:
            connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))

    def missing_columns(self) -> List[str]:
        """``table.column`` of every model column the database's tables lack."""
        inspector = sa.inspect(self.engine)
        missing = []
        for table in Base.metadata.sorted_tables:
            present = {column["name"] for column in inspector.get_columns(table.name)}
            missing += [f"{table.name}.{c.name}" for c in table.columns if c.name not in present]
        return missing

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits at the end, or the session of the ``transaction()`` in progress
        (which then commits or rolls back everything at its own end). Store methods check
        before they change anything, so one that raises leaves nothing behind in a transaction."""
        joined = self._joined()
        if joined is not None:
            yield joined.session
            return
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """Runs every store call made inside it (in this task) in one transaction: all of it
        commits, or nothing does. Callbacks given to ``after_commit`` run once it committed."""
        joined = self._joined()
        if joined is not None:
            yield joined.session
            return
        with self.session() as session:
            transaction = _Transaction(self, session)
            token = _current.set(transaction)
            try:
                yield session
            finally:
                _current.reset(token)
        for callback in transaction.after_commit:
            callback()

    def after_commit(self, callback: Callable[[], object]) -> None:
        """Runs ``callback`` once the transaction in progress commits (at once without one):
        for what cannot be rolled back, such as sending an e-mail."""
        joined = self._joined()
        if joined is None:
            callback()
        else:
            joined.after_commit.append(callback)

    def in_transaction(self) -> bool:
        """True inside ``transaction()`` (in this task)."""
        return self._joined() is not None

    def _joined(self) -> Optional[_Transaction]:
        current = _current.get()
        return current if current is not None and current.store is self else None

    # --- customers -------------------------------------------------------------------------

    def customer_by_email(self, email: str) -> Optional[Customer]:
        with self.session() as s:
            return s.scalars(sa.select(Customer).where(Customer.email == email.lower())).first()

    def get_customer(self, customer_id: int) -> Optional[Customer]:
        with self.session() as s:
            return s.get(Customer, customer_id)

    def _customer(self, s: Session, customer_id: int) -> Customer:
        customer = s.get(Customer, customer_id)
        if customer is None:
            raise NotFound(f"customer {customer_id} not found")
        return customer

    def update_customer(self, customer_id: int, field: str, value: str) -> Customer:
        if field not in ("email", "phone", "name", "address"):
            raise NotAllowed("unknown_field", f"{field} cannot be changed here")
        with self.session() as s:
            customer = self._customer(s, customer_id)
            if field == "email":
                value = value.lower()
                taken = s.scalars(sa.select(Customer.id).where(Customer.email == value)).first()
                if taken is not None and taken != customer_id:
                    raise NotAllowed("email_taken", "that e-mail belongs to another account")
            setattr(customer, field, redact_card_numbers(value))
            return customer

    def schedule_erasure(self, customer_id: int, today: Optional[date] = None) -> date:
        """Schedules the account's erasure after a grace period, during which it can be undone."""
        when = (today or date.today()) + timedelta(days=ERASURE_GRACE_DAYS)
        with self.session() as s:
            customer = self._customer(s, customer_id)
            customer.erasure_scheduled_for = when
            if customer.subscription and customer.subscription.status == "active":
                customer.subscription.status = "cancelled"
                customer.subscription.cancelled_at = utcnow()
        return when

    # --- orders ----------------------------------------------------------------------------

    def get_order(self, order_id: int) -> Optional[Order]:
        """The order with its returns and refunds loaded (usable after the session ends)."""
        with self.session() as s:
            options = [selectinload(Order.returns), selectinload(Order.refunds), selectinload(Order.customer)]
            return s.get(Order, order_id, options=options)

    def recent_orders(self, customer_id: int, limit: int = 3) -> List[Order]:
        """The customer's latest orders, newest first."""
        with self.session() as s:
            query = sa.select(Order).where(Order.customer_id == customer_id)
            return list(s.scalars(query.order_by(Order.placed_at.desc(), Order.id.desc()).limit(limit)))

    def cancel_order(self, order_id: int) -> Order:
        with self.session() as s:
            order = s.get(Order, order_id, with_for_update=True)
            if order is None:
                raise NotFound(f"order {order_id} not found")
            if order.status != "processing":
                raise NotAllowed(order.status, f"order {order_id} is {order.status}")
            order.status = "cancelled"
            order.cancelled_at = utcnow()
            s.add(Refund(order_id=order.id, amount=order.total, status="processing"))
            return order

    def create_return(self, order_id: int, reason: str, today: Optional[date] = None) -> str:
        """Opens a return for a delivered order inside the return window; returns its RMA."""
        today = today or date.today()
        with self.session() as s:
            order = s.get(Order, order_id, with_for_update=True)
            if order is None:
                raise NotFound(f"order {order_id} not found")
            if any(r.status != "rejected" for r in order.returns):
                raise NotAllowed("already_requested", order.returns[0].rma)
            if order.status != "delivered" or order.delivered_at is None:
                raise NotAllowed(order.status, f"order {order_id} is {order.status}")
            if (today - order.delivered_at.date()).days > self.return_window_days:
                raise NotAllowed("window_closed", order.delivered_at.date().isoformat())
            rma = _reference("RMA")
            s.add(ReturnRequest(rma=rma, order_id=order_id, reason=redact_card_numbers(reason)))
            s.add(_return_label_email(order, rma, today + timedelta(days=self.return_window_days)))
            return rma

    def return_deadline(self, order: Order) -> Optional[date]:
        if order.delivered_at is None:
            return None
        return order.delivered_at.date() + timedelta(days=self.return_window_days)

    def refunds_for_order(self, order_id: int) -> List[Refund]:
        with self.session() as s:
            if s.get(Order, order_id) is None:
                raise NotFound(f"order {order_id} not found")
            query = sa.select(Refund).where(Refund.order_id == order_id).order_by(Refund.id)
            return list(s.scalars(query))

    # --- subscriptions ---------------------------------------------------------------------

    def subscription_of(self, customer_id: int) -> Optional[Subscription]:
        with self.session() as s:
            query = sa.select(Subscription).where(Subscription.customer_id == customer_id)
            return s.scalars(query).first()

    def _active_subscription(self, s: Session, customer_id: int) -> Subscription:
        query = sa.select(Subscription).where(Subscription.customer_id == customer_id)
        subscription = s.scalars(query).first()
        if subscription is None or subscription.status != "active":
            raise NotAllowed("no_active_subscription", "no active subscription")
        return subscription

    def cancel_subscription(self, customer_id: int) -> Subscription:
        with self.session() as s:
            subscription = self._active_subscription(s, customer_id)
            subscription.status = "cancelled"
            subscription.cancelled_at = utcnow()
            return subscription

    def apply_retention_offer(self, customer_id: int, today: Optional[date] = None) -> Subscription:
        today = today or date.today()
        with self.session() as s:
            subscription = self._active_subscription(s, customer_id)
            if subscription.discount_percent:
                raise NotAllowed("offer_already_used", "a discount is already applied")
            subscription.discount_percent = RETENTION_DISCOUNT_PERCENT
            subscription.discount_until = today + timedelta(days=30 * RETENTION_MONTHS)
            return subscription

    def change_plan(self, customer_id: int, plan: str) -> Subscription:
        if plan not in PLANS:
            raise NotAllowed("unknown_plan", f"{plan} is not a plan")
        with self.session() as s:
            subscription = self._active_subscription(s, customer_id)
            if subscription.plan == plan:
                raise NotAllowed("same_plan", f"already on {plan}")
            subscription.plan = plan
            subscription.monthly_price = Decimal(str(PLAN_PRICES[plan]))
            return subscription

    # --- links sent by e-mail --------------------------------------------------------------

    def send_link(self, customer_id: int, purpose: str, base_url: str) -> OutboundEmail:
        """Creates a single-use token and queues an e-mail with its link to the address on file."""
        token = secrets.token_urlsafe(32)
        digest = hashlib.sha256(token.encode()).hexdigest()
        with self.session() as s:
            customer = self._customer(s, customer_id)
            expires = utcnow() + LINK_LIFETIME
            s.add(
                AccountToken(
                    customer_id=customer_id, purpose=purpose, token_sha256=digest, expires_at=expires
                )
            )
            subject, body = _link_email(purpose, customer.name, f"{base_url}?token={token}")
            mail = OutboundEmail(kind=purpose, to_address=customer.email, subject=subject, body=body)
            s.add(mail)
            return mail

    # --- tickets, feedback, handoff --------------------------------------------------------

    def create_ticket(
        self,
        category: str,
        description: str,
        conversation_id: Optional[str] = None,
        customer_id: Optional[int] = None,
        priority: str = "normal",
    ) -> Ticket:
        ticket = Ticket(
            reference=_reference("TCK"),
            category=category,
            description=redact_card_numbers(description or "")[:4000],
            conversation_id=conversation_id,
            customer_id=customer_id,
            priority=priority,
        )
        with self.session() as s:
            s.add(ticket)
        return ticket

    def tickets_for_conversation(self, conversation_id: str) -> List[Ticket]:
        with self.session() as s:
            query = sa.select(Ticket).where(Ticket.conversation_id == conversation_id)
            return list(s.scalars(query.order_by(Ticket.id)))

    def record_feedback(self, conversation_id: str, rating: int, comment: str = "") -> Feedback:
        if not 1 <= rating <= 5:
            raise NotAllowed("rating_out_of_range", "a rating is 1 to 5")
        feedback = Feedback(
            conversation_id=conversation_id, rating=rating, comment=redact_card_numbers(comment) or None
        )
        with self.session() as s:
            s.add(feedback)
        return feedback

    def request_handoff(self, conversation_id: str, reason: str) -> Handoff:
        """Marks the conversation as waiting for an agent (once; a repeat returns the same)."""
        with self.session() as s:
            query = sa.select(Handoff).where(
                Handoff.conversation_id == conversation_id,
                Handoff.status.in_(("waiting", "assigned")),
            )
            handoff = s.scalars(query).first()
            if handoff is None:
                handoff = Handoff(conversation_id=conversation_id, reason=reason)
                s.add(handoff)
            return handoff

    def open_handoff(self, conversation_id: str) -> Optional[Handoff]:
        with self.session() as s:
            query = sa.select(Handoff).where(
                Handoff.conversation_id == conversation_id,
                Handoff.status.in_(("waiting", "assigned")),
            )
            return s.scalars(query).first()


def _reference(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4).upper()}"


def _return_label_email(order: Order, rma: str, ship_by: date) -> OutboundEmail:
    """The free return label: the RMA and how to send the parcel back."""
    body = (
        f"Hi {order.customer.name},\n\nYour return for order {order.id} is approved.\n\n"
        f"RMA number: {rma}\n\nHow to send it back:\n"
        f"1. Pack the item(s) in their original packaging if you can, and write {rma} on the parcel.\n"
        "2. Print the prepaid UPS return label at https://returns.northwind.example/label/"
        f"{rma} (no printer? show this e-mail at any UPS point).\n"
        f"3. Drop the parcel at any UPS point by {ship_by:%d %b %Y}.\n\n"
        "We refund your original payment method within 5 business days of the item reaching us.\n"
    )
    return OutboundEmail(kind="return_label", to_address=order.customer.email,
                         subject=f"Your Northwind return label ({rma})", body=body)  # fmt: skip


def _link_email(purpose: str, name: str, link: str) -> tuple:
    if purpose == "password_reset":
        return (
            "Reset your Northwind password",
            f"Hi {name},\n\nUse this link within an hour to choose a new password:\n{link}\n",
        )
    return (
        "Update your Northwind payment method",
        f"Hi {name},\n\nUse this secure link within an hour to update your card:\n{link}\n",
    )


__all__ = ["Store", "create_db_engine"]
