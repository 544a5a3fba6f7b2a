"""Knowledge-base search (assistant/knowledge/): recall@1 and recall@3 of the article that
answers each of 66 questions, for BM25 alone, MiniLM alone and both fused (what the assistant
uses), how well the grounding threshold tells answerable from unanswerable questions, and the
latency of building the index and of one search.

    PYTHONPATH=. .venv/bin/python benchmarks/knowledge_search.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.knowledge import KnowledgeBase, minilm_embedder  # noqa: E402
from assistant.knowledge.answers import GROUNDED_RELEVANCE  # noqa: E402
from assistant.knowledge.index import SEMANTIC_WEIGHT, Embedder, KnowledgeIndex  # noqa: E402
from benchmarks.knowledge_questions import QUESTIONS, UNANSWERED  # noqa: E402


def recall(index: KnowledgeIndex, embedder: Optional[Embedder], lexical: bool = True,
           weight: float = SEMANTIC_WEIGHT) -> Dict[str, float]:  # fmt: skip
    """recall@1 and @3 of the articles (a hit is any chunk of the right article)."""
    bm25, default = index.bm25, index.semantic_weight
    index.semantic_weight = weight
    if not lexical:
        index.bm25 = None
    at1 = at3 = 0
    for question, article in QUESTIONS:
        articles = [h.chunk.article for h in index.search(question, embedder, limit=10)]
        ranked = list(dict.fromkeys(articles))
        at1 += ranked[:1] == [article]
        at3 += article in ranked[:3]
    index.bm25, index.semantic_weight = bm25, default
    return {"recall@1": at1 / len(QUESTIONS), "recall@3": at3 / len(QUESTIONS)}


def grounded(kb: KnowledgeBase, question: str) -> List[str]:
    """The articles of the passages an answer would use (as assistant/knowledge/answers.py)."""
    return [h.chunk.article for h in kb.search(question, 3) if h.relevance >= GROUNDED_RELEVANCE]


def grounding(kb: KnowledgeBase) -> Dict[str, float]:
    """Answerable questions that get an answer (and from the right article first); unanswerable
    ones that get "I don't know"."""
    kept = [grounded(kb, q) for q, _ in QUESTIONS]
    right = sum(bool(k) and k[0] == a for k, (_, a) in zip(kept, QUESTIONS, strict=True))
    refused = sum(not grounded(kb, q) for q in UNANSWERED)
    return {"answerable answered": sum(map(bool, kept)) / len(kept),
            "answered from the right article": right / len(kept),
            "unanswerable refused": refused / len(UNANSWERED)}  # fmt: skip


def latency(kb: KnowledgeBase) -> Dict[str, float]:
    times: List[float] = []
    for _ in range(3):
        for question, _ in QUESTIONS:
            started = time.perf_counter()
            kb.search(question, 5)
            times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {"p50 ms": statistics.median(times), "p95 ms": times[int(len(times) * 0.95)], "max ms": times[-1]}


def main() -> None:
    embedder = minilm_embedder()
    embedder(["warm up"])  # load the ONNX model outside the timings
    with tempfile.TemporaryDirectory() as cache:
        started = time.perf_counter()
        kb = KnowledgeBase(cache_dir=Path(cache), embedder=embedder)
        index = kb.index()
        cold = time.perf_counter() - started
        started = time.perf_counter()
        KnowledgeBase(cache_dir=Path(cache), embedder=embedder).index()
        cached = time.perf_counter() - started
    articles = len({c.article for c in index.chunks})
    print(
        f"{len(QUESTIONS)} questions, {len(UNANSWERED)} unanswerable; {articles} articles, {len(index.chunks)} passages"
    )
    print(f"index build: {cold:.2f} s (embedding every passage), {cached:.3f} s (embeddings from the cache)")
    runs = [("BM25 alone", recall(index, None)), ("MiniLM alone", recall(index, embedder, False))]
    runs += [(f"RRF, MiniLM x{w:g}", recall(index, embedder, weight=w)) for w in (1, 2, 4)]
    for name, figures in runs:
        print(f"{name:18} recall@1 {figures['recall@1']:.1%}  recall@3 {figures['recall@3']:.1%}")
    for name, value in grounding(kb).items():
        print(f"threshold {GROUNDED_RELEVANCE}: {name} {value:.1%}")
    print(f"(the assistant uses RRF with MiniLM x{SEMANTIC_WEIGHT:g})")
    print("search latency (fused, limit 5): " + ", ".join(f"{k} {v:.2f}" for k, v in latency(kb).items()))


if __name__ == "__main__":
    main()
