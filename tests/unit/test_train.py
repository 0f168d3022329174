"""The fine-tuning loop on a tiny random BERT (hidden size 32, 2 layers), so it runs in seconds."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from recsys_helpers import train
from recsys_helpers.errors import ParameterError
from recsys_helpers.metrics import auc
from recsys_helpers.models.cross_encoder import encode_pairs
from recsys_helpers.models.pretrained import load_tokenizer
from recsys_helpers.train import (
    Encoded,
    LengthGroupedBatches,
    TrainConfig,
    fit,
    freeze_layers,
    make_loader,
    parameter_groups,
    predict_proba,
    pretokenize,
)
from tests.unit.tiny_models import tiny_classifier
from tests.unit.tiny_pairs import click_frame

pytestmark = pytest.mark.unit

WORDS = ("cotton", "linen", "wool", "shirt", "dress", "jacket", "soft", "large", "small")
WORDS += ("blue", "green", "black", "classic", "slim", "summer", "winter")
FAST = {"batch_size": 32, "lr": 5e-3, "device": "cpu"}


@pytest.fixture(scope="module")
def tokenizer():
    return load_tokenizer("minilm")


def _toy(n: int, seed: int) -> tuple[list[str], np.ndarray]:
    """Product-like texts; the label says whether the keyword "red" is in the text."""
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for _ in range(n):
        words = list(rng.choice(WORDS, size=rng.integers(2, 12)))
        label = int(rng.random() < 0.5)
        if label:
            words.insert(rng.integers(0, len(words) + 1), "red")
        texts.append(" ".join(words))
        labels.append(label)
    return texts, np.array(labels)


@pytest.fixture(scope="module")
def data(tokenizer):
    train_texts, train_y = _toy(400, seed=0)
    valid_texts, valid_y = _toy(200, seed=1)
    return (
        pretokenize(tokenizer, train_texts, max_length=32),
        train_y,
        pretokenize(tokenizer, valid_texts, max_length=32),
        valid_y,
    )


@pytest.fixture(scope="module")
def fitted(tokenizer, data):
    model = tiny_classifier(tokenizer)
    result = fit(model, *data, TrainConfig(epochs=5, patience=None, **FAST), progress=False)
    return model, result


def test_pretokenize_does_not_pad_and_truncates(tokenizer):
    encoded = pretokenize(tokenizer, ["red shirt", "a " * 100], max_length=16)
    assert isinstance(encoded, Encoded) and encoded.tokenizer is tokenizer
    assert len(encoded[0]["input_ids"]) == 4  # [CLS] red shirt [SEP]
    assert len(encoded[1]["input_ids"]) == 16
    assert isinstance(encoded[:1], Encoded) and encoded.subset([1]).tokenizer is tokenizer


def test_pretokenize_pairs(tokenizer):
    encoded = pretokenize(tokenizer, ["red shirt"], ["blue dress"], max_length=16)
    # [CLS] red shirt [SEP] blue dress [SEP]: segment 0 for the first four tokens, 1 after
    assert encoded[0]["token_type_ids"] == [0, 0, 0, 0, 1, 1, 1]
    with pytest.raises(ParameterError, match="differ in length"):
        pretokenize(tokenizer, ["a", "b"], ["c"])
    with pytest.raises(ParameterError, match="single string"):
        pretokenize(tokenizer, "red shirt")


def test_batches_are_padded_to_their_longest_example(data):
    encoded = data[0]
    loader = make_loader(encoded[:40], batch_size=8)
    for i, batch in enumerate(loader):
        longest = max(len(e["input_ids"]) for e in encoded[8 * i : 8 * i + 8])
        assert batch["input_ids"].shape == (8, longest)
        assert longest < 32  # max_length: batches are not padded to it
    assert "labels" not in batch
    with pytest.raises(ParameterError, match="tokenizer"):
        make_loader(list(encoded[:8]))


def test_sorted_loader_has_less_padding(data):
    encoded = data[0]
    plain = sum(b["input_ids"].numel() for b in make_loader(encoded, batch_size=16))
    ordered = sum(b["input_ids"].numel() for b in make_loader(encoded, sort_by_length=True))
    assert ordered < plain


def test_fit_learns_the_toy_task(fitted):
    model, result = fitted
    history = result.history
    assert list(history.columns) == ["step", "epoch", "train_loss", "valid_loss", "valid_auc", "lr"]
    assert len(history) == 5  # once per epoch
    assert history["train_loss"].iloc[-1] < 0.5 * history["train_loss"].iloc[0]
    assert history["valid_loss"].iloc[-1] < history["valid_loss"].iloc[0]
    assert result.best_score > 0.9 and result.metric == "auc"
    assert not result.stopped_early and result.seconds > 0
    assert not model.training


def test_predict_proba_keeps_the_input_order(tokenizer, fitted, data):
    model, _ = fitted
    encoded = data[2][:30]
    batched = predict_proba(model, encoded, batch_size=8, device="cpu")
    one_by_one = [predict_proba(model, encoded[i : i + 1], device="cpu")[0] for i in range(30)]
    np.testing.assert_allclose(batched, one_by_one, atol=1e-5)
    assert batched.shape == (30,) and ((batched >= 0) & (batched <= 1)).all()
    assert auc(data[3], predict_proba(model, data[2], device="cpu")) > 0.9


def test_predict_proba_single_logit_uses_sigmoid(tokenizer, data):
    model = tiny_classifier(tokenizer, num_labels=1).eval()
    encoded = data[2][:5]
    batch = next(iter(make_loader(encoded, batch_size=5)))
    with torch.no_grad():
        expected = torch.sigmoid(model(**batch).logits[:, 0]).numpy()
    np.testing.assert_allclose(predict_proba(model, encoded, device="cpu"), expected, atol=1e-6)


def test_early_stopping_restores_the_best_weights(tokenizer, data, monkeypatch):
    snapshots = []
    original = train._snapshot

    def spy(model):
        snapshots.append(original(model))
        return snapshots[-1]

    monkeypatch.setattr(train, "_snapshot", spy)
    train_enc, _, valid_enc, _ = data
    rng = np.random.default_rng(5)  # random labels: nothing to learn, the score wanders
    y_train, y_valid = rng.integers(0, 2, 160), rng.integers(0, 2, 100)
    model = tiny_classifier(tokenizer)
    config = TrainConfig(epochs=3, eval_every_steps=2, patience=2, **{**FAST, "batch_size": 16})
    result = fit(model, train_enc[:160], y_train, valid_enc[:100], y_valid, config, progress=False)

    history = result.history
    assert result.stopped_early
    assert history["step"].iloc[-1] < 3 * 10  # stopped before the planned 30 steps
    best_row = history.index[history["step"] == result.best_step][0]
    assert len(history) == best_row + 1 + config.patience
    assert result.best_score == history["valid_auc"].max()
    for name, value in model.state_dict().items():
        torch.testing.assert_close(value, snapshots[-1][name], rtol=0, atol=0)
    rescored = auc(y_valid, predict_proba(model, valid_enc[:100], device="cpu"))
    assert rescored == pytest.approx(result.best_score, abs=1e-6)


def test_same_seed_gives_the_same_history(tokenizer, data):
    config = TrainConfig(epochs=1, eval_every_steps=4, **FAST)
    subset = (data[0][:128], data[1][:128], data[2][:64], data[3][:64])
    first = fit(tiny_classifier(tokenizer), *subset, config, progress=False).history
    second = fit(tiny_classifier(tokenizer), *subset, config, progress=False).history
    assert first.equals(second)


def test_loss_metric_selects_the_lowest_loss(tokenizer, data):
    subset = (data[0][:128], data[1][:128], data[2][:64], data[3][:64])
    config = TrainConfig(epochs=2, metric="loss", patience=None, **FAST)
    result = fit(tiny_classifier(tokenizer), *subset, config, progress=False)
    assert result.best_score == result.history["valid_loss"].min()


@pytest.mark.parametrize(
    "bad",
    [
        {"epochs": 0},
        {"batch_size": 2.5},
        {"lr": 0},
        {"lr": -1e-3},
        {"warmup_ratio": 1.5},
        {"patience": 0},
        {"eval_every_steps": 0},
        {"metric": "accuracy"},
        {"device": "tpu"},
        {"max_grad_norm": 0.0},
    ],
)
def test_invalid_config_raises(bad):
    with pytest.raises(ParameterError):
        TrainConfig(**bad)


def test_fit_checks_its_inputs(tokenizer, data):
    model = tiny_classifier(tokenizer)
    with pytest.raises(ParameterError, match="entries"):
        fit(model, data[0], data[1][:-1], data[2], data[3], progress=False)
    with pytest.raises(ParameterError, match="0/1"):
        fit(model, data[0], data[1] * 2, data[2], data[3], progress=False)
    with pytest.raises(ParameterError, match="validation AUC"):
        fit(model, data[0], data[1], data[2][:5], np.ones(5, int), progress=False)


def test_freeze_strategies(tokenizer):
    model = tiny_classifier(tokenizer)

    def size(module):
        return sum(p.numel() for p in module.parameters())

    head = size(model.classifier) + size(model.bert.pooler)
    layers = model.bert.encoder.layer
    assert freeze_layers(model, "head") == head
    assert freeze_layers(model, "top-1") == head + size(layers[1])
    assert freeze_layers(model, "top-2") == head + size(layers[0]) + size(layers[1])
    assert not any(p.requires_grad for p in model.bert.embeddings.parameters())
    assert freeze_layers(model, "all") == size(model)
    for bad in ("top-3", "top-0", "bottom-1", "everything"):
        with pytest.raises(ParameterError):
            freeze_layers(model, bad)


def test_bf16_training_learns_and_keeps_fp32_weights(tokenizer, data):
    model = tiny_classifier(tokenizer)
    result = fit(model, *data, TrainConfig(epochs=3, patience=None, precision="bf16", **FAST),
                 progress=False)
    assert result.precision == "bf16"
    assert result.best_score > 0.9  # the toy task is learned in mixed precision too
    assert all(p.dtype == torch.float32 for p in model.parameters())


def test_predict_proba_in_bf16_is_close_to_fp32(tokenizer, data):
    model = tiny_classifier(tokenizer)
    valid = data[2]
    fp32 = predict_proba(model, valid, device="cpu")
    bf16 = predict_proba(model, valid, device="cpu", precision="bf16")
    assert bf16.dtype == np.float64 and bf16.shape == fp32.shape
    np.testing.assert_allclose(bf16, fp32, atol=0.02)
    with pytest.raises(ParameterError, match="precision"):
        predict_proba(model, valid, device="cpu", precision="half")


def test_bf16_on_a_gpu_without_bfloat16_fails_clearly(monkeypatch):
    from recsys_helpers.train import autocast_context

    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: False)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda *a, **k: "Tesla T4")
    with pytest.raises(ParameterError, match="Tesla T4 has none: use precision='fp32'"):
        autocast_context("cuda", "bf16")


def test_length_grouped_batches(tokenizer):
    rng = np.random.default_rng(0)
    lengths = rng.integers(5, 60, 1000)
    sampler = LengthGroupedBatches(lengths, batch_size=16, seed=1, chunk_batches=10)
    first, second = list(sampler), list(sampler)
    assert len(first) == len(sampler) == 63
    assert sorted(i for b in first for i in b) == list(range(1000))
    assert first != second  # a new grouping each epoch
    assert list(LengthGroupedBatches(lengths, 16, seed=1, chunk_batches=10)) == first
    padded = sum(16 * lengths[b].max() for b in first)
    random_batches = np.array_split(rng.permutation(1000), 63)
    assert padded < 0.8 * sum(16 * lengths[b].max() for b in random_batches)
    # through make_loader: every example once, padded per batch
    encoded = encode_pairs(tokenizer, click_frame(100, 2), max_length=32)
    loader = make_loader(encoded, np.zeros(100, int), batch_size=16, shuffle=True,
                         group_by_length=True)
    assert sum(len(b["labels"]) for b in loader) == 100
    with pytest.raises(ParameterError, match="shuffle"):
        make_loader(encoded, batch_size=16, group_by_length=True)
    with pytest.raises(ParameterError, match="group_by_length"):
        TrainConfig(group_by_length="yes")


def test_bf16_training_steps_follow_fp32(tokenizer):
    train, valid = click_frame(128, 0), click_frame(64, 1)
    results = {}
    for precision in ("fp32", "bf16"):
        config = TrainConfig(epochs=1, batch_size=32, lr=5e-3, device="cpu", precision=precision)
        model = tiny_classifier(tokenizer)
        result = fit(model, encode_pairs(tokenizer, train, 32), train["label"].to_numpy(),
                     encode_pairs(tokenizer, valid, 32), valid["label"].to_numpy(), config,
                     progress=False)
        assert result.precision == precision
        results[precision] = result.history
    # same seed and batches: bfloat16 rounding moves the losses a little, not the course
    np.testing.assert_allclose(results["bf16"]["train_loss"], results["fp32"]["train_loss"],
                               atol=0.02)
    with pytest.raises(ParameterError, match="precision"):
        TrainConfig(precision="fp16")


def test_head_lr_gives_the_new_head_its_own_rate(tokenizer):
    model = tiny_classifier(tokenizer)
    groups = parameter_groups(model, weight_decay=0.01, lr=1e-4, head_lr=2e-3)
    head = {id(p) for p in model.classifier.parameters()}
    for group in groups:
        in_head = {id(p) in head for p in group["params"]}
        assert len(in_head) == 1  # a group is all head or all base model
        assert group["lr"] == (2e-3 if in_head.pop() else 1e-4)
    assert sum(len(g["params"]) for g in groups) == len(list(model.parameters()))
    decayed = [g for g in groups if g["weight_decay"] > 0]
    assert all(p.ndim >= 2 for g in decayed for p in g["params"])
    # without head_lr: one rate for all, as before
    assert all("lr" not in g or g["lr"] == 1e-4 for g in parameter_groups(model, 0.01, 1e-4))
    with pytest.raises(ParameterError, match="head_lr"):
        TrainConfig(head_lr=0)
