"""End-to-end turn latency of the assistant over Rasa's REST channel.

Starts the action server (``rasa run actions --actions actions``) and the Rasa server
(``rasa run --enable-api -m models/current.tar.gz --endpoints endpoints.yml --credentials
credentials.yml``) as subprocesses with the project's defaults (SQLite under ``var/``, in-memory
lock store: ``DATABASE_URL``/``REDIS_URL`` are removed from their environment unless
``--inherit-db-env``), waits until ``/status`` reports a loaded model and the action server's
``/health`` answers, runs three phases and stops both servers again.  With ``--url`` it uses an
already running Rasa server instead and starts nothing.

A "turn" is one POST to ``/webhooks/rest/webhook`` until the bot's reply list arrives (NLU,
policies, every action incl. custom actions on the action server, tracker load and save).
The message mix is a realistic, seeded sample of greetings, FAQ questions, "where is my order
48213", thanks and out-of-scope requests; nothing that pauses a conversation (handoff,
complaints) is sent.  Every reply is checked for an expected phrase so that a broken flow shows
up as "unexpected replies" rather than as fast, empty turns.

Phases:
  1. one client, sequential: ``--messages`` turns as conversations of ``--conversation-length``;
  2. ``--clients`` concurrent clients (distinct sender ids), ``--messages-per-client`` each;
  3. one sender talking ``--long-turns`` turns: mean latency of turns 1-5 vs 46-50 (and slope).

Usage (from the project root)::

    .venv/bin/python benchmarks/turn_latency.py                          # full run
    .venv/bin/python benchmarks/turn_latency.py --messages 20 --clients 4 \\
        --messages-per-client 5 --long-turns 50                           # quick run
    .venv/bin/python benchmarks/turn_latency.py --url http://localhost:5005   # existing server

Writes benchmarks/out/turn_latency.json (override with --out); server logs go to a temporary
directory whose path is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import aiohttp
import yaml  # type: ignore[import-untyped]
from _common import PROJECT_ROOT, environment_info, latency_summary, print_table, write_json

VENV_BIN = PROJECT_ROOT / ".venv" / "bin"
# kind -> [(message, phrase the reply must contain, case-insensitive)]
MESSAGES: Dict[str, List[Tuple[str, str]]] = {
    "greet": [("hi", "help"), ("hello there", "help"), ("good morning", "help")],
    "faq": [
        ("what are your opening hours?", "monday"),
        ("do you take paypal", "paypal"),
        ("what is your return policy", "30 days"),
        ("how long is the warranty", "warranty"),
        ("do you have a student discount", "15%"),
    ],
    "order": [("where is my order 48213", "48213")],
    "thanks": [("thanks", "help"), ("thank you so much", "help")],
    "out_of_scope": [
        ("what's the weather like today?", "outside what i can help"),
        ("tell me a joke", "outside what i can help"),
    ],
}
WEIGHTS = {"greet": 0.1, "faq": 0.4, "order": 0.2, "thanks": 0.15, "out_of_scope": 0.15}
# Phase 3 repeats this block so that turns 1-5 and 46-50 send the same kinds of message.
LONG_CYCLE = ("greet", "faq", "order", "thanks", "out_of_scope")


@dataclass
class Message:
    kind: str
    text: str
    expect: str


@dataclass
class Turn:
    sender: str
    index: int
    kind: str
    text: str
    seconds: float
    status: int
    replies: int
    as_expected: bool
    reply: str


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", default=None, help="use this running Rasa server; start nothing")
    p.add_argument("--rasa-port", type=int, default=5005)
    p.add_argument("--actions-port", type=int, default=5055)
    p.add_argument("--model", type=Path, default=PROJECT_ROOT / "models" / "current.tar.gz")
    p.add_argument(
        "--var-dir",
        type=Path,
        default=None,
        help="ASSISTANT_VAR_DIR for the servers (default: the project's var/)",
    )
    p.add_argument(
        "--inherit-db-env",
        action="store_true",
        help="keep DATABASE_URL/REDIS_URL in the servers' environment",
    )
    p.add_argument("--no-seed", action="store_true", help="skip python -m assistant.store.seed")
    p.add_argument("--startup-timeout", type=float, default=300.0)
    p.add_argument("--request-timeout", type=float, default=60.0)
    p.add_argument("--messages", type=int, default=200, help="phase 1: sequential turns")
    p.add_argument("--conversation-length", type=int, default=10, help="phase 1: turns/sender")
    p.add_argument("--clients", type=int, default=20, help="phase 2: concurrent clients")
    p.add_argument("--messages-per-client", type=int, default=20)
    p.add_argument("--long-turns", type=int, default=60, help="phase 3: turns of one sender")
    p.add_argument("--warmup", type=int, default=5, help="unmeasured turns before phase 1")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--out", type=Path, default=None, help="JSON output path")
    return p.parse_args(argv)


# --------------------------------------------------------------------------- servers


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def server_env(args: argparse.Namespace) -> Dict[str, str]:
    env = dict(os.environ, PYTHONUNBUFFERED="1", RASA_TELEMETRY_ENABLED="false")
    if not args.inherit_db_env:
        env.pop("DATABASE_URL", None)
        env.pop("REDIS_URL", None)
    if args.var_dir:
        env["ASSISTANT_VAR_DIR"] = str(args.var_dir.resolve())
    return env


def endpoints_file(args: argparse.Namespace, run_dir: Path) -> Path:
    """endpoints.yml with the action endpoint on ``--actions-port`` (a copy in ``run_dir``)."""
    endpoints = yaml.safe_load((PROJECT_ROOT / "endpoints.yml").read_text())
    endpoints["action_endpoint"]["url"] = f"http://localhost:{args.actions_port}/webhook"
    path = run_dir / "endpoints.yml"
    path.write_text(yaml.safe_dump(endpoints, sort_keys=False))
    return path


def spawn(cmd: List[str], log: Path, env: Dict[str, str]) -> subprocess.Popen:
    """Starts ``cmd`` in the project root in its own process group, output to ``log``."""
    handle = log.open("w")
    return subprocess.Popen(
        cmd, cwd=PROJECT_ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
    )


def stop(proc: subprocess.Popen, name: str) -> None:
    """SIGINT (graceful), then SIGTERM, then SIGKILL to the process group we started."""
    for sig, wait in ((signal.SIGINT, 20), (signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        if proc.poll() is not None:
            break
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
    print(f"stopped {name} (pid {proc.pid}, exit code {proc.returncode})")


def wait_ready(url: str, proc: Optional[subprocess.Popen], log: Optional[Path], timeout: float) -> float:
    """Polls ``url`` until it answers 200; returns seconds waited. Fails fast if ``proc`` dies."""
    import urllib.request

    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if proc is not None and proc.poll() is not None:
            tail = log.read_text()[-3000:] if log else ""
            raise RuntimeError(f"{url}: server exited with code {proc.returncode}\n{tail}")
        try:
            with urllib.request.urlopen(url, timeout=3) as response:
                if response.status == 200:
                    return time.monotonic() - start
        except OSError:
            pass
        time.sleep(1.0)
    raise RuntimeError(f"{url} not ready after {timeout:.0f}s (log: {log})")


@contextmanager
def running_servers(args: argparse.Namespace, run_dir: Path) -> Iterator[Dict[str, Any]]:
    """Starts action server + Rasa server, yields facts about them, always stops them."""
    for port in (args.rasa_port, args.actions_port):
        if port_in_use(port):
            raise SystemExit(f"port {port} is already in use: stop that server or use --url / other ports")
    env, procs = server_env(args), []
    model = run_dir / "model.tar.gz"
    shutil.copy2(args.model, model)  # a snapshot: a retraining cannot swap it mid-benchmark
    if not args.no_seed:
        subprocess.run(
            [str(VENV_BIN / "python"), "-m", "assistant.store.seed"], cwd=PROJECT_ROOT, env=env, check=True
        )
    try:
        actions_log, rasa_log = run_dir / "actions.log", run_dir / "rasa.log"
        procs.append(
            (
                "action server",
                spawn(
                    [
                        str(VENV_BIN / "rasa"),
                        "run",
                        "actions",
                        "--actions",
                        "actions",
                        "-p",
                        str(args.actions_port),
                    ],
                    actions_log,
                    env,
                ),
            )
        )
        procs.append(
            (
                "rasa server",
                spawn(
                    [
                        str(VENV_BIN / "rasa"),
                        "run",
                        "--enable-api",
                        "-m",
                        str(model),
                        "--endpoints",
                        str(endpoints_file(args, run_dir)),
                        "--credentials",
                        "credentials.yml",
                        "-p",
                        str(args.rasa_port),
                    ],
                    rasa_log,
                    env,
                ),
            )
        )
        url = f"http://localhost:{args.rasa_port}"
        ready = {
            "actions_ready_s": wait_ready(
                f"http://localhost:{args.actions_port}/health", procs[0][1], actions_log, args.startup_timeout
            ),
            "rasa_ready_s": wait_ready(f"{url}/status", procs[1][1], rasa_log, args.startup_timeout),
        }
        yield {
            "url": url,
            "logs": {"rasa": str(rasa_log), "actions": str(actions_log)},
            "model_snapshot_of": str(args.model),
            **ready,
        }
    finally:
        for name, proc in reversed(procs):
            stop(proc, name)


def log_problems(paths: Dict[str, str], limit: int = 5) -> Dict[str, List[str]]:
    """Lines of the server logs that mention an error or exception (first ``limit`` each)."""
    found: Dict[str, List[str]] = {}
    for name, path in paths.items():
        text = Path(path).read_text(errors="replace") if Path(path).exists() else ""
        lines = [
            ln
            for ln in text.splitlines()
            if any(w in ln for w in ("ERROR", "Traceback", "Exception", "exception"))
        ]
        found[name] = lines[:limit] + ([f"... {len(lines) - limit} more"] if len(lines) > limit else [])
    return found


# --------------------------------------------------------------------------- load


def cycle_messages(count: int) -> List[Message]:
    """``count`` messages repeating ``LONG_CYCLE`` (texts rotate within each kind)."""
    plan = []
    for i in range(count):
        options = MESSAGES[LONG_CYCLE[i % len(LONG_CYCLE)]]
        plan.append(Message(LONG_CYCLE[i % len(LONG_CYCLE)], *options[(i // len(LONG_CYCLE)) % len(options)]))
    return plan


def pick_messages(rng: random.Random, count: int) -> List[Message]:
    """A conversation's messages: a greeting first, then a weighted sample of the mix."""
    kinds = list(WEIGHTS)
    chosen = ["greet"] + rng.choices(kinds, weights=[WEIGHTS[k] for k in kinds], k=max(count - 1, 0))
    return [Message(kind, *rng.choice(MESSAGES[kind])) for kind in chosen[:count]]


async def send(session: aiohttp.ClientSession, url: str, sender: str, index: int, msg: Message) -> Turn:
    """One turn; a timeout or connection error is recorded as status 0, not raised."""
    start = time.perf_counter()
    try:
        async with session.post(
            f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": msg.text}
        ) as response:
            status = response.status
            body = await response.json(content_type=None) if status == 200 else []
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        status, body = 0, [{"text": f"{type(exc).__name__}: {exc}"}]
    seconds = time.perf_counter() - start
    text = " | ".join(str(m.get("text", m)) for m in body or [])
    return Turn(
        sender,
        index,
        msg.kind,
        msg.text,
        seconds,
        status,
        len(body or []) if status == 200 else 0,
        status == 200 and msg.expect in text.lower(),
        text[:160],
    )


async def conversation(
    session: aiohttp.ClientSession, url: str, sender: str, messages: List[Message]
) -> List[Turn]:
    """Sends ``messages`` one after another (each waits for the previous reply)."""
    return [await send(session, url, sender, i, m) for i, m in enumerate(messages, start=1)]


def sender_id(run_id: str, phase: str, n: int) -> str:
    return f"bench-{run_id}-{phase}-{n:03d}"


async def phase_sequential(
    session: aiohttp.ClientSession, url: str, args: argparse.Namespace, rng: random.Random, run_id: str
) -> Tuple[List[Turn], float]:
    turns: List[Turn] = []
    start = time.perf_counter()
    for n, first in enumerate(range(0, args.messages, args.conversation_length)):
        count = min(args.conversation_length, args.messages - first)
        turns += await conversation(session, url, sender_id(run_id, "seq", n), pick_messages(rng, count))
    return turns, time.perf_counter() - start


async def phase_concurrent(
    session: aiohttp.ClientSession, url: str, args: argparse.Namespace, rng: random.Random, run_id: str
) -> Tuple[List[Turn], float]:
    plans = [pick_messages(rng, args.messages_per_client) for _ in range(args.clients)]
    start = time.perf_counter()
    results = await asyncio.gather(
        *(conversation(session, url, sender_id(run_id, "conc", n), plan) for n, plan in enumerate(plans))
    )
    return [t for turns in results for t in turns], time.perf_counter() - start


async def run_phases(url: str, args: argparse.Namespace, run_id: str) -> Dict[str, Tuple[List[Turn], float]]:
    rng = random.Random(args.seed)
    timeout = aiohttp.ClientTimeout(total=args.request_timeout)
    connector = aiohttp.TCPConnector(limit=max(args.clients, 1) + 2)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        warm = await conversation(session, url, sender_id(run_id, "warm", 0), pick_messages(rng, args.warmup))
        phases = {"warmup": (warm, sum(t.seconds for t in warm))}
        print("phase 1: one client, sequential ...", flush=True)
        phases["sequential"] = await phase_sequential(session, url, args, rng, run_id)
        print(f"phase 2: {args.clients} concurrent clients ...", flush=True)
        phases["concurrent"] = await phase_concurrent(session, url, args, rng, run_id)
        print(f"phase 3: one sender, {args.long_turns} turns ...", flush=True)
        start = time.perf_counter()
        long = await conversation(session, url, sender_id(run_id, "long", 0), cycle_messages(args.long_turns))
        phases["long_conversation"] = (long, time.perf_counter() - start)
    return phases


# --------------------------------------------------------------------------- report


def phase_summary(turns: List[Turn], wall: float) -> Dict[str, Any]:
    ok = [t for t in turns if t.status == 200]
    return {
        **latency_summary([t.seconds for t in turns]),
        "wall_s": wall,
        "messages_per_s": len(turns) / wall if wall else float("nan"),
        "http_errors": len(turns) - len(ok),
        "empty_replies": sum(1 for t in ok if t.replies == 0),
        "unexpected_replies": sum(1 for t in turns if not t.as_expected),
    }


def turn_window(turns: List[Turn], first: int, last: int) -> Optional[float]:
    """Mean latency (ms) of turns ``first``..``last`` (1-based, inclusive), None if absent."""
    window = [t.seconds * 1000 for t in turns if first <= t.index <= last]
    return statistics.fmean(window) if window else None


def long_summary(turns: List[Turn]) -> Dict[str, Any]:
    """Turn 1-5 vs 46-50 (and the last five) plus a least-squares slope over turns 2..N."""
    n = len(turns)
    later = [(t.index, t.seconds * 1000) for t in turns if t.index >= 2]
    slope = statistics.linear_regression(*zip(*later, strict=False)).slope if len(later) >= 2 else None
    windows = [(1, 5), (6, 10), (46, 50), (max(n - 4, 1), n)]
    return {
        "turns": n,
        "turn_1_ms": turns[0].seconds * 1000 if turns else None,
        "window_means_ms": {f"{a}-{b}": turn_window(turns, a, b) for a, b in windows},
        "slope_ms_per_turn_2_to_n": slope,
    }


def print_report(
    summaries: Dict[str, Dict[str, Any]], long: Dict[str, Any], args: argparse.Namespace
) -> None:
    labels = {
        "sequential": f"1 client, {args.messages} msgs",
        "concurrent": f"{args.clients} clients x {args.messages_per_client} msgs",
    }
    rows = [
        [
            labels[k],
            s["count"],
            s["p50_ms"],
            s["p95_ms"],
            s["p99_ms"],
            s["mean_ms"],
            s["messages_per_s"],
            s["http_errors"] + s["empty_replies"],
            s["unexpected_replies"],
        ]
        for k, s in summaries.items()
        if k in labels
    ]
    print_table(
        "Turn latency over /webhooks/rest/webhook (ms)",
        ["phase", "n", "p50", "p95", "p99", "mean", "msg/s", "failed", "unexpected"],
        rows,
    )
    rows = [["turn 1 alone (session start)", long["turn_1_ms"]]]
    rows += [[f"mean of turns {w}", v] for w, v in long["window_means_ms"].items() if v is not None]
    rows += [["slope over turns 2..N (ms per turn)", long["slope_ms_per_turn_2_to_n"]]]
    print_table(
        f"One sender, {long['turns']} turns, repeating {'/'.join(LONG_CYCLE)} (ms)", ["turns", "ms"], rows
    )


def kind_summary(turns: List[Turn]) -> Dict[str, Dict[str, float]]:
    """Latency summary per message kind."""
    kinds = sorted({t.kind for t in turns})
    return {k: latency_summary([t.seconds for t in turns if t.kind == k]) for k in kinds}


def print_kinds(by_kind: Dict[str, Dict[str, float]]) -> None:
    print_table(
        "Phase 1 by message kind (ms)",
        ["kind", "n", "p50", "p95", "mean"],
        [[k, s["count"], s["p50_ms"], s["p95_ms"], s["mean_ms"]] for k, s in by_kind.items()],
    )


def print_unexpected(phases: Dict[str, Tuple[List[Turn], float]], limit: int = 8) -> None:
    bad = [t for turns, _ in phases.values() for t in turns if not t.as_expected]
    if bad:
        print_table(
            f"Unexpected replies ({len(bad)}; first {limit})",
            ["message", "status", "reply"],
            [[t.text, t.status, t.reply[:90] or "(no reply)"] for t in bad[:limit]],
        )


def collect(args: argparse.Namespace, run_id: str, run_dir: Path) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """(server facts, phase results), against ``--url`` or servers started here."""
    if args.url:
        url = args.url.rstrip("/")
        wait_ready(f"{url}/status", None, None, args.startup_timeout)
        return {"url": url, "logs": {}}, asyncio.run(run_phases(url, args, run_id))
    with running_servers(args, run_dir) as server:
        print(
            f"servers ready (actions {server['actions_ready_s']:.1f}s, "
            f"rasa {server['rasa_ready_s']:.1f}s)",
            flush=True,
        )
        return server, asyncio.run(run_phases(server["url"], args, run_id))


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that the servers get stopped
    run_id = uuid.uuid4().hex[:8]
    run_dir = Path(tempfile.mkdtemp(prefix="bench-turn-latency-"))
    print(f"run {run_id}; logs and scratch files in {run_dir}", flush=True)
    try:
        server, phases = collect(args, run_id, run_dir)
    except RuntimeError as exc:
        print(f"\nERROR: {exc}", file=sys.stderr)
        return 2
    return report(args, run_id, server, phases)


def report(
    args: argparse.Namespace, run_id: str, server: Dict[str, Any], phases: Dict[str, Tuple[List[Turn], float]]
) -> int:
    summaries = {name: phase_summary(turns, wall) for name, (turns, wall) in phases.items()}
    long = long_summary(phases["long_conversation"][0])
    if phases["warmup"][0]:
        print(
            f"\nfirst turn of the run (cold if the servers were just started): "
            f"{phases['warmup'][0][0].seconds * 1000:.0f} ms"
        )
    by_kind = kind_summary(phases["sequential"][0])
    print_report(summaries, long, args)
    print_kinds(by_kind)
    print_unexpected(phases)
    problems = log_problems(server.get("logs", {}))
    for name, lines in problems.items():
        print(f"\n{name} log: {'no errors' if not lines else 'PROBLEMS:'}")
        for line in lines:
            print(f"  {line[:200]}")
    path = write_json(
        {
            "benchmark": "turn_latency",
            "run_id": run_id,
            "environment": environment_info(),
            "settings": vars(args),
            "server": server,
            "summary": summaries,
            "long_conversation": long,
            "phase1_by_kind": by_kind,
            "log_problems": problems,
            "turns": {k: [asdict(t) for t in v[0]] for k, v in phases.items()},
        },
        args.out,
        "turn_latency.json",
    )
    print(f"\nwrote {path}")
    failed = sum(s["http_errors"] + s["empty_replies"] for s in summaries.values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
