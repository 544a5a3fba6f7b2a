"""Response selection for a retrieval intent (``faq/<topic>``) with the linear classifier.

Same features and model as the intent classifier, trained on the examples of one retrieval
intent with their ``faq/<topic>`` keys as labels. Its output has the shape of Rasa's
ResponseSelector (``response_selector.<intent>.response.intent_response_key`` and
``utter_action``), so ``utter_faq`` and ``rasa test`` use it unchanged. It replaced the
ResponseSelector after measurement (benchmarks/RESULTS.md): a more accurate topic choice,
seconds of training instead of a minute, and no TensorFlow model to run per message.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RESPONSE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from assistant.plugins.linear_intent_classifier import LinearIntentClassifier

RESPONSES_FILE = "responses.json"
SELECTOR_KEY = "response_selector"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearResponseSelector(LinearIntentClassifier):
    """Chooses the ``<retrieval_intent>/<topic>`` answer of a message."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        """The retrieval intent to serve, and the classifier's settings."""
        return {**LinearIntentClassifier.get_default_config(), "retrieval_intent": "faq"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.responses: Dict[str, List[Dict[str, Any]]] = {}
        self.retrieval_intents: List[str] = []

    def train(self, training_data: TrainingData) -> Resource:
        """Fits the topic model on the retrieval intent's examples; stores their responses."""
        intent = self.config["retrieval_intent"]
        examples = [e for e in training_data.intent_examples if e.get(INTENT) == intent and e.get(TEXT)]
        self.fit(examples, [e.get(INTENT_RESPONSE_KEY) for e in examples])
        self.responses = {
            k: v for k, v in training_data.responses.items() if k.startswith(f"utter_{intent}/")
        }
        self.retrieval_intents = sorted(training_data.retrieval_intents)
        with self._model_storage.write_to(self._resource) as directory:
            stored = {"responses": self.responses, "retrieval_intents": self.retrieval_intents}
            (directory / RESPONSES_FILE).write_text(json.dumps(stored))
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LinearResponseSelector:
        """The trained selector with the responses it was trained with."""
        selector = super().load(config, model_storage, resource, execution_context)
        assert isinstance(selector, LinearResponseSelector)
        try:
            with model_storage.read_from(resource) as directory:
                stored = json.loads((directory / RESPONSES_FILE).read_text())
        except (ValueError, FileNotFoundError):
            return selector
        selector.responses, selector.retrieval_intents = stored["responses"], stored["retrieval_intents"]
        return selector

    def process(self, messages: List[Message]) -> List[Message]:
        """Adds the most likely answer and the ranking of answers to each message with text."""
        with_text = [m for m in messages if m.get(TEXT)]
        if self.weights is None or not with_text:
            return messages
        for message, ranking in zip(with_text, self.rankings(with_text), strict=False):
            top = ranking[0]
            selector = dict(message.get(SELECTOR_KEY) or {})
            selector["all_retrieval_intents"] = self.retrieval_intents
            selector[self.config["retrieval_intent"]] = {
                "response": {
                    "responses": self.responses.get(f"utter_{top['name']}", [{TEXT: top["name"]}]),
                    "confidence": top["confidence"],
                    "intent_response_key": top["name"],
                    "utter_action": f"utter_{top['name']}",
                },
                "ranking": [
                    {"confidence": r["confidence"], "intent_response_key": r["name"]} for r in ranking
                ],
            }
            message.set(SELECTOR_KEY, selector, add_to_output=True)
        return messages
