"""Baseline recommenders on tiny data sets whose right answers are known by construction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from recsys_helpers.errors import ParameterError
from recsys_helpers.models.baselines import (
    ALSRecommender,
    ContentRecommender,
    PopularityRecommender,
    RandomRecommender,
    TfidfRecommender,
    lexical_classifier,
    top_k_indices,
)

pytestmark = pytest.mark.unit


def _frame(pairs, start=0) -> pd.DataFrame:
    users, items = zip(*pairs, strict=True)
    return pd.DataFrame({"user_id": list(users), "item_id": list(items), "rating": 1.0,
                         "timestamp": np.arange(start, start + len(pairs), dtype=np.int64)})


def _catalogue(item_ids, texts=None) -> pd.DataFrame:
    item_ids = list(item_ids)
    texts = texts if texts is not None else [f"item {i}" for i in item_ids]
    return pd.DataFrame({"item_id": item_ids, "title": item_ids, "text": texts,
                         "category": "none"})


@pytest.fixture(scope="module")
def blocks():
    """Two groups: users a* use only items A*, users b* only items B*; items X* are unused."""
    rng = np.random.default_rng(0)
    pairs = []
    for group in ("a", "b"):
        for u in range(15):
            for i in rng.choice(10, 6, replace=False):
                pairs.append((f"{group}{u:02d}", f"{group.upper()}{i}"))
    item_ids = [f"{g}{i}" for g in "AB" for i in range(10)] + ["X0", "X1"]
    return _frame(pairs), _catalogue(item_ids)


def _fit_als(blocks, seed=0):
    """Two factors, the true rank of the block structure (more would fit each user's noise)."""
    train, items = blocks
    return ALSRecommender(factors=2, regularization=0.05, iterations=15, seed=seed).fit(
        train, items)


# --- popularity -------------------------------------------------------------------------------


def test_popularity_counts_distinct_users_and_skips_seen_items():
    # "rep" has 4 events but from one user; "wide" has 3 users; "mid" 2 users; "one" 1 user
    train = _frame([("u1", "rep")] * 4 + [("u1", "wide"), ("u2", "wide"), ("u3", "wide"),
                                          ("u2", "mid"), ("u3", "mid"), ("u4", "one")])
    items = _catalogue(["one", "mid", "wide", "rep", "unused"])
    model = PopularityRecommender().fit(train, items)
    recs = model.recommend(["u1", "u4", "stranger"], k=10)
    assert recs["stranger"] == ["wide", "mid", "one", "rep"]  # ties: catalogue order
    assert recs["u1"] == ["mid", "one"]
    assert recs["u4"] == ["wide", "mid", "rep"]
    assert model.recommend(["stranger"], k=2)["stranger"] == ["wide", "mid"]
    with_seen = model.recommend(["u1"], k=10, exclude_seen=False)["u1"]
    assert with_seen == ["wide", "mid", "one", "rep"]


# --- random ---------------------------------------------------------------------------------


def test_random_ranks_every_item_reproducibly_whatever_the_batch(blocks):
    train, items = blocks
    model = RandomRecommender(seed=3).fit(train, items)
    together = model.score(["a00", "stranger", "b01"])
    assert np.isfinite(together).all()  # new items and strangers too
    np.testing.assert_array_equal(model.score(["b01"])[0], together[2])
    np.testing.assert_array_equal(RandomRecommender(seed=3).fit(train, items).score(["a00"])[0],
                                  together[0])
    assert not np.array_equal(RandomRecommender(seed=4).fit(train, items).score(["a00"])[0],
                              together[0])
    assert not np.array_equal(together[0], together[2])  # each user their own order
    lists = model.recommend(["a00", "stranger"], k=len(items))
    assert set(lists["stranger"]) == set(items["item_id"])
    seen = set(train.loc[train["user_id"] == "a00", "item_id"])
    assert set(lists["a00"]) == set(items["item_id"]) - seen
    with pytest.raises(ParameterError, match="seed"):
        RandomRecommender(seed=-1)


def test_random_lists_cover_the_catalogue_evenly(blocks):
    train, items = blocks
    users = [f"user{u}" for u in range(2000)]
    first = RandomRecommender(seed=0).fit(train, items).recommend(users, k=1)
    counts = pd.Series([first[u][0] for u in users]).value_counts()
    assert len(counts) == len(items)  # every item comes first for someone
    assert counts.max() < 3 * len(users) / len(items)


# --- ALS --------------------------------------------------------------------------------------


def test_als_recommends_unseen_items_from_the_users_block(blocks):
    train, _ = blocks
    model = _fit_als(blocks)
    users = sorted(train["user_id"].unique())
    recs = model.recommend(users, k=3)
    seen = train.groupby("user_id")["item_id"].agg(set)
    for user in users:
        assert len(recs[user]) == 3
        assert all(item.startswith(user[0].upper()) for item in recs[user]), (user, recs[user])
        assert not set(recs[user]) & seen[user]


def test_als_is_deterministic_for_a_seed(blocks):
    first, second = _fit_als(blocks, seed=3), _fit_als(blocks, seed=3)
    np.testing.assert_array_equal(first.user_factors, second.user_factors)
    np.testing.assert_array_equal(first.item_factors, second.item_factors)
    users = ["a00", "b07"]
    assert first.recommend(users, k=5) == second.recommend(users, k=5)


def test_als_never_ranks_items_without_training_data(blocks):
    model = _fit_als(blocks)
    recs = model.recommend(["a00", "b00"], k=50)
    for user, items in recs.items():
        assert "X0" not in items and "X1" not in items
        assert len(items) == 20 - 6  # every trained item the user has not seen
        assert len(set(items)) == len(items), user
    assert np.all(model.score(["a00"])[0, -2:] == -np.inf)


def test_als_gives_unknown_users_popularity(blocks):
    train, items = blocks
    als = _fit_als(blocks)
    popular = PopularityRecommender().fit(train, items)
    assert als.recommend(["nobody"], k=8) == popular.recommend(["nobody"], k=8)


# --- content models ---------------------------------------------------------------------------


TEXTS = {
    "c1": "espresso machine for strong coffee",
    "c2": "coffee bean sampler with dark roast coffee",
    "c3": "coffee grinder for espresso and pour-over coffee",  # cold: nobody clicked it
    "t1": "camping tent for two hikers",
    "t2": "hiking backpack for camping trips",
    "t3": "sleeping bag for cold camping nights",
}


@pytest.fixture
def text_shop():
    train = _frame([("coffee_fan", "c1"), ("coffee_fan", "c2"),
                    ("hiker", "t1"), ("hiker", "t2"), ("other", "t3"), ("other", "t2")])
    return train, _catalogue(TEXTS, list(TEXTS.values()))


def test_tfidf_ranks_a_matching_cold_item_first(text_shop):
    train, items = text_shop
    model = TfidfRecommender().fit(train, items)
    recs = model.recommend(["coffee_fan", "hiker"], k=4)
    assert recs["coffee_fan"][0] == "c3"
    assert recs["hiker"][0] == "t3"
    assert "c3" in recs["hiker"]  # content models rank every item, cold ones included
    # popularity and ALS cannot rank the cold item at all
    assert "c3" not in PopularityRecommender().fit(train, items).recommend(["x"], k=6)["x"]


def test_content_recommender_with_dense_vectors(text_shop):
    train, items = text_shop
    # dimension 0 = coffee, 1 = outdoors; the cold coffee item points exactly along coffee
    vectors = np.array([[1.0, 0.2], [0.9, 0.1], [1.0, 0.0], [0.1, 1.0], [0.2, 0.9], [0.0, 1.0]])
    model = ContentRecommender(vectors).fit(train, items)
    assert model.recommend(["coffee_fan"], k=1)["coffee_fan"] == ["c3"]
    # scores are cosine similarities to the mean of the history's unit vectors
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    profile = unit[:2].mean(axis=0)
    expected = unit @ (profile / np.linalg.norm(profile))
    np.testing.assert_allclose(model.score(["coffee_fan"])[0], expected, rtol=1e-6)
    sparse_model = ContentRecommender(sp.csr_matrix(vectors)).fit(train, items)
    np.testing.assert_allclose(sparse_model.score(["coffee_fan"])[0], expected, rtol=1e-6)
    # unknown users get popularity
    popular = PopularityRecommender().fit(train, items)
    assert model.recommend(["nobody"], k=3) == popular.recommend(["nobody"], k=3)


def test_content_recommender_checks_its_vectors(text_shop):
    train, items = text_shop
    with pytest.raises(ParameterError, match="6 items"):
        ContentRecommender(np.ones((5, 2))).fit(train, items)
    with pytest.raises(ParameterError, match="item_vectors"):
        ContentRecommender().fit(train, items)


# --- shared plumbing --------------------------------------------------------------------------


def test_top_k_matches_a_stable_argsort():
    rng = np.random.default_rng(0)
    for _ in range(300):
        n = int(rng.integers(1, 30))
        k = int(rng.integers(1, n + 5))
        scores = rng.integers(0, 4, (4, n)).astype(np.float32)  # many ties
        scores[rng.random(scores.shape) < 0.2] = -np.inf
        expected = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        np.testing.assert_array_equal(top_k_indices(scores, k), expected)


def test_top_k_on_continuous_scores():
    scores = np.random.default_rng(1).normal(size=(50, 1000))
    np.testing.assert_array_equal(top_k_indices(scores, 10), np.argsort(-scores, axis=1)[:, :10])


def test_catalogue_and_training_data_must_agree():
    train = _frame([("u", "a"), ("u", "b")])
    with pytest.raises(ParameterError, match="duplicate"):
        PopularityRecommender().fit(train, _catalogue(["a", "b", "a"]))
    with pytest.raises(ParameterError, match="missing from the catalogue"):
        PopularityRecommender().fit(train, _catalogue(["a"]))


def test_recommend_checks_k(text_shop):
    model = PopularityRecommender().fit(*text_shop)
    for k in (0, 2.5, True):
        with pytest.raises(ParameterError, match="k"):
            model.recommend(["hiker"], k=k)


def test_lexical_classifier_learns_a_toy_task():
    positive = ["great product, love it", "excellent quality, love it", "works great",
                "love the colour, excellent", "great value, works well"]
    negative = ["terrible, broke at once", "awful quality, broke", "waste of money, terrible",
                "broke after a day, awful", "poor and terrible"]
    model = lexical_classifier(seed=0).fit(positive + negative, [1] * 5 + [0] * 5)
    held_out = ["I love it, great", "excellent and works", "awful, it broke", "terrible waste"]
    assert model.predict(held_out).tolist() == [1, 1, 0, 0]
