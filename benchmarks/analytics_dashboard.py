"""How fast the analytics dashboard answers on a big PostgreSQL database.

Fills a fresh database (migrated like production) with 100,000 conversations over a year (a
quarter handed over, status changes, 15 % rated) and Rasa's ``events`` table (the same columns
and index as Rasa 3.6's SQL tracker store) with 2,000,000 events, all by COPY; then times

- ``Analytics.dashboard`` in-process (the SQL alone) for the last 30 and 90 days, and the full
  report for the last 30 days;
- ``GET /api/admin/analytics/dashboard`` over HTTP against ``python -m admin_api`` (auth, the
  tracker sync check, the envelope), signed in as an admin.

Usage::

    PYTHONPATH=. .venv/bin/python benchmarks/analytics_dashboard.py [--conversations 100000]
        [--events-per-conversation 20] [--days 365] [--runs 30] [--keep]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Sequence

import psycopg2
import requests
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from admin_api.accounts.admin import create_user  # noqa: E402
from assistant.analytics import Analytics, Sources, make_period  # noqa: E402
from assistant.analytics.indexes import drop_index_sql, ensure_event_index  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from assistant.store import build_store  # noqa: E402
from assistant.store.conversation_models import SyncCursor  # noqa: E402

ADMIN_DSN = os.environ.get("BENCH_PG_ADMIN_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=postgres")
URL_TEMPLATE = os.environ.get("BENCH_PG_URL_TEMPLATE", "postgresql://postgres@127.0.0.1:5432/{db}")
# Rasa 3.6's SQLTrackerStore.SQLEvent: the same columns and the same index on sender_id.
RASA_EVENTS_DDL = """
CREATE TABLE events (
    id SERIAL PRIMARY KEY, sender_id VARCHAR(255) NOT NULL, type_name VARCHAR(255) NOT NULL,
    timestamp FLOAT, intent_name VARCHAR(255), action_name VARCHAR(255), data TEXT);
CREATE INDEX ix_events_sender_id ON events (sender_id);
"""
INTENTS = ["order_status", "return_item", "billing_question", "cancel_subscription", "shipping_info", "greet",
           "thanks", "goodbye", "human_handoff", "faq", "change_address", "refund_status", "give_feedback",
           "complaint", "affirm", "deny", "inform", "account_help", "nlu_fallback"]  # fmt: skip
INTENT_WEIGHTS = [14, 9, 8, 4, 6, 10, 8, 5, 3, 9, 3, 4, 2, 2, 4, 2, 5, 3, 4]
CHANNELS, CHANNEL_WEIGHTS = ["web", "whatsapp", "rest"], [55, 35, 10]
PASSWORD = "benchmark password 123"


def admin(sql: str) -> None:
    connection = psycopg2.connect(ADMIN_DSN)
    connection.autocommit = True
    try:
        connection.cursor().execute(sql)
    finally:
        connection.close()


def copy(
    url: str, table: str, columns: Sequence[str], rows: Iterator[Sequence[Any]], batch: int = 100_000
) -> int:
    """COPY ``rows`` into ``table`` in batches (CSV; None is NULL)."""
    count, connection = 0, psycopg2.connect(url)
    try:
        while True:
            buffer, writer, n = io.StringIO(), None, 0
            writer = csv.writer(buffer)
            for row in rows:
                writer.writerow(["\\N" if v is None else v for v in row])
                n += 1
                if n == batch:
                    break
            if n == 0:
                break
            buffer.seek(0)
            with connection.cursor() as cursor:
                cursor.copy_expert(
                    f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buffer
                )
            connection.commit()
            count += n
    finally:
        connection.close()
    return count


class World:
    """The generated conversations, kept small in memory (one tuple each)."""

    def __init__(
        self, conversations: int, days: int, customers: List[int], per_conversation: int, seed: int = 7
    ) -> None:
        self.rng, self.per_conversation = random.Random(seed), per_conversation
        self.now = datetime.utcnow().replace(microsecond=0)
        span = days * 86400
        self.rows = []
        for i in range(conversations):
            created = self.now - timedelta(seconds=self.rng.randrange(span))
            channel = self.rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0]
            handed = self.rng.random() < 0.25
            self.rows.append((f"bench-{i:06d}", channel, created, handed, self._customer(channel, customers)))

    def _customer(self, channel: str, customers: List[int]) -> Any:
        if channel == "whatsapp":
            return ("ext", f"49151{self.rng.randrange(40_000):07d}")
        return ("id", self.rng.choice(customers)) if self.rng.random() < 0.6 else None

    def conversations(self) -> Iterator[Sequence[Any]]:
        for cid, channel, created, handed, customer in self.rows:
            closed = (
                created + timedelta(minutes=self.rng.randrange(5, 120)) if self.rng.random() < 0.7 else None
            )
            pending = handed and closed is None and self.rng.random() < 0.02
            status = "closed" if closed else "pending" if pending else "active"
            queued = created + timedelta(seconds=60) if handed else None
            customer_id = customer[1] if customer and customer[0] == "id" else None
            external = customer[1] if customer and customer[0] == "ext" else None
            changed = closed or queued or created
            last = created + timedelta(seconds=self.per_conversation // 4 * 40)
            yield (cid, channel, external, customer_id, status, "normal", "[]", created, changed, changed, queued,
                   last, closed)  # fmt: skip

    def status_changes(self) -> Iterator[Sequence[Any]]:
        for cid, _channel, created, handed, _customer in self.rows:
            if handed:
                yield (cid, "active", "pending", None, "bot", created + timedelta(seconds=60))
                yield (cid, "pending", "active", "agent-1", "staff", created + timedelta(seconds=300))

    def feedback(self) -> Iterator[Sequence[Any]]:
        for cid, _channel, created, _handed, _customer in self.rows:
            if self.rng.random() < 0.15:
                rating = self.rng.choices([1, 2, 3, 4, 5], [5, 8, 12, 35, 40])[0]
                yield (cid, rating, created + timedelta(minutes=4))

    def events(self, per_conversation: int) -> Iterator[Sequence[Any]]:
        """Turns of four events (user, action, bot, action_listen), like Rasa stores them."""
        for cid, channel, created, handed, _customer in self.rows:
            start = (created - datetime(1970, 1, 1)).total_seconds()
            for turn in range(per_conversation // 4):
                yield from self._turn(cid, channel, start + turn * 40.0, handed and turn == 2)

    def _turn(self, cid: str, channel: str, at: float, agent: bool) -> Iterator[Sequence[Any]]:
        intent = self.rng.choices(INTENTS, INTENT_WEIGHTS)[0]
        confidence = round(
            self.rng.uniform(0.3, 0.6) if intent == "nlu_fallback" else self.rng.uniform(0.55, 1.0), 4
        )
        user = {"event": "user", "timestamp": at, "text": f"message about {intent}", "input_channel": channel,
                "message_id": uuid.UUID(int=self.rng.getrandbits(128)).hex, "metadata": {},
                "parse_data": {"intent": {"name": intent, "confidence": confidence}, "entities": [],
                               "text": f"message about {intent}"}}  # fmt: skip
        action = "action_core_fallback" if intent == "nlu_fallback" else f"utter_{intent}"
        sender = {"webchat_sender": {"id": "agent-1", "name": "Alice", "role": "agent"}} if agent else {}
        yield (cid, "user", at, intent, None, json.dumps(user))
        yield (cid, "action", at + 0.4, None, action, json.dumps({"event": "action", "timestamp": at + 0.4, "name": action, "policy": "RulePolicy", "confidence": 1.0}))  # fmt: skip
        yield (cid, "bot", at + 0.5 + self.rng.random() * 3, None, None,
               json.dumps({"event": "bot", "timestamp": at + 0.5, "text": f"answer about {intent}", "data": {}, "metadata": sender}))  # fmt: skip
        yield (cid, "action", at + 4.0, None, "action_listen", json.dumps({"event": "action", "timestamp": at + 4.0, "name": "action_listen"}))  # fmt: skip


def fill(
    url: str, settings: Settings, conversations: int, per_conversation: int, days: int
) -> Dict[str, Any]:
    engine = sa.create_engine(url)
    with engine.begin() as db:  # Rasa's table first: migration 0004 then adds the analytics index
        db.execute(sa.text(RASA_EVENTS_DDL))
    engine.dispose()
    store = build_store(settings)
    with store.engine.begin() as db:
        customers = [row[0] for row in db.execute(sa.text("SELECT id FROM customers"))]
    if not customers:
        customers = _customers(url)
    world, took = World(conversations, days, customers, per_conversation), {}
    conversation_columns = ("id", "channel", "external_id", "customer_id", "status", "priority", "tags", "created_at",
                            "updated_at", "status_changed_at", "queued_at", "last_message_at", "closed_at")  # fmt: skip
    for name, table, columns, rows in (
        ("conversations", "conversations", conversation_columns, world.conversations()),
        ("status_changes", "conversation_status_changes", ("conversation_id", "from_status", "to_status", "assignee_id", "actor_type", "created_at"), world.status_changes()),
        ("feedback", "feedback", ("conversation_id", "rating", "created_at"), world.feedback()),
        ("events", "events", ("sender_id", "type_name", "timestamp", "intent_name", "action_name", "data"), world.events(per_conversation)),
    ):  # fmt: skip
        started = time.perf_counter()
        took[name] = {
            "rows": copy(url, table, columns, rows),
            "seconds": round(time.perf_counter() - started, 1),
        }
        print(f"  {name}: {took[name]['rows']:,} rows in {took[name]['seconds']} s", flush=True)
    with store.engine.begin() as db:
        top = db.execute(sa.text("SELECT max(id) FROM events")).scalar()
        db.execute(
            sa.insert(SyncCursor.__table__),
            [{"name": "tracker_events", "position": top, "updated_at": world.now}],
        )
    connection = psycopg2.connect(url)
    connection.autocommit = True
    connection.cursor().execute("VACUUM ANALYZE")
    connection.close()
    store.engine.dispose()
    return took


def _customers(url: str) -> List[int]:
    rows = (
        (i, f"Customer {i}", f"customer{i}@bench.example", "standard", datetime(2025, 1, 1))
        for i in range(1, 5001)
    )
    copy(url, "customers", ("id", "name", "email", "tier", "created_at"), rows)
    return list(range(1, 5001))


def timed(function: Callable[[], Any], runs: int) -> Dict[str, float]:
    function()  # warm caches and connections
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {"p50_ms": round(statistics.median(samples), 1), "p95_ms": round(samples[int(0.95 * (len(samples) - 1))], 1),
            "min_ms": round(samples[0], 1), "max_ms": round(samples[-1], 1), "runs": runs}  # fmt: skip


def cpu_cost(sources: Sources, function: Callable[[], Any], runs: int) -> Dict[str, float]:
    """CPU milliseconds one call costs, whatever else the machine does: the PostgreSQL backend's
    (serial plans, so no parallel workers escape the count) plus this process's."""
    with sources.engine.begin() as db:  # committed: the setting stays with the pooled connection
        pid = db.execute(sa.text("SELECT pg_backend_pid()")).scalar()
        db.execute(sa.text("SET max_parallel_workers_per_gather = 0"))
    function()
    backend, client = _ticks(pid), time.process_time()
    for _ in range(runs):
        function()
    backend_ms = (_ticks(pid) - backend) * 1000 / os.sysconf("SC_CLK_TCK") / runs
    client_ms = (time.process_time() - client) * 1000 / runs
    with sources.engine.begin() as db:
        db.execute(sa.text("RESET max_parallel_workers_per_gather"))
    return {"database_ms": round(backend_ms, 1), "python_ms": round(client_ms, 1),
            "total_ms": round(backend_ms + client_ms, 1), "runs": runs}  # fmt: skip


def _ticks(pid: int) -> int:
    """User and system CPU ticks of a local process (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def in_process(settings: Settings, runs: int) -> Dict[str, Any]:
    sources = Sources(settings.database_url, settings.tracker_store_url)
    analytics, today, now = Analytics(sources), date.today(), datetime.utcnow()
    last30 = make_period(today - timedelta(days=29), today, "Europe/Berlin")
    last90 = make_period(today - timedelta(days=89), today, "Europe/Berlin")
    found = {
        "dashboard_30_days": timed(lambda: analytics.dashboard(last30, now), runs),
        "dashboard_90_days": timed(lambda: analytics.dashboard(last90, now), runs),
        "report_30_days": timed(lambda: analytics.report(last30), max(5, runs // 3)),
    }
    found["figures_30_days"] = analytics.dashboard(last30, now)["overview"]
    serial = Analytics(sources, parallel=False)  # one backend to count the CPU of
    found["cpu_per_dashboard_30_days"] = cpu_cost(sources, lambda: serial.dashboard(last30, now), runs)
    found["dashboard_30_days_serial"] = timed(lambda: serial.dashboard(last30, now), runs)
    with sources.engine.begin() as db:
        for statement in drop_index_sql():
            db.execute(sa.text(statement))
    found["without_index"] = {
        "dashboard_30_days": timed(lambda: analytics.dashboard(last30, now), max(5, runs // 3))
    }
    sources.close()
    ensure_event_index(sa.create_engine(settings.database_url))
    return found


def over_http(settings: Settings, url: str, runs: int) -> Dict[str, Any]:
    store = build_store(settings)
    create_user(store, "bench-admin@bench.example", "Bench Admin", "admin", PASSWORD, None)
    store.engine.dispose()
    port = 18000 + random.randrange(1000)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": url, "ASSISTANT_VAR_DIR": str(settings.var_dir),
           "WEBCHAT_JWT_SECRET": settings.jwt_secret or "", "ADMIN_API_PORT": str(port), "ADMIN_API_HOST": "127.0.0.1"}  # fmt: skip
    server = subprocess.Popen(
        [sys.executable, "-m", "admin_api"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(base)
        login = requests.post(
            f"{base}/api/auth/login",
            json={"email": "bench-admin@bench.example", "password": PASSWORD},
            timeout=30,
        )
        token = login.json()["data"]["token"]["access_token"]
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        params = {"tz": "Europe/Berlin"}

        def call() -> None:
            answer = session.get(f"{base}/api/admin/analytics/dashboard", params=params, timeout=60)
            assert answer.status_code == 200, answer.text[:300]

        return {"dashboard_default_30_days": timed(call, runs)}
    finally:
        server.terminate()
        server.wait(timeout=30)


def _wait(base: str) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/api/health/live", timeout=2).ok:
                return
        except requests.RequestException:
            time.sleep(0.3)
    raise RuntimeError("the admin API did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--events-per-conversation", type=int, default=20)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="keep the database (its name is printed)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "analytics_dashboard.json")
    args = parser.parse_args()
    name = f"bench_analytics_{uuid.uuid4().hex[:8]}"
    admin(f'CREATE DATABASE "{name}"')
    url = URL_TEMPLATE.format(db=name)
    settings = Settings(var_dir=Path(tempfile.mkdtemp(prefix="bench-analytics-")), database_url=url,
                        jwt_secret=uuid.uuid4().hex + uuid.uuid4().hex)  # fmt: skip
    try:
        print(f"Filling {name}", flush=True)
        result: Dict[str, Any] = {
            "database": name,
            "fill": fill(url, settings, args.conversations, args.events_per_conversation, args.days),
        }
        result["in_process"] = in_process(settings, args.runs)
        result["http"] = over_http(settings, url, args.runs)
        result["load_average"] = os.getloadavg()
        result["date"] = datetime.utcnow().isoformat(timespec="seconds") + "Z"
        print(json.dumps(result, indent=2, default=str))
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2, default=str))
    finally:
        if not args.keep:
            admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
