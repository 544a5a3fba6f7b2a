"""Chooses the FallbackClassifier threshold from the cross-validation predictions.

Reads the held-out predictions that ``nlu_cross_validation.py`` stored (every message's gold
intent, the classifier's top intent and its confidence) and, for each threshold t, computes:

* coverage: share of messages with confidence >= t (answered directly; the rest get the
  two-stage fallback, "Did you mean ...?");
* accuracy of the covered messages (how often a direct answer is right);
* wrong answers: share of all messages answered directly with the wrong intent.

Rule: a wrong direct answer costs a customer more than a clarifying question (it starts the
wrong flow, which they must stop), so we count it as twice the cost of an unneeded question
and pick the threshold with the lowest cost ``2 * wrong + (1 - coverage)`` (ties: the higher
threshold, which answers wrongly less often for the same cost; twice is a floor, not a price).
The plot (accuracy and coverage against the threshold, the choice marked) goes to
``benchmarks/fallback_threshold.png``.

Usage (after a cross-validation run)::

    .venv/bin/python benchmarks/fallback_threshold.py [--cv benchmarks/out/nlu_cross_validation.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from _common import BENCH_DIR, OUT_DIR, print_table  # noqa: E402

WRONG_COST = 2.0
THRESHOLDS = [round(0.01 * i, 2) for i in range(0, 96)]


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cv", type=Path, default=OUT_DIR / "nlu_cross_validation.json")
    parser.add_argument("--png", type=Path, default=BENCH_DIR / "fallback_threshold.png")
    parser.add_argument("--wrong-cost", type=float, default=WRONG_COST)
    return parser.parse_args(argv)


def load_predictions(path: Path) -> List[Dict[str, Any]]:
    """Every held-out prediction of every fold."""
    folds = json.loads(path.read_text())["folds"]
    return [p for fold in folds for p in fold["predictions"]]


def at_threshold(predictions: List[Dict[str, Any]], threshold: float, wrong_cost: float) -> Dict[str, float]:
    covered = [p for p in predictions if p["confidence"] >= threshold]
    right = sum(p["predicted"] == p["gold"] for p in covered)
    coverage = len(covered) / len(predictions)
    wrong = (len(covered) - right) / len(predictions)
    return {
        "threshold": threshold,
        "coverage": coverage,
        "accuracy_covered": right / len(covered) if covered else 1.0,
        "wrong": wrong,
        "cost": wrong_cost * wrong + (1 - coverage),
    }


def plot(curve: List[Dict[str, float]], chosen: Dict[str, float], path: Path, n: int) -> None:
    xs = [c["threshold"] for c in curve]
    fig, ax = plt.subplots(figsize=(7, 4.2))
    ax.plot(xs, [100 * c["accuracy_covered"] for c in curve], label="accuracy of direct answers")
    ax.plot(xs, [100 * c["coverage"] for c in curve], label="coverage (answered directly)")
    ax.plot(xs, [100 * c["wrong"] for c in curve], label="wrong direct answers (of all)")
    ax.axvline(chosen["threshold"], color="grey", linestyle="--", label=f"chosen {chosen['threshold']:.2f}")
    ax.set_xlabel("FallbackClassifier threshold (top intent confidence)")
    ax.set_ylabel("% of held-out messages")
    ax.set_title(f"5-fold cross-validation, {n} held-out messages")
    ax.set_ylim(0, 101)
    ax.grid(alpha=0.3)
    ax.legend(loc="center left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    predictions = load_predictions(args.cv)
    curve = [at_threshold(predictions, t, args.wrong_cost) for t in THRESHOLDS]
    chosen = min(curve, key=lambda c: (round(c["cost"], 6), -c["threshold"]))
    rows = [
        [
            f"{c['threshold']:.2f}",
            100 * c["coverage"],
            100 * c["accuracy_covered"],
            100 * c["wrong"],
            c["cost"],
        ]
        for c in curve
        if round(100 * c["threshold"]) % 10 == 0 or c is chosen
    ]
    print_table(
        f"Threshold sweep ({len(predictions)} predictions; cost = {args.wrong_cost:g} x wrong + fallback)",
        ["threshold", "coverage %", "accuracy %", "wrong %", "cost"],
        rows,
    )
    plot(curve, chosen, args.png, len(predictions))
    print(f"\nchosen threshold: {chosen['threshold']:.2f}; plot: {args.png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
