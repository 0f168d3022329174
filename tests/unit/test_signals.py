"""The text-plus-signals blend: what each signal measures, the per-user standardisation, the
cold items, and bad parameters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys_helpers.errors import ParameterError
from recsys_helpers.models.baselines import ContentRecommender, PopularityRecommender
from recsys_helpers.models.signals import SignalBlendRecommender

pytestmark = pytest.mark.unit

DAY = 86_400


@pytest.fixture(scope="module")
def shop():
    # i0: three users, last bought on day 9; i1: one user, day 1; i2: two users, day 5;
    # i3: nobody (cold).
    rows = [("a", "i0", 9), ("b", "i0", 2), ("c", "i0", 3), ("a", "i1", 1), ("b", "i2", 5),
            ("c", "i2", 4)]
    train = pd.DataFrame({"user_id": [r[0] for r in rows], "item_id": [r[1] for r in rows],
                          "rating": 1.0, "timestamp": [r[2] * DAY for r in rows]})
    items = pd.DataFrame({"item_id": ["i0", "i1", "i2", "i3"], "title": "", "text": "",
                          "category": ""})
    vectors = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.5, 0.5]])
    return train, items, vectors


def test_signals_are_standardised_popularity_and_recency(shop):
    train, items, vectors = shop
    blend = SignalBlendRecommender(ContentRecommender(vectors), {}).fit(train, items)
    raw_popularity = np.log1p([3, 1, 2, 0])
    expected = (raw_popularity - raw_popularity.mean()) / raw_popularity.std()
    np.testing.assert_allclose(blend.signals["popularity"], expected)
    # recency: i0 (day 9) is the most recent, i1 (day 1) the least; cold i3 gets the lowest
    recency = blend.signals["recency"].to_numpy()
    assert recency[0] > recency[2] > recency[1] == recency[3]
    np.testing.assert_allclose([recency.mean(), recency.std()], [0.0, 1.0], atol=1e-12)


def test_zero_weights_keep_the_text_ranking_and_weights_add_the_signals(shop):
    train, items, vectors = shop
    text = ContentRecommender(vectors).fit(train, items)
    plain = SignalBlendRecommender(text, {}, fit_text_model=False).fit(train, items)
    scores, text_scores = plain.score(["a", "b"]), text.score(["a", "b"])
    np.testing.assert_array_equal(np.argsort(scores, axis=1), np.argsort(text_scores, axis=1))
    np.testing.assert_allclose(scores.mean(axis=1), 0.0, atol=1e-12)  # per-user z-scores
    np.testing.assert_allclose(scores.std(axis=1), 1.0)
    weighted = SignalBlendRecommender(text, {"popularity": 2.0}, fit_text_model=False)
    weighted.fit(train, items)
    np.testing.assert_allclose(weighted.score(["a"]) - plain.score(["a"]),
                               2.0 * plain.signals["popularity"].to_numpy()[None, :])
    # a strong recency weight puts the most recently bought item first
    recent = SignalBlendRecommender(text, {"recency": 100.0}, fit_text_model=False)
    assert recent.fit(train, items).recommend(["new user"], k=1,
                                              exclude_seen=False)["new user"] == ["i0"]


def test_what_the_text_model_cannot_rank_stays_unrankable(shop):
    train, items, _ = shop
    blend = SignalBlendRecommender(PopularityRecommender(), {"recency": 1.0}).fit(train, items)
    scores = blend.score(["a"])[0]
    assert np.isneginf(scores[3]) and np.isfinite(scores[:3]).all()


def test_bad_parameters_raise(shop):
    train, items, vectors = shop
    with pytest.raises(ParameterError, match="unknown signal"):
        SignalBlendRecommender(ContentRecommender(vectors), {"price": 1.0})
    with pytest.raises(ParameterError, match="must be a number"):
        SignalBlendRecommender(ContentRecommender(vectors), {"popularity": "high"})
    with pytest.raises(ParameterError, match="Recommender"):
        SignalBlendRecommender("tfidf", {})
    with pytest.raises(ParameterError, match="same items"):
        SignalBlendRecommender(ContentRecommender(vectors), {},
                               fit_text_model=False).fit(train, items)
