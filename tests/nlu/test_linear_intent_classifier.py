"""The linear intent classifier learns from dense and sparse sentence features, ranks intents
with probabilities, and predicts the same after being stored and loaded."""

from __future__ import annotations

from pathlib import Path
from typing import List

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from assistant.plugins.linear_intent_classifier import LinearIntentClassifier
from tests.nlu.components import create, featurize, storage

EXAMPLES = {
    "order_status": [
        "where is my order",
        "track my parcel",
        "has my package shipped",
        "when will my order arrive",
    ],
    "greet": ["hello", "hi there", "good morning", "hey"],
    "reset_password": [
        "I forgot my password",
        "reset my password",
        "can't log in",
        "locked out of my account",
    ],
}
UNSEEN = {"where's my delivery": "order_status", "hiya": "greet", "I can't sign in": "reset_password"}


def training_data() -> TrainingData:
    return TrainingData(
        [Message(data={TEXT: t, "intent": i}) for i, texts in EXAMPLES.items() for t in texts]
    )


@pytest.fixture
def trained(tmp_path: Path) -> tuple:
    store = storage(tmp_path)
    data, messages = training_data(), [Message(data={TEXT: t}) for t in UNSEEN]
    featurize(store, data, messages)
    classifier = create(LinearIntentClassifier, store, "linear")
    classifier.train(data)
    return store, classifier, messages


def intents(messages: List[Message]) -> List[str]:
    return [m.get("intent")["name"] for m in messages]


def test_unseen_paraphrases_get_their_intent_with_a_ranked_probability(trained: tuple) -> None:
    _, classifier, messages = trained
    classifier.process(messages)
    assert intents(messages) == list(UNSEEN.values())
    for message in messages:
        ranking = message.get("intent_ranking")
        assert ranking[0] == message.get("intent")
        assert [r["confidence"] for r in ranking] == sorted((r["confidence"] for r in ranking), reverse=True)
        assert abs(sum(r["confidence"] for r in ranking) - 1.0) < 1e-4


def test_a_stored_and_loaded_classifier_predicts_the_same(trained: tuple) -> None:
    store, classifier, messages = trained
    before = classifier.predict(messages)
    context = ExecutionContext(GraphSchema({}), node_name="linear")
    loaded = LinearIntentClassifier.load(
        {**LinearIntentClassifier.get_default_config()}, store, Resource("linear"), context
    )
    assert (abs(loaded.predict(messages) - before) < 1e-5).all()


FAQ = {
    "faq/opening_hours": ["when are you open", "what are your opening hours", "are you open on sunday"],
    "faq/gift_cards": ["do you sell gift cards", "can I buy a voucher", "how do gift cards work"],
}


def test_a_retrieval_intents_topics_are_learnt_apart_and_reported_as_the_intent(tmp_path: Path) -> None:
    store = storage(tmp_path)
    examples = [Message(data={TEXT: t, "intent": i}) for i, texts in EXAMPLES.items() for t in texts]
    examples += [
        Message(data={TEXT: t, "intent": "faq", "intent_response_key": k})
        for k, ts in FAQ.items()
        for t in ts
    ]
    data = TrainingData(examples)
    messages = [Message(data={TEXT: t}) for t in ("what time do you open", "a gift voucher please", "hiya")]
    featurize(store, data, messages)
    classifier = create(LinearIntentClassifier, store, "topics", retrieval_topics=True, retrieval_weight=2.0)
    classifier.train(data)
    assert set(classifier.weights["classes"]) >= set(FAQ) and "faq" not in set(classifier.weights["classes"])
    classifier.process(messages)
    assert intents(messages) == ["faq", "faq", "greet"]
    ranking = messages[0].get("intent_ranking")
    assert {r["name"] for r in ranking} == {"faq", *EXAMPLES} and abs(
        sum(r["confidence"] for r in ranking) - 1
    ) < 1e-4


def test_feature_rows_are_scaled_to_unit_length_as_sklearn_does_and_empty_rows_stay_empty() -> None:
    import numpy as np
    import scipy.sparse
    from sklearn.preprocessing import normalize

    from assistant.plugins.linear_intent_classifier import unit_rows

    sparse = scipy.sparse.csr_matrix(np.array([[0, 3, 4, 0], [0, 0, 0, 0], [1, 0, 0, 0]], dtype=np.float32))
    dense = np.array([[3, 4], [0, 0]], dtype=np.float32)
    assert np.allclose(unit_rows(sparse).toarray(), normalize(sparse).toarray())
    assert np.allclose(unit_rows(sparse).toarray()[0], [0, 0.6, 0.8, 0])
    assert np.allclose(unit_rows(dense), [[0.6, 0.8], [0, 0]])
    assert sparse.toarray()[0, 1] == 3  # the input is left as it was
