"""Typed button titles parse exactly as the button would: a Rasa 3 graph component.

A customer who types "Yes, cancel it" or "premium" instead of clicking the button should get
the button's payload (``/affirm``, ``/inform{"plan": "premium"}``), not a guess. At training
time this component reads every button of every response in the domain (so buttons added
later are covered by the next training), parses each payload as Rasa parses a ``/intent{...}``
message, and stores title -> (intent, entities) in the model. Training fails when one title
would mean two different things. At run time a message whose normalised text equals a title
gets that intent with confidence 1 and exactly the payload's entities.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any, Dict, Iterator, List, Optional, Tuple

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.core.domain import Domain
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

TABLE_FILE = "button_titles.json"
BUTTON_KEYS = ("buttons", "quick_replies")
_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """The matching key of a text: case, all spacing and trailing punctuation ignored."""
    folded = _SPACE.sub("", unicodedata.normalize("NFKC", text).casefold())
    end = len(folded)
    while end and unicodedata.category(folded[end - 1]).startswith("P"):
        end -= 1
    return folded[:end]


def domain_buttons(domain: Domain) -> Iterator[Tuple[str, str, str]]:
    """(response name, title, payload) of every button in the domain's responses."""
    for name, variations in domain.responses.items():
        for variation in variations:
            for key in BUTTON_KEYS:
                for button in variation.get(key) or []:
                    title, payload = button.get("title"), button.get("payload")
                    if isinstance(title, str) and isinstance(payload, str):
                        yield name, title, payload


def parse_payload(payload: str, domain: Domain) -> Optional[Dict[str, Any]]:
    """Intent and entities of a ``/intent{...}`` payload; None for text or templated payloads."""
    try:
        rendered = payload.format()  # responses escape JSON braces as {{ }}
    except (IndexError, KeyError, ValueError):
        return None  # a slot placeholder: the payload is only known in the conversation
    if not rendered.strip().startswith("/"):
        return None
    parsed = YAMLStoryReader.unpack_regex_message(Message(data={TEXT: rendered}), domain)
    intent = (parsed.get(INTENT) or {}).get("name")
    if not intent:
        raise InvalidConfigException(f"Button payload '{payload}' names no intent of the domain")
    entities = [{"entity": e["entity"], "value": e["value"]} for e in parsed.get(ENTITIES) or []]
    return {"intent": intent, "entities": sorted(entities, key=lambda e: (e["entity"], str(e["value"])))}


def build_table(domain: Domain) -> Dict[str, Dict[str, Any]]:
    """Normalised title -> parsed payload; raises when one title maps to two payloads."""
    table: Dict[str, Dict[str, Any]] = {}
    origin: Dict[str, str] = {}
    for response, title, payload in domain_buttons(domain):
        parsed = parse_payload(payload, domain)
        key = normalise(title)
        if parsed is None or not key:
            continue
        if key in table and table[key] != parsed:
            raise InvalidConfigException(
                f"Button title '{title}' in '{response}' parses as {parsed}, but the same title "
                f"in {origin[key]} parses as {table[key]}: give the buttons different titles"
            )
        table[key] = parsed
        origin[key] = f"'{response}' (payload '{payload}')"
    return table


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class ButtonTitleClassifier(GraphComponent, IntentClassifier):
    """Gives a message that is a button title the intent and entities of the button's payload."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        """No settings."""
        return {}

    def __init__(
        self,
        model_storage: ModelStorage,
        resource: Resource,
        table: Optional[Dict[str, Dict[str, Any]]] = None,
    ) -> None:
        self._model_storage = model_storage
        self._resource = resource
        self.table = table or {}

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ButtonTitleClassifier:
        """An empty table, filled by training."""
        return cls(model_storage, resource)

    def train(self, training_data: TrainingData, domain: Domain) -> Resource:
        """Reads the buttons of ``domain`` and stores the title table in the model."""
        self.table = build_table(domain)
        with self._model_storage.write_to(self._resource) as directory:
            (directory / TABLE_FILE).write_text(json.dumps(self.table, indent=1, sort_keys=True))
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> ButtonTitleClassifier:
        """The trained table (empty when the model has none)."""
        try:
            with model_storage.read_from(resource) as directory:
                table = json.loads((directory / TABLE_FILE).read_text())
        except (ValueError, FileNotFoundError):
            table = {}
        return cls(model_storage, resource, table)

    def process(self, messages: List[Message]) -> List[Message]:
        """Overrides intent, ranking and entities of messages that are a button title."""
        for message in messages:
            match = self.table.get(normalise(message.get(TEXT) or ""))
            if match is not None:
                self._apply(message, match)
        return messages

    def _apply(self, message: Message, match: Dict[str, Any]) -> None:
        text = message.get(TEXT)
        intent = {"name": match["intent"], "confidence": 1.0}
        entities = [
            {
                **e,
                "start": 0,
                "end": len(text),
                "confidence_entity": 1.0,
                "extractor": self.__class__.__name__,
            }
            for e in match["entities"]
        ]
        message.set(INTENT, intent, add_to_output=True)
        message.set("intent_ranking", [intent], add_to_output=True)
        message.set(ENTITIES, entities, add_to_output=True)
