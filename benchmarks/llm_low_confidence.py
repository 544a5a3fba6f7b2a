"""The LLM's reading of the messages the NLU is unsure about (assistant/llm/classify.py), on the
held-out messages of the 5-fold cross-validation that the FallbackClassifier sends to the
two-stage fallback (``benchmarks/out/nlu_cross_validation.json``, from nlu_cross_validation.py).

For each such message whose true intent is one the fallback can suggest (actions/support.py
INTENT_LABELS) it compares the NLU's top intent with the LLM's choice; for the others it counts
how often the LLM rightly says none. The LLM is an OpenAI-compatible endpoint (``--base-url``
and ``--model``) or SmolLM2 served by llama.cpp (``--server-python`` and ``--gguf``, as
offline_llm.py).

    PYTHONPATH=. .venv/bin/python benchmarks/llm_low_confidence.py --server-python ... --gguf ...
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from actions.support import INTENT_LABELS  # noqa: E402
from assistant.llm import CallRecord, LLMClient  # noqa: E402
from assistant.llm.classify import classify_intent  # noqa: E402
from assistant.settings import LLMSettings  # noqa: E402
from benchmarks.offline_llm import free_port, start_server  # noqa: E402

CV = Path(__file__).resolve().parent / "out" / "nlu_cross_validation.json"


def unsure_messages(path: Path) -> List[Dict[str, Any]]:
    folds = json.loads(path.read_text())["folds"]
    return [p for fold in folds for p in fold["predictions"] if p["fallback"]]


async def evaluate(url: str, model: str, messages: List[Dict[str, Any]]) -> None:
    records: List[CallRecord] = []
    settings = LLMSettings(base_url=url, model=model, timeout_seconds=90, turn_deadline_seconds=100,
                           max_attempts=1, breaker_failures=10_000)  # fmt: skip
    llm = LLMClient(settings, recorder=records.append)
    suggestable = [m for m in messages if m["gold"] in INTENT_LABELS]
    nlu_right = llm_right = 0
    for message in suggestable:
        guess = await classify_intent(llm, message["text"], INTENT_LABELS)
        nlu_right += message["predicted"] == message["gold"]
        llm_right += guess == message["gold"]
    others = [m for m in messages if m["gold"] not in INTENT_LABELS]
    none_said = 0
    for message in others:
        none_said += await classify_intent(llm, message["text"], INTENT_LABELS) is None
    print(
        f"{len(messages)} unsure held-out messages; {len(suggestable)} whose intent the fallback can suggest"
    )
    if suggestable:
        print(f"right intent: NLU top-1 {nlu_right}/{len(suggestable)}, LLM {llm_right}/{len(suggestable)}")
    if others:
        print(f"other intents (faq, greet, inform, ...): LLM said none for {none_said}/{len(others)}")
    latencies = sorted(r.latency_ms for r in records)
    if latencies:
        print(
            f"LLM calls {len(records)}, latency p50 {statistics.median(latencies)} ms, max {latencies[-1]} ms"
        )


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cv", type=Path, default=CV)
    parser.add_argument("--base-url")
    parser.add_argument("--model", default="smollm2")
    parser.add_argument("--server-python")
    parser.add_argument("--gguf")
    args = parser.parse_args(argv)
    messages = unsure_messages(args.cv)
    if args.base_url:
        asyncio.run(evaluate(args.base_url, args.model, messages))
        return
    port = free_port()
    server = start_server(args.server_python, args.gguf, port)
    try:
        asyncio.run(evaluate(f"http://127.0.0.1:{port}/v1", args.model, messages))
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
