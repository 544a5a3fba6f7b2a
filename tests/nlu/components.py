"""Builds the project's NLU components outside a Rasa graph, for the tests in this folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Type, TypeVar

from rasa.engine.graph import ExecutionContext, GraphComponent, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from assistant.plugins.minilm_featurizer import MiniLMFeaturizer

C = TypeVar("C", bound=GraphComponent)


def create(cls: Type[C], storage: LocalModelStorage, name: str, **config: Any) -> C:
    """``cls.create`` with its default config updated by ``config``."""
    full: Dict[str, Any] = {**cls.get_default_config(), **config}
    return cls.create(full, storage, Resource(name), ExecutionContext(GraphSchema({}), node_name=name))  # type: ignore[return-value]


def storage(tmp_path: Path) -> LocalModelStorage:
    return LocalModelStorage(tmp_path)


def featurize(store: LocalModelStorage, train: TrainingData, messages: List[Message]) -> None:
    """Tokens, word counts and MiniLM features for ``train`` (fitted) and ``messages``."""
    tokenizer = create(WhitespaceTokenizer, store, "tokenizer")
    counts = create(CountVectorsFeaturizer, store, "counts")
    minilm = create(MiniLMFeaturizer, store, "minilm")
    tokenizer.process_training_data(train)
    counts.train(train)
    counts.process_training_data(train)
    minilm.process_training_data(train)
    tokenizer.process(messages)
    counts.process(messages)
    minilm.process(messages)
