"""Full exports from a big PostgreSQL: time and the admin API process's peak memory.

Fills a database of its own (created, then dropped unless ``--keep``) with ``--conversations``
conversations and ``--events`` tracker events (``execute_values``, in batches), starts the
admin API on it (``python -m admin_api``, its own process), then downloads full exports of
conversations and messages as CSV and XLSX over HTTP. The server's peak resident memory of each
export is its ``VmHWM`` (reset between exports through ``/proc/<pid>/clear_refs``).

    .venv/bin/python benchmarks/export.py                         # 100,000 / 2,000,000
    .venv/bin/python benchmarks/export.py --conversations 1000 --events 20000   # a quick look
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import psycopg2
import requests
from psycopg2.extras import execute_values

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import PROJECT_ROOT, environment_info, print_table, write_json  # noqa: E402

ADMIN_DSN = os.environ.get("BENCH_PG_ADMIN_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=postgres")
PG_URL = os.environ.get("BENCH_PG_URL_TEMPLATE", "postgresql://postgres@127.0.0.1:5432/{db}")
SECRET = "benchmark-secret-benchmark-secret-0123456789"
BATCH = 10_000
TEXTS = ["where is my order 48213", "I want to return my shoes", "=HYPERLINK(\"x\")", "can I change my address?",
         "my card was charged twice", "hello", "thanks, that's all"]  # fmt: skip
INTENTS = [
    "order_status",
    "return_item",
    "nlu_fallback",
    "change_address",
    "billing_issue",
    "greet",
    "goodbye",
]


def admin_sql(sql: str) -> None:
    conn = psycopg2.connect(ADMIN_DSN)
    conn.autocommit = True
    try:
        conn.cursor().execute(sql)
    finally:
        conn.close()


def prepare(db: str) -> None:
    """The store's schema (migrations) and Rasa's events table."""
    from assistant.conversations.tracker_events import EVENTS
    from assistant.settings import Settings
    from assistant.store import build_store

    store = build_store(Settings(database_url=PG_URL.format(db=db)))
    EVENTS.metadata.create_all(store.engine)
    store.engine.dispose()


def fill(db: str, conversations: int, events: int) -> Dict[str, float]:
    """Conversations and events, ``events // conversations`` per conversation."""
    conn = psycopg2.connect(PG_URL.format(db=db).replace("postgresql://", "postgres://"))
    start, per = time.perf_counter(), max(1, events // conversations)
    began = datetime(2026, 1, 1)
    with conn, conn.cursor() as cursor:
        for first in range(0, conversations, BATCH):
            rows = [_conversation(n, began) for n in range(first, min(conversations, first + BATCH))]
            execute_values(cursor, "INSERT INTO conversations (id, channel, status, priority, tags, title, "
                           "created_at, updated_at, status_changed_at, last_message_at) VALUES %s", rows)  # fmt: skip
        written = 0
        for rows in _event_batches(conversations, per, events, began):
            execute_values(cursor, "INSERT INTO events (sender_id, type_name, timestamp, intent_name, "
                           "action_name, data) VALUES %s", rows)  # fmt: skip
            written += len(rows)
        cursor.execute("INSERT INTO sync_cursors (name, position, updated_at) SELECT 'tracker_events', "
                       "max(id), now() FROM events")  # fmt: skip
        cursor.execute("ANALYZE")
    conn.close()
    return {"fill_seconds": round(time.perf_counter() - start, 1), "events": written}


def _conversation(n: int, began: datetime) -> Tuple[Any, ...]:
    at = began + timedelta(seconds=n * 60)
    tags = json.dumps(["billing"] if n % 7 == 0 else [])
    return (f"bench-{n}", random.choice(["rest", "webchat", "whatsapp"]), random.choice(["active", "closed"]),
            "normal", tags, TEXTS[n % len(TEXTS)], at, at, at, at)  # fmt: skip


def _event_batches(
    conversations: int, per: int, total: int, began: datetime
) -> Iterator[List[Tuple[Any, ...]]]:
    batch: List[Tuple[Any, ...]] = []
    for index in range(total):
        n, k = (index // per) % conversations, index % per
        stamp = (began + timedelta(seconds=n * 60 + k)).timestamp()
        batch.append(_event(n, k, stamp))
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _event(n: int, k: int, stamp: float) -> Tuple[Any, ...]:
    if k % 2 == 0:
        i = (n + k) % len(TEXTS)
        parse = {"text": TEXTS[i], "intent": {"name": INTENTS[i], "confidence": 0.91}, "entities": []}
        data = {"event": "user", "timestamp": stamp, "text": TEXTS[i], "parse_data": parse, "input_channel": "rest",
                "message_id": uuid.uuid4().hex, "metadata": {}}  # fmt: skip
        return (f"bench-{n}", "user", stamp, INTENTS[i], None, json.dumps(data))
    data = {"event": "bot", "timestamp": stamp, "text": "Your order 48213 shipped with UPS on Monday; it should "
            "arrive within two days.", "data": {}, "metadata": {}}  # fmt: skip
    return (f"bench-{n}", "bot", stamp, None, None, json.dumps(data))


def start_api(db: str, port: int, var_dir: Path) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": PG_URL.format(db=db), "WEBCHAT_JWT_SECRET": SECRET,
           "ADMIN_API_PORT": str(port), "ASSISTANT_VAR_DIR": str(var_dir), "PYTHONPATH": str(PROJECT_ROOT),
           "SUPPORT_HOURS": "always", "SQLALCHEMY_SILENCE_UBER_WARNING": "1"}  # fmt: skip
    server = subprocess.Popen([sys.executable, "-m", "admin_api"], env=env, cwd=PROJECT_ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/api/health/live", timeout=2).ok:
                return server
        except requests.RequestException:
            time.sleep(0.3)
    server.kill()
    raise RuntimeError("the admin API did not start")


def admin_token(db: str) -> str:
    from admin_api.accounts.admin import create_user
    from admin_api.security.tokens import issue_access, subject
    from assistant.settings import Settings
    from assistant.store import build_store

    store = build_store(Settings(database_url=PG_URL.format(db=db)))
    account = create_user(
        store, "bench-admin@example.com", "Bench Admin", "admin", "correct horse battery", None
    )
    store.engine.dispose()
    return issue_access(SECRET, account.id, subject(account.id, "admin", None), "admin", "Bench", 600)[0]


def peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def download(url: str, token: str, pid: int) -> Dict[str, float]:
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # resets the peak (VmHWM) to the current RSS
    before = rss_mb(pid)
    start, first, size = time.perf_counter(), None, 0
    with requests.get(url, headers={"Authorization": f"Bearer {token}"}, stream=True, timeout=3600) as answer:
        answer.raise_for_status()
        for chunk in answer.iter_content(chunk_size=1 << 16):
            first = first if first is not None else time.perf_counter() - start
            size += len(chunk)
    return {"seconds": round(time.perf_counter() - start, 1), "first_byte_s": round(first or 0.0, 2),
            "mb": round(size / 1e6, 1), "rss_before_mb": round(before, 1), "peak_rss_mb": round(peak_mb(pid), 1)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=2_000_000)
    parser.add_argument("--port", type=int, default=8187)
    parser.add_argument("--keep", action="store_true", help="keep the database (named in the output)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    db = f"bench_export_{uuid.uuid4().hex[:8]}"
    admin_sql(f'CREATE DATABASE "{db}"')
    var_dir = Path(f"/tmp/{db}")
    server = None
    try:
        prepare(db)
        filled = fill(db, args.conversations, args.events)
        print(
            f"filled {db}: {args.conversations} conversations, {filled['events']} events in {filled['fill_seconds']} s"
        )
        token = admin_token(db)
        server = start_api(db, args.port, var_dir)
        base = f"http://127.0.0.1:{args.port}/api/admin/export"
        runs = {}
        for kind, fmt in (
            ("conversations", "csv"),
            ("conversations", "xlsx"),
            ("messages", "csv"),
            ("messages", "xlsx"),
        ):
            runs[f"{kind} {fmt}"] = download(f"{base}/{kind}?format={fmt}", token, server.pid)
            print(kind, fmt, runs[f"{kind} {fmt}"], flush=True)
        header = ["export", "rows", "seconds", "first byte (s)", "MB", "RSS before (MB)", "peak RSS (MB)"]
        rows_of = {"conversations": args.conversations, "messages": filled["events"]}
        print_table(f"Full exports, {args.conversations:,} conversations / {filled['events']:,} events", header,
                    [[name, rows_of[name.split()[0]], r["seconds"], r["first_byte_s"], r["mb"], r["rss_before_mb"],
                      r["peak_rss_mb"]] for name, r in runs.items()])  # fmt: skip
        path = write_json({"environment": environment_info(), "fill": filled, "runs": runs,
                           "conversations": args.conversations, "database": db}, args.out, "export.json")  # fmt: skip
        print(f"\nwritten to {path}")
    finally:
        if server is not None:
            server.terminate()
            server.wait(30)
        if not args.keep:
            admin_sql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


if __name__ == "__main__":
    main()
