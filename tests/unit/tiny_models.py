"""A tiny randomly initialised BERT classifier: fast stand-in for MiniLM in unit tests."""

from __future__ import annotations

from transformers import BertConfig, BertForSequenceClassification

from recsys_helpers.runtime import set_seed


def tiny_classifier(tokenizer, num_labels: int = 2, seed: int = 0,
                    max_positions: int = 128) -> BertForSequenceClassification:
    """Two 32-wide layers over the tokenizer's vocabulary; `seed` fixes the weights."""
    set_seed(seed)
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=64,
                        max_position_embeddings=max_positions, num_labels=num_labels)
    return BertForSequenceClassification(config)
