"""The MiniLM featurizer gives unit sentence vectors that put paraphrases close together, and
one vector per token, loading the model from the installed packages."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from assistant.plugins.minilm_featurizer import installed_model_files
from tests.nlu.components import featurize, storage

TEXTS = ["where is my parcel", "track my package please", "what's the weather in Paris", "hi"]


def vectors(tmp_path: Path) -> list:
    messages = [Message(data={TEXT: t}) for t in TEXTS]
    featurize(
        storage(tmp_path), TrainingData([Message(data={TEXT: "hello there", "intent": "greet"})]), messages
    )
    return messages


def test_the_model_files_come_from_installed_packages() -> None:
    model, tokenizer = installed_model_files()
    assert "site-packages" in str(model) and model.stat().st_size > 20_000_000
    assert tokenizer.name == "tokenizer.json"


def test_sentence_vectors_are_unit_length_and_paraphrases_are_closest(tmp_path: Path) -> None:
    rows = []
    for message in vectors(tmp_path):
        _, sentence = message.get_dense_features(TEXT)
        rows.append(sentence.features[0])
    sims = np.array(rows) @ np.array(rows).T
    assert np.allclose(np.diag(sims), 1.0, atol=1e-4)
    assert sims[0, 1] > sims[0, 2] + 0.2 and sims[0, 1] > sims[0, 3]


def test_every_token_gets_a_nonzero_vector(tmp_path: Path) -> None:
    for message in vectors(tmp_path):
        sequence, _ = message.get_dense_features(TEXT)
        tokens = message.get("text_tokens")
        assert sequence.features.shape == (len(tokens), 384)
        assert np.all(np.abs(sequence.features).sum(axis=1) > 0)
