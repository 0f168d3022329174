"""Evaluation protocol: relevant sets, history truncation and the history-length curve."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys_helpers.data.splits import leave_last_out
from recsys_helpers.data.synthetic import make_shop
from recsys_helpers.errors import ParameterError
from recsys_helpers.evaluation import (
    evaluate_per_user,
    history_length_curve,
    relevant_items,
    truncate_histories,
)
from recsys_helpers.models.baselines import ALSRecommender, PopularityRecommender

pytestmark = pytest.mark.unit


def _frame(rows) -> pd.DataFrame:
    users, items, times = zip(*rows, strict=True)
    return pd.DataFrame({"user_id": list(users), "item_id": list(items), "rating": 1.0,
                         "timestamp": np.array(times, dtype=np.int64)})


def test_relevant_items_excludes_training_items():
    train = _frame([("a", "x", 1), ("a", "y", 2), ("b", "x", 3)])
    test = _frame([("a", "x", 4), ("a", "z", 5), ("b", "x", 6), ("c", "w", 7), ("c", "w", 8)])
    # a: z is new, x is not; b has nothing new and is dropped; c is new to everything
    assert relevant_items(train, test) == {"a": {"z"}, "c": {"w"}}
    assert relevant_items(train, train) == {}


def test_truncate_histories_keeps_latest_for_chosen_users_only():
    train = _frame([("a", "a1", 5), ("a", "a2", 1), ("a", "a3", 9), ("a", "a4", 3),
                    ("b", "b1", 2), ("b", "b2", 4), ("c", "c1", 6), ("c", "c2", 7)])
    cut = truncate_histories(train, ["a", "b"], keep_last=2)
    by_user = cut.groupby("user_id")["item_id"].agg(set).to_dict()
    assert by_user == {"a": {"a1", "a3"}, "b": {"b1", "b2"}, "c": {"c1", "c2"}}
    assert cut["timestamp"].is_monotonic_increasing
    assert list(cut.columns) == list(train.columns)
    gone = truncate_histories(train, ["a"], keep_last=0)
    assert "a" not in set(gone["user_id"]) and len(gone) == 4
    untouched = truncate_histories(train, [], keep_last=1)
    assert _sorted(untouched) == _sorted(train)
    with pytest.raises(ParameterError, match="keep_last"):
        truncate_histories(train, ["a"], keep_last=-1)


def _sorted(frame):
    return sorted(map(tuple, frame.astype(str).to_numpy()))


def test_evaluate_per_user_scores_only_users_with_new_items():
    train = _frame([("a", "x", 1), ("b", "x", 2), ("b", "y", 3), ("c", "y", 4)])
    test = _frame([("a", "y", 5), ("c", "x", 6), ("c", "y", 7), ("d", "x", 8)])
    items = pd.DataFrame({"item_id": ["x", "y"], "title": "", "text": "", "category": ""})
    model = PopularityRecommender().fit(train, items)
    scores = evaluate_per_user(model, train, test, k=1)
    # popularity: x and y both have 2 users (tie: x first); a has seen x, so a gets y (a hit),
    # c has seen y and gets x (a hit); d is unknown and gets x (a hit)
    assert len(scores) == 3
    assert scores["hit"].tolist() == [1.0, 1.0, 1.0]
    only_a = evaluate_per_user(model, train, test, k=1, users=["a"])
    assert len(only_a) == 1


@pytest.fixture(scope="module")
def shop_split():
    data = make_shop(n_users=600, n_items=300, n_sessions=8_000, seed=0).to_interactions()
    train, test = leave_last_out(data.interactions, 5)
    return train, test, data.items


def test_history_length_curve_on_the_shop(shop_split):
    train, test, items = shop_split
    sizes = [0, 1, 5, 20]
    curve = history_length_curve(
        lambda: ALSRecommender(factors=16, regularization=0.5, iterations=10, seed=0),
        train, test, items, sizes, min_history=20)
    assert curve["history"].tolist() == sizes
    assert curve["users"].nunique() == 1
    counts = train["user_id"].value_counts()
    relevant = relevant_items(train, test)
    assert curve["users"].iloc[0] == sum(counts.get(u, 0) >= 20 for u in relevant) > 50
    assert curve["ndcg"].between(0, 1).all() and curve["hit_rate"].between(0, 1).all()
    # knowing more of the same users' history helps
    ndcg = curve.set_index("history")["ndcg"]
    assert ndcg[20] > ndcg[1]
    # with no history the model can only fall back on popularity
    popular = PopularityRecommender().fit(truncate_histories(
        train, [u for u in relevant if counts.get(u, 0) >= 20], 0), items)
    chosen = {u: r for u, r in relevant.items() if counts.get(u, 0) >= 20}
    expected = evaluate_per_user(popular, train, test, relevant=chosen)["ndcg"].mean()
    assert ndcg[0] == pytest.approx(expected)
