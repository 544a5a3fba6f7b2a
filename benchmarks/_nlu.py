"""NLU helpers shared by nlu_cross_validation.py and nlu_banking77.py (not a benchmark itself).

Everything goes through Rasa's own Python API: ``rasa.model_training.train_nlu`` trains the
configured pipeline exactly as ``rasa train nlu`` would, and ``Agent.parse_message`` runs the
trained model as the Rasa server would for an incoming message.  Import this module only after
``_common.prepare_environment()``.
"""

from __future__ import annotations

import asyncio
import copy
import time
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import rasa.model_training
import rasa.shared.utils.io
from _common import Stopwatch
from rasa.core.agent import Agent
from rasa.nlu.classifiers import fallback_classifier
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.metrics import accuracy_score, f1_score

# Components that cannot train without the domain (``rasa train nlu`` has none in its graph):
# the typed-button-title lookup reads the domain's buttons. Left out, the figures measure the
# classifiers alone (it would only decide the few held-out messages that are a button title).
NEEDS_DOMAIN = ("ButtonTitleClassifier",)


def component_name(component: Dict[str, Any]) -> str:
    """The class name of a pipeline entry (``assistant.plugins.x.Foo`` -> ``Foo``)."""
    return str(component["name"]).rsplit(".", 1)[-1]


ENTITY_ONLY = ("EntitySynonymMapper", "CRFEntityExtractor", "RegexEntityExtractor")


def extracts_entities_only(component: Dict[str, Any]) -> bool:
    """Whether a pipeline entry only extracts entities (nothing to learn on intent-only data)."""
    name = component_name(component)
    return name in ENTITY_ONLY or (
        name == "DIETClassifier" and component.get("intent_classification") is False
    )


def load_nlu_config(
    path: Path,
    drop: Iterable[str] = (),
    epochs: Optional[int] = None,
    assistant_id: Optional[str] = None,
    intents_only: bool = False,
) -> Dict[str, Any]:
    """The pipeline part of a Rasa config file, minus the components named in ``drop``.

    ``epochs`` overrides the ``epochs`` of every component that has them (DIET and the
    ResponseSelector), for quick development runs.  Policies are left out: only NLU is trained.
    Components in ``NEEDS_DOMAIN`` are always left out, entity extractors with
    ``intents_only`` (data sets without entities).
    """
    config = rasa.shared.utils.io.read_config_file(str(path))
    dropped = set(drop) | set(NEEDS_DOMAIN)
    pipeline = [
        copy.deepcopy(c)
        for c in config["pipeline"]
        if component_name(c) not in dropped and not (intents_only and extracts_entities_only(c))
    ]
    if epochs is not None:
        for component in pipeline:
            if "epochs" in component or component["name"] in ("DIETClassifier", "ResponseSelector"):
                component["epochs"] = epochs
    return {
        "recipe": config.get("recipe", "default.v1"),
        "language": config.get("language", "en"),
        "assistant_id": assistant_id or config.get("assistant_id", "benchmark"),
        "pipeline": pipeline,
    }


def train_model(
    config: Dict[str, Any],
    data: TrainingData,
    workdir: Path,
    name: str,
    domain: Optional[Path] = None,
) -> Tuple[str, float]:
    """Trains an NLU model on ``data`` in ``workdir``; returns (model path, wall seconds).

    The timed section is ``train_nlu`` only (reading the YAML written here, featurizer fitting,
    DIET/ResponseSelector training and packaging the model archive)."""
    workdir.mkdir(parents=True, exist_ok=True)
    config_path = workdir / f"{name}-config.yml"
    data_path = workdir / f"{name}-nlu.yml"
    rasa.shared.utils.io.write_yaml(config, config_path)
    RasaYAMLWriter().dump(data_path, data)
    with Stopwatch() as sw:
        model = rasa.model_training.train_nlu(
            str(config_path),
            str(data_path),
            str(workdir),
            fixed_model_name=name,
            domain=str(domain) if domain else None,
        )
    if not model:
        raise RuntimeError(f"training {name} produced no model (see the log above)")
    return model, sw.seconds


def parse_texts(model_path: str, texts: Sequence[str]) -> Tuple[List[Dict[str, Any]], List[float]]:
    """Loads the model and parses every text one at a time: (parse results, seconds each)."""
    agent = Agent.load(model_path)
    return asyncio.run(_parse_all(agent, texts))


async def _parse_all(agent: Agent, texts: Sequence[str]) -> Tuple[List[Dict[str, Any]], List[float]]:
    results: List[Dict[str, Any]] = []
    seconds: List[float] = []
    for text in texts:
        start = time.perf_counter()
        results.append(await agent.parse_message(text))
        seconds.append(time.perf_counter() - start)
    return results, seconds


def predicted_intent(result: Dict[str, Any]) -> Tuple[str, bool]:
    """(intent the classifier chose, whether the FallbackClassifier replaced it).

    As in ``rasa test nlu``, a fallback prediction is undone so that accuracy measures the
    intent classifier; the fallback flag is reported separately."""
    is_fallback = fallback_classifier.is_fallback_classifier_prediction(result)
    if is_fallback:
        result = fallback_classifier.undo_fallback_prediction(result)
    return (result.get("intent") or {}).get("name") or "", is_fallback


def predicted_confidence(result: Dict[str, Any]) -> float:
    """Confidence of the classifier's own top intent (a fallback prediction undone)."""
    if fallback_classifier.is_fallback_classifier_prediction(result):
        result = fallback_classifier.undo_fallback_prediction(result)
    return float((result.get("intent") or {}).get("confidence") or 0.0)


def entity_spans(entities: Iterable[Dict[str, Any]]) -> List[Tuple[str, int, int]]:
    """(entity type, start, end) of each entity, for span-level scoring."""
    return sorted({(str(e["entity"]), int(e["start"]), int(e["end"])) for e in entities})


def predicted_response_key(result: Dict[str, Any], retrieval_intent: str) -> Optional[str]:
    """The ``faq/<topic>`` the ResponseSelector picked for ``retrieval_intent``, if any."""
    selector = result.get("response_selector") or {}
    entry = selector.get(retrieval_intent) or selector.get("default") or {}
    return (entry.get("response") or {}).get("intent_response_key")


def classification_scores(gold: Sequence[str], predicted: Sequence[str]) -> Dict[str, float]:
    """Accuracy and macro-F1 (sklearn; labels = union of gold and predicted labels)."""
    return {
        "accuracy": float(accuracy_score(gold, predicted)),
        "macro_f1": float(f1_score(gold, predicted, average="macro", zero_division=0)),
    }
