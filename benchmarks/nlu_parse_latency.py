"""`/model/parse` latency of a trained model, one message at a time, over HTTP.

Starts ``rasa run --enable-api`` with the model (no action server: parsing needs none) on a
free port, waits until the model is loaded, sends ``--warmup`` then ``--messages`` parse
requests one after another (each waits for the previous answer), and reports p50/p95/p99 and
the mean in milliseconds, with the machine's load average before and after. The messages are
the user turns of tests/test_stories.yml (entity markup removed), cycled.

Usage (from the project root)::

    .venv/bin/python benchmarks/nlu_parse_latency.py                  # models/current.tar.gz
    .venv/bin/python benchmarks/nlu_parse_latency.py --model other.tar.gz --messages 500

Writes benchmarks/out/nlu_parse_latency.json (override with --out).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import List, Optional, Sequence

import yaml  # type: ignore[import-untyped]
from _common import PROJECT_ROOT, environment_info, latency_summary, print_table, write_json
from turn_latency import spawn, stop, wait_ready

ENTITY = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=PROJECT_ROOT / "models" / "current.tar.gz")
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--startup-timeout", type=float, default=300)
    parser.add_argument("--out", type=Path, default=None)
    return parser.parse_args(argv)


def story_texts() -> List[str]:
    """User turns of the end-to-end test stories, as plain text."""
    stories = yaml.safe_load((PROJECT_ROOT / "tests" / "test_stories.yml").read_text())["stories"]
    turns = [str(s["user"]).strip() for story in stories for s in story["steps"] if "user" in s]
    return [ENTITY.sub(r"\1", t) for t in turns]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def post_parse(url: str, text: str) -> float:
    """Seconds for one POST /model/parse (the answer read in full)."""
    request = urllib.request.Request(
        f"{url}/model/parse",
        data=json.dumps({"text": text}).encode(),
        headers={"Content-Type": "application/json"},
    )
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30) as response:
        json.loads(response.read())
    return time.perf_counter() - start


def measure(url: str, texts: List[str], warmup: int, count: int) -> List[float]:
    for i in range(warmup):
        post_parse(url, texts[i % len(texts)])
    return [post_parse(url, texts[i % len(texts)]) for i in range(count)]


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    port, texts = free_port(), story_texts()
    env = dict(os.environ, RASA_TELEMETRY_ENABLED="false", PYTHONUNBUFFERED="1")
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    log = Path(tempfile.mkdtemp(prefix="bench-parse-")) / "rasa.log"
    rasa = str(PROJECT_ROOT / ".venv" / "bin" / "rasa")
    cmd = [
        rasa,
        "run",
        "--enable-api",
        "--port",
        str(port),
        "--model",
        str(args.model),
        "--quiet",
    ]
    proc = spawn(cmd, log, env)
    load_before = os.getloadavg()
    try:
        wait_ready(f"http://127.0.0.1:{port}/status", proc, log, args.startup_timeout)
        seconds = measure(f"http://127.0.0.1:{port}", texts, args.warmup, args.messages)
    finally:
        stop(proc, "rasa server")
    summary = latency_summary(seconds)
    print_table(
        f"/model/parse, {args.messages} sequential requests ({len(texts)} distinct texts)",
        ["p50 ms", "p95 ms", "p99 ms", "mean ms"],
        [[summary["p50_ms"], summary["p95_ms"], summary["p99_ms"], summary["mean_ms"]]],
    )
    print(f"load average before {load_before[0]:.2f}, after {os.getloadavg()[0]:.2f}")
    info = {**environment_info(), "load_average_before": list(load_before)}
    path = write_json(
        {"benchmark": "nlu_parse_latency", "environment": info, "settings": vars(args), "latency": summary},
        args.out,
        "nlu_parse_latency.json",
    )
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
