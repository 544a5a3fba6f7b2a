"""Seeds the store with realistic demo rows: ``python -m assistant.store.seed [--reset]``.

A handful of well-known rows (documented in the README) make every flow easy to try; a few
hundred generated ones make the data look like a real shop's. Dates are relative to today so
that the demo's return windows and deliveries always make sense. Seeding an already seeded
database does nothing unless ``--reset`` is given.
"""

from __future__ import annotations

import argparse
import random
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Dict, List, Optional

import sqlalchemy as sa

from assistant.settings import get_settings
from assistant.store import Store, build_store
from assistant.store.models import (
    PLAN_PRICES,
    ChannelIdentity,
    Customer,
    Order,
    Refund,
    ReturnRequest,
    Subscription,
)
from assistant.store.repository import create_db_engine

CATALOGUE = [
    ("Trail running shoes", 129.0), ("Waterproof rain jacket", 189.0), ("Merino wool socks", 19.0),
    ("Hiking boots", 159.0), ("Day backpack 25L", 89.0), ("Insulated water bottle", 29.0),
    ("USB-C phone charger", 25.0), ("Wireless earbuds", 99.0), ("Fleece hoodie", 69.0),
    ("Yoga mat", 39.0), ("Camping headlamp", 35.0), ("Down sleeping bag", 249.0),
    ("Sunglasses", 79.0), ("Cotton T-shirt", 24.0), ("Denim jeans", 74.0),
]  # fmt: skip
CARRIERS = ("UPS", "DHL", "FedEx", "USPS")
FIRST = ("Anna Ben Carla David Elif Farah Georg Hana Ivan Julia Kofi Lena Marco Nina Oscar Priya "
         "Quinn Rosa Sam Tariq Uma Victor Wen Xenia Yusuf Zoe").split()  # fmt: skip
LAST = ("Smith Garcia Müller Rossi Novak Kim Okafor Silva Jensen Dubois Tanaka Kowalski Ahmed "
        "Larsen Moreau").split()  # fmt: skip

DEMO_CUSTOMERS = [
    # id, name, email, phone, tier, plan, address, postcode
    (1, "Jane Doe", "jane.doe@example.com", "+1 555 0101", "gold", "premium", "12 Market Street, Springfield", "62701"),
    (2, "Omar Haddad", "omar.haddad@example.com", "+1 555 0102", "silver", "basic", "48 Cedar Avenue, Springfield", "62704"),
    (3, "Mei Chen", "mei.chen@example.com", "+44 20 7946 0103", "standard", "enterprise", "221B Baker Street, London", "NW1 6XE"),
    (4, "Lukas Schmidt", "lukas.schmidt@example.com", "+49 30 555 0104", "standard", None, "Friedrichstrasse 43, Berlin", "10117"),
]  # fmt: skip
# The web logins (JWT subjects) of the demo customers, linked to them as signed-in identities.
DEMO_WEB_LOGINS = {1: "customer-1", 2: "customer-2", 3: "customer-3", 4: "customer-4"}


def _demo_orders(today: date) -> List[Dict]:
    """The documented demo orders: one per situation a flow must handle."""
    t = datetime.combine(today, datetime.min.time()) + timedelta(hours=10)
    return [
        dict(id=48213, customer_id=1, items=[0, 2], status="shipped", carrier="UPS",
             tracking_number="1Z999AA10123456784", placed_at=t - timedelta(days=3),
             shipped_at=t - timedelta(days=2), estimated_delivery=today + timedelta(days=2)),
        dict(id=10001, customer_id=1, items=[5], status="processing", placed_at=t - timedelta(hours=20),
             estimated_delivery=today + timedelta(days=5)),
        dict(id=1234567, customer_id=1, items=[7], status="delivered", carrier="DHL",
             tracking_number="JD014600003828481234", placed_at=t - timedelta(days=24),
             shipped_at=t - timedelta(days=23), delivered_at=t - timedelta(days=20)),
        dict(id=20002, customer_id=2, items=[1], status="delivered", carrier="FedEx",
             tracking_number="794612345678", placed_at=t - timedelta(days=9),
             shipped_at=t - timedelta(days=8), delivered_at=t - timedelta(days=5)),
        dict(id=30003, customer_id=2, items=[3], status="delivered", carrier="USPS",
             tracking_number="9400111899223344556677", placed_at=t - timedelta(days=66),
             shipped_at=t - timedelta(days=65), delivered_at=t - timedelta(days=60)),
        dict(id=40004, customer_id=3, items=[11], status="cancelled", placed_at=t - timedelta(days=12),
             cancelled_at=t - timedelta(days=11)),
        dict(id=50005, customer_id=3, items=[4, 9], status="returned", carrier="UPS",
             tracking_number="1Z999AA10123450005", placed_at=t - timedelta(days=30),
             shipped_at=t - timedelta(days=29), delivered_at=t - timedelta(days=26)),
        dict(id=87654321, customer_id=4, items=[8], status="shipped", carrier="DHL",
             tracking_number="JD014600003828487654", placed_at=t - timedelta(days=2),
             shipped_at=t - timedelta(days=1), estimated_delivery=today + timedelta(days=3)),
    ]  # fmt: skip


def order_row(spec: Dict) -> Order:
    """An order row from a short spec (catalogue item indexes for ``items``; the total follows)."""
    items = [{"name": CATALOGUE[i][0], "quantity": 1, "price": CATALOGUE[i][1]} for i in spec["items"]]
    total = Decimal(str(sum(item["price"] for item in items)))
    return Order(**{**spec, "items": items, "total": total})


def _demo_rows(today: date) -> List:
    rows: List = []
    for cid, name, email, phone, tier, plan, address, postcode in DEMO_CUSTOMERS:
        rows.append(Customer(id=cid, name=name, email=email, phone=phone, tier=tier,
                             address=address, postcode=postcode))  # fmt: skip
        rows.append(ChannelIdentity(channel="webchat", external_id=DEMO_WEB_LOGINS[cid], customer_id=cid,
                                    verified_by="jwt", verified_at=datetime.utcnow()))  # fmt: skip
        if plan:
            rows.append(_subscription(cid, plan, today))
    rows += [order_row(spec) for spec in _demo_orders(today)]
    t = datetime.combine(today, datetime.min.time())
    rows.append(Refund(order_id=40004, amount=Decimal("35.00"), status="completed",
                       created_at=t - timedelta(days=11), completed_at=t - timedelta(days=8)))  # fmt: skip
    rows.append(ReturnRequest(rma="RMA-5A0C0005", order_id=50005, reason="Wrong size",
                              status="received", created_at=t - timedelta(days=20)))  # fmt: skip
    rows.append(Refund(order_id=50005, amount=Decimal("158.00"), status="processing",
                       created_at=t - timedelta(days=3)))  # fmt: skip
    return rows


def _subscription(customer_id: int, plan: str, today: date) -> Subscription:
    return Subscription(customer_id=customer_id, plan=plan, status="active",
                        monthly_price=Decimal(str(PLAN_PRICES[plan])),
                        renews_on=today + timedelta(days=(customer_id * 7) % 28 + 1))  # fmt: skip


def _generated_rows(today: date, rng: random.Random, customers: int = 60) -> List:
    rows: List = []
    used_ids = {spec["id"] for spec in _demo_orders(today)}
    t = datetime.combine(today, datetime.min.time())
    for cid in range(100, 100 + customers):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        rows.append(Customer(id=cid, name=f"{first} {last}", tier=rng.choice(("standard", "silver", "gold")),
                             email=f"{first}.{last}.{cid}@example.net".lower(),
                             phone=f"+1 555 {rng.randint(1000, 9999)}",
                             address=f"{rng.randint(1, 999)} Elm Road, Riverside",
                             postcode=f"{92400 + cid}"))  # fmt: skip
        if rng.random() < 0.6:
            rows.append(_subscription(cid, rng.choice(("basic", "premium", "enterprise")), today))
        for _ in range(rng.randint(1, 5)):
            order_id = rng.randint(10_000, 99_999_999)
            while order_id in used_ids:
                order_id = rng.randint(10_000, 99_999_999)
            used_ids.add(order_id)
            rows.append(_generated_order(order_id, cid, t - timedelta(days=rng.randint(0, 120)), rng))
    return rows


def _generated_order(order_id: int, customer_id: int, placed: datetime, rng: random.Random) -> Order:
    age = (datetime.now() - placed).days
    status = (
        "processing"
        if age < 1
        else rng.choice(("shipped",) * 2 + ("delivered",) * 6 + ("cancelled", "returned"))
    )
    spec: Dict = dict(id=order_id, customer_id=customer_id, status=status, placed_at=placed,
                      items=rng.sample(range(len(CATALOGUE)), rng.randint(1, 3)))  # fmt: skip
    if status in ("shipped", "delivered", "returned"):
        spec.update(carrier=rng.choice(CARRIERS), tracking_number=f"TRK{order_id:010d}",
                    shipped_at=placed + timedelta(days=1))  # fmt: skip
        spec["estimated_delivery"] = (placed + timedelta(days=5)).date()
    if status in ("delivered", "returned"):
        spec["delivered_at"] = placed + timedelta(days=rng.randint(2, 6))
    if status == "cancelled":
        spec["cancelled_at"] = placed + timedelta(hours=5)
    return order_row(spec)


def seed(store: Store, reset: bool = False, today: Optional[date] = None) -> bool:
    """Fills an empty store with demo data; returns False when it was already seeded."""
    today = today or date.today()
    if reset:
        store.drop_schema()
        store.create_schema()
    with store.session() as s:
        if s.scalar(sa.select(sa.func.count(Customer.id))):
            return False
        demo = _demo_rows(today)
        s.add_all([row for row in demo if isinstance(row, Customer)])
        s.flush()
        s.add_all([row for row in demo if not isinstance(row, Customer)])
        generated = _generated_rows(today, random.Random(42))
        s.add_all([row for row in generated if isinstance(row, Customer)])
        s.flush()
        s.add_all([row for row in generated if not isinstance(row, Customer)])
        s.flush()
        _ship_to_customers_addresses(s)
        _advance_customer_ids(s)
    return True


def _advance_customer_ids(s: sa.orm.Session) -> None:
    """Customers are seeded with their ids: PostgreSQL's sequence must start past them, or the
    next customer (a sign-up through the admin API) would get a seeded id."""
    if s.get_bind().dialect.name == "postgresql":
        s.execute(
            sa.text(
                "SELECT setval(pg_get_serial_sequence('customers', 'id'), (SELECT MAX(id) FROM customers))"
            )
        )


def _ship_to_customers_addresses(s: sa.orm.Session) -> None:
    """Every seeded order ships to its customer's address on file."""
    on_file = sa.select(Customer).where(Customer.id == Order.customer_id)
    s.execute(
        sa.update(Order).values(
            shipping_address=on_file.with_only_columns(Customer.address).scalar_subquery(),
            shipping_postcode=on_file.with_only_columns(Customer.postcode).scalar_subquery(),
        )
    )


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reset", action="store_true", help="drop and recreate the tables first")
    args = parser.parse_args(argv)
    if args.reset:
        store = Store(create_db_engine(get_settings().database_url))
        store.drop_schema()
    seeded = seed(build_store(), reset=args.reset)
    print("Seeded the demo store." if seeded else "The store already has data; left it as it is.")


if __name__ == "__main__":
    main()
