"""Descriptive statistics against hand counts and independent formulas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys_helpers import describe
from recsys_helpers.errors import ParameterError

pytestmark = pytest.mark.unit

DAY = 86_400


@pytest.fixture
def table() -> pd.DataFrame:
    """u1: a, a (repeat), b; u2: c. Item counts: a 2, b 1, c 1."""
    return pd.DataFrame({"user_id": ["u1", "u1", "u1", "u2"], "item_id": ["a", "a", "b", "c"],
                         "rating": 1.0, "timestamp": [1, 2, 3, 4]})


def test_sparsity_summary_by_hand(table):
    summary = describe.sparsity_summary(table)
    # 3 distinct pairs in a 2 users x 3 items matrix
    assert summary == {"users": 2, "items": 3, "interactions": 4, "density": 0.5}
    assert describe.sparsity_summary(table, n_items=6)["density"] == 0.25
    empty = describe.sparsity_summary(table.iloc[:0])
    assert empty["density"] == 0.0 and empty["interactions"] == 0


def test_share_below(table):
    # users: u1 has 3 events, u2 has 1; items: a 2, b 1, c 1
    assert describe.share_below(table, "user_id", 1) == 0.0
    assert describe.share_below(table, "user_id", 2) == 0.5
    assert describe.share_below(table, "user_id", 4) == 1.0
    assert describe.share_below(table, "item_id", 2) == pytest.approx(2 / 3)
    with pytest.raises(ParameterError, match="k"):
        describe.share_below(table, "user_id", 0)


def test_popularity_curve():
    rng = np.random.default_rng(0)
    items = rng.zipf(1.5, 2_000) % 300
    frame = pd.DataFrame({"item_id": items.astype(str)})
    curve = describe.popularity_curve(frame)
    assert len(curve) == len(np.unique(items))
    assert curve["rank"].tolist() == list(range(1, len(curve) + 1))
    assert (np.diff(curve["interactions"]) <= 0).all()
    assert curve["interactions"].sum() == len(frame)
    assert (np.diff(curve["interaction_share"]) > 0).all()
    assert (np.diff(curve["item_share"]) > 0).all()
    assert curve["interaction_share"].iloc[-1] == pytest.approx(1.0)
    assert curve["item_share"].iloc[-1] == pytest.approx(1.0)
    # a head share at least as large as its item share: the head is the popular end
    assert (curve["interaction_share"] >= curve["item_share"] - 1e-12).all()


def _gini_reference(x: np.ndarray) -> float:
    """Mean absolute difference over twice the mean, O(n^2)."""
    x = np.asarray(x, dtype=float)
    return np.abs(x[:, None] - x[None, :]).mean() / (2 * x.mean())


@pytest.mark.parametrize("seed", range(5))
def test_gini_matches_mean_absolute_difference(seed):
    rng = np.random.default_rng(seed)
    values = rng.lognormal(0, 1 + seed, int(rng.integers(2, 200)))
    values[rng.random(len(values)) < 0.2] = 0.0
    if values.sum() == 0:
        values[0] = 1.0
    assert describe.gini(values) == pytest.approx(_gini_reference(values))
    assert describe.gini(rng.permutation(values)) == pytest.approx(describe.gini(values))


def test_gini_extremes():
    assert describe.gini(np.full(7, 3.0)) == pytest.approx(0.0)
    assert describe.gini(np.array([0, 0, 0, 5.0])) == pytest.approx(3 / 4)  # (n - 1) / n
    assert describe.gini(np.array([])) == 0.0
    assert describe.gini(np.zeros(4)) == 0.0


def test_head_share():
    # item counts 5, 3, 1, 1
    frame = pd.DataFrame({"item_id": list("aaaaabbbcd")})
    assert describe.head_share(frame, 0.25) == pytest.approx(0.5)
    assert describe.head_share(frame, 0.5) == pytest.approx(0.8)
    assert describe.head_share(frame, 1.0) == pytest.approx(1.0)
    assert describe.head_share(frame, 0.01) == pytest.approx(0.5)  # at least one item


def _events(days, categories) -> tuple[pd.DataFrame, pd.DataFrame]:
    item_ids = [f"{c}{i}" for i, c in enumerate(categories)]
    interactions = pd.DataFrame({
        "user_id": "u", "item_id": item_ids, "rating": 1.0,
        "timestamp": (pd.Timestamp("2024-01-01").timestamp() + np.asarray(days) * DAY
                      ).astype(np.int64),
    })
    items = pd.DataFrame({"item_id": item_ids, "title": item_ids, "text": item_ids,
                          "category": list(categories)})
    return interactions, items


def test_category_share_over_time_rows_sum_to_one():
    rng = np.random.default_rng(0)
    days = rng.integers(0, 120, 3_000)
    categories = rng.choice(["books", "toys", "garden"], 3_000, p=[0.5, 0.3, 0.2])
    interactions, items = _events(days, categories)
    shares = describe.category_share_over_time(interactions, items, min_interactions=10)
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)
    assert set(shares.columns) == {"books", "toys", "garden"}
    # 120 days span: weekly periods, each starting on a Monday 7 days after the previous one
    steps = np.diff(shares.index.to_numpy()).astype("timedelta64[D]").astype(int)
    assert (steps == 7).all()
    assert all(start.day_of_week == 0 for start in shares.index)
    # the shares match a direct count in one week
    week = shares.index[3]
    when = pd.to_datetime(interactions["timestamp"], unit="s")
    in_week = (when >= week) & (when < week + pd.Timedelta(days=7))
    direct = pd.Series(categories[in_week.to_numpy()]).value_counts(normalize=True)
    np.testing.assert_allclose(shares.loc[week, direct.index], direct.to_numpy())


@pytest.mark.parametrize("span_days, check", [
    (3 * 365, lambda index: all(start.day == 1 for start in index)
     and len(index) > 12),
    (8 * 365, lambda index: all(start.day == 1 and start.month == 1 for start in index)
     and len(index) > 5),
])
def test_category_share_period_auto(span_days, check):
    days = np.linspace(0, span_days, 2_000)
    interactions, items = _events(days, ["books", "toys"] * 1_000)
    shares = describe.category_share_over_time(interactions, items, min_interactions=1)
    assert check(shares.index)


def test_sparse_periods_are_dropped():
    # 60 events in week 0, 3 in week 5, 60 in week 10
    days = [0.5] * 60 + [35.5] * 3 + [70.5] * 60
    interactions, items = _events(days, ["books", "toys", "garden"] * 41)
    shares = describe.category_share_over_time(interactions, items, min_interactions=50)
    assert len(shares) == 2
    assert (shares.index[1] - shares.index[0]).days == 70
    assert len(describe.category_share_over_time(interactions, items, min_interactions=3)) == 3
