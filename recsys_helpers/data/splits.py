"""Train/test splits of interaction tables, and the per-user sets that evaluation needs.

Each split returns ``(train, test)`` DataFrames with the interaction columns of
`recsys_helpers.data.schema`. The cold splits hold out whole items or users, so that every test
interaction involves an item (or user) that training never saw.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..params import check_float, check_int


def temporal_split(
    interactions: pd.DataFrame, test_fraction: float = 0.2
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Everything before a global time cut is training, the rest is test.

    The cut is the (1 - test_fraction) quantile of the timestamps, so the test set is the most
    recent slice of activity: the situation a deployed model faces.
    """
    check_float("test_fraction", test_fraction, low=0.01, high=0.99)
    ordered = interactions.sort_values("timestamp", kind="stable")
    cut = int(round(len(ordered) * (1.0 - test_fraction)))
    return ordered.iloc[:cut].copy(), ordered.iloc[cut:].copy()


def time_window(interactions: pd.DataFrame, start: float, end: float) -> pd.DataFrame:
    """The interactions between two quantiles of time (0 = oldest, 1 = newest)."""
    check_float("start", start, low=0.0, high=1.0)
    check_float("end", end, low=start, high=1.0)
    ordered = interactions.sort_values("timestamp", kind="stable")
    n = len(ordered)
    return ordered.iloc[int(round(n * start)):int(round(n * end))].copy()


def leave_last_out(
    interactions: pd.DataFrame, n_last: int = 1
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each user's latest `n_last` interactions are test; users with no more than that many
    interactions stay wholly in training (they would have no history otherwise)."""
    check_int("n_last", n_last, low=1)
    ordered = interactions.sort_values(["user_id", "timestamp"], kind="stable")
    from_end = ordered.groupby("user_id").cumcount(ascending=False)
    counts = ordered.groupby("user_id")["item_id"].transform("size")
    is_test = (from_end < n_last) & (counts > n_last)
    return ordered[~is_test].copy(), ordered[is_test].copy()


def random_split_per_user(
    interactions: pd.DataFrame, test_fraction: float = 0.2, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A random `test_fraction` of each user's interactions is test (at least one is kept for
    training), ignoring time: the textbook split, optimistic because it leaks the future."""
    check_float("test_fraction", test_fraction, low=0.01, high=0.99)
    rng = np.random.default_rng(seed)
    shuffled = interactions.iloc[rng.permutation(len(interactions))]
    rank = shuffled.groupby("user_id").cumcount()
    counts = shuffled.groupby("user_id")["item_id"].transform("size")
    n_test = np.floor(counts * test_fraction).astype(int)
    is_test = rank < np.minimum(n_test, counts - 1)
    return shuffled[~is_test].sort_index(), shuffled[is_test].sort_index()


def cold_item_split(
    interactions: pd.DataFrame, item_fraction: float = 0.2, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A random `item_fraction` of the items is held out whole: all their interactions are test."""
    return _cold_split(interactions, "item_id", item_fraction, seed)


def cold_user_split(
    interactions: pd.DataFrame, user_fraction: float = 0.2, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A random `user_fraction` of the users is held out whole: all their interactions are test."""
    return _cold_split(interactions, "user_id", user_fraction, seed)


def _cold_split(interactions, column, fraction, seed):
    check_float(f"{column.removesuffix('_id')}_fraction", fraction, low=0.01, high=0.99)
    keys = np.sort(interactions[column].unique())
    rng = np.random.default_rng(seed)
    cold = set(rng.choice(keys, max(1, int(round(len(keys) * fraction))), replace=False))
    is_test = interactions[column].isin(cold)
    return interactions[~is_test].copy(), interactions[is_test].copy()


def items_by_user(interactions: pd.DataFrame) -> dict[str, set[str]]:
    """The set of items each user interacted with (relevant sets for test, seen sets for train)."""
    grouped = interactions.groupby("user_id")["item_id"]
    return {user: set(items) for user, items in grouped}
