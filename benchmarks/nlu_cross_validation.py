"""Stratified k-fold cross-validation of the project's NLU pipeline on the project's NLU data.

Trains the pipeline of ``config.yml`` (unchanged, unless ``--epochs`` is given for a quick run)
on k-1 folds of ``data/nlu`` and scores the held-out fold, k times, through Rasa's Python API
(``rasa.model_training.train_nlu`` + ``Agent.parse_message``).  Folds are stratified on the full
label, so every ``faq/<topic>`` is represented in every fold (as ``rasa test nlu
--cross-validation`` does), and seeded, so a rerun uses the same folds.

Reported, as mean ± sample std over folds:

* intent accuracy and macro-F1 at the level DIET predicts (``faq`` for every ``faq/<topic>``);
  as in ``rasa test nlu`` a FallbackClassifier prediction is undone before scoring;
* fallback rate: share of held-out messages the FallbackClassifier would turn into
  ``nlu_fallback`` (confidence < threshold or ambiguity);
* ResponseSelector accuracy on held-out ``faq`` messages (``faq/<topic>`` right), and the joint
  accuracy (DIET says ``faq`` *and* the topic is right);
* training wall time per fold and parse time per message.

Usage (from the project root)::

    .venv/bin/python benchmarks/nlu_cross_validation.py                 # full run
    .venv/bin/python benchmarks/nlu_cross_validation.py --epochs 5 --max-folds 1   # smoke test

Writes benchmarks/out/nlu_cross_validation.json (override with --out).
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

from _common import PROJECT_ROOT, environment_info, mean_std, prepare_environment, print_table, write_json

prepare_environment()

import _nlu  # noqa: E402
from rasa.shared.nlu.training_data.loading import load_data  # noqa: E402
from rasa.shared.nlu.training_data.message import Message  # noqa: E402
from rasa.shared.nlu.training_data.training_data import TrainingData  # noqa: E402
from sklearn.metrics import classification_report  # noqa: E402
from sklearn.model_selection import StratifiedKFold  # noqa: E402

RETRIEVAL_INTENT = "faq"


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, default=PROJECT_ROOT / "config.yml")
    parser.add_argument("--data", type=Path, default=PROJECT_ROOT / "data" / "nlu")
    parser.add_argument(
        "--domain",
        type=Path,
        default=PROJECT_ROOT / "domain.yml",
        help="domain with the faq responses (used by the ResponseSelector)",
    )
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=42, help="seed of the fold split")
    parser.add_argument(
        "--epochs", type=int, default=None, help="override DIET/ResponseSelector epochs (quick runs only)"
    )
    parser.add_argument(
        "--max-folds", type=int, default=None, help="train and score only the first N folds (quick runs only)"
    )
    parser.add_argument(
        "--imported",
        type=Path,
        default=PROJECT_ROOT / "data" / "nlu" / "out_of_scope_clinc150.yml",
        help="NLU file of imported examples; accuracy is also reported without them",
    )
    parser.add_argument("--out", type=Path, default=None, help="JSON output path")
    return parser.parse_args(argv)


def make_folds(data: TrainingData, k: int, seed: int) -> Iterator[Tuple[TrainingData, List[Message]]]:
    """(training data, held-out examples) for each of ``k`` stratified folds."""
    examples = data.intent_examples
    labels = [e.get_full_intent() for e in examples]
    splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    for train_idx, test_idx in splitter.split(examples, labels):
        train = TrainingData(
            training_examples=[examples[i] for i in train_idx],
            entity_synonyms=data.entity_synonyms,
            regex_features=data.regex_features,
            lookup_tables=data.lookup_tables,
            responses=data.responses,
        )
        yield train, [examples[i] for i in test_idx]


def score_fold(test: List[Message], results: List[Dict[str, Any]]) -> Dict[str, Any]:
    """Intent, fallback and response-selection figures of one held-out fold."""
    gold = [m.get("intent") for m in test]
    predicted, fallback = zip(*(_nlu.predicted_intent(r) for r in results), strict=False)
    scores = _nlu.classification_scores(gold, predicted)
    faq = [
        (m, p, r)
        for m, p, r in zip(test, predicted, results, strict=False)
        if m.get("intent") == RETRIEVAL_INTENT
    ]
    rs_right = [
        _nlu.predicted_response_key(r, RETRIEVAL_INTENT) == m.get("intent_response_key") for m, _, r in faq
    ]
    joint_right = [ok and p == RETRIEVAL_INTENT for ok, (_, p, _) in zip(rs_right, faq, strict=False)]
    return {
        **scores,
        "fallback_rate": sum(fallback) / len(fallback),
        "response_selector_accuracy": sum(rs_right) / len(faq) if faq else None,
        "faq_topic_joint_accuracy": sum(joint_right) / len(faq) if faq else None,
        "n_test": len(test),
        "n_test_faq": len(faq),
        "errors": [(g, p) for g, p in zip(gold, predicted, strict=False) if g != p],
        "predictions": [
            {
                "text": m.get("text"),
                "gold": g,
                "predicted": p,
                "confidence": _nlu.predicted_confidence(r),
                "fallback": f,
                "gold_entities": _nlu.entity_spans(m.get("entities") or []),
                "predicted_entities": _nlu.entity_spans(r.get("entities") or []),
            }
            for m, g, p, f, r in zip(test, gold, predicted, fallback, results, strict=False)
        ],
    }


def run_fold(
    index: int,
    train: TrainingData,
    test: List[Message],
    args: argparse.Namespace,
    config: Dict[str, Any],
    workdir: Path,
) -> Dict[str, Any]:
    """Trains on ``train``, parses ``test``; returns the fold's figures."""
    print(f"[fold {index}] training on {len(train.intent_examples)} examples ...", flush=True)
    model, train_seconds = _nlu.train_model(config, train, workdir, f"fold{index}", args.domain)
    results, parse_seconds = _nlu.parse_texts(model, [m.get("text") for m in test])
    fold = score_fold(test, results)
    fold.update(
        fold=index,
        n_train=len(train.intent_examples),
        train_seconds=train_seconds,
        parse_ms_per_message=1000.0 * sum(parse_seconds) / len(parse_seconds),
    )
    print(
        f"[fold {index}] accuracy {fold['accuracy']:.4f}  macro-F1 {fold['macro_f1']:.4f}  "
        f"train {train_seconds:.1f}s",
        flush=True,
    )
    return fold


def summarize(folds: List[Dict[str, Any]]) -> Dict[str, Dict[str, float]]:
    """Mean and sample std over folds of every per-fold figure."""
    keys = [
        "accuracy",
        "macro_f1",
        "fallback_rate",
        "response_selector_accuracy",
        "faq_topic_joint_accuracy",
        "train_seconds",
        "parse_ms_per_message",
    ]
    summary = {}
    for key in keys:
        values = [f[key] for f in folds if f.get(key) is not None]
        mean, std = mean_std(values)
        summary[key] = {"mean": mean, "std": std}
    return summary


def accuracy_without(folds: List[Dict[str, Any]], path: Optional[Path]) -> Optional[Dict[str, float]]:
    """Pooled accuracy of the held-out messages that are not examples of the file ``path``."""
    if not path or not path.is_file():
        return None
    imported = {m.get("text") for m in load_data(str(path)).intent_examples}
    rows = [p for f in folds for p in f["predictions"] if p["text"] not in imported]
    right = sum(p["gold"] == p["predicted"] for p in rows)
    return {"accuracy": right / len(rows), "n": len(rows), "n_imported_left_out": len(imported)}


def pooled_scores(folds: List[Dict[str, Any]]) -> Dict[str, Any]:
    """Per-intent F1 and span-level entity precision/recall/F1 over all held-out messages."""
    rows = [p for f in folds for p in f["predictions"]]
    gold, predicted = [r["gold"] for r in rows], [r["predicted"] for r in rows]
    report = classification_report(gold, predicted, output_dict=True, zero_division=0)
    per_intent = {k: v for k, v in report.items() if isinstance(v, dict) and k in set(gold)}
    entities: Dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for r in rows:
        want = {tuple(e) for e in r["gold_entities"]}
        got = {tuple(e) for e in r["predicted_entities"]}
        for kind in {e[0] for e in want | got}:
            w = {e for e in want if e[0] == kind}
            g = {e for e in got if e[0] == kind}
            entities[kind].update(tp=len(w & g), fp=len(g - w), fn=len(w - g))
    entities["all"] = sum(entities.values(), collections.Counter())
    return {"per_intent": per_intent, "entities": {k: _prf(c) for k, c in entities.items()}}


def _prf(counts: collections.Counter) -> Dict[str, float]:
    precision = counts["tp"] / max(counts["tp"] + counts["fp"], 1)
    recall = counts["tp"] / max(counts["tp"] + counts["fn"], 1)
    f1 = 2 * precision * recall / max(precision + recall, 1e-9)
    return {"precision": precision, "recall": recall, "f1": f1, "support": counts["tp"] + counts["fn"]}


def top_confusions(folds: List[Dict[str, Any]], n: int = 8) -> List[Tuple[str, str, int]]:
    """The most frequent (gold, predicted) intent errors pooled over folds."""
    counts = collections.Counter(tuple(e) for f in folds for e in f["errors"])
    return [(g, p, c) for (g, p), c in counts.most_common(n)]


def print_report(
    folds: List[Dict[str, Any]], summary: Dict[str, Dict[str, float]], confusions: List[Tuple[str, str, int]]
) -> None:
    pct = ("accuracy", "macro_f1", "fallback_rate", "response_selector_accuracy", "faq_topic_joint_accuracy")
    rows = [
        [
            f["fold"],
            f["n_train"],
            f["n_test"],
            100 * f["accuracy"],
            100 * f["macro_f1"],
            100 * f["fallback_rate"],
            100 * (f["response_selector_accuracy"] or 0),
            f["train_seconds"],
        ]
        for f in folds
    ]
    print_table(
        "Per fold",
        ["fold", "train", "test", "acc %", "macro-F1 %", "fallback %", "RS acc %", "train s"],
        rows,
    )
    labels = {
        "accuracy": "intent accuracy (faq level)",
        "macro_f1": "intent macro-F1",
        "fallback_rate": "fallback rate (nlu_fallback)",
        "response_selector_accuracy": "ResponseSelector faq/<topic> acc",
        "faq_topic_joint_accuracy": "faq/<topic> joint acc (DIET+RS)",
        "train_seconds": "training time per fold (s)",
        "parse_ms_per_message": "parse time per message (ms)",
    }
    rows = []
    for key, label in labels.items():
        scale = 100.0 if key in pct else 1.0
        rows.append(
            [
                label,
                f"{scale * summary[key]['mean']:.2f} ± {scale * summary[key]['std']:.2f}"
                + (" %" if key in pct else ""),
            ]
        )
    print_table(f"Summary over {len(folds)} folds (mean ± sample std)", ["metric", "value"], rows)
    print_table("Most frequent intent errors (pooled)", ["gold", "predicted", "count"], confusions)


def print_pooled(pooled: Dict[str, Any]) -> None:
    rows = [
        [name, 100 * v["precision"], 100 * v["recall"], 100 * v["f1-score"], int(v["support"])]
        for name, v in sorted(pooled["per_intent"].items(), key=lambda kv: kv[1]["f1-score"])
    ]
    print_table("Per-intent scores (pooled over folds)", ["intent", "P %", "R %", "F1 %", "n"], rows)
    rows = [
        [name, 100 * v["precision"], 100 * v["recall"], 100 * v["f1"], v["support"]]
        for name, v in sorted(pooled["entities"].items())
    ]
    print_table("Entities, exact spans (pooled over folds)", ["entity", "P %", "R %", "F1 %", "n"], rows)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    config = _nlu.load_nlu_config(args.config, epochs=args.epochs)
    data = load_data(str(args.data))
    print(
        f"{len(data.intent_examples)} examples, {len(data.intents)} intents "
        f"({len(data.retrieval_intents)} retrieval), {args.folds} folds, seed {args.seed}"
    )
    folds: List[Dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-nlu-cv-") as tmp:
        for index, (train, test) in enumerate(make_folds(data, args.folds, args.seed), start=1):
            if args.max_folds and index > args.max_folds:
                break
            folds.append(run_fold(index, train, test, args, config, Path(tmp)))
    summary = summarize(folds)
    confusions = top_confusions(folds, 15)
    pooled = pooled_scores(folds)
    pooled["without_imported"] = accuracy_without(folds, args.imported)
    print_report(folds, summary, confusions)
    print_pooled(pooled)
    if pooled["without_imported"]:
        w = pooled["without_imported"]
        print(
            f"\naccuracy without the {w['n_imported_left_out']} imported examples: {100 * w['accuracy']:.2f} % (n={w['n']})"
        )
    path = write_json(
        {
            "benchmark": "nlu_cross_validation",
            "environment": environment_info(),
            "settings": {**vars(args), "pipeline": config["pipeline"]},
            "summary": summary,
            "folds": folds,
            "top_confusions": confusions,
            "pooled": pooled,
        },
        args.out,
        "nlu_cross_validation.json",
    )
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
