"""WhatsApp channel throughput and latency: webhook calls accepted and answered per second, and
the time from Meta's webhook call to our Graph API call.

Starts the fake Graph API of the tests (tests/channels/whatsapp/fake_graph.py, on loopback, in
this process), our action server and a Rasa server with ``credentials.yml`` and the WhatsApp
channel configured against the fake (embedded defaults: SQLite and in-memory locks; with
``--postgres`` a temporary PostgreSQL database on 127.0.0.1:5432 and Redis on 6379), then:

1. ``--sequential`` messages, one at a time: webhook answer time, time to the read receipt and to
   the reply's Graph API call (the turn runs in between);
2. ``--messages`` messages from as many customers, posted by ``--concurrency`` clients at once:
   webhook calls accepted per second (until the last 200), messages answered per second (until
   the Graph API got the last reply), the same latencies under load;
3. every message of phase 2 delivered again: no second reply may reach the Graph API.

Each message is a signed ``text`` notification as Meta sends it, from a distinct number, from a
mix of "hi", "where is my order", FAQ questions and thanks. Usage (project root)::

    .venv/bin/python benchmarks/whatsapp_throughput.py                  # embedded defaults
    .venv/bin/python benchmarks/whatsapp_throughput.py --postgres       # PostgreSQL and Redis
    .venv/bin/python benchmarks/whatsapp_throughput.py --messages 40 --sequential 5   # quick

Writes benchmarks/out/whatsapp_throughput.json (override with --out).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence

import aiohttp
from _channel_stack import database, servers
from _common import PROJECT_ROOT, environment_info, latency_summary, print_table, write_json

sys.path.insert(0, str(PROJECT_ROOT))
from channels.whatsapp.signature import sign  # noqa: E402
from tests.channels.whatsapp.fake_graph import TOKEN, FakeGraph  # noqa: E402
from tests.channels.whatsapp.payloads import APP_SECRET, PHONE_NUMBER_ID, load  # noqa: E402

TEXTS = ["hi", "where is my order", "what are your opening hours?", "do you ship internationally?", "thanks"]


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=200, help="messages of the concurrent phase")
    parser.add_argument("--concurrency", type=int, default=20, help="clients posting at once")
    parser.add_argument("--sequential", type=int, default=20, help="messages of the one-at-a-time phase")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL and Redis instead of SQLite")
    parser.add_argument("--rasa-port", type=int, default=5025)
    parser.add_argument("--actions-port", type=int, default=5075)
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds to wait for every reply")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path)
    return parser.parse_args(argv)


@contextmanager
def databases(use_postgres: bool) -> Iterator[Dict[str, str]]:
    """A temporary PostgreSQL database and Redis, or nothing (the embedded defaults)."""
    if not use_postgres:
        yield {}
        return
    with database("bench_wa") as env:
        yield env


def channel_env(graph: FakeGraph, db_env: Dict[str, str]) -> Dict[str, str]:
    return dict(WHATSAPP_APP_SECRET=APP_SECRET, WHATSAPP_VERIFY_TOKEN="bench", WHATSAPP_ACCESS_TOKEN=TOKEN,
                WHATSAPP_PHONE_NUMBER_ID=PHONE_NUMBER_ID, WHATSAPP_GRAPH_BASE_URL=graph.url, **db_env)  # fmt: skip


class Probe:
    """Posts signed notifications and times each against what reached the Graph API."""

    def __init__(self, url: str, graph: FakeGraph, rng: random.Random) -> None:
        self.url, self.graph, self.rng = url, graph, rng
        self.posted: Dict[str, Dict[str, Any]] = {}  # wa_id -> facts of its message

    async def post(self, http: aiohttp.ClientSession, wa_id: str, body: Optional[bytes] = None) -> None:
        text = self.rng.choice(TEXTS)
        raw = body or json.dumps(load("text", WA_ID=wa_id, TEXT=text)).encode()
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(APP_SECRET, raw)}
        started = time.monotonic()
        async with http.post(f"{self.url}/webhooks/whatsapp/webhook", data=raw, headers=headers) as answer:
            await answer.read()
            status = answer.status
        if body is None:
            self.posted[wa_id] = {"raw": raw, "sent": started, "answered": time.monotonic(), "status": status}

    def reply_times(self) -> Dict[str, float]:
        """First Graph API message call per number (what the customer sees first)."""
        first: Dict[str, float] = {}
        for request in list(self.graph.requests):
            body = request.body
            if request.method == "POST" and isinstance(body, dict) and "to" in body:
                first.setdefault(body["to"], request.at)
        return first

    async def wait_replies(self, wa_ids: List[str], timeout: float) -> Dict[str, float]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            replies = self.reply_times()
            if all(wa_id in replies for wa_id in wa_ids):
                return replies
            await asyncio.sleep(0.2)
        return self.reply_times()

    def latencies(self, wa_ids: List[str], replies: Dict[str, float]) -> Dict[str, Any]:
        facts = [self.posted[w] for w in wa_ids]
        return {
            "webhook_answer": latency_summary([f["answered"] - f["sent"] for f in facts]),
            "webhook_to_graph_call": latency_summary([replies[w] - self.posted[w]["sent"] for w in wa_ids if w in replies]),
            "non_200": sum(f["status"] != 200 for f in facts),
            "unanswered": sum(w not in replies for w in wa_ids),
        }  # fmt: skip


async def run(args: argparse.Namespace, url: str, graph: FakeGraph) -> Dict[str, Any]:
    probe = Probe(url, graph, random.Random(args.seed))
    numbers = iter(f"1666{n:07d}" for n in range(1, 10_000_000))
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as http:
        sequential = [next(numbers) for _ in range(args.sequential)]
        for wa_id in sequential:
            await probe.post(http, wa_id)
            await probe.wait_replies([wa_id], 60)
        phase1 = probe.latencies(sequential, probe.reply_times())
        burst = [next(numbers) for _ in range(args.messages)]
        queue: asyncio.Queue = asyncio.Queue()
        for wa_id in burst:
            queue.put_nowait(wa_id)

        async def client() -> None:
            while not queue.empty():
                await probe.post(http, queue.get_nowait())

        started = time.monotonic()
        await asyncio.gather(*(client() for _ in range(args.concurrency)))
        accepted = time.monotonic() - started
        replies = await probe.wait_replies(burst, args.timeout)
        answered = max((replies[w] for w in burst if w in replies), default=started) - started
        phase2 = probe.latencies(burst, replies)
        phase2.update(accepted_seconds=accepted, accepted_per_second=len(burst) / accepted,
                      answered_seconds=answered, answered_per_second=len(burst) / answered if answered else 0.0)  # fmt: skip
        before = len(graph.sent())
        await asyncio.gather(*(probe.post(http, w, probe.posted[w]["raw"]) for w in burst))
        await asyncio.sleep(5)
        phase3 = {"redelivered": len(burst), "extra_graph_calls": len(graph.sent()) - before}
    return {"sequential": phase1, "concurrent": phase2, "redelivery": phase3}


def report(result: Dict[str, Any], args: argparse.Namespace) -> None:
    rows = []
    for phase in ("sequential", "concurrent"):
        for name in ("webhook_answer", "webhook_to_graph_call"):
            s = result[phase][name]
            rows.append([f"{phase}: {name}", s["count"], s["p50_ms"], s["p95_ms"], s["p99_ms"], s["max_ms"]])
    print_table("Latency (ms)", ["", "n", "p50", "p95", "p99", "max"], rows)
    c = result["concurrent"]
    print_table("Throughput", ["", "value"], [
        ["messages", args.messages], ["concurrency", args.concurrency],
        ["accepted per second (webhook 200s)", c["accepted_per_second"]],
        ["answered per second (replies at the Graph API)", c["answered_per_second"]],
        ["non-200 answers", c["non_200"]], ["unanswered", c["unanswered"]],
        ["extra Graph API calls after redelivering every message", result["redelivery"]["extra_graph_calls"]],
    ])  # fmt: skip


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    graph = FakeGraph().start()
    run_dir = Path(tempfile.mkdtemp(prefix="bench-whatsapp-"))
    print(f"server logs: {run_dir}")
    try:
        with (
            databases(args.postgres) as db_env,
            servers(args.rasa_port, args.actions_port, run_dir, channel_env(graph, db_env)) as url,
        ):
            result = asyncio.run(run(args, url, graph))
    finally:
        graph.stop()
    report(result, args)
    result["settings"] = {k: str(v) for k, v in vars(args).items()}
    result["environment"] = environment_info()
    print(f"\nwrote {write_json(result, args.out, 'whatsapp_throughput.json')}")


if __name__ == "__main__":
    main()
