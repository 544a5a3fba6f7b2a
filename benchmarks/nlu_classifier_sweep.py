"""Quick settings sweep for the intent classifier: a scikit-learn copy on the same features.

A full Rasa cross-validation (``nlu_cross_validation.py``) takes minutes per setting; this
script rebuilds what ``LinearIntentClassifier`` sees (the MiniLM sentence vector, sublinear
TF-IDF over word and char_wb n-grams, each block unit length, the MiniLM block times
``dense_weight``; FAQ topics as classes, "balanced" weights over intents, FAQ examples times
``retrieval_weight``) and scores 5-fold CV for several settings and fold splits in about a
minute each. It reproduced the Rasa CV within 0.1 point (91.49 % against 91.54 %, same data
and folds). MiniLM vectors are computed once and cached in ``benchmarks/out/``.

Usage (from the project root)::

    PYTHONPATH=. .venv/bin/python benchmarks/nlu_classifier_sweep.py \\
        '[{"C": 30}, {"C": 100, "retrieval_weight": 3, "word": [1, 3]}]' --seeds 42 7 123

Settings not given keep the defaults of ``run`` (C 30, dense_weight 2, retrieval_weight 2,
word 1-2-grams, char_wb 1-4-grams). The chosen ones go into ``config.yml`` by hand and are
then measured with ``nlu_cross_validation.py``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
from typing import Any, Dict, List, Sequence, Tuple

from _common import OUT_DIR, PROJECT_ROOT, prepare_environment

prepare_environment()

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
from rasa.shared.nlu.training_data.loading import load_data  # noqa: E402
from sklearn.feature_extraction.text import CountVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import StratifiedKFold  # noqa: E402
from sklearn.preprocessing import normalize  # noqa: E402

CACHE = OUT_DIR / "minilm_vectors.npz"


def examples(path: str) -> Tuple[List[str], List[str], List[str]]:
    """(texts, intents, full labels with the FAQ topic) of the NLU data."""
    data = load_data(path)
    rows = [e for e in data.intent_examples if e.get("text") and e.get("intent")]
    return [e.get("text") for e in rows], [e.get("intent") for e in rows], [e.get_full_intent() for e in rows]


def minilm(texts: Sequence[str]) -> np.ndarray:
    """MiniLM sentence vectors of ``texts`` (the featurizer's), cached by text."""
    from assistant.embeddings import SentenceEncoder, embed

    stored = dict(np.load(CACHE)) if CACHE.exists() else {}
    keys = [hashlib.md5(t.encode()).hexdigest() for t in texts]
    missing = sorted({t for t, k in zip(texts, keys, strict=True) if k not in stored})
    if missing:
        for text, vector in zip(missing, embed(SentenceEncoder(128, 2), missing), strict=True):
            stored[hashlib.md5(text.encode()).hexdigest()] = vector
        CACHE.parent.mkdir(parents=True, exist_ok=True)
        np.savez(CACHE, **stored)
    return np.vstack([stored[k] for k in keys])


def tokens(text: str) -> str:
    """Lower-cased words, as the whitespace tokenizer leaves them."""
    return " ".join(re.findall(r"[^\W_]+(?:['’][^\W_]+)?|\d+", text.lower())) or text.lower()


def tfidf(train: List[str], test: List[str], **vectorizer: Any) -> List[sp.csr_matrix]:
    """Sublinear TF-IDF (IDF from ``train``), rows unit length, for train and test."""
    counts = CountVectorizer(**vectorizer).fit(train)
    fitted = counts.transform(train).astype(np.float32)
    idf = np.log((1 + fitted.shape[0]) / (1 + np.asarray((fitted > 0).sum(0)).ravel())) + 1
    out = []
    for matrix in (fitted, counts.transform(test).astype(np.float32)):
        matrix = matrix.tocsr()
        matrix.data = np.log1p(matrix.data) * idf[matrix.indices]
        out.append(normalize(matrix))
    return out


def run(data: Tuple[List[str], List[str], List[str]], vectors: np.ndarray, seed: int, C: float = 30,
        dense_weight: float = 2, retrieval_weight: float = 2, word: Sequence[int] = (1, 2),
        char: Sequence[int] = (1, 4)) -> float:  # fmt: skip
    """5-fold CV intent accuracy (FAQ topics summed into ``faq``) of one setting."""
    texts, intents, full = data
    words = [tokens(t) for t in texts]
    right = 0
    for train, test in StratifiedKFold(5, shuffle=True, random_state=seed).split(texts, full):
        w = tfidf(
            [words[i] for i in train], [words[i] for i in test], ngram_range=tuple(word), token_pattern=r"\S+"
        )
        c = tfidf(
            [words[i] for i in train], [words[i] for i in test], analyzer="char_wb", ngram_range=tuple(char)
        )
        x_train = sp.hstack([sp.csr_matrix(dense_weight * vectors[train]), w[0], c[0]]).tocsr()
        x_test = sp.hstack([sp.csr_matrix(dense_weight * vectors[test]), w[1], c[1]]).tocsr()
        labels, parents = np.array([full[i] for i in train]), np.array([intents[i] for i in train])
        names, inverse, counts = np.unique(parents, return_inverse=True, return_counts=True)
        weights = (
            len(parents) / (len(names) * counts[inverse]) * np.where(labels != parents, retrieval_weight, 1.0)
        )
        model = LogisticRegression(C=C, max_iter=2000).fit(x_train, labels, sample_weight=weights)
        classes = np.array([c.split("/")[0] for c in model.classes_])
        groups = np.unique(classes)
        summed = np.stack([model.predict_proba(x_test)[:, classes == g].sum(1) for g in groups], 1)
        right += sum(groups[j] == intents[i] for i, j in zip(test, summed.argmax(1), strict=True))
    return right / len(texts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("settings", help="JSON list of settings, e.g. '[{\"C\": 300}]'")
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 7, 123])
    parser.add_argument("--data", default=str(PROJECT_ROOT / "data" / "nlu"))
    args = parser.parse_args()
    data = examples(args.data)
    vectors = minilm(data[0])
    print(f"{len(data[0])} examples, seeds {args.seeds}")
    for setting in json.loads(args.settings):
        scores: Dict[int, float] = {seed: run(data, vectors, seed, **setting) for seed in args.seeds}
        shown = " / ".join(f"{100 * s:.2f}" for s in scores.values())
        print(
            f"{json.dumps(setting)}: {shown} %, mean {100 * np.mean(list(scores.values())):.2f} %", flush=True
        )


if __name__ == "__main__":
    main()
