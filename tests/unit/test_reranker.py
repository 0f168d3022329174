"""The two-stage re-ranker: the cross-encoder decides the order of the first stage's top only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys_helpers.errors import ParameterError
from recsys_helpers.models.baselines import PopularityRecommender
from recsys_helpers.models.reranker import RerankRecommender

pytestmark = pytest.mark.unit


class LengthScorer:
    """A stand-in cross-encoder: longer item texts score higher; counts its pair evaluations."""

    def __init__(self) -> None:
        self.calls = 0

    def predict(self, frame: pd.DataFrame, batch_size: int = 128) -> np.ndarray:
        self.calls += len(frame)
        return frame["item_text"].str.len().to_numpy() / 100.0


@pytest.fixture
def shop():
    # Popularity order: i0 > i1 > ... > i5; text length order: i5 > i4 > ... > i0.
    items = pd.DataFrame({"item_id": [f"i{k}" for k in range(6)],
                          "title": [f"item {k}" for k in range(6)],
                          "text": ["x" * (k + 1) for k in range(6)], "category": "c"})
    rows = [(f"u{u}", f"i{k}") for k in range(6) for u in range(6 - k)]
    train = pd.DataFrame(rows, columns=["user_id", "item_id"]).assign(
        rating=1.0, timestamp=np.arange(len(rows)))
    return train, items


def test_the_top_is_reordered_and_the_rest_keeps_the_first_stage_order(shop):
    train, items = shop
    first = PopularityRecommender().fit(train, items)
    scorer = LengthScorer()
    reranker = RerankRecommender(first, scorer, {"u0": "history"}, depth=3).fit(train, items)
    order = np.argsort(-reranker.score(["u0"])[0], kind="stable")
    # the first stage's top 3 (i0, i1, i2) come first, longest text first; then i3, i4, i5
    assert items["item_id"].to_numpy()[order].tolist() == ["i2", "i1", "i0", "i3", "i4", "i5"]


def test_a_user_without_text_keeps_the_first_stage_scores(shop):
    train, items = shop
    first = PopularityRecommender().fit(train, items)
    reranker = RerankRecommender(first, LengthScorer(), {}, depth=3).fit(train, items)
    np.testing.assert_array_equal(reranker.score(["u0"]), first.score(["u0"]))


def test_candidate_sets_are_reranked_on_their_own_and_pairs_are_scored_once(shop):
    train, items = shop
    first = PopularityRecommender().fit(train, items)
    scorer = LengthScorer()
    reranker = RerankRecommender(first, scorer, {"u0": "h", "u1": "h"}, depth=2).fit(train, items)
    candidates = ["i3", "i4", "i5"]
    scores = reranker.score_items(["u0", "u1"], candidates)
    # among i3..i5 the first stage's top 2 are i3, i4: re-ordered (i4 first), i5 last
    assert [candidates[j] for j in np.argsort(-scores[0])] == ["i4", "i3", "i5"]
    assert scorer.calls == 4
    reranker.score_items(["u0", "u1"], candidates)
    assert scorer.calls == 4 and reranker.pairs_scored == 4


def test_bad_arguments_are_named(shop):
    train, items = shop
    with pytest.raises(ParameterError, match="fitted Recommender"):
        RerankRecommender(PopularityRecommender(), LengthScorer(), {})
    first = PopularityRecommender().fit(train, items)
    with pytest.raises(ParameterError, match="predict"):
        RerankRecommender(first, object(), {})
    with pytest.raises(ParameterError, match="depth"):
        RerankRecommender(first, LengthScorer(), {}, depth=0)
    other = items.iloc[::-1].reset_index(drop=True)
    with pytest.raises(ParameterError, match="another catalogue"):
        RerankRecommender(first, LengthScorer(), {}).fit(train, other)
