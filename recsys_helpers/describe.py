"""Descriptive statistics of an interaction table: the numbers behind cold start and sparsity."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .params import check_int


def sparsity_summary(interactions: pd.DataFrame, n_items: int | None = None) -> dict[str, float]:
    """Users, items, interactions and the density of the user-item matrix.

    Density counts distinct user-item pairs over users x items; `n_items` defaults to the items
    that occur in the interactions (pass the catalogue size to count never-touched items too).
    """
    pairs = interactions[["user_id", "item_id"]].drop_duplicates()
    users = pairs["user_id"].nunique()
    items = n_items if n_items is not None else pairs["item_id"].nunique()
    return {
        "users": int(users),
        "items": int(items),
        "interactions": int(len(interactions)),
        "density": float(len(pairs) / (users * items)) if users and items else 0.0,
    }


def share_below(interactions: pd.DataFrame, column: str, k: int) -> float:
    """Share of users (column="user_id") or items with fewer than k interactions."""
    check_int("k", k, low=1)
    counts = interactions[column].value_counts()
    return float((counts < k).mean())


def popularity_curve(interactions: pd.DataFrame) -> pd.DataFrame:
    """Items ranked by interactions, with the cumulative share of all interactions.

    The long tail in one table: column ``item_share`` is the share of items (0..1) in the head,
    ``interaction_share`` the share of all interactions those items account for.
    """
    counts = interactions["item_id"].value_counts().to_numpy()
    return pd.DataFrame({
        "rank": np.arange(1, len(counts) + 1),
        "interactions": counts,
        "item_share": np.arange(1, len(counts) + 1) / len(counts),
        "interaction_share": np.cumsum(counts) / counts.sum(),
    })


def gini(values: np.ndarray) -> float:
    """Gini coefficient of non-negative values: 0 = all equal, towards 1 = one item has all."""
    x = np.sort(np.asarray(values, dtype=float))
    if len(x) == 0 or x.sum() == 0:
        return 0.0
    n = len(x)
    return float((2 * np.arange(1, n + 1) - n - 1) @ x / (n * x.sum()))


def head_share(interactions: pd.DataFrame, top_fraction: float = 0.2) -> float:
    """Share of interactions that go to the most popular `top_fraction` of items."""
    curve = popularity_curve(interactions)
    n_head = max(1, int(round(len(curve) * top_fraction)))
    return float(curve["interaction_share"].iloc[n_head - 1])


def category_share_over_time(
    interactions: pd.DataFrame, items: pd.DataFrame, period: str = "auto",
    min_interactions: int = 50,
) -> pd.DataFrame:
    """Share of each item category in the interactions of each period (rows sum to 1).

    ``period="auto"`` picks weeks for data spanning up to a year, months up to five years and
    years beyond; periods with fewer than `min_interactions` interactions are dropped, since a
    share computed from a handful of events is noise.
    """
    merged = interactions[["item_id", "timestamp"]].merge(
        items[["item_id", "category"]], on="item_id", how="left")
    when = pd.to_datetime(merged["timestamp"], unit="s")
    if period == "auto":
        days = (when.max() - when.min()).days
        period = "W" if days <= 366 else "M" if days <= 5 * 366 else "Y"
    start = when.dt.to_period(period).dt.start_time
    table = pd.crosstab(start, merged["category"].fillna("unknown"))
    table = table[table.sum(axis=1) >= min_interactions]
    return table.div(table.sum(axis=1), axis=0)
