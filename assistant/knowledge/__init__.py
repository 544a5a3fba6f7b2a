"""The help centre as a knowledge base: articles (articles.py), search (index.py), the guard
against injected instructions (guard.py) and grounded answers (answers.py)."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Optional, Sequence

import numpy as np

from assistant.embeddings import SentenceEncoder, embed
from assistant.knowledge.index import Hit, KnowledgeBase, KnowledgeIndex
from assistant.settings import Settings, get_settings


@lru_cache(maxsize=1)
def minilm_embedder() -> MiniLMEmbedder:
    return MiniLMEmbedder()


class MiniLMEmbedder:
    """The NLU's MiniLM encoder (assistant/embeddings.py), started on first use."""

    def __init__(self) -> None:
        self._encoder: Optional[SentenceEncoder] = None

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        if self._encoder is None:
            self._encoder = SentenceEncoder(max_word_pieces=256, threads=1)
        return embed(self._encoder, texts)


def build_knowledge_base(settings: Optional[Settings] = None, semantic: bool = True) -> KnowledgeBase:
    """The help centre's knowledge base; embeddings cached under ``var/knowledge``."""
    settings = settings or get_settings()
    return KnowledgeBase(cache_dir=settings.var_dir / "knowledge",
                         embedder=minilm_embedder() if semantic else None)  # fmt: skip


_shared: Optional[KnowledgeBase] = None


def shared_knowledge_base(settings: Optional[Settings] = None) -> KnowledgeBase:
    """This process's knowledge base (the action server's and the admin API's)."""
    global _shared
    if _shared is None:
        _shared = build_knowledge_base(settings)
    return _shared


def warm_up(settings: Optional[Settings] = None) -> None:
    """Builds the index now (at a server's start) rather than on the first question."""
    try:
        shared_knowledge_base(settings).index()
    except Exception:  # a broken article must not stop the server: search then says why
        logging.getLogger(__name__).exception("knowledge: could not build the index")


__all__ = [
    "shared_knowledge_base",
    "warm_up",
    "Hit",
    "KnowledgeBase",
    "KnowledgeIndex",
    "build_knowledge_base",
    "minilm_embedder",
]
