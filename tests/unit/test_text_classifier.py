"""Text classification with a pretrained encoder, on a tiny BERT and a task one word decides:
the probe, LP-FT (the head copied from the probe predicts what the probe predicts), the
fine-tuning loss falls, contrastive tuning pulls same-label texts together."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from recsys_helpers.errors import ParameterError
from recsys_helpers.models import text_classifier as tc
from recsys_helpers.models.pretrained import load_tokenizer
from recsys_helpers.train import pretokenize

pytestmark = pytest.mark.unit

COLOURS = ("red", "blue", "green")
NOUNS = ("card", "account", "transfer", "payment", "fee", "loan", "atm", "refund")


@pytest.fixture(scope="module")
def tokenizer():
    return load_tokenizer("minilm")


@pytest.fixture
def encoder(tokenizer):
    from transformers import BertConfig, BertModel

    torch.manual_seed(0)
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=64, max_position_embeddings=64)
    return BertModel(config)


def colour_task(n: int, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """The label is the colour word (3 classes); the rest of the text is noise."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(COLOURS), size=n)
    texts = [f"my {rng.choice(NOUNS)} is {COLOURS[y]} {rng.choice(NOUNS)}" for y in labels]
    return texts, labels


def mean_embeddings(model: tc.SentenceClassifier, encoded) -> np.ndarray:
    from recsys_helpers.train import make_loader

    rows = []
    model.eval()
    with torch.no_grad():
        for batch in make_loader(encoded, batch_size=64):
            rows.append(model.embed(batch["input_ids"], batch["attention_mask"]).numpy())
    return np.concatenate(rows)


def test_label_codes_and_per_class_sample():
    assert tc.label_codes(["b", "a", "b"], ["a", "b"]).tolist() == [1, 0, 1]
    with pytest.raises(ParameterError, match="not among"):
        tc.label_codes(["a", "z"], ["a", "b"])
    labels = np.array(["a"] * 10 + ["b"] * 3 + ["c"] * 20)
    picked = tc.per_class_sample(labels, 4, seed=1)
    assert sorted(np.unique(labels[picked], return_counts=True)[1].tolist()) == [3, 4, 4]
    assert picked.tolist() == tc.per_class_sample(labels, 4, seed=1).tolist()
    assert picked.tolist() != tc.per_class_sample(labels, 4, seed=2).tolist()


def test_probe_head_reproduces_the_probe(encoder, tokenizer):
    texts, labels = colour_task(90)
    encoded = pretokenize(tokenizer, texts, max_length=16)
    model = tc.SentenceClassifier(encoder, num_classes=3)
    features = mean_embeddings(model, encoded)
    assert np.allclose(np.linalg.norm(features, axis=1), 1.0, atol=1e-5)
    probe = tc.fit_probe(features, labels)
    model.init_head_from_probe(probe)
    proba = tc.predict_proba(model, encoded, batch_size=7)
    assert np.allclose(proba, probe.predict_proba(features), atol=1e-4)
    with pytest.raises(ParameterError, match="classes must be"):
        tc.SentenceClassifier(encoder, 4).init_head_from_probe(probe)


def test_fine_tuning_loss_falls_and_accuracy_rises(encoder, tokenizer):
    texts, labels = colour_task(192)
    test_texts, test_labels = colour_task(96, seed=1)
    encoded = pretokenize(tokenizer, texts, max_length=16)
    test_encoded = pretokenize(tokenizer, test_texts, max_length=16)
    model = tc.SentenceClassifier(encoder, num_classes=3)

    def accuracy(m):
        return {"accuracy": float((tc.predict_proba(m, test_encoded).argmax(1)
                                   == test_labels).mean())}

    config = tc.TuneConfig(steps=60, batch_size=16, lr=3e-3, head_lr=1e-2, precision="fp32",
                           device="cpu", eval_every=20)
    result = tc.fine_tune(model, encoded, labels, config, evaluate=accuracy)
    assert result.loss_start > 0.9  # about ln 3 = 1.10 at the start: a uniform guess
    assert result.loss_end < 0.5 * result.loss_start
    assert result.curve["step"].tolist() == [0, 20, 40, 60]
    assert result.curve["accuracy"].iloc[-1] > 0.9 > result.curve["accuracy"].iloc[0]


def test_fine_tuning_is_seeded(tokenizer):
    from transformers import BertConfig, BertModel

    texts, labels = colour_task(64)
    encoded = pretokenize(tokenizer, texts, max_length=16)
    config = tc.TuneConfig(steps=5, batch_size=16, precision="fp32", device="cpu")
    losses = []
    for _ in range(2):
        torch.manual_seed(0)
        encoder = BertModel(BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32,
                                       num_hidden_layers=1, num_attention_heads=2,
                                       intermediate_size=64, max_position_embeddings=64))
        torch.manual_seed(0)
        model = tc.SentenceClassifier(encoder, 3)
        losses.append(tc.fine_tune(model, encoded, labels, config).step_losses)
    assert np.array_equal(losses[0], losses[1])


def test_contrastive_tuning_pulls_same_labels_together(encoder, tokenizer, tmp_path):
    from sentence_transformers import SentenceTransformer

    encoder.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    sentence_encoder = SentenceTransformer(str(tmp_path), device="cpu")
    texts, labels = colour_task(48)

    def margin() -> float:
        vectors = tc.EmbeddingCache(sentence_encoder)(texts)
        similar = vectors @ vectors.T
        same = labels[:, None] == labels[None, :]
        return float(similar[same].mean() - similar[~same].mean())

    before = margin()
    config = tc.TuneConfig(steps=30, batch_size=16, lr=2e-3, head_lr=None, precision="fp32",
                           device="cpu")
    result = tc.contrastive_tune(sentence_encoder, texts, labels, config, max_length=16)
    assert result.loss_end < result.loss_start
    assert margin() > before + 0.1
    with pytest.raises(ParameterError, match="two classes"):
        tc.contrastive_tune(sentence_encoder, texts[:3], [0, 0, 0], config)


def test_embedding_cache_encodes_each_text_once(encoder, tokenizer, tmp_path):
    from sentence_transformers import SentenceTransformer

    encoder.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    cache = tc.EmbeddingCache(SentenceTransformer(str(tmp_path), device="cpu"))
    first = cache(["a red card", "a blue fee", "a red card"])
    assert len(cache) == 2 and first.shape == (3, 32)
    assert np.array_equal(first[0], first[2])
    again = cache(["a blue fee"])
    assert np.array_equal(again[0], first[1]) and len(cache) == 2
    assert cache([]).shape == (0, 32)
    with pytest.raises(ParameterError, match="single string"):
        cache("a red card")


def test_bad_inputs_are_refused(encoder, tokenizer):
    texts, labels = colour_task(8)
    encoded = pretokenize(tokenizer, texts, max_length=16)
    model = tc.SentenceClassifier(encoder, 3)
    with pytest.raises(ParameterError, match="class indices"):
        tc.fine_tune(model, encoded, labels + 3, tc.TuneConfig(steps=1, device="cpu"))
    with pytest.raises(ParameterError, match="steps"):
        tc.TuneConfig(steps=0)
    with pytest.raises(ParameterError, match="precision"):
        tc.TuneConfig(precision="fp16")
    with pytest.raises(ParameterError, match="two classes"):
        tc.fit_probe(np.ones((3, 4)), [1, 1, 1])
