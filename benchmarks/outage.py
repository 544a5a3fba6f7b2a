"""Outage runs of issue 7: REST customers talk to the production set-up (PostgreSQL, Redis,
``SANIC_WORKERS=2``) while Redis is killed or PostgreSQL is stopped, then brought back.

Each customer sends the same 15-message conversation (flows whose next answer depends on the
stored state, a complaint that opens a ticket, feedback that is stored), one message at a time,
each with a ``message_id``. Like a well-behaved client, it retries a message that got no 2xx
answer (honouring ``Retry-After``, same body, up to ``--attempts`` tries); a 200 is final.

Figures: HTTP requests, replies (200 with messages), empty 200s, visible failures (non-2xx
responses), messages still failed after the retries, user messages stored in the tracker
store, messages answered with a 200 but not stored, replies that do not fit the conversation
(state lost), and duplicate effects (a second ticket or feedback for one conversation).

    .venv/bin/python benchmarks/outage.py --scenario redis
    .venv/bin/python benchmarks/outage.py --scenario postgres --project /tmp/before   # older code
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import aiohttp
import psycopg2
from _common import environment_info, print_table, write_json
from _outage_stack import PROJECT_ROOT, OutageStack, started

# (message, phrase the reply must contain, case-insensitive)
CONVERSATION: List[Tuple[str, str]] = [
    ("hi", "help"),
    ("where is my order", "order number"),
    ("48213", "postcode"),
    ("62701", "1Z999AA10123456784"),
    ("what are your opening hours?", "monday"),
    ("your service is terrible", "complaint"),
    ("no", "anything else"),
    ("do you take paypal", "paypal"),
    ("I want to give feedback", "rate your experience"),
    ("4", "4/5"),
    ("where is my order 87654321", "postcode"),
    ("10117", "JD014600003828487654"),
    ("do you have a student discount", "15%"),
    ("tell me a joke", "outside what i can help"),
    ("bye", "bye"),
]


@dataclass
class Attempt:
    started: float
    seconds: float
    status: int  # 0: no HTTP answer (connection error or timeout)
    replies: int
    retry_after: Optional[str] = None


@dataclass
class Message:
    sender: str
    index: int
    message_id: str
    text: str
    expect: str
    attempts: List[Attempt] = field(default_factory=list)
    reply: str = ""

    @property
    def final(self) -> Optional[Attempt]:
        return self.attempts[-1] if self.attempts else None


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scenario", choices=("redis", "postgres"), required=True)
    p.add_argument("--project", type=Path, default=PROJECT_ROOT, help="checkout whose servers to run")
    p.add_argument("--model", type=Path, default=PROJECT_ROOT / "models" / "current.tar.gz")
    p.add_argument("--customers", type=int, default=40)
    p.add_argument("--concurrency", type=int, default=10)
    p.add_argument("--outage-at", type=float, default=4.0, help="seconds after the load starts")
    p.add_argument("--recover-at", type=float, default=9.0)
    p.add_argument("--workers", type=int, default=2, help="SANIC_WORKERS of the Rasa server")
    p.add_argument("--attempts", type=int, default=4, help="tries per message (non-2xx is retried)")
    p.add_argument("--request-timeout", type=float, default=30.0)
    p.add_argument("--out", type=Path, default=None)
    return p.parse_args(argv)


async def send(session: aiohttp.ClientSession, url: str, message: Message, t0: float, args: Any) -> None:
    body = {"sender": message.sender, "message": message.text, "message_id": message.message_id}
    for _ in range(args.attempts):
        start = time.monotonic()
        status, replies, retry_after, text = 0, 0, None, ""
        try:
            async with session.post(url, json=body, timeout=args.request_timeout) as response:
                status, retry_after = response.status, response.headers.get("Retry-After")
                payload = await response.json(content_type=None)
                if status == 200 and isinstance(payload, list):
                    replies = len(payload)
                    text = " ".join(str(m.get("text") or "") for m in payload)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
            pass
        message.attempts.append(Attempt(start - t0, time.monotonic() - start, status, replies, retry_after))
        if 200 <= status < 300:
            message.reply = text
            return
        await asyncio.sleep(_retry_delay(retry_after))


def _retry_delay(header: Optional[str]) -> float:
    try:
        return min(max(float(header or 1), 0.1), 10.0)
    except ValueError:
        return 1.0


async def customer(
    session: aiohttp.ClientSession, url: str, sender: str, t0: float, args: Any
) -> List[Message]:
    messages = []
    for index, (text, expect) in enumerate(CONVERSATION):
        message = Message(sender, index, f"{sender}-m{index}", text, expect)
        await send(session, url, message, t0, args)
        messages.append(message)
    return messages


async def load(stack: OutageStack, args: Any, run_id: str) -> Tuple[List[Message], Dict[str, float]]:
    """Runs the customers ``concurrency`` at a time while the outage happens on schedule."""
    url = f"{stack.rasa_url}/webhooks/rest/webhook"
    senders = [f"out-{run_id}-{i:02d}" for i in range(args.customers)]
    queue: asyncio.Queue = asyncio.Queue()
    for sender in senders:
        queue.put_nowait(sender)
    results: List[Message] = []
    t0 = 0.0
    timeline: Dict[str, float] = {}

    async def worker(session: aiohttp.ClientSession) -> None:
        while not queue.empty():
            results.extend(await customer(session, url, queue.get_nowait(), t0, args))

    async def chaos() -> None:
        loop = asyncio.get_running_loop()
        await asyncio.sleep(args.outage_at)
        timeline["outage_at"] = time.monotonic() - t0
        await loop.run_in_executor(None, stack.outage, args.scenario)
        await asyncio.sleep(max(0.0, args.recover_at - (time.monotonic() - t0)))
        timeline["recover_called_at"] = time.monotonic() - t0
        await loop.run_in_executor(None, stack.recover, args.scenario)
        timeline["recovered_at"] = time.monotonic() - t0

    connector = aiohttp.TCPConnector(limit=args.concurrency * 2)
    async with aiohttp.ClientSession(connector=connector) as session:
        await warm_up(session, url, run_id)
        t0 = time.monotonic()
        chaos_task = asyncio.create_task(chaos())
        await asyncio.gather(*(worker(session) for _ in range(args.concurrency)))
        timeline["load_done_at"] = time.monotonic() - t0
        await chaos_task
    return results, timeline


async def warm_up(session: aiohttp.ClientSession, url: str, run_id: str) -> None:
    """A few unmeasured turns so that every Rasa worker has run its policies once."""

    async def one(body: Dict[str, str]) -> None:
        async with session.post(url, json=body, timeout=120) as response:
            await response.read()

    for round_ in range(3):
        bodies = [
            {"sender": f"warm-{run_id}-{i}", "message": "hi", "message_id": f"w{round_}-{i}"}
            for i in range(4)
        ]
        await asyncio.gather(*(one(body) for body in bodies))


def stored(database_url: str, run_id: str) -> Dict[str, Any]:
    """What the tracker store and the business store hold for the run's conversations."""
    like = f"out-{run_id}-%"
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT sender_id, data FROM events WHERE type_name = 'user' AND sender_id LIKE %s", (like,)
        )
        users = [(sender, json.loads(data).get("message_id")) for sender, data in cur.fetchall()]
        cur.execute(
            "SELECT conversation_id, count(*) FROM tickets WHERE conversation_id LIKE %s GROUP BY 1", (like,)
        )
        tickets = dict(cur.fetchall())
        cur.execute(
            "SELECT conversation_id, count(*) FROM feedback WHERE conversation_id LIKE %s GROUP BY 1", (like,)
        )
        feedback = dict(cur.fetchall())
    return {"users": users, "tickets": tickets, "feedback": feedback}


def summarise(messages: List[Message], db: Dict[str, Any]) -> Dict[str, Any]:
    attempts = [a for m in messages for a in m.attempts]
    answered = [m for m in messages if m.final and m.final.status == 200]
    stored_per_sender: Dict[str, int] = {}
    for sender, _ in db["users"]:
        stored_per_sender[sender] = stored_per_sender.get(sender, 0) + 1
    answered_per_sender: Dict[str, int] = {}
    for m in answered:
        answered_per_sender[m.sender] = answered_per_sender.get(m.sender, 0) + 1
    ids = [mid for _, mid in db["users"]]
    effects = list(db["tickets"].values()) + list(db["feedback"].values())
    return {
        "messages": len(messages),
        "requests": len(attempts),
        "replies": sum(1 for m in answered if m.final and m.final.replies > 0),
        "empty_200": sum(1 for m in answered if m.final and m.final.replies == 0),
        "visible_failures": sum(1 for a in attempts if a.status != 200),
        "with_retry_after": sum(1 for a in attempts if a.status != 200 and a.retry_after),
        "failed_after_retries": len(messages) - len(answered),
        "stored_user_messages": len(db["users"]),
        "duplicate_stored_ids": len(ids) - len(set(ids)),
        "answered_not_stored": sum(
            max(0, n - stored_per_sender.get(s, 0)) for s, n in answered_per_sender.items()
        ),
        "unexpected_replies": sum(1 for m in answered if m.expect.lower() not in m.reply.lower()),
        "tickets": sum(db["tickets"].values()),
        "feedback": sum(db["feedback"].values()),
        "duplicate_effects": sum(max(0, n - 1) for n in effects),
        "p50_s": _percentile([a.seconds for a in attempts], 50),
        "max_s": max((a.seconds for a in attempts), default=0.0),
    }


def _percentile(values: List[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[int(round((len(ordered) - 1) * q / 100))] if ordered else 0.0


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    run_id = uuid.uuid4().hex[:6]
    print(
        f"Starting PostgreSQL, Redis, the action server and Rasa ({args.workers} workers) from {args.project}"
    )
    stack = started(args.project.resolve(), args.model.resolve(), args.workers)
    try:
        messages, timeline = asyncio.run(load(stack, args, run_id))
        time.sleep(1)
        summary = summarise(messages, stored(stack.database_url, run_id))
        errors = stack.log_errors()
    finally:
        stack.stop()
    print_table(f"Outage run: {args.scenario}", ["figure", "value"], list(summary.items()))
    print(f"timeline (s): {timeline}; ERROR/Traceback lines in logs: {errors}; logs: {stack.workdir}")
    out = {"environment": environment_info(), "args": {k: str(v) for k, v in vars(args).items()},
           "summary": summary, "timeline": timeline, "log_errors": errors,
           "messages": [asdict(m) for m in messages]}  # fmt: skip
    path = write_json(out, args.out, f"outage_{args.scenario}.json")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
