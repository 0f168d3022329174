"""training.padding: the token positions of each padding scheme, checked against the
transformers collator that pads the batches."""

from __future__ import annotations

import numpy as np
import pytest
from transformers import DataCollatorWithPadding

from recsys_helpers.errors import ParameterError
from recsys_helpers.models.pretrained import load_tokenizer
from recsys_helpers.train import pretokenize
from recsys_helpers.training.padding import PADDING_SCHEMES, padding_cost

pytestmark = pytest.mark.unit


def test_padding_cost_matches_the_transformers_collator():
    tokenizer = load_tokenizer("minilm")
    rng = np.random.default_rng(0)
    words = ["soft", "cotton", "shirt", "for", "summer", "walks", "blue", "linen", "dress"]
    texts = [" ".join(rng.choice(words, rng.integers(1, 20))) for _ in range(103)]
    encoded = pretokenize(tokenizer, texts, max_length=24)
    lengths = [len(e["input_ids"]) for e in encoded]
    table = padding_cost(lengths, batch_size=16, max_length=24, seed=3).set_index("padding")
    assert table.index.tolist() == list(PADDING_SCHEMES)

    collate = DataCollatorWithPadding(tokenizer, return_tensors="pt")

    def positions(order, **padding):
        batches = [order[i:i + 16] for i in range(0, len(order), 16)]
        if padding:
            collate_fixed = DataCollatorWithPadding(tokenizer, return_tensors="pt", **padding)
            return sum(collate_fixed([encoded[i] for i in b])["input_ids"].numel()
                       for b in batches)
        return sum(collate([encoded[i] for i in b])["input_ids"].numel() for b in batches)

    everything = np.arange(len(encoded))
    assert table.loc["fixed", "positions"] == positions(everything, padding="max_length",
                                                        max_length=24)
    assert table.loc["per batch", "positions"] == positions(
        np.random.default_rng(3).permutation(len(encoded)))
    assert table.loc["per batch, sorted", "positions"] == positions(
        np.argsort(-np.asarray(lengths), kind="stable"))
    real = sum(lengths)
    assert table.loc["fixed", "padding_share"] == pytest.approx(1 - real / (24 * len(lengths)))
    assert (table["positions"].diff().dropna() <= 0).all()  # each scheme pads less


def test_padding_cost_rejects_bad_input():
    with pytest.raises(ParameterError):
        padding_cost([], batch_size=4)
    with pytest.raises(ParameterError, match="max_length"):
        padding_cost([3, 9], batch_size=4, max_length=5)  # shorter than the longest example
