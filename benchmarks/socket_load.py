"""Load on the web channel: many concurrent socket.io clients talking to the bot.

Starts the action server and a Rasa server with the web channel (``credentials.yml``) as
subprocesses, with the connections-per-address and messages-per-minute limits raised for the
run (``WEBCHAT_CONNECTIONS_PER_IP``, ``WEBCHAT_MESSAGES_PER_MINUTE``), then opens ``--clients``
python-socketio clients over websockets on loopback. Each joins a conversation of its own
(``join_conversation``) and sends ``--messages`` messages one after the other (``message_send``),
waiting for the bot's reply (``message_received`` from the bot, then ``typing_stop``) before the
next. Every reply is checked for an expected phrase. With ``--url`` it uses a running server.

Reports reply latency (message sent -> first bot message; and -> end of turn), messages per
second over the messaging phase, connect time, and the Rasa server's memory (RSS from /proc:
before, after connecting, peak, after). Exit code 1 when any reply is missing or unexpected.

By default the servers use a fresh SQLite store and tracker under a temporary directory and
in-memory locks (``DATABASE_URL``/``REDIS_URL`` are dropped); ``--inherit-db-env`` keeps them,
e.g. PostgreSQL and Redis.

Usage (from the project root)::

    .venv/bin/python benchmarks/socket_load.py                           # 500 clients x 5 messages
    .venv/bin/python benchmarks/socket_load.py --clients 50 --messages 2 # quick run
    .venv/bin/python benchmarks/socket_load.py --url http://localhost:5005 --server-pid PID

Writes benchmarks/out/socket_load.json (``--out`` to change).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

from _common import PROJECT_ROOT, environment_info, latency_summary, print_table, write_json

VENV_BIN = PROJECT_ROOT / ".venv" / "bin"
MESSAGES: List[Tuple[str, str]] = [
    ("hi", "help"),
    ("what are your opening hours?", "monday"),
    ("where is my order 48213", "1Z999AA10123456784"),
    ("do you take paypal", "paypal"),
    ("thanks", "help"),
]


@dataclass
class Turn:
    client: int
    index: int
    text: str
    first_reply_s: Optional[float] = None
    turn_s: Optional[float] = None
    as_expected: bool = False
    error: Optional[str] = None


@dataclass
class Client:
    """One socket.io client with its own conversation."""

    number: int
    url: str
    conversation: str = field(default_factory=lambda: f"load-{uuid.uuid4().hex[:16]}")
    turns: List[Turn] = field(default_factory=list)

    async def run(self, args: argparse.Namespace, gate: asyncio.Event, phase: Dict[str, Any]) -> None:
        """Connects and joins (at most ``--connect-concurrency`` at once), waits for ``gate``,
        then talks; a client that fails is counted, never hides the others."""
        import socketio

        sio, inbox = socketio.AsyncClient(reconnection=False), asyncio.Queue()
        sio.on("*", lambda event, data: inbox.put_nowait((event, data, time.perf_counter())))
        try:
            async with phase["semaphore"]:
                started = time.perf_counter()
                await sio.connect(self.url, transports=["websocket"], wait_timeout=args.timeout)
                await sio.emit("join_conversation", {"conversation_id": self.conversation})
                await _next(inbox, "conversation_joined", args.timeout)
                phase["connected"].append(time.perf_counter() - started)
            await gate.wait()
            for index in range(args.messages):
                text, expect = MESSAGES[(self.number + index) % len(MESSAGES)]
                self.turns.append(await self._turn(sio, inbox, index, text, expect, args.timeout))
        except Exception as exc:
            self.turns.append(Turn(self.number, len(self.turns), "", error=f"{type(exc).__name__}: {exc!r}"))
            if not gate.is_set():
                phase["failed"] += 1
        finally:
            if sio.connected:
                await sio.disconnect()

    async def _turn(
        self, sio: Any, inbox: asyncio.Queue, index: int, text: str, expect: str, timeout: float
    ) -> Turn:
        turn = Turn(self.number, index, text)
        sent = time.perf_counter()
        await sio.emit("message_send", {"conversation_id": self.conversation, "content": text})
        replies: List[str] = []
        while True:
            event, data, at = await _next(inbox, ("message_received", "typing_stop", "error"), timeout)
            if event == "error":
                turn.error = f"{data.get('code')}: {data.get('message')}"
                return turn
            if event == "message_received" and data["message"]["sender"]["role"] == "bot":
                replies.append(data["message"]["content"])
                turn.first_reply_s = turn.first_reply_s or at - sent
            if event == "typing_stop":
                turn.turn_s = at - sent
                turn.as_expected = any(expect.lower() in reply.lower() for reply in replies)
                return turn


async def _next(inbox: asyncio.Queue, events: Any, timeout: float) -> Tuple[str, Any, float]:
    wanted = (events,) if isinstance(events, str) else events
    deadline = time.monotonic() + timeout
    while True:
        event, data, at = await asyncio.wait_for(inbox.get(), max(deadline - time.monotonic(), 0.001))
        if event in wanted:
            return event, data, at


class MemorySampler:
    """Samples a process's resident memory (VmRSS) every ``interval`` seconds in a thread."""

    def __init__(self, pid: Optional[int], interval: float = 0.5) -> None:
        self.pid, self.interval, self.peak_mb = pid, interval, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def rss_mb(self) -> Optional[float]:
        if self.pid is None:
            return None
        try:
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            return None
        return None

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak_mb = max(self.peak_mb, self.rss_mb() or 0.0)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self._stop.set()
        self._thread.join()


async def load(url: str, args: argparse.Namespace, memory: MemorySampler) -> Dict[str, Any]:
    clients = [Client(number, url) for number in range(args.clients)]
    gate = asyncio.Event()
    phase: Dict[str, Any] = {
        "semaphore": asyncio.Semaphore(args.connect_concurrency),
        "connected": [],
        "failed": 0,
    }
    figures: Dict[str, Any] = {"rss_before_mb": memory.rss_mb()}
    started = time.perf_counter()
    tasks = [asyncio.create_task(client.run(args, gate, phase)) for client in clients]
    while len(phase["connected"]) + phase["failed"] < args.clients:
        await asyncio.sleep(0.05)
    figures["connect_all_s"] = time.perf_counter() - started
    figures["rss_connected_mb"] = memory.rss_mb()
    talk_started = time.perf_counter()
    gate.set()
    await asyncio.gather(*tasks)
    figures["talk_s"] = time.perf_counter() - talk_started
    figures["connect_s"] = phase["connected"]
    figures["turns"] = [turn for client in clients for turn in client.turns]
    return figures


@contextmanager
def servers(args: argparse.Namespace) -> Iterator[Tuple[str, Optional[int]]]:
    """The action server and the Rasa server with raised limits; stopped afterwards."""
    run_dir = Path(tempfile.mkdtemp(prefix="socket-load-"))
    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT), SQLALCHEMY_SILENCE_UBER_WARNING="1",
               WEBCHAT_CONNECTIONS_PER_IP=str(args.clients + 50), WEBCHAT_MESSAGES_PER_MINUTE="100000")  # fmt: skip
    if not args.inherit_db_env:
        env.pop("DATABASE_URL", None)
        env.pop("REDIS_URL", None)
        env["ASSISTANT_VAR_DIR"] = str(run_dir)
    subprocess.run(
        [str(VENV_BIN / "python"), "-m", "assistant.store.seed"], cwd=PROJECT_ROOT, env=env, check=True
    )
    endpoints = run_dir / "endpoints.yml"
    endpoints.write_text(
        f"action_endpoint:\n  url: http://127.0.0.1:{args.actions_port}/webhook\n"
        "tracker_store:\n  type: assistant.plugins.tracker_store.RedactingSQLTrackerStore\n"
        "lock_store:\n  type: assistant.plugins.lock_store.ConfiguredLockStore\n"
    )
    rasa = str(VENV_BIN / "rasa")
    procs = [
        _spawn(
            [rasa, "run", "actions", "--actions", "actions", "--port", str(args.actions_port)],
            run_dir / "actions.log",
            env,
        ),
        _spawn(
            [
                rasa,
                "run",
                "--enable-api",
                "--port",
                str(args.rasa_port),
                "--model",
                str(args.model),
                "--endpoints",
                str(endpoints),
                "--credentials",
                "credentials.yml",
            ],
            run_dir / "rasa.log",
            env,
        ),  # fmt: skip
    ]
    print(f"server logs: {run_dir}")
    try:
        _wait(f"http://127.0.0.1:{args.actions_port}/health", procs[0], args.startup_timeout)
        _wait(f"http://127.0.0.1:{args.rasa_port}/status", procs[1], args.startup_timeout)
        yield f"http://127.0.0.1:{args.rasa_port}", procs[1].pid
    finally:
        for proc in reversed(procs):
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def _spawn(command: List[str], log: Path, env: Dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        command, cwd=PROJECT_ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT
    )


def _wait(url: str, proc: subprocess.Popen, timeout: float) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{url}: the server exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=3) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(1)
    raise SystemExit(f"{url} was not up after {timeout:.0f}s")


def summarise(figures: Dict[str, Any], memory: MemorySampler, args: argparse.Namespace) -> Dict[str, Any]:
    turns: List[Turn] = figures["turns"]
    answered = [t for t in turns if t.turn_s is not None]
    expected_total = args.clients * args.messages
    return {
        "clients": args.clients,
        "messages_per_client": args.messages,
        "turns_expected": expected_total,
        "turns_answered": len(answered),
        "turns_as_expected": sum(t.as_expected for t in answered),
        "errors": sorted({t.error for t in turns if t.error})[:10],
        "first_reply_latency": latency_summary(
            [t.first_reply_s for t in answered if t.first_reply_s is not None]
        ),
        "turn_latency": latency_summary([t.turn_s for t in answered]),
        "connect_latency": latency_summary(figures["connect_s"]),
        "connect_all_s": round(figures["connect_all_s"], 2),
        "talk_s": round(figures["talk_s"], 2),
        "messages_per_second": round(len(answered) / figures["talk_s"], 2) if figures["talk_s"] else None,
        "server_rss_mb": {
            "before": figures["rss_before_mb"],
            "connected": figures["rss_connected_mb"],
            "peak": memory.peak_mb or None,
            "after": memory.rss_mb(),
        },  # fmt: skip
    }


def report(summary: Dict[str, Any]) -> None:
    rows = [(name, s["count"], s["p50_ms"], s["p95_ms"], s["p99_ms"], s["max_ms"])
            for name, s in (("first bot reply", summary["first_reply_latency"]), ("whole turn", summary["turn_latency"]),
                            ("connect + join", summary["connect_latency"]))]  # fmt: skip
    print_table("Latency (ms)", ["", "count", "p50", "p95", "p99", "max"], rows)
    memory = summary["server_rss_mb"]
    print_table("Throughput and memory", ["figure", "value"], [
        ("turns answered / expected", f"{summary['turns_answered']} / {summary['turns_expected']}"),
        ("replies as expected", summary["turns_as_expected"]),
        ("messages per second", summary["messages_per_second"]),
        ("messaging phase (s)", summary["talk_s"]),
        ("all clients connected in (s)", summary["connect_all_s"]),
        ("server RSS MB before / connected / peak / after",
         " / ".join("n/a" if v is None else f"{v:.0f}" for v in (memory["before"], memory["connected"], memory["peak"], memory["after"]))),
    ])  # fmt: skip
    for error in summary["errors"]:
        print(f"error: {error}")


def parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--messages", type=int, default=5, help="messages per client")
    parser.add_argument("--connect-concurrency", type=int, default=50, help="connections opened at once")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for one reply")
    parser.add_argument("--url", help="use this running Rasa server (nothing is started)")
    parser.add_argument("--server-pid", type=int, help="with --url: the Rasa server's pid, for its memory")
    parser.add_argument("--rasa-port", type=int, default=5015)
    parser.add_argument("--actions-port", type=int, default=5065)
    parser.add_argument("--model", type=Path, default=PROJECT_ROOT / "models" / "current.tar.gz")
    parser.add_argument("--inherit-db-env", action="store_true", help="keep DATABASE_URL and REDIS_URL")
    parser.add_argument("--startup-timeout", type=float, default=600.0)
    parser.add_argument("--out", type=Path)
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    environment = environment_info()
    if args.url:
        with MemorySampler(args.server_pid) as memory:
            summary = summarise(asyncio.run(load(args.url, args, memory)), memory, args)
    else:
        with servers(args) as (url, pid), MemorySampler(pid) as memory:
            summary = summarise(asyncio.run(load(url, args, memory)), memory, args)
    report(summary)
    path = write_json({"environment": environment, "summary": summary}, args.out, "socket_load.json")
    print(f"\nwrote {path}")
    complete = summary["turns_as_expected"] == summary["turns_expected"]
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())
