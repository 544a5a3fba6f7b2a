"""The project's NLU pipeline on the public Banking77 intent benchmark (77 banking intents).

Reads the pipeline from ``config.yml`` and drops the ResponseSelector (no retrieval intents in
Banking77), the FallbackClassifier (every test message must get an intent), the entity
extractors (Banking77 has no entities) and the typed-button lookup (needs the domain).  The
regex components stay: with no regexes in the data they do nothing.  The Banking77 CSVs are converted
to Rasa NLU training data in a temporary directory, the model is trained on the train split
with ``rasa.model_training.train_nlu`` and scored on the test split (3,080 messages, 40 per
intent), one ``Agent.parse_message`` call per message.

Prints intent accuracy, macro-F1, training time and inference time per message beside the
published full-training-set anchors of Casanueva et al. (2020), "Efficient Intent Detection with
Dual Sentence Encoders" (arXiv:2003.04807), which use pretrained sentence encoders (ConveRT,
USE, BERT); this pipeline uses a frozen MiniLM sentence encoder beside word and character
n-grams and learns a linear classifier on the training split.

Usage (from the project root)::

    .venv/bin/python benchmarks/nlu_banking77.py                                   # full run
    .venv/bin/python benchmarks/nlu_banking77.py --limit-train 1000 --limit-test 300 --epochs 5

Writes benchmarks/out/nlu_banking77.json (override with --out).
"""

from __future__ import annotations

import argparse
import collections
import csv
import random
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from _common import (
    PROJECT_ROOT,
    environment_info,
    latency_summary,
    prepare_environment,
    print_table,
    write_json,
)

prepare_environment()

import _nlu  # noqa: E402
from rasa.shared.nlu.training_data.message import Message  # noqa: E402
from rasa.shared.nlu.training_data.training_data import TrainingData  # noqa: E402

DATA_DIR = Path("/work/shared/data/banking77")
DROPPED = ("ResponseSelector", "LinearResponseSelector", "FallbackClassifier")
# Test-set accuracy (%) with the full training set, Casanueva et al. 2020, Table 3 ("Full").
ANCHORS: List[Tuple[str, float]] = [
    ("USE+ConveRT dual-encoder intent detector", 93.36),
    ("ConveRT intent detector", 93.01),
    ("BERT-Large fine-tuned (BERT-Tuned)", 93.66),
]

Row = Tuple[str, str]


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train-csv", type=Path, default=DATA_DIR / "train.csv")
    parser.add_argument("--test-csv", type=Path, default=DATA_DIR / "test.csv")
    parser.add_argument("--config", type=Path, default=PROJECT_ROOT / "config.yml")
    parser.add_argument(
        "--limit-train",
        type=int,
        default=None,
        help="train on N examples (class-balanced round-robin sample, seeded)",
    )
    parser.add_argument(
        "--limit-test", type=int, default=None, help="score N test examples (same sampling; quick runs only)"
    )
    parser.add_argument(
        "--epochs", type=int, default=None, help="override DIET epochs, if DIET classifies intents"
    )
    parser.add_argument("--seed", type=int, default=42, help="seed of the --limit-* samples")
    parser.add_argument("--out", type=Path, default=None, help="JSON output path")
    return parser.parse_args(argv)


def read_csv(path: Path) -> List[Row]:
    """(text, intent) rows; whitespace (incl. the odd newline inside a text) normalised."""
    with path.open(newline="", encoding="utf-8") as handle:
        return [(" ".join(r["text"].split()), r["category"]) for r in csv.DictReader(handle)]


def balanced_sample(rows: List[Row], limit: Optional[int], seed: int) -> List[Row]:
    """The first ``limit`` rows of a seeded round-robin over intents (all rows if no limit)."""
    if not limit or limit >= len(rows):
        return rows
    rng = random.Random(seed)
    by_intent: Dict[str, List[Row]] = collections.defaultdict(list)
    for row in rows:
        by_intent[row[1]].append(row)
    queues = [rng.sample(group, len(group)) for _, group in sorted(by_intent.items())]
    interleaved = [q[i] for i in range(max(map(len, queues))) for q in queues if i < len(q)]
    return interleaved[:limit]


def to_training_data(rows: List[Row]) -> TrainingData:
    return TrainingData(training_examples=[Message(data={"text": t, "intent": i}) for t, i in rows])


def evaluate(model: str, rows: List[Row]) -> Tuple[Dict[str, float], Dict[str, float], List[Any]]:
    """(accuracy/macro-F1, latency summary, most frequent confusions) on ``rows``."""
    results, seconds = _nlu.parse_texts(model, [t for t, _ in rows])
    predicted = [_nlu.predicted_intent(r)[0] for r in results]
    gold = [i for _, i in rows]
    errors = collections.Counter((g, p) for g, p in zip(gold, predicted, strict=False) if g != p)
    confusions = [(g, p, c) for (g, p), c in errors.most_common(8)]
    return _nlu.classification_scores(gold, predicted), latency_summary(seconds), confusions


def print_report(
    args: argparse.Namespace,
    n_train: int,
    n_test: int,
    train_seconds: float,
    scores: Dict[str, float],
    latency: Dict[str, float],
    epochs: Any,
) -> None:
    label = f"This pipeline (config.yml, {n_train} train)" + (f", DIET {epochs} epochs" if epochs else "")
    rows = [[label, f"{100 * scores['accuracy']:.2f}", f"{100 * scores['macro_f1']:.2f}"]]
    rows += [[f"{name} (Casanueva et al. 2020)", f"{acc:.2f}", "-"] for name, acc in ANCHORS]
    print_table(
        f"Banking77 test set ({n_test} messages, 77 intents)", ["model", "accuracy %", "macro-F1 %"], rows
    )
    print_table(
        "Cost on this machine",
        ["measure", "value"],
        [
            ["training wall time (s)", f"{train_seconds:.1f}"],
            ["inference per message, mean (ms)", f"{latency['mean_ms']:.2f}"],
            ["inference per message, p50 / p95 (ms)", f"{latency['p50_ms']:.2f} / {latency['p95_ms']:.2f}"],
        ],
    )
    if args.limit_train or args.limit_test or args.epochs:
        print("\nNOTE: reduced run (--limit-train/--limit-test/--epochs); not comparable to the anchors.")


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    train_rows = balanced_sample(read_csv(args.train_csv), args.limit_train, args.seed)
    test_rows = balanced_sample(read_csv(args.test_csv), args.limit_test, args.seed)
    config = _nlu.load_nlu_config(
        args.config, drop=DROPPED, epochs=args.epochs, assistant_id="banking77-benchmark", intents_only=True
    )
    epochs = next((c.get("epochs") for c in config["pipeline"] if c["name"] == "DIETClassifier"), None)
    print(
        f"Banking77: training on {len(train_rows)} examples "
        f"({len({i for _, i in train_rows})} intents), DIET epochs {epochs}",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="bench-banking77-") as tmp:
        model, train_seconds = _nlu.train_model(config, to_training_data(train_rows), Path(tmp), "banking77")
        print(f"trained in {train_seconds:.1f}s; scoring {len(test_rows)} test messages", flush=True)
        scores, latency, confusions = evaluate(model, test_rows)
    print_report(args, len(train_rows), len(test_rows), train_seconds, scores, latency, epochs)
    print_table("Most frequent confusions", ["gold", "predicted", "count"], confusions)
    path = write_json(
        {
            "benchmark": "nlu_banking77",
            "environment": environment_info(),
            "settings": {
                **vars(args),
                "n_train": len(train_rows),
                "n_test": len(test_rows),
                "pipeline": config["pipeline"],
            },
            "results": {**scores, "train_seconds": train_seconds, "inference": latency},
            "anchors_accuracy_pct": dict(ANCHORS),
            "top_confusions": confusions,
        },
        args.out,
        "nlu_banking77.json",
    )
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
