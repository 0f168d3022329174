"""The click/ranking pipeline around train.py, checked against scikit-learn where it computes the
same thing; fine-tuning runs on a tiny random BERT so the module stays fast."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from recsys_helpers import cross_encoder as ce
from recsys_helpers.errors import DataError, ParameterError
from recsys_helpers.models.baselines import ALSRecommender, PopularityRecommender
from recsys_helpers.models.pretrained import load_tokenizer
from recsys_helpers.train import LengthGroupedBatches, TrainConfig, make_loader, predict_proba
from tests.unit.tiny_models import tiny_classifier

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def tokenizer():
    return load_tokenizer("minilm")


def _click_frame(n, seed):
    """Product-like pairs; the click is whether the item text has the word "red"."""
    rng = np.random.default_rng(seed)
    words = ["blue", "green", "black", "shirt", "lamp", "dress", "mug", "chair", "bike", "soft"]
    rows = []
    for i in range(n):
        label = int(rng.random() < 0.4)
        item = list(rng.choice(words, rng.integers(2, 6)))
        if label:
            item.insert(rng.integers(len(item) + 1), "red")
        rows.append({"user_id": f"u{i % 7}", "item_id": f"i{i}", "timestamp": i,
                     "history_text": " ".join(rng.choice(words, rng.integers(1, 5))),
                     "item_text": " ".join(item), "label": label})
    return pd.DataFrame(rows)


def _candidates(seed=0, users=12, per_user=8):
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(users):
        cold_user = u % 4 == 0
        for j in range(per_user):
            label = int(j < 1 + u % 3)
            rows.append({"user_id": f"u{u}", "item_id": f"i{u}_{j}", "label": label,
                         "cold_item": bool(label and j == 0 and u % 2 == 0),
                         "cold_user": cold_user})
    frame = pd.DataFrame(rows)
    return frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)


# --- inputs -------------------------------------------------------------------------------------


def test_encode_pairs_matches_the_tokenizer(tokenizer):
    frame = _click_frame(5, 0)
    encoded = ce.encode_pairs(tokenizer, frame, max_length=16)
    for row, example in zip(frame.itertuples(), encoded, strict=True):
        expected = tokenizer(row.history_text, row.item_text, truncation=True, max_length=16)
        assert example["input_ids"] == expected["input_ids"]
        assert example["token_type_ids"] == expected["token_type_ids"]
    assert encoded.tokenizer is tokenizer
    with pytest.raises(DataError, match="item_text"):
        ce.encode_pairs(tokenizer, frame.drop(columns="item_text"))


def test_sample_rows_is_seeded_and_keeps_the_order():
    frame = _click_frame(50, 0)
    first, second = ce.sample_rows(frame, 20, seed=3), ce.sample_rows(frame, 20, seed=3)
    assert first.equals(second) and len(first) == 20
    assert first["timestamp"].is_monotonic_increasing
    assert len(ce.sample_rows(frame, 500)) == 50


def test_add_sampled_negatives():
    frame = _click_frame(40, 1)
    items = pd.DataFrame({"item_id": [f"i{i}" for i in range(100)],
                          "text": [f"text {i}" for i in range(100)]})
    interactions = frame.loc[frame["label"] == 1, ["user_id", "item_id"]]
    result = ce.add_sampled_negatives(frame, items, interactions, per_positive=2, seed=0)
    sampled = result[result["negative"] == "sampled"]
    assert len(sampled) == 2 * frame["label"].sum()
    assert (sampled["label"] == 0).all()
    touched = set(zip(interactions["user_id"], interactions["item_id"], strict=True))
    assert not any(pair in touched
                   for pair in zip(sampled["user_id"], sampled["item_id"], strict=True))
    texts = items.set_index("item_id")["text"]
    assert (sampled["item_text"].to_numpy() == texts[sampled["item_id"]].to_numpy()).all()
    shown = result[result["negative"] != "sampled"].drop(columns="negative")
    pd.testing.assert_frame_equal(shown.reset_index(drop=True), frame)
    assert set(result.loc[result["label"] == 1, "negative"]) == {""}
    assert result["timestamp"].is_monotonic_increasing


# --- decisions ----------------------------------------------------------------------------------


def test_auc_by_negative_matches_sklearn_per_kind():
    rng = np.random.default_rng(0)
    label = np.array([1, 0, 0, 1, 0, 0, 1, 0, 0, 0])
    negative = np.array(["", "shown", "sampled", "", "shown", "sampled", "", "shown", "sampled",
                         "shown"])
    scores = rng.normal(size=len(label))
    frame = pd.DataFrame({"label": label, "negative": negative})
    result = ce.auc_by_negative(frame, scores)
    assert list(result) == ["all", "clicks vs shown", "clicks vs sampled"]
    assert result["all"] == pytest.approx(skm.roc_auc_score(label, scores))
    for kind in ("shown", "sampled"):
        keep = (label == 1) | (negative == kind)
        assert result[f"clicks vs {kind}"] == pytest.approx(
            skm.roc_auc_score(label[keep], scores[keep]))
    with pytest.raises(ParameterError):
        ce.auc_by_negative(frame, scores[:3])


def test_choose_threshold_maximises_f1():
    rng = np.random.default_rng(0)
    y = (rng.random(120) < 0.2).astype(int)
    p = np.clip(0.15 + 0.3 * y + rng.normal(0, 0.2, 120), 0, 1)
    threshold = ce.choose_threshold(y, p)
    best = max(skm.f1_score(y, p >= t) for t in np.unique(p))
    assert skm.f1_score(y, p >= threshold) == pytest.approx(best)
    with pytest.raises(ParameterError, match="both"):
        ce.choose_threshold(np.zeros(5), np.linspace(0, 1, 5))


def test_classification_table_matches_sklearn():
    rng = np.random.default_rng(1)
    y = (rng.random(200) < 0.3).astype(int)
    p = rng.random(200)
    table = ce.classification_table(y, p, threshold=0.6)
    decision = (p >= 0.6).astype(int)
    assert table.loc["click", "precision"] == pytest.approx(skm.precision_score(y, decision))
    assert table.loc["click", "recall"] == pytest.approx(skm.recall_score(y, decision))
    assert table.loc["no click", "f1-score"] == pytest.approx(
        skm.f1_score(y, decision, pos_label=0))
    assert table.loc["accuracy", "f1-score"] == pytest.approx(skm.accuracy_score(y, decision))
    assert table.loc["click", "support"] == y.sum()


# --- ranking ------------------------------------------------------------------------------------


def test_candidate_rankings_sort_by_score_and_keep_order_on_ties():
    frame = pd.DataFrame({"user_id": ["a", "a", "a", "b", "b"],
                          "item_id": ["x", "y", "z", "x", "w"]})
    ranked = ce.candidate_rankings(frame, [0.1, 0.5, 0.1, 1.0, 2.0])
    assert ranked == {"a": ["y", "x", "z"], "b": ["w", "x"]}
    with pytest.raises(ParameterError, match="NaN"):
        ce.candidate_rankings(frame, [0.1, np.nan, 0, 0, 0])


def test_ndcg_on_candidates_matches_sklearn():
    candidates = _candidates()
    scores = np.random.default_rng(2).random(len(candidates))  # no ties
    per_user = ce.ranking_slices(candidates, scores, k=5, slices=("all",))["all"]
    for user, group in candidates.groupby("user_id"):
        s = scores[group.index]
        expected = skm.ndcg_score([group["label"].to_numpy()], [s], k=5)
        assert per_user.loc[user, "ndcg"] == pytest.approx(expected)
    table = ce.ranking_table(candidates, {"random": scores, "oracle": candidates["label"]}, k=5)
    assert table.loc["oracle"].tolist() == [1.0, 1.0, 1.0]
    assert table.loc["random", "all"] == pytest.approx(per_user["ndcg"].mean())
    assert table.attrs["users"] == {"all": 12, "cold items": 6, "cold users": 3}


def test_cold_item_slice_drops_the_warm_positives():
    candidates = pd.DataFrame({
        "user_id": ["a"] * 4 + ["b"] * 3,
        "item_id": ["new", "old", "n1", "n2", "old2", "n3", "n4"],
        "label": [1, 1, 0, 0, 1, 0, 0],
        "cold_item": [True, False, False, True, False, False, False],
        "cold_user": [False] * 7,
    })
    scores = [0.5, 0.9, 0.1, 0.7]  + [0.9, 0.1, 0.2]
    slices = ce.ranking_slices(candidates, scores, k=10, slices=("cold items", "warm items"))
    cold = slices["cold items"]
    assert list(cold.index) == ["a"]  # b has no new positive
    # a's list without "old": n2 (0.7), new (0.5), n1 -> the new item is second
    assert cold.loc["a", "ndcg"] == pytest.approx(1 / np.log2(3))
    assert slices["warm items"]["ndcg"].tolist() == [1.0, 1.0]


def test_ranking_table_hides_thin_slices():
    candidates = _candidates()
    table = ce.ranking_table(candidates, {"m": np.arange(len(candidates), dtype=float)},
                             min_users=4)
    assert np.isnan(table.loc["m", "cold users"]) and not np.isnan(table.loc["m", "all"])


def test_recommender_pair_scores(tiny_interactions):
    train, items = tiny_interactions
    als = ALSRecommender(factors=4, iterations=3).fit(train, items)
    pairs = pd.DataFrame({"user_id": ["u0", "u1", "u0", "nobody"],
                          "item_id": ["i0", "i1", "i9", "i2"]})
    scores = ce.recommender_pair_scores(als, pairs)
    matrix = als.score(["u0", "u1"])
    assert scores[0] == pytest.approx(matrix[0, 0]) and scores[1] == pytest.approx(matrix[1, 1])
    assert np.isfinite(scores).all() and scores[2] < scores[[0, 1, 3]].min()  # i9: unrankable
    popularity = PopularityRecommender().fit(train, items)
    assert ce.recommender_pair_scores(popularity, pairs)[3] == 2  # two users had i2
    with pytest.raises(ParameterError, match="catalogue"):
        ce.recommender_pair_scores(als, pairs.assign(item_id="zzz"))


@pytest.fixture
def tiny_interactions():
    rows = [("u0", "i0"), ("u0", "i1"), ("u1", "i1"), ("u1", "i2"), ("u2", "i2"), ("u2", "i3"),
            ("u3", "i0"), ("u3", "i3")]
    train = pd.DataFrame(rows, columns=["user_id", "item_id"]).assign(rating=1.0, timestamp=0)
    items = pd.DataFrame({"item_id": [f"i{i}" for i in range(10)],
                          "title": [f"t{i}" for i in range(10)],
                          "text": [f"x{i}" for i in range(10)], "category": "c"})
    return train, items


class _StubEncoder:
    """Deterministic vectors per text, in place of a SentenceTransformer."""

    def __init__(self):
        self.calls = []

    def encode(self, texts, normalize_embeddings, **_):
        self.calls.append(list(texts))
        vectors = np.array([[len(t), t.count("a") + 1.0, 1.0] for t in texts])
        if normalize_embeddings:
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors


def test_zero_shot_scores_are_cosines_of_distinct_texts():
    frame = pd.DataFrame({"history_text": ["aa", "b", "aa"], "item_text": ["ccc", "aa", "b"]})
    encoder = _StubEncoder()
    scores = ce.zero_shot_pair_scores(encoder, frame)
    assert sorted(encoder.calls[0]) == ["aa", "b", "ccc"]  # each text embedded once

    def vector(t):
        v = np.array([len(t), t.count("a") + 1.0, 1.0])
        return v / np.linalg.norm(v)

    expected = [vector(h) @ vector(i) for h, i in zip(frame.history_text, frame.item_text,
                                                      strict=True)]
    np.testing.assert_allclose(scores, expected, rtol=1e-6)


# --- fine-tuning --------------------------------------------------------------------------------


def test_fine_tune_click_model_learns_and_predicts(tokenizer):
    train, valid = _click_frame(256, 0), _click_frame(100, 1)
    config = TrainConfig(epochs=3, batch_size=32, lr=5e-3, device="cpu", patience=None,
                         group_by_length=True)
    model = tiny_classifier(tokenizer)
    clicks = ce.fine_tune_click_model(train, valid, model, config, max_length=32,
                                      tokenizer=tokenizer, progress=False)
    assert clicks.fit_result.best_score > 0.8
    probs = clicks.predict(valid, device="cpu")
    encoded = ce.encode_pairs(tokenizer, valid, 32)
    np.testing.assert_allclose(probs, predict_proba(model, encoded, device="cpu"))
    assert skm.roc_auc_score(valid["label"], probs) == pytest.approx(
        clicks.fit_result.best_score, abs=1e-6)
    with pytest.raises(ParameterError, match="tokenizer"):
        ce.fine_tune_click_model(train, valid, model, config)


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
    encoded = ce.encode_pairs(tokenizer, _click_frame(100, 2), max_length=32)
    loader = make_loader(encoded, np.zeros(100, int), batch_size=16, shuffle=True,
                         group_by_length=True)
    assert sum(len(b["labels"]) for b in loader) == 100
    with pytest.raises(ParameterError, match="shuffle"):
        make_loader(encoded, batch_size=16, group_by_length=True)
    with pytest.raises(ParameterError, match="group_by_length"):
        TrainConfig(group_by_length="yes")


def test_pair_embeddings_are_the_pooled_cls_in_input_order(tokenizer):
    import torch

    model = tiny_classifier(tokenizer).eval()
    frame = _click_frame(9, 3)
    vectors = ce.pair_embeddings(model, tokenizer, frame, max_length=32, batch_size=4,
                                 device="cpu")
    assert vectors.shape == (9, 32)
    for i in (0, 4, 8):
        single = tokenizer(frame["history_text"][i], frame["item_text"][i], truncation=True,
                           max_length=32, return_tensors="pt")
        with torch.no_grad():
            expected = model.bert(**single).pooler_output[0].numpy()
        np.testing.assert_allclose(vectors[i], expected, atol=1e-5)


def test_mean_pair_embeddings_are_what_the_mean_pooled_head_reads(tokenizer):
    import torch

    from recsys_helpers.models.cross_encoder import PairClassifier, pool_states

    classifier = PairClassifier(tiny_classifier(tokenizer).bert).eval()
    frame = _click_frame(9, 3)
    vectors = ce.pair_embeddings(classifier, tokenizer, frame, max_length=32, batch_size=4,
                                 device="cpu", pooling="mean")
    assert vectors.shape == (9, 32)
    for i in (0, 4, 8):
        single = tokenizer(frame["history_text"][i], frame["item_text"][i], truncation=True,
                           max_length=32, return_tensors="pt")
        with torch.no_grad():
            states = classifier.encoder(**single).last_hidden_state
            expected = pool_states(states, single["attention_mask"])[0].numpy()
        np.testing.assert_allclose(vectors[i], expected, atol=1e-5)
    bf16 = ce.pair_embeddings(classifier, tokenizer, frame, max_length=32, device="cpu",
                              pooling="mean", precision="bf16")
    np.testing.assert_allclose(bf16, vectors, atol=0.1)
    with pytest.raises(ParameterError, match="pooling"):
        ce.pair_embeddings(classifier, tokenizer, frame, pooling="max")


def test_zero_shot_features_sum_to_the_cosine():
    frame = pd.DataFrame({"history_text": ["aa", "b"], "item_text": ["ccc", "aa"]})
    features = ce.zero_shot_pair_features(_StubEncoder(), frame)
    np.testing.assert_allclose(features.sum(axis=1),
                               ce.zero_shot_pair_scores(_StubEncoder(), frame))


def test_bf16_training_steps_follow_fp32(tokenizer):
    train, valid = _click_frame(128, 0), _click_frame(64, 1)
    results = {}
    for precision in ("fp32", "bf16"):
        config = TrainConfig(epochs=1, batch_size=32, lr=5e-3, device="cpu", precision=precision)
        model = tiny_classifier(tokenizer)
        clicks = ce.fine_tune_click_model(train, valid, model, config, max_length=32,
                                          tokenizer=tokenizer, progress=False)
        assert clicks.fit_result.precision == precision
        results[precision] = clicks.fit_result.history
    # same seed and batches: bfloat16 rounding moves the losses a little, not the course
    np.testing.assert_allclose(results["bf16"]["train_loss"], results["fp32"]["train_loss"],
                               atol=0.02)
    with pytest.raises(ParameterError, match="precision"):
        TrainConfig(precision="fp16")


def test_head_lr_gives_the_new_head_its_own_rate(tokenizer):
    from recsys_helpers.train import parameter_groups

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
