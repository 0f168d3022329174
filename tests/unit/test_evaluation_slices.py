"""Evaluation slices: who and what falls in each slice, and what each slice ranks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys_helpers.errors import ParameterError
from recsys_helpers.evaluation import SLICES, build_slices, relevant_items

pytestmark = pytest.mark.unit


def _frame(pairs) -> pd.DataFrame:
    users, items = zip(*pairs, strict=True)
    return pd.DataFrame({"user_id": list(users), "item_id": list(items), "rating": 1.0,
                         "timestamp": np.arange(len(pairs), dtype=np.int64)})


@pytest.fixture
def split():
    """Warm items x, y, z; cold items n1, n2 (in test) and q (in neither); d is a new user."""
    train = _frame([("a", "x"), ("a", "y"), ("b", "x"), ("c", "z")])
    test = _frame([("a", "x"), ("a", "n1"), ("a", "z"), ("b", "y"), ("b", "n2"), ("b", "n2"),
                   ("d", "x"), ("d", "n1"), ("c", "z")])
    catalogue = ["x", "y", "z", "n1", "n2", "q"]
    return train, test, catalogue


def test_slices_split_relevant_items_by_warm_and_cold(split):
    train, test, catalogue = split
    test_set = build_slices(train, test, catalogue)
    # a: x was seen, so only n1 and z are relevant; c has nothing new and is left out
    expected = {
        "all": {"a": {"n1", "z"}, "b": {"y", "n2"}, "d": {"x", "n1"}},
        "warm_items": {"a": {"z"}, "b": {"y"}, "d": {"x"}},
        "cold_items": {"a": {"n1"}, "b": {"n2"}, "d": {"n1"}},
        "cold_users": {"d": {"x", "n1"}},
    }
    for name in SLICES:
        assert test_set.slice(name).relevant_sets() == expected[name], name
    assert test_set.slice("all").relevant_sets() == relevant_items(train, test)


def test_candidates_are_the_slice_items_minus_the_users_training_items(split):
    train, test, catalogue = split
    test_set = build_slices(train, test, catalogue)
    assert test_set.slice("all").candidate_sets() == {
        "a": {"z", "n1", "n2", "q"}, "b": {"y", "z", "n1", "n2", "q"}, "d": set(catalogue)}
    assert test_set.slice("warm_items").candidate_sets() == {
        "a": {"z"}, "b": {"y", "z"}, "d": {"x", "y", "z"}}
    # q has no interaction at all but is in the catalogue: a cold candidate like n1 and n2
    cold = test_set.slice("cold_items")
    assert set(cold.item_ids) == {"n1", "n2", "q"}
    assert all(c == {"n1", "n2", "q"} for c in cold.candidate_sets().values())
    assert test_set.slice("cold_users").candidate_sets() == {"d": set(catalogue)}
    # an items table works as well as a list of ids
    items = pd.DataFrame({"item_id": catalogue, "title": "", "text": "", "category": ""})
    assert build_slices(train, test, items).slice("all").relevant_sets() == \
        test_set.slice("all").relevant_sets()


def test_users_restricts_the_slices(split):
    train, test, catalogue = split
    test_set = build_slices(train, test, catalogue, users=["a", "d"])
    assert test_set.slice("all").relevant_sets() == {"a": {"n1", "z"}, "d": {"x", "n1"}}


def test_bad_slice_inputs_raise(split):
    train, test, catalogue = split
    test_set = build_slices(train, test, catalogue)
    with pytest.raises(ParameterError, match="must be one of"):
        test_set.slice("cold")
    with pytest.raises(ParameterError, match="not among the candidate items.*n2"):
        build_slices(train, test, ["x", "y", "z", "n1"])
    with pytest.raises(ParameterError, match="duplicate"):
        build_slices(train, test, catalogue + ["x"])
    with pytest.raises(ParameterError, match="empty"):
        build_slices(train, test, [])
    warm_only = test[~test["item_id"].str.startswith("n") & (test["user_id"] != "d")]
    with pytest.raises(ParameterError, match="'cold_items'"):
        build_slices(train, warm_only, catalogue).slice("cold_items")
    with pytest.raises(ParameterError, match="'cold_users'"):
        build_slices(train, warm_only, catalogue).slice("cold_users")
