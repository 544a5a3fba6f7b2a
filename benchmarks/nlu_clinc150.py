"""The project's intent pipeline on CLINC150 with out-of-scope queries (Larson et al. 2019).

Larson et al., "An Evaluation Dataset for Intent Classification and Out-of-Scope Prediction"
(EMNLP 2019), report two figures for a classifier: **in-scope accuracy** (share of the 4,500
in-scope test queries given their intent; predicting out-of-scope counts as wrong) and
**out-of-scope recall** (share of the 1,000 ``oos_test`` queries predicted out-of-scope).
Their "oos-train" setting trains with the 100 ``oos_train`` queries as a 151st class; their
"oos-threshold" setting also calls a prediction out-of-scope when its confidence is below a
threshold. We do both, as the assistant does (an ``out_of_scope`` intent plus the
FallbackClassifier threshold). The threshold is never chosen on the test split. Two operating
points are reported, both figures at one threshold each:

1. the **assistant's threshold**: the FallbackClassifier ``threshold`` of ``config.yml``
   (chosen on our own cross-validation, benchmarks/fallback_threshold.py), or ``--threshold``;
2. **chosen on validation** (``val`` + ``oos_val``), as Larson et al. do: the smallest threshold
   whose validation out-of-scope recall reaches ``--target-oos-recall`` (0.70), or, when none
   does, the one with the best sum of the two figures.

A sweep of other thresholds on the test split is printed for context only.

Pipeline: ``config.yml`` minus the ResponseSelector, the FallbackClassifier (the threshold
is applied here), the entity extractors (no entities) and the typed-button lookup.

Usage (from the project root)::

    .venv/bin/python benchmarks/nlu_clinc150.py                      # full run (~10 min)
    .venv/bin/python benchmarks/nlu_clinc150.py --limit-train 3000   # quick run

Writes benchmarks/out/nlu_clinc150.json (override with --out).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

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
import rasa.shared.utils.io  # noqa: E402
from rasa.shared.nlu.training_data.message import Message  # noqa: E402
from rasa.shared.nlu.training_data.training_data import TrainingData  # noqa: E402

DATA = Path("/work/shared/data/clinc150/data_full.json")
DROPPED = ("ResponseSelector", "LinearResponseSelector", "FallbackClassifier")
OOS = "oos"
THRESHOLDS = [round(0.05 * i, 2) for i in range(0, 20)]
Row = Tuple[str, str]
Scored = List[Tuple[str, str, float]]  # (gold, predicted, confidence)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--config", type=Path, default=PROJECT_ROOT / "config.yml")
    parser.add_argument("--no-oos-train", action="store_true", help="do not train on oos_train")
    parser.add_argument("--target-oos-recall", type=float, default=0.70)
    parser.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="fixed threshold (default: config.yml's FallbackClassifier)",
    )
    parser.add_argument("--limit-train", type=int, default=None, help="random sample (quick runs only)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=None)
    return parser.parse_args(argv)


def load_splits(path: Path) -> Dict[str, List[Row]]:
    """The six splits of data_full.json as (text, intent) rows."""
    return {name: [(t, i) for t, i in rows] for name, rows in json.loads(path.read_text()).items()}


def train_rows(splits: Dict[str, List[Row]], args: argparse.Namespace) -> List[Row]:
    rows = list(splits["train"]) + ([] if args.no_oos_train else list(splits["oos_train"]))
    if args.limit_train:
        rows = random.Random(args.seed).sample(rows, min(args.limit_train, len(rows)))
    return rows


def score(model: str, rows: List[Row]) -> Tuple[Scored, List[float]]:
    results, seconds = _nlu.parse_texts(model, [t for t, _ in rows])
    scored = [
        (gold, _nlu.predicted_intent(r)[0], _nlu.predicted_confidence(r))
        for (_, gold), r in zip(rows, results, strict=False)
    ]
    return scored, seconds


def figures(scored: Scored, threshold: float) -> Dict[str, float]:
    """In-scope accuracy and out-of-scope recall when confidence < threshold means oos."""
    decided = [(g, OOS if c < threshold else p) for g, p, c in scored]
    in_scope = [g == p for g, p in decided if g != OOS]
    oos = [p == OOS for g, p in decided if g == OOS]
    return {
        "threshold": threshold,
        "in_scope_accuracy": sum(in_scope) / len(in_scope),
        "oos_recall": sum(oos) / len(oos) if oos else float("nan"),
    }


def choose_threshold(validation: Scored, target: float) -> Tuple[float, str]:
    """Smallest threshold reaching the target oos recall on validation, else the best sum."""
    sweep = [figures(validation, t) for t in THRESHOLDS]
    reaching = [f for f in sweep if f["oos_recall"] >= target]
    if reaching:
        return reaching[0]["threshold"], f"smallest threshold with validation oos recall >= {target:.2f}"
    best = max(sweep, key=lambda f: f["in_scope_accuracy"] + f["oos_recall"])
    return best["threshold"], "no threshold reaches the target on validation: best sum of both"


def config_threshold(path: Path) -> float:
    """The FallbackClassifier threshold of a Rasa config file."""
    config = rasa.shared.utils.io.read_config_file(str(path))
    fallback = [c for c in config["pipeline"] if _nlu.component_name(c) == "FallbackClassifier"]
    return float(fallback[0].get("threshold", 0.3)) if fallback else 0.0


def report(points: List[Tuple[str, Dict[str, float]]], sweep: List[Dict[str, float]], seconds: float) -> None:
    rows = [
        [label, f"{f['threshold']:.2f}", 100 * f["in_scope_accuracy"], 100 * f["oos_recall"]]
        for label, f in points
    ]
    print_table("CLINC150 test split", ["operating point", "threshold", "in-scope %", "oos recall %"], rows)
    rows = [[f"{f['threshold']:.2f}", 100 * f["in_scope_accuracy"], 100 * f["oos_recall"]] for f in sweep]
    print_table(
        "Test split, other thresholds (context only)", ["threshold", "in-scope %", "oos recall %"], rows
    )
    print(f"\ntraining {seconds:.1f}s")


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    splits = load_splits(args.data)
    config = _nlu.load_nlu_config(args.config, drop=DROPPED, assistant_id="clinc150", intents_only=True)
    rows = train_rows(splits, args)
    data = TrainingData(training_examples=[Message(data={"text": t, "intent": i}) for t, i in rows])
    print(f"CLINC150: training on {len(rows)} examples", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-clinc150-") as tmp:
        model, train_seconds = _nlu.train_model(config, data, Path(tmp), "clinc150")
        validation, _ = score(model, splits["val"] + splits["oos_val"])
        test, seconds = score(model, splits["test"] + splits["oos_test"])
    threshold, rule = choose_threshold(validation, args.target_oos_recall)
    fixed = args.threshold if args.threshold is not None else config_threshold(args.config)
    chosen, sweep = figures(test, threshold), [figures(test, t) for t in THRESHOLDS]
    points = [("assistant's threshold (config.yml)", figures(test, fixed)), (f"validation: {rule}", chosen)]
    report(points, sweep, train_seconds)
    path = write_json(
        {
            "benchmark": "nlu_clinc150",
            "environment": environment_info(),
            "settings": {**vars(args), "n_train": len(rows), "pipeline": config["pipeline"]},
            "threshold_rule": rule,
            "validation_at_threshold": figures(validation, threshold),
            "test_at_threshold": chosen,
            "test_at_config_threshold": figures(test, fixed),
            "test_predictions": test,
            "test_sweep": sweep,
            "train_seconds": train_seconds,
            "inference": latency_summary(seconds),
        },
        args.out,
        "nlu_clinc150.json",
    )
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
