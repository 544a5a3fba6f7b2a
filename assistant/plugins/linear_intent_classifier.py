"""Intent classifier: a logistic regression on dense + TF-IDF-weighted sparse sentence features.

Measured against DIET on our data, Banking77 and CLINC150 (benchmarks/RESULTS.md): the frozen
MiniLM sentence vector beside sublinear TF-IDF over the word and character n-gram counts is
more accurate, trains in seconds instead of minutes and gives probabilities the
FallbackClassifier can threshold. The weights are stored as plain arrays (``numpy.savez``,
loaded without pickle); prediction is one matrix product and a softmax.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Type, Union

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.featurizers.featurizer import Featurizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, INTENT, INTENT_RESPONSE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.linear_model import LogisticRegression

logger = logging.getLogger(__name__)

WEIGHTS_FILE = "linear_intent_classifier.npz"
IDF = "idf::"  # keys of the stored arrays: IDF + featurizer name, DENSE + featurizer name
DENSE = "dense_width::"


Block = Union[np.ndarray, scipy.sparse.csr_matrix]


def sentence_blocks(messages: List[Message]) -> Dict[str, List[Block]]:
    """Sentence features of the text per featurizer (origin), one row per message."""
    blocks: Dict[str, List[Block]] = {}
    for row, message in enumerate(messages):
        for feature in message.features:
            if feature.attribute != TEXT or feature.type != FEATURE_TYPE_SENTENCE:
                continue
            rows = blocks.setdefault(str(feature.origin), [None] * len(messages))
            rows[row] = feature.features
    return blocks


class FeatureScaler:
    """Rows for the regression: each featurizer's sentence features scaled to unit length.

    Sparse counts become sublinear TF-IDF first (the IDF is learnt at training). Each block
    is L2-normalised on its own, so a featurizer with many columns (character n-grams) does
    not drown one with few (the 384 MiniLM dimensions), then multiplied by its weight.
    """

    def __init__(self, idf: Dict[str, np.ndarray], dense_weight: float, sparse_weight: float) -> None:
        self.idf = idf
        self.dense_weight = dense_weight
        self.sparse_weight = sparse_weight

    @staticmethod
    def fit_idf(messages: List[Message]) -> Dict[str, np.ndarray]:
        """Smoothed inverse document frequency of every sparse column, per featurizer."""
        idf = {}
        for origin, rows in sentence_blocks(messages).items():
            if any(scipy.sparse.issparse(r) for r in rows):
                counts = _stack_sparse(rows, _width(rows))
                documents = np.asarray((counts > 0).sum(axis=0)).ravel()
                idf[origin] = (np.log((1 + counts.shape[0]) / (1 + documents)) + 1).astype(np.float32)
        return idf

    def blocks(self, messages: List[Message], dense_width: Dict[str, int]) -> List[Block]:
        """The scaled blocks, in column order: dense ones (numpy), then sparse ones (CSR)."""
        found = sentence_blocks(messages)
        parts: List[Block] = []
        for origin, width in sorted(dense_width.items()):
            rows = found.get(origin, [None] * len(messages))
            dense = np.vstack([_dense_row(r, width) for r in rows])
            parts.append(self.dense_weight * unit_rows(dense))
        for origin, idf in sorted(self.idf.items()):
            counts = _stack_sparse(found.get(origin, [None] * len(messages)), idf.size)
            counts.data = np.log1p(counts.data) * idf[counts.indices]
            parts.append(self.sparse_weight * unit_rows(counts))
        if not parts:
            raise ValueError("LinearIntentClassifier: no featurizer gave sentence features")
        return parts

    def transform(self, messages: List[Message], dense_width: Dict[str, int]) -> scipy.sparse.csr_matrix:
        """One row per message: the scaled blocks side by side (learnt blocks only)."""
        parts = [scipy.sparse.csr_matrix(b) for b in self.blocks(messages, dense_width)]
        return scipy.sparse.hstack(parts).tocsr()


def unit_rows(matrix: Block) -> Block:
    """Each row scaled to unit L2 length (all-zero rows stay zero): sklearn's ``normalize``
    without its input checks, which cost more than the arithmetic for one message."""
    if scipy.sparse.issparse(matrix):
        matrix = scipy.sparse.csr_matrix(matrix, dtype=np.float32, copy=True)
        counts = np.diff(matrix.indptr)
        rows = np.repeat(np.arange(matrix.shape[0]), counts)
        lengths = np.sqrt(np.bincount(rows, weights=matrix.data**2, minlength=matrix.shape[0]))
        matrix.data /= np.where(lengths == 0, 1.0, lengths)[rows].astype(np.float32)
        return matrix
    lengths = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(lengths == 0, 1.0, lengths)


def dense_widths(messages: List[Message]) -> Dict[str, int]:
    """Width of each dense featurizer's sentence features."""
    return {
        origin: _width(rows)
        for origin, rows in sentence_blocks(messages).items()
        if not any(scipy.sparse.issparse(r) for r in rows)
    }


def _width(rows: List[Optional[Block]]) -> int:
    return max(r.shape[-1] for r in rows if r is not None)


def _dense_row(row: Optional[Block], width: int) -> np.ndarray:
    if row is None:
        return np.zeros((1, width), dtype=np.float32)
    return np.asarray(row, dtype=np.float32).reshape(1, -1)[:, :width]


def _stack_sparse(rows: List[Optional[Block]], width: int) -> scipy.sparse.csr_matrix:
    fitted = [_sparse_row(r, width) for r in rows]
    return fitted[0] if len(fitted) == 1 else scipy.sparse.vstack(fitted).tocsr()


def _sparse_row(row: Optional[Block], width: int) -> scipy.sparse.csr_matrix:
    if row is None:
        return scipy.sparse.csr_matrix((1, width), dtype=np.float32)
    matrix = scipy.sparse.csr_matrix(row, dtype=np.float32)
    return matrix if matrix.shape[1] == width else matrix[:, :width]


def _split_columns(coef: np.ndarray, widths: List[int]) -> List[np.ndarray]:
    """The weight matrix cut into per-block, transposed, contiguous pieces."""
    offsets = np.cumsum([0, *widths])
    return [np.ascontiguousarray(coef[:, a:b].T) for a, b in zip(offsets[:-1], offsets[1:], strict=True)]


def intent_weights(intents: List[str], labels: List[str], retrieval_weight: float) -> np.ndarray:
    """Per example ``n / (k * count(its intent))``: scikit-learn's "balanced", over intents even
    when the model learns finer labels (a retrieval intent's topics), times ``retrieval_weight``
    for the examples of a retrieval intent (those whose label is a topic)."""
    names, inverse, counts = np.unique(intents, return_inverse=True, return_counts=True)
    weights = len(intents) / (len(names) * counts[inverse])
    topical = np.array([label != intent for intent, label in zip(intents, labels, strict=True)])
    return weights * np.where(topical, retrieval_weight, 1.0)


def softmax(scores: np.ndarray) -> np.ndarray:
    """Row-wise softmax."""
    shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearIntentClassifier(GraphComponent, IntentClassifier):
    """Multinomial logistic regression over the sentence features of all featurizers."""

    @classmethod
    def required_components(cls) -> List[Type]:
        """Featurizers must run first."""
        return [Featurizer]

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        """Regularisation, the weights of the two feature groups, ranking length."""
        return {
            "C": 10.0,
            "dense_weight": 1.0,
            "sparse_weight": 1.0,
            "class_weight": "balanced",
            # Learn each topic of a retrieval intent (faq/<topic>) as a class of its own and
            # report their summed probability as the intent: one "faq" class would have to
            # cover twenty unrelated subjects. Its examples weigh retrieval_weight times more.
            "retrieval_topics": False,
            "retrieval_weight": 1.0,
            "max_iter": 2000,
            "ranking_length": 10,
        }

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        weights: Optional[Dict[str, np.ndarray]] = None,
    ) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.weights = weights
        self._coef_blocks: List[np.ndarray] = []  # per feature block, transposed, for predict()

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LinearIntentClassifier:
        """An untrained classifier."""
        return cls(config, model_storage, resource)

    def _scaler(self) -> FeatureScaler:
        assert self.weights is not None
        idf = {k[len(IDF) :]: v for k, v in self.weights.items() if k.startswith(IDF)}
        return FeatureScaler(idf, float(self.config["dense_weight"]), float(self.config["sparse_weight"]))

    def _features(self, messages: List[Message]) -> scipy.sparse.csr_matrix:
        assert self.weights is not None
        widths = {k[len(DENSE) :]: int(v) for k, v in self.weights.items() if k.startswith(DENSE)}
        return self._scaler().transform(messages, widths)

    def train(self, training_data: TrainingData) -> Resource:
        """Fits the regression on every example with text and an intent; persists the weights."""
        examples = [e for e in training_data.intent_examples if e.get(TEXT) and e.get(INTENT)]
        intents = [str(e.get(INTENT)) for e in examples]
        if self.config["retrieval_topics"]:
            labels = [str(e.get(INTENT_RESPONSE_KEY) or i) for e, i in zip(examples, intents, strict=True)]
        else:
            labels = intents
        self.fit(examples, labels, intents)
        return self._resource

    def fit(self, examples: List[Message], labels: List[str], intents: Optional[List[str]] = None) -> None:
        """Learns the IDF and the regression weights, and stores them in the model. ``intents``
        (default: the labels) are what each label is reported as, and what "balanced" balances."""
        intents = intents or labels
        if len(set(labels)) < 2:
            logger.warning(f"{self.__class__.__name__}: fewer than two labels, nothing to learn")
            return
        self._coef_blocks = []
        self.weights = {IDF + k: v for k, v in FeatureScaler.fit_idf(examples).items()}
        self.weights.update({DENSE + k: np.asarray(v) for k, v in dense_widths(examples).items()})
        balanced = self.config["class_weight"] == "balanced"
        model = LogisticRegression(
            C=float(self.config["C"]),
            class_weight=None if balanced else self.config["class_weight"],
            max_iter=int(self.config["max_iter"]),
        )
        weights = (
            intent_weights(intents, labels, float(self.config["retrieval_weight"])) if balanced else None
        )
        model.fit(self._features(examples), labels, sample_weight=weights)
        parent = dict(zip(labels, intents, strict=True))
        coef, intercept = model.coef_, model.intercept_
        if coef.shape[0] == 1:  # two classes: one logit z for the second; softmax of (-z/2, z/2)
            coef, intercept = (
                np.vstack([-coef / 2, coef / 2]),
                np.concatenate([-intercept / 2, intercept / 2]),
            )
        self.weights.update(
            coef=coef.astype(np.float32),
            intercept=intercept.astype(np.float32),
            classes=np.asarray(model.classes_, dtype=str),
            parents=np.asarray([parent[c] for c in model.classes_], dtype=str),
        )
        with self._model_storage.write_to(self._resource) as directory:
            np.savez(directory / WEIGHTS_FILE, **self.weights)

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LinearIntentClassifier:
        """The trained classifier, or an untrained one when training stored nothing."""
        try:
            with (
                model_storage.read_from(resource) as directory,
                np.load(directory / WEIGHTS_FILE, allow_pickle=False) as stored,
            ):
                weights = {key: stored[key] for key in stored.files}
        except (ValueError, FileNotFoundError):
            logger.warning(f"{cls.__name__}: no trained weights in the model")
            return cls(config, model_storage, resource)
        return cls(config, model_storage, resource, weights)

    def predict(self, messages: List[Message]) -> np.ndarray:
        """Class probabilities, one row per message (columns: ``weights['classes']``).

        Block by block (no stacking of the feature matrix): the cheapest way for one message."""
        assert self.weights is not None
        widths = {k[len(DENSE) :]: int(v) for k, v in self.weights.items() if k.startswith(DENSE)}
        blocks = self._scaler().blocks(messages, widths)
        if len(self._coef_blocks) != len(blocks):
            self._coef_blocks = _split_columns(self.weights["coef"], [b.shape[1] for b in blocks])
        scores = self.weights["intercept"][None, :]
        for block, coef in zip(blocks, self._coef_blocks, strict=True):
            scores = scores + np.asarray(block @ coef)
        return softmax(scores)

    def rankings(self, messages: List[Message]) -> List[List[Dict[str, Any]]]:
        """Per message, the intents (a retrieval intent's topics summed) with their
        probabilities, most likely first."""
        assert self.weights is not None
        parents = self.weights.get("parents", self.weights["classes"])
        names, column = np.unique(parents, return_inverse=True)
        summed = np.zeros((len(parents), len(names)), dtype=np.float32)
        summed[np.arange(len(parents)), column] = 1.0
        length = int(self.config["ranking_length"])
        return [
            [{"name": str(names[i]), "confidence": float(row[i])} for i in np.argsort(-row)[:length]]
            for row in self.predict(messages) @ summed
        ]

    def process(self, messages: List[Message]) -> List[Message]:
        """Sets ``intent`` and ``intent_ranking`` of each message that has text."""
        with_text = [m for m in messages if m.get(TEXT)]
        if self.weights is None or not with_text:
            return messages
        for message, ranking in zip(with_text, self.rankings(with_text), strict=False):
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set("intent_ranking", ranking, add_to_output=True)
        return messages
