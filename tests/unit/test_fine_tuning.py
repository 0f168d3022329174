"""Chapter 3's inspection helpers, checked against torch, transformers and the simulator."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from transformers import BertConfig, BertForSequenceClassification, DataCollatorWithPadding

from recsys_helpers.data.click_task import click_task_from_shop
from recsys_helpers.data.synthetic import make_shop
from recsys_helpers.errors import DataError, ParameterError
from recsys_helpers.fine_tuning import (
    PADDING_SCHEMES,
    check_strategies,
    newly_initialised,
    padding_cost,
    parameter_table,
    random_init_classifier,
    true_click_probability,
)
from recsys_helpers.metrics import auc
from recsys_helpers.models.pretrained import load_classifier, load_tokenizer
from recsys_helpers.train import count_trainable, freeze_layers, pretokenize

pytestmark = pytest.mark.unit


def _tiny_bert(layers: int = 3) -> BertForSequenceClassification:
    torch.manual_seed(0)
    config = BertConfig(vocab_size=100, hidden_size=16, num_hidden_layers=layers,
                        num_attention_heads=2, intermediate_size=32, num_labels=2)
    return BertForSequenceClassification(config)


@pytest.mark.parametrize("strategies", [["head"], ["head", "top-1", "top-3", "all"], ("all",)])
def test_check_strategies_accepts_what_freeze_layers_accepts(strategies):
    assert check_strategies("freeze", strategies, n_layers=3) == list(strategies)
    model = _tiny_bert(3)
    for strategy in strategies:
        freeze_layers(model, strategy)  # must not raise either


@pytest.mark.parametrize(
    ("strategies", "message"),
    [
        ([], "non-empty list"),
        ("head", "non-empty list"),
        (["top-4"], "k must be between 1 and 3"),
        (["top-0"], "k must be between 1 and 3"),
        (["bottom-2"], "each strategy must be"),
        ([2], "each strategy must be"),
        (["head", "head"], "twice"),
    ],
)
def test_check_strategies_rejects_with_the_parameter_name(strategies, message):
    with pytest.raises(ParameterError, match=message) as error:
        check_strategies("freeze", strategies, n_layers=3)
    assert "'freeze'" in str(error.value)
    if strategies and isinstance(strategies, list) and strategies[0] in ("top-4", "top-0"):
        with pytest.raises(ParameterError):  # freeze_layers refuses the same strategies
            freeze_layers(_tiny_bert(3), strategies[0])


@pytest.mark.parametrize("strategy", ["head", "top-1", "top-2", "all"])
def test_parameter_table_adds_up_to_torch_counts(strategy):
    model = _tiny_bert(3)
    trainable = freeze_layers(model, strategy)
    table = parameter_table(model)
    assert table["part"].tolist() == ["embeddings", "layer 0", "layer 1", "layer 2", "head"]
    assert table["parameters"].sum() == sum(p.numel() for p in model.parameters())
    assert table["trainable"].sum() == trainable == count_trainable(model)
    parts = table.set_index("part")
    assert parts.loc["embeddings", "parameters"] == sum(
        p.numel() for p in model.bert.embeddings.parameters())
    assert parts.loc["head", "parameters"] == sum(
        p.numel() for p in [*model.bert.pooler.parameters(), *model.classifier.parameters()])
    if strategy == "head":
        assert parts["trainable"].drop("head").sum() == 0
    if strategy == "top-1":
        assert parts.loc["layer 2", "trainable"] == parts.loc["layer 2", "parameters"]
        assert parts.loc["layer 1", "trainable"] == 0


def test_parameter_table_needs_a_model_with_a_head():
    with pytest.raises(ParameterError, match="with a head"):
        parameter_table(_tiny_bert().bert)


def test_random_init_classifier_has_the_pretrained_shapes_but_new_weights():
    pretrained = load_classifier("minilm", device="cpu").state_dict()
    fresh = random_init_classifier("minilm", seed=1, device="cpu").state_dict()
    assert {k: v.shape for k, v in fresh.items()} == {k: v.shape for k, v in pretrained.items()}
    name = "bert.encoder.layer.0.attention.self.query.weight"
    assert not torch.equal(fresh[name], pretrained[name])
    again = random_init_classifier("minilm", seed=1, device="cpu").state_dict()
    assert all(torch.equal(again[k], fresh[k]) for k in fresh)  # the seed fixes the draw
    with pytest.raises(ParameterError):
        random_init_classifier("minilm", num_labels=0)


def test_newly_initialised_is_the_head_the_checkpoint_lacks():
    new = newly_initialised("minilm", num_labels=3)
    assert new == ["classifier.bias", "classifier.weight"]  # the checkpoint has a pooler
    model = load_classifier("minilm", num_labels=3, device="cpu")
    assert model.classifier.weight.shape == (3, model.config.hidden_size)
    with pytest.raises(ParameterError):
        newly_initialised("minilm", num_labels=0)


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


def test_true_click_probability_is_the_simulators_click_rate():
    shop = make_shop(n_users=300, n_items=200, n_sessions=3000, seed=2)
    task = click_task_from_shop(shop, max_examples=20_000, history_len=2, seed=0)
    probability = true_click_probability(shop, task.examples)
    labels = task.examples["label"].to_numpy()
    assert ((probability > 0) & (probability < 1)).all()
    # Clicks were drawn with exactly these probabilities: the click rate agrees with their mean
    # within four standard deviations of a sum of independent Bernoulli draws.
    sd = np.sqrt((probability * (1 - probability)).sum()) / len(labels)
    assert abs(probability.mean() - labels.mean()) < 4 * sd
    assert auc(labels, probability) > 0.7
    other = make_shop(n_users=300, n_items=200, n_sessions=3000, seed=3)
    with pytest.raises(DataError, match="not impressions of this shop"):
        true_click_probability(other, task.examples)
