"""Articles, chunks and the fused BM25 + MiniLM search."""

from __future__ import annotations

import re
from pathlib import Path
from typing import List, Sequence

import numpy as np

from assistant.knowledge import KnowledgeBase
from assistant.knowledge.answers import GROUNDED_RELEVANCE
from assistant.knowledge.articles import KNOWLEDGE_DIR, article_files, load_chunks, parse_article
from assistant.settings import Settings
from assistant.store.models import PLAN_PRICES
from tests.assistant.knowledge.conftest import INJECTED


def test_the_help_centre_has_at_least_20_articles_with_titles() -> None:
    files = article_files(KNOWLEDGE_DIR)
    assert len(files) >= 20
    for path in files:
        title, sections = parse_article(path.stem, path.read_text())
        assert path.read_text().startswith(f"# {title}\n") and sections, path.name


def test_articles_agree_with_the_stores_facts() -> None:
    pricing = (KNOWLEDGE_DIR / "plans-and-pricing.md").read_text()
    assert all(f"{plan} at ${price:.0f} per month" in pricing for plan, price in PLAN_PRICES.items())
    returns = (KNOWLEDGE_DIR / "return-policy.md").read_text()
    assert f"within {Settings().return_window_days} days of delivery" in returns


def test_a_passage_with_instructions_is_left_out(poisoned_dir: Path) -> None:
    chunks = load_chunks(article_files(poisoned_dir))
    assert [c.heading for c in chunks if c.article == "gift-wrapping"] == ["Wrapping an order"]
    assert all(INJECTED not in c.text for c in chunks)


def test_search_finds_the_article_that_answers(knowledge: KnowledgeBase) -> None:
    expected = {"How do I return an item?": "how-to-return", "do you deliver to Canada": "international-shipping",
                "how much does the premium plan cost": "plans-and-pricing",
                "can I combine two promo codes on one order": "promo-codes-and-discounts",
                "is accidental damage covered by the warranty": "warranty"}  # fmt: skip
    for question, article in expected.items():
        hits = knowledge.search(question, limit=3)
        assert article in [h.chunk.article for h in hits], question
        assert hits[0].relevance >= GROUNDED_RELEVANCE


def test_an_unrelated_question_finds_nothing_grounded(knowledge: KnowledgeBase) -> None:
    for question in ("what's the weather like tomorrow?", "tell me a joke", "who won the football"):
        assert knowledge.search(question, limit=1)[0].relevance < GROUNDED_RELEVANCE, question


class CountingEmbedder:
    """Bag-of-letters vectors, counting the texts it embeds."""

    def __init__(self) -> None:
        self.texts: List[str] = []

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        self.texts += list(texts)
        rows = np.array([[t.lower().count(c) for c in "abcdefghijklmnopqrstuvwxyz"] for t in texts], float)
        return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-9)


def test_the_index_is_rebuilt_when_the_articles_change(poisoned_dir: Path, tmp_path: Path) -> None:
    embedder = CountingEmbedder()
    kb = KnowledgeBase(poisoned_dir, cache_dir=tmp_path / "cache", embedder=embedder, check_seconds=0)
    version = kb.index().version
    assert kb.search("gift wrapping price")[0].chunk.article == "gift-wrapping"
    (poisoned_dir / "stores.md").write_text("# Stores\n\n## Visiting\nOur Oslo store opens at 10.\n")
    assert kb.index().version != version
    assert kb.search("Oslo store opening")[0].chunk.article == "stores"
    embedded = len(embedder.texts)
    again = KnowledgeBase(poisoned_dir, cache_dir=tmp_path / "cache", embedder=embedder)
    assert again.search("Oslo store")[0].chunk.article == "stores"
    assert len(embedder.texts) == embedded + 1  # the articles' vectors came from the cache


def test_without_embeddings_bm25_alone_ranks(poisoned_dir: Path) -> None:
    hits = KnowledgeBase(poisoned_dir).search("how long is the warranty")
    assert hits[0].chunk.article == "warranty" and re.match(r"warranty#\d", hits[0].chunk.id)
    assert 0 < hits[0].relevance <= 1
