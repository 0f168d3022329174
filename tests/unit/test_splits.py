"""Train/test splits: time order, per-user hold-outs, cold hold-outs and parameter checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys_helpers.data.splits import (
    cold_item_split,
    cold_user_split,
    items_by_user,
    leave_last_out,
    random_split_per_user,
    temporal_split,
    time_window,
)
from recsys_helpers.errors import ParameterError

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def interactions() -> pd.DataFrame:
    """500 events of 40 users on 60 items at random (shuffled) times, many ties in time."""
    rng = np.random.default_rng(0)
    n = 500
    return pd.DataFrame({
        "user_id": [f"u{u:02d}" for u in rng.integers(0, 40, n)],
        "item_id": [f"i{i:02d}" for i in rng.integers(0, 60, n)],
        "rating": 1.0,
        "timestamp": rng.integers(0, 200, n).astype(np.int64),
    })


def _rows(frame: pd.DataFrame) -> list[tuple]:
    return sorted(map(tuple, frame.astype(str).to_numpy()))


def _assert_partition(whole, train, test):
    """train and test together are exactly the original rows."""
    assert len(train) + len(test) == len(whole)
    assert _rows(pd.concat([train, test])) == _rows(whole)


@pytest.mark.parametrize("fraction", [0.1, 0.2, 0.5])
def test_temporal_split_respects_time_and_fraction(interactions, fraction):
    train, test = temporal_split(interactions, fraction)
    _assert_partition(interactions, train, test)
    assert train["timestamp"].max() <= test["timestamp"].min()
    assert abs(len(test) - fraction * len(interactions)) <= 1


def test_time_window_takes_quantiles_of_time(interactions):
    ordered = np.sort(interactions["timestamp"].to_numpy())
    window = time_window(interactions, 0.25, 0.75)
    assert len(window) == 250
    np.testing.assert_array_equal(window["timestamp"], ordered[125:375])
    assert len(time_window(interactions, 0.0, 1.0)) == len(interactions)
    assert time_window(interactions, 0.4, 0.4).empty
    with pytest.raises(ParameterError, match="end"):
        time_window(interactions, 0.6, 0.5)
    with pytest.raises(ParameterError, match="start"):
        time_window(interactions, -0.1, 0.5)


def test_leave_last_out_takes_latest_per_user():
    frame = pd.DataFrame({
        "user_id": ["a"] * 5 + ["b"] * 2 + ["c"],
        "item_id": ["i1", "i2", "i3", "i4", "i5", "j1", "j2", "k1"],
        "rating": 1.0,
        # a's events are not in time order in the table
        "timestamp": [50, 10, 40, 20, 30, 5, 6, 1],
    })
    train, test = leave_last_out(frame, n_last=2)
    _assert_partition(frame, train, test)
    assert items_by_user(test) == {"a": {"i1", "i3"}}  # a's two latest events
    # b has exactly n_last events and c fewer: both stay wholly in training
    assert items_by_user(train) == {"a": {"i2", "i4", "i5"}, "b": {"j1", "j2"}, "c": {"k1"}}


def test_leave_last_out_on_random_data(interactions):
    n_last = 3
    train, test = leave_last_out(interactions, n_last)
    _assert_partition(interactions, train, test)
    counts = interactions["user_id"].value_counts()
    test_counts = test["user_id"].value_counts()
    for user, count in counts.items():
        assert test_counts.get(user, 0) == (n_last if count > n_last else 0)
    # every test event is at least as late as every training event of the same user
    last_train = train.groupby("user_id")["timestamp"].max()
    first_test = test.groupby("user_id")["timestamp"].min()
    assert (first_test >= last_train[first_test.index]).all()


def test_random_split_per_user(interactions):
    train, test = random_split_per_user(interactions, 0.3, seed=5)
    _assert_partition(interactions, train, test)
    assert set(train["user_id"]) == set(interactions["user_id"])
    counts = interactions["user_id"].value_counts()
    test_counts = test["user_id"].value_counts().reindex(counts.index, fill_value=0)
    expected = np.minimum(np.floor(counts * 0.3), counts - 1)
    np.testing.assert_array_equal(test_counts, expected)

    again = random_split_per_user(interactions, 0.3, seed=5)
    pd.testing.assert_frame_equal(train, again[0])
    pd.testing.assert_frame_equal(test, again[1])
    other = random_split_per_user(interactions, 0.3, seed=6)[1]
    assert not other.index.equals(test.index)


def test_single_interaction_users_stay_in_training():
    frame = pd.DataFrame({"user_id": ["a", "b", "b"], "item_id": ["x", "y", "z"],
                          "rating": 1.0, "timestamp": [1, 2, 3]})
    train, test = random_split_per_user(frame, 0.99, seed=0)
    assert set(train["user_id"]) == {"a", "b"}
    assert len(test) == 1 and test["user_id"].iloc[0] == "b"


@pytest.mark.parametrize("split, column", [(cold_item_split, "item_id"),
                                           (cold_user_split, "user_id")])
def test_cold_splits_hold_out_whole_keys(interactions, split, column):
    train, test = split(interactions, 0.25, seed=3)
    _assert_partition(interactions, train, test)
    assert not set(test[column]) & set(train[column])
    n_keys = interactions[column].nunique()
    assert test[column].nunique() == round(0.25 * n_keys)
    again = split(interactions, 0.25, seed=3)[1]
    assert set(again[column]) == set(test[column])
    assert set(split(interactions, 0.25, seed=4)[1][column]) != set(test[column])


@pytest.mark.parametrize("call", [
    lambda f: temporal_split(f, 0.0),
    lambda f: temporal_split(f, 1.0),
    lambda f: temporal_split(f, True),
    lambda f: random_split_per_user(f, 1.5),
    lambda f: cold_item_split(f, -0.2),
    lambda f: cold_user_split(f, "0.2"),
    lambda f: leave_last_out(f, 0),
    lambda f: leave_last_out(f, 1.0),
])
def test_bad_parameters_raise(interactions, call):
    with pytest.raises(ParameterError):
        call(interactions)


def test_cold_split_error_names_the_parameter(interactions):
    with pytest.raises(ParameterError, match="item_fraction"):
        cold_item_split(interactions, 2.0)
    with pytest.raises(ParameterError, match="user_fraction"):
        cold_user_split(interactions, 2.0)


def test_items_by_user():
    frame = pd.DataFrame({"user_id": ["a", "a", "b", "a"], "item_id": ["x", "y", "x", "x"]})
    assert items_by_user(frame) == {"a": {"x", "y"}, "b": {"x"}}
