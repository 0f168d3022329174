"""The mean-pooled click cross-encoder on a tiny BERT and a tiny task: it learns (the loss
falls), a seed fixes the run, predictions come back in the frame's order, pooling ignores
padding, the learning curve has one row per size, and bad parameters raise; pairs are
tokenised as the tokenizer does, and pair_embeddings are what a head reads."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import torch
from transformers import BertConfig, BertModel

from recsys_helpers.errors import DataError, ParameterError
from recsys_helpers.metrics import auc
from recsys_helpers.models import cross_encoder as mce
from recsys_helpers.models.pretrained import load_tokenizer
from recsys_helpers.runtime import set_seed
from recsys_helpers.train import TrainConfig
from tests.unit.tiny_models import tiny_classifier
from tests.unit.tiny_pairs import click_frame

pytestmark = pytest.mark.unit

COLOURS = ["red", "blue", "green", "black", "white", "yellow"]
LIKED = COLOURS[:3]


@pytest.fixture(scope="module")
def tokenizer():
    return load_tokenizer("minilm")


@pytest.fixture(scope="module")
def encoder(tokenizer):
    """Two 32-wide layers over MiniLM's vocabulary; seeded weights."""
    set_seed(0)
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=64, max_position_embeddings=64)
    return BertModel(config)


def colour_pairs(n: int, seed: int) -> pd.DataFrame:
    """A click when the item is red, blue or green: one token decides, so a tiny random
    encoder learns it in a few dozen steps (matching the history's colour would take many)."""
    rng = np.random.default_rng(seed)
    history = rng.choice(COLOURS, n)
    item = rng.choice(COLOURS, n)
    return pd.DataFrame({"history_text": [f"{c} shirt; {c} hat" for c in history],
                         "item_text": [f"a {c} scarf" for c in item],
                         "label": np.isin(item, LIKED).astype(int)})


def fast_config(seed: int = 0, epochs: int = 8) -> TrainConfig:
    return TrainConfig(epochs=epochs, batch_size=16, lr=3e-3, head_lr=1e-2, warmup_ratio=0.0,
                       patience=None, group_by_length=True, seed=seed, device="cpu")


@pytest.fixture(scope="module")
def trained(encoder, tokenizer):
    train, valid = colour_pairs(128, 0), colour_pairs(64, 1)
    model = mce.fine_tune_cross_encoder(train, valid, encoder, fast_config(), max_length=24,
                                        tokenizer=tokenizer)
    return model, train, valid


def test_the_loss_falls_and_the_model_learns(trained):
    model, _, valid = trained
    assert len(model.loss_curve) == 8 * 8  # epochs x batches of 16 over 128 pairs
    assert model.train_loss_start == pytest.approx(np.log(2), abs=0.1)  # the zero head
    assert model.train_loss_end < 0.3 < model.train_loss_start
    assert np.mean(model.loss_curve[-8:]) < np.mean(model.loss_curve[:8])
    assert auc(valid["label"], model.predict(valid)) > 0.9


def test_the_encoder_passed_in_is_copied_not_changed(encoder, trained):
    model, _, _ = trained
    assert model.model.encoder is not encoder
    first = next(encoder.parameters())
    assert not torch.equal(first, next(model.model.encoder.parameters()))


def test_a_seed_fixes_the_run(encoder, tokenizer):
    train, valid = colour_pairs(64, 2), colour_pairs(32, 3)
    runs = [mce.fine_tune_cross_encoder(train, valid, encoder, fast_config(seed, 2),
                                        max_length=24, tokenizer=tokenizer)
            for seed in (5, 5, 6)]
    np.testing.assert_array_equal(runs[0].loss_curve, runs[1].loss_curve)
    np.testing.assert_array_equal(runs[0].predict(valid), runs[1].predict(valid))
    assert not np.array_equal(runs[0].loss_curve, runs[2].loss_curve)


def test_predict_keeps_the_order_of_the_frame(trained):
    model, _, valid = trained
    probabilities = model.predict(valid)
    assert probabilities.shape == (len(valid),)
    assert ((probabilities > 0) & (probabilities < 1)).all()
    backwards = valid.iloc[::-1].reset_index(drop=True)
    np.testing.assert_allclose(model.predict(backwards), probabilities[::-1], rtol=1e-5,
                               atol=1e-6)
    one = model.predict(valid.iloc[[3]])
    np.testing.assert_allclose(one, probabilities[[3]], rtol=1e-4, atol=1e-5)


def test_bf16_scores_come_from_an_fp32_head_and_stay_close(trained):
    model, _, valid = trained
    assert model.precision == "fp32"  # fast_config's, which predict follows
    fp32 = model.predict(valid)
    bf16 = dataclasses.replace(model, precision="bf16")
    scores = bf16.predict(valid)
    # the head computes in fp32: no ties from logits rounded to bfloat16's 8 bits
    assert len(np.unique(scores)) == len(np.unique(fp32))
    np.testing.assert_allclose(scores, fp32, atol=0.05)
    assert auc(valid["label"].to_numpy(), scores) > 0.9
    batch = model.tokens(valid.iloc[:4])
    inputs = {k: torch.tensor([e[k] for e in batch]) for k in ("input_ids", "attention_mask")}
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert model.model(**inputs).logits.dtype == torch.float32


def test_a_fine_tuned_model_predicts_in_its_training_precision(encoder, tokenizer):
    config = TrainConfig(epochs=1, batch_size=16, precision="bf16", seed=0, device="cpu")
    model = mce.fine_tune_cross_encoder(colour_pairs(32, 0), colour_pairs(16, 1), encoder,
                                        config, max_length=24, tokenizer=tokenizer)
    assert model.precision == "bf16"


def test_mean_pooling_ignores_padding():
    states = torch.arange(24, dtype=torch.float32).reshape(2, 3, 4)
    mask = torch.tensor([[1, 1, 0], [1, 1, 1]])
    pooled = mce.pool_states(states, mask, "mean")
    torch.testing.assert_close(pooled[0], states[0, :2].mean(dim=0))
    torch.testing.assert_close(pooled[1], states[1].mean(dim=0))
    torch.testing.assert_close(mce.pool_states(states, mask, "cls"), states[:, 0])


def test_the_untrained_model_has_a_small_random_head(encoder, tokenizer):
    untrained = mce.untrained_cross_encoder(encoder, seed=0, tokenizer=tokenizer)
    probabilities = untrained.predict(colour_pairs(20, 4))
    assert np.ptp(probabilities) > 0  # ranked, not all 0.5
    assert np.abs(probabilities - 0.5).max() < 0.2
    assert np.isnan(untrained.train_loss_start) and len(untrained.loss_curve) == 0


def test_learning_curve_has_a_row_per_size(encoder, tokenizer):
    train, valid, test = colour_pairs(96, 5), colour_pairs(32, 6), colour_pairs(32, 7)
    curve = mce.learning_curve(train, valid, [16, 32, 64], encoder, fast_config(epochs=1),
                               max_length=24, tokenizer=tokenizer, test=test)
    assert list(curve.columns) == [*mce.CURVE_COLUMNS, "test_auc"]
    assert curve["train_pairs"].tolist() == [16, 32, 64]
    assert curve["steps"].tolist() == [1, 2, 4]
    assert curve["valid_auc"].between(0, 1).all()


def test_bad_parameters_raise(encoder, tokenizer):
    train, valid = colour_pairs(32, 0), colour_pairs(16, 1)
    with pytest.raises(ParameterError, match="pooling"):
        mce.build_pair_classifier(encoder, pooling="max")
    with pytest.raises(ParameterError, match="tokenizer"):
        mce.fine_tune_cross_encoder(train, valid, encoder, fast_config())
    with pytest.raises(ParameterError, match="config"):
        mce.fine_tune_cross_encoder(train, valid, encoder, {"epochs": 1}, tokenizer=tokenizer)
    with pytest.raises(ParameterError, match="model"):
        mce.build_pair_classifier(42)
    with pytest.raises(ParameterError, match="max_length"):
        mce.PairTokens(tokenizer, max_length=1)
    with pytest.raises(ParameterError, match="sizes"):
        mce.learning_curve(train, valid, [16, 8], encoder, tokenizer=tokenizer)
    with pytest.raises(ParameterError, match="exceeds"):
        mce.learning_curve(train, valid, [16, 64], encoder, tokenizer=tokenizer)
    with pytest.raises(ParameterError, match="dropout"):
        mce.PairClassifier(encoder, dropout=1.5)


def test_a_saved_model_reloads_with_identical_scores(trained, tmp_path):
    model, _, valid = trained
    folder = mce.save_cross_encoder(model, tmp_path / "saved")
    reloaded = mce.load_cross_encoder(folder, device="cpu")
    np.testing.assert_array_equal(reloaded.predict(valid), model.predict(valid))
    assert reloaded.tokens.max_length == model.tokens.max_length
    assert reloaded.model.pooling == model.model.pooling
    with pytest.raises(ParameterError, match="exists already"):
        mce.save_cross_encoder(model, folder)
    with pytest.raises(ParameterError, match="not a saved cross-encoder"):
        mce.load_cross_encoder(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["saved"]  # no scratch folder left


def test_random_weights_give_the_same_architecture_without_pretraining():
    pretrained = mce.build_pair_classifier("minilm", seed=0, device="cpu")
    fresh = [mce.build_pair_classifier("minilm", seed=s, device="cpu", pretrained=False)
             for s in (0, 0, 1)]
    names = [n for n, _ in pretrained.named_parameters()]
    assert names == [n for n, _ in fresh[0].named_parameters()]
    embedding = "encoder.embeddings.word_embeddings.weight"
    weights = [dict(m.named_parameters())[embedding] for m in (pretrained, *fresh)]
    assert not torch.equal(weights[0], weights[1])
    assert torch.equal(weights[1], weights[2])  # seeded
    assert not torch.equal(weights[1], weights[3])
    with pytest.raises(ParameterError, match="model name"):
        mce.build_pair_classifier(fresh[0].encoder, pretrained=False)


def test_the_curve_reuses_a_run_trained_on_the_whole_prefix(encoder, tokenizer):
    train, valid = colour_pairs(64, 8), colour_pairs(32, 9)
    config = fast_config(epochs=1)
    whole = mce.fine_tune_cross_encoder(train, valid, encoder, config, max_length=24,
                                        tokenizer=tokenizer)
    curve = mce.learning_curve(train, valid, [32, 64], encoder, config, max_length=24,
                               tokenizer=tokenizer, shuffle=False, trained={64: whole})
    last = curve.iloc[-1]
    assert last["valid_auc"] == whole.fit_result.best_score
    assert last["train_loss_end"] == whole.train_loss_end
    # the same run as training on the unshuffled prefix again
    again = mce.learning_curve(train, valid, [64], encoder, config, max_length=24,
                               tokenizer=tokenizer, shuffle=False)
    assert again["valid_auc"].iloc[0] == pytest.approx(last["valid_auc"])
    with pytest.raises(ParameterError, match="trained must map"):
        mce.learning_curve(train, valid, [32], encoder, config, max_length=24,
                           tokenizer=tokenizer, trained={64: whole})


def test_the_unused_pooler_is_not_part_of_the_model(trained):
    model, _, _ = trained
    assert model.model.encoder.pooler is None
    assert not any("pooler" in name for name, _ in model.model.named_parameters())


def test_encode_pairs_matches_the_tokenizer(tokenizer):
    frame = click_frame(5, 0)
    encoded = mce.encode_pairs(tokenizer, frame, max_length=16)
    for row, example in zip(frame.itertuples(), encoded, strict=True):
        expected = tokenizer(row.history_text, row.item_text, truncation=True, max_length=16)
        assert example["input_ids"] == expected["input_ids"]
        assert example["token_type_ids"] == expected["token_type_ids"]
    assert encoded.tokenizer is tokenizer
    with pytest.raises(DataError, match="item_text"):
        mce.encode_pairs(tokenizer, frame.drop(columns="item_text"))


def test_pair_embeddings_are_the_pooled_cls_in_input_order(tokenizer):
    model = tiny_classifier(tokenizer).eval()
    frame = click_frame(9, 3)
    vectors = mce.pair_embeddings(model, tokenizer, frame, max_length=32, batch_size=4,
                                  device="cpu")
    assert vectors.shape == (9, 32)
    for i in (0, 4, 8):
        single = tokenizer(frame["history_text"][i], frame["item_text"][i], truncation=True,
                           max_length=32, return_tensors="pt")
        with torch.no_grad():
            expected = model.bert(**single).pooler_output[0].numpy()
        np.testing.assert_allclose(vectors[i], expected, atol=1e-5)


def test_mean_pair_embeddings_are_what_the_mean_pooled_head_reads(tokenizer):
    classifier = mce.PairClassifier(tiny_classifier(tokenizer).bert).eval()
    frame = click_frame(9, 3)
    vectors = mce.pair_embeddings(classifier, tokenizer, frame, max_length=32, batch_size=4,
                                  device="cpu", pooling="mean")
    assert vectors.shape == (9, 32)
    for i in (0, 4, 8):
        single = tokenizer(frame["history_text"][i], frame["item_text"][i], truncation=True,
                           max_length=32, return_tensors="pt")
        with torch.no_grad():
            states = classifier.encoder(**single).last_hidden_state
            expected = mce.pool_states(states, single["attention_mask"])[0].numpy()
        np.testing.assert_allclose(vectors[i], expected, atol=1e-5)
    bf16 = mce.pair_embeddings(classifier, tokenizer, frame, max_length=32, device="cpu",
                               pooling="mean", precision="bf16")
    np.testing.assert_allclose(bf16, vectors, atol=0.1)
    with pytest.raises(ParameterError, match="pooling"):
        mce.pair_embeddings(classifier, tokenizer, frame, pooling="max")
