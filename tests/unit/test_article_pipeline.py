"""The article's pipeline: each kept defect fails the way chapter 5 says, and the article-style
version with the crashing defects fixed runs (on a tiny random BERT, in seconds)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from recsys_helpers import article_pipeline as ap
from recsys_helpers.models.pretrained import load_tokenizer
from tests.unit.tiny_models import tiny_classifier

pytestmark = pytest.mark.unit

PAIRS = [
    ("Corefit Modern Blue Resistance Bands", "Lantern Books Lightweight White Cookbook."),
    ("no history yet", "A red cotton shirt for summer."),
    ("Playnest Premium Pink Board Game; Casalume Black Table Lamp", "A green wool jacket."),
    ("Inkstone Red Monitor Stand", "A blue linen dress for evenings out and long walks."),
]
LABELS = [1, 0, 0, 1]


@pytest.fixture(scope="module")
def tokenizer():
    return load_tokenizer("minilm")


@pytest.fixture
def global_tokenizer(tokenizer, monkeypatch):
    """What the article's script does: a module-level name `tokenizer`."""
    monkeypatch.setattr(ap, "tokenizer", tokenizer, raising=False)
    return tokenizer


def _dataset(kind, tokenizer, max_len=128):
    return kind(list(range(len(PAIRS))), PAIRS, LABELS, tokenizer, max_len=max_len)


def test_d1_the_dataset_reads_a_global_tokenizer(tokenizer):
    assert not hasattr(ap, "tokenizer")
    with pytest.raises(NameError, match="tokenizer"):
        _dataset(ap.ArticleDataset, tokenizer)[0]


def test_d1_the_tokenizer_passed_in_is_ignored(global_tokenizer):
    example = _dataset(ap.ArticleDataset, None)[0]  # no tokenizer given, and it still runs
    assert example["input_ids"].tolist() == [global_tokenizer.cls_token_id] * 2


def test_d2_every_example_becomes_the_same_ids(global_tokenizer):
    dataset = _dataset(ap.ArticleDataset, global_tokenizer)
    inputs = {tuple(dataset[i]["input_ids"].tolist()) for i in range(len(dataset))}
    assert inputs == {(global_tokenizer.cls_token_id,) * 2}
    # the whole pair, encoded by the tokenizer itself, differs from example to example
    fixed = _dataset(ap.UnpaddedPairDataset, global_tokenizer)
    assert len({tuple(fixed[i]["input_ids"].tolist()) for i in range(len(fixed))}) == len(PAIRS)


def test_d3_unpadded_examples_cannot_be_batched(tokenizer):
    dataset = _dataset(ap.UnpaddedPairDataset, tokenizer)
    lengths = {len(dataset[i]["input_ids"]) for i in range(len(dataset))}
    assert len(lengths) > 1
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        next(iter(DataLoader(dataset, batch_size=4)))


def test_article_style_pads_to_max_len_and_matches_the_tokenizer(tokenizer):
    dataset = _dataset(ap.ArticleStyleDataset, tokenizer, max_len=40)
    batch = next(iter(DataLoader(dataset, batch_size=4)))
    assert batch["input_ids"].shape == (4, 40)
    expected = tokenizer(*PAIRS[2], truncation=True, max_length=40)["input_ids"]
    assert batch["input_ids"][2, :len(expected)].tolist() == expected
    assert batch["attention_mask"][2].sum().item() == len(expected)
    assert batch["labels"].tolist() == LABELS


def test_d4_argmax_dim_2_on_2d_logits(tokenizer):
    dataset = _dataset(ap.ArticleStyleDataset, tokenizer, max_len=32)
    with pytest.raises(IndexError, match="Dimension out of range"):
        ap.article_evaluate(tiny_classifier(tokenizer), dataset, batch_size=2)


def test_d5_token_wise_lists_of_int_labels(tokenizer):
    dataset = _dataset(ap.ArticleStyleDataset, tokenizer, max_len=32)
    with pytest.raises(TypeError, match="has no len"):
        ap.article_evaluate(tiny_classifier(tokenizer), dataset, batch_size=2, argmax_dim=-1)


def test_d6_transformers_no_longer_exports_adamw():
    with pytest.raises(ImportError):
        from transformers import AdamW  # noqa: F401


def test_article_style_trains_and_predicts(tokenizer):
    model = tiny_classifier(tokenizer)
    dataset = _dataset(ap.ArticleStyleDataset, tokenizer, max_len=32)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    before = [p.detach().clone() for p in model.parameters()]
    loss = ap.article_train_epoch(model, dataset, batch_size=2, optimizer=optimizer)
    assert np.isfinite(loss) and loss > 0
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
    probs = ap.article_style_predict(model, dataset, batch_size=3)
    assert probs.shape == (len(PAIRS),) and ((probs > 0) & (probs < 1)).all()
    # the same probabilities as one unpadded example at a time: padding is masked out
    model.eval()
    for i, (first, second) in enumerate(PAIRS):
        single = tokenizer(first, second, truncation=True, max_length=32, return_tensors="pt")
        with torch.no_grad():
            expected = model(**single).logits.softmax(-1)[0, 1].item()
        assert probs[i] == pytest.approx(expected, abs=1e-5)


def test_defects_are_listed_once_each():
    ids = [d["id"] for d in ap.DEFECTS]
    assert ids == [f"D{i}" for i in range(1, len(ids) + 1)]
    assert all(set(d) == {"id", "where", "article", "symptom", "fix"} for d in ap.DEFECTS)


def test_pairs_must_be_one_or_two_texts(tokenizer):
    dataset = ap.ArticleStyleDataset([0], [("a", "b", "c")], [0], tokenizer)
    with pytest.raises(ValueError, match="pair"):
        dataset[0]
