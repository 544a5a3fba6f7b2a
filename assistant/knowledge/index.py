"""The search index of the help centre: BM25 over words beside MiniLM sentence embeddings
(the NLU's encoder, assistant/embeddings.py), fused by weighted reciprocal rank. BM25+ rather than
Okapi BM25: its word weights never turn negative, however few the articles.

:class:`KnowledgeBase` builds the index on first use (or by ``python -m assistant.knowledge
build``), keeps the embeddings in ``var/knowledge/<hash>.npy`` and rebuilds when the articles'
fingerprint changes (checked at most every ``check_seconds``).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, List, Optional, Sequence

import numpy as np
from rank_bm25 import BM25Plus

from assistant.knowledge.articles import KNOWLEDGE_DIR, Chunk, article_files, fingerprint, load_chunks

logger = logging.getLogger(__name__)
Embedder = Callable[[Sequence[str]], np.ndarray]
RRF_K = 60  # the usual constant of reciprocal rank fusion
# The semantic ranking counts this many times the lexical one: on the benchmark's paraphrased
# questions MiniLM ranks far better than BM25 (benchmarks/RESULTS.md, knowledge search).
SEMANTIC_WEIGHT = 4.0
STOPWORDS = frozenset(
    "a an and are as at be by can do does for from have how i if in is it its me my of on or our "
    "so that the their there this to was we what when where which who why will with you your".split()
)


def words(text: str) -> List[str]:
    """Lower-case word tokens without stopwords, a light plural/suffix strip."""
    tokens = re.findall(r"[a-z0-9$%]+", text.lower())
    return [t[:-1] if len(t) > 3 and t.endswith("s") and not t.endswith("ss") else t
            for t in tokens if t not in STOPWORDS]  # fmt: skip


@dataclass(frozen=True)
class Hit:
    """A ranked passage: ``relevance`` is its cosine similarity to the question (0-1), the
    ``score`` its fused rank score; ``bm25`` the lexical score."""

    chunk: Chunk
    relevance: float
    score: float
    bm25: float


class KnowledgeIndex:
    """BM25 and embeddings over a fixed list of chunks."""

    def __init__(self, chunks: List[Chunk], vectors: Optional[np.ndarray], version: str,
                 semantic_weight: float = SEMANTIC_WEIGHT) -> None:  # fmt: skip
        self.chunks = chunks
        self.semantic_weight = semantic_weight
        self.vectors = vectors
        self.version = version
        self.bm25 = BM25Plus([words(c.searchable) for c in chunks]) if chunks else None

    def search(self, query: str, embedder: Optional[Embedder], limit: int = 5) -> List[Hit]:
        """The ``limit`` best chunks by the fused BM25 and semantic ranks."""
        if not self.chunks or not query.strip():
            return []
        lexical = np.asarray(self.bm25.get_scores(words(query)), dtype=np.float64) if self.bm25 else None
        semantic = None
        if embedder is not None and self.vectors is not None:
            semantic = (self.vectors @ embedder([query])[0]).astype(np.float64)
        fused = np.zeros(len(self.chunks))
        for scores, weight in ((lexical, 1.0), (semantic, self.semantic_weight)):
            if scores is not None:
                ranks = np.empty(len(scores), dtype=np.int64)
                ranks[np.argsort(-scores, kind="stable")] = np.arange(len(scores))
                fused += weight / (RRF_K + 1 + ranks)
        order = np.argsort(-fused, kind="stable")[:limit]
        return [Hit(self.chunks[i], _relevance(semantic, lexical, i), float(fused[i]),
                    float(lexical[i]) if lexical is not None else 0.0) for i in order]  # fmt: skip


def _relevance(semantic: Optional[np.ndarray], lexical: Optional[np.ndarray], i: int) -> float:
    if semantic is not None:
        return round(float(min(max(semantic[i], 0.0), 1.0)), 4)
    top = float(lexical.max()) if lexical is not None and lexical.max() > 0 else 1.0
    return round(float(lexical[i]) / top * 0.5, 4) if lexical is not None else 0.0


class KnowledgeBase:
    """The index of ``directory``, rebuilt when its files change."""

    def __init__(self, directory: Path = KNOWLEDGE_DIR, cache_dir: Optional[Path] = None,
                 embedder: Optional[Embedder] = None, check_seconds: float = 5.0) -> None:  # fmt: skip
        self.directory = directory
        self.cache_dir = cache_dir
        self.embedder = embedder
        self.check_seconds = check_seconds
        self._index: Optional[KnowledgeIndex] = None
        self._checked = 0.0
        self._lock = threading.Lock()

    def index(self) -> KnowledgeIndex:
        """The current index (built, or rebuilt when the articles changed)."""
        with self._lock:
            now = time.monotonic()
            if self._index is not None and now - self._checked < self.check_seconds:
                return self._index
            self._checked = now
            files = article_files(self.directory)
            version = fingerprint(files)
            if self._index is None or self._index.version != version:
                self._index = self._build(files, version)
            return self._index

    def search(self, query: str, limit: int = 5) -> List[Hit]:
        return self.index().search(query, self.embedder, limit)

    def _build(self, files: List[Path], version: str) -> KnowledgeIndex:
        started = time.monotonic()
        chunks = load_chunks(files)
        vectors = self._vectors(chunks, version) if self.embedder is not None else None
        logger.info("knowledge: indexed %d passages of %d articles in %.2f s (version %s)",
                    len(chunks), len(files), time.monotonic() - started, version[:12])  # fmt: skip
        return KnowledgeIndex(chunks, vectors, version)

    def _vectors(self, chunks: List[Chunk], version: str) -> np.ndarray:
        cached = self.cache_dir / f"{version[:32]}.npy" if self.cache_dir else None
        if cached is not None and cached.is_file():
            vectors = np.load(cached)
            if vectors.shape[0] == len(chunks):
                return vectors
        assert self.embedder is not None
        vectors = self.embedder([c.searchable for c in chunks]).astype(np.float32)
        if cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            np.save(cached, vectors)
        return vectors
