"""Evaluation metrics: click prediction (AUC, log loss, calibration) and top-K ranking.

The classification metrics wrap scikit-learn and only add checks that turn its less readable
failures (a validation split with one class, misaligned arrays) into a ParameterError.

The ranking metrics are written out here on purpose, so that a reader can see every definition;
the unit tests check them against scikit-learn where the two coincide. Definitions, for a user u
with a set R_u of relevant (held-out) items and a recommendation list L_u, cut at K:

- Relevance is binary: rel_i = 1 if the item at rank i (1-based) of L_u is in R_u, else 0.
- Duplicates in L_u are counted once: repeats are dropped (the first occurrence keeps its place)
  before the list is cut at K. A list shorter than K counts as zeros for the missing places.
- precision@K = (sum of rel_i for i <= K) / K, also for short lists.
- recall@K = (sum of rel_i for i <= K) / |R_u|.
- DCG@K = sum over i <= K of rel_i / log2(i + 1); the ideal DCG is the DCG of the ideal ranking
  cut at K, i.e. min(|R_u|, K) ones followed by zeros; nDCG@K = DCG@K / ideal DCG@K.
- AP@K = (sum over i <= K of rel_i * precision@i) / min(|R_u|, K).
- hit@K = 1 if any of the first K items is relevant, else 0.

Which users are averaged: every user with at least one relevant item. A user with relevant items
but no recommendation list scores 0 everywhere; users with an empty relevant set, or who appear
only in the recommendations, are left out (there is nothing to find for them).
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn import metrics as skm

from .errors import ParameterError

RANKING_COLUMNS = ("precision", "recall", "ndcg", "ap", "hit")
_LOG_LOSS_EPS = 1e-7


def auc(y_true: Any, y_score: Any) -> float:
    """Area under the ROC curve: the chance that a random click outscores a random non-click."""
    y, s = _binary_inputs(y_true, y_score, "y_score")
    return float(skm.roc_auc_score(y, s))


def log_loss(y_true: Any, y_prob: Any) -> float:
    """Mean binary cross-entropy; probabilities are clipped so that a confident 0 or 1 that
    turns out wrong costs a large but finite amount rather than infinity."""
    y, p = _binary_inputs(y_true, y_prob, "y_prob")
    _check_probabilities(p)
    p = np.clip(p, _LOG_LOSS_EPS, 1.0 - _LOG_LOSS_EPS)
    return float(skm.log_loss(y, p, labels=[0, 1]))


def per_user_ranking(
    recommended: Mapping[Hashable, Sequence[Hashable]],
    relevant: Mapping[Hashable, Collection[Hashable]],
    k: int,
) -> pd.DataFrame:
    """One row per user with at least one relevant item; columns precision, recall, ndcg, ap and
    hit, all @k (see the module docstring). Per-user rows let a notebook slice the averages, e.g.
    by user activity, and show the spread behind a mean."""
    k = _check_k(k)
    _check_mapping(recommended, "recommended")
    _check_mapping(relevant, "relevant")

    users: list[Hashable] = []
    hits_rows: list[list[bool]] = []
    n_relevant: list[int] = []
    for user, items in relevant.items():
        wanted = set(items)
        if not wanted:
            continue
        top = _top_k(recommended.get(user), k)
        users.append(user)
        n_relevant.append(len(wanted))
        hits_rows.append([item in wanted for item in top] + [False] * (k - len(top)))

    index = pd.Index(users, name="user")
    if not users:
        return pd.DataFrame({c: pd.Series(dtype=float) for c in RANKING_COLUMNS}, index=index)

    metrics = ranking_from_hits(np.asarray(hits_rows, dtype=float), np.asarray(n_relevant))
    return pd.DataFrame(metrics, index=index)


def ranking_from_hits(hits: np.ndarray, n_relevant: np.ndarray) -> dict[str, np.ndarray]:
    """precision, recall, ndcg, ap and hit @k of each row of a 0/1 hit matrix (users, k).

    Row u holds rel_i for ranks 1..k of user u's list and ``n_relevant[u]`` is |R_u| (>= 1): the
    definitions of the module docstring, for callers that rank with score matrices instead of
    lists (`recsys_helpers.evaluation` ranks candidate sets this way).
    """
    hits = np.asarray(hits, dtype=float)
    n_rel = np.asarray(n_relevant, dtype=float)
    if hits.ndim != 2 or hits.shape[1] < 1 or n_rel.shape != (hits.shape[0],):
        raise ParameterError(
            f"hits must be a (users, k) matrix with k >= 1 and n_relevant one count per user, "
            f"got shapes {hits.shape} and {n_rel.shape}")
    if (n_rel < 1).any():
        raise ParameterError("every user needs at least one relevant item (n_relevant >= 1)")
    k = hits.shape[1]
    n_hits = hits.sum(axis=1)
    discounts = 1.0 / np.log2(np.arange(2, k + 2))  # rank i gets 1 / log2(i + 1)
    ideal_cum = np.cumsum(discounts)
    n_ideal = np.minimum(n_rel, k).astype(int)
    precision_at_i = np.cumsum(hits, axis=1) / np.arange(1, k + 1)
    return {
        "precision": n_hits / k,
        "recall": n_hits / n_rel,
        "ndcg": (hits @ discounts) / ideal_cum[n_ideal - 1],
        "ap": (hits * precision_at_i).sum(axis=1) / n_ideal,
        "hit": (n_hits > 0).astype(float),
    }


def ranking_metrics(
    recommended: Mapping[Hashable, Sequence[Hashable]],
    relevant: Mapping[Hashable, Collection[Hashable]],
    k: int,
) -> dict[str, float]:
    """Means over users of `per_user_ranking`: precision, recall, ndcg, map, hit_rate, plus the
    number of users averaged ("users"), so a table can show what each mean rests on."""
    table = per_user_ranking(recommended, relevant, k)
    if table.empty:
        raise ParameterError(
            "no user has a relevant item, so ranking metrics are undefined; check that the "
            "test split is not empty and that user ids match between the two mappings"
        )
    means = table.mean()
    return {
        "precision": float(means["precision"]),
        "recall": float(means["recall"]),
        "ndcg": float(means["ndcg"]),
        "map": float(means["ap"]),
        "hit_rate": float(means["hit"]),
        "users": len(table),
    }


def catalogue_coverage(
    recommended: Mapping[Hashable, Sequence[Hashable]], n_items: int, k: int
) -> float:
    """Share of the catalogue that appears in at least one top-k list: a recommender that shows
    everybody the same bestsellers scores well on accuracy and poorly here."""
    k = _check_k(k)
    _check_mapping(recommended, "recommended")
    if isinstance(n_items, bool) or not isinstance(n_items, int | np.integer) or n_items < 1:
        raise ParameterError(f"n_items must be a positive integer, got {n_items!r}")
    shown: set[Hashable] = set()
    for items in recommended.values():
        shown.update(_top_k(items, k))
    if len(shown) > n_items:
        raise ParameterError(
            f"{len(shown)} distinct items were recommended but n_items={n_items}; pass the size "
            "of the whole catalogue"
        )
    return len(shown) / int(n_items)


def reliability_table(y_true: Any, y_prob: Any, n_bins: int = 10) -> pd.DataFrame:
    """Predicted probability against observed click rate in equal-width bins on [0, 1].

    Columns: lower, upper (bin edges), count, mean_prob, frac_positive (NaN for empty bins, which
    are kept so that every table has n_bins rows). A calibrated model has mean_prob close to
    frac_positive in every bin; the reliability diagram plots one against the other.
    """
    y, p = _aligned(y_true, y_prob, "y_prob")
    _check_probabilities(p)
    if not set(np.unique(y)) <= {0, 1}:
        raise ParameterError("y_true must hold 0/1 labels")
    if isinstance(n_bins, bool) or not isinstance(n_bins, int) or n_bins < 1:
        raise ParameterError(f"n_bins must be a positive integer, got {n_bins!r}")
    # Bin b holds [b/n, (b+1)/n); the last bin also takes p == 1.
    bins = np.minimum((p * n_bins).astype(int), n_bins - 1)
    count = np.bincount(bins, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_prob = np.bincount(bins, weights=p, minlength=n_bins) / count
        frac_pos = np.bincount(bins, weights=y.astype(float), minlength=n_bins) / count
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    return pd.DataFrame(
        {
            "lower": edges[:-1],
            "upper": edges[1:],
            "count": count,
            "mean_prob": mean_prob,
            "frac_positive": frac_pos,
        },
        index=pd.RangeIndex(n_bins, name="bin"),
    )


def expected_calibration_error(y_true: Any, y_prob: Any, n_bins: int = 10) -> float:
    """ECE = sum over bins of (bin size / n) * |frac_positive - mean_prob|, with equal-width bins.

    A single number for "how far are the probabilities from the observed rates"; a model can have
    a good AUC and a poor ECE (it ranks well but its numbers cannot be read as probabilities).
    """
    table = reliability_table(y_true, y_prob, n_bins)
    filled = table[table["count"] > 0]
    weights = filled["count"] / filled["count"].sum()
    return float((weights * (filled["frac_positive"] - filled["mean_prob"]).abs()).sum())


def _top_k(items: Sequence[Hashable] | None, k: int) -> list[Hashable]:
    """First k distinct items, in order (a repeat neither counts twice nor takes a place)."""
    if items is None:
        return []
    if isinstance(items, str):
        raise ParameterError("a recommendation list must be a sequence of item ids, not a string")
    return list(dict.fromkeys(items))[:k]


def _check_k(k: int) -> int:
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise ParameterError(f"k must be an integer >= 1, got {k!r}")
    return int(k)


def _check_mapping(value: Any, name: str) -> None:
    if not (hasattr(value, "items") and hasattr(value, "get")):
        raise ParameterError(
            f"{name} must map user -> items (a dict or a pandas Series), got {type(value).__name__}"
        )


def _aligned(y_true: Any, y_other: Any, other_name: str) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y_true).ravel()
    other = np.asarray(y_other, dtype=float).ravel()
    if len(y) != len(other):
        raise ParameterError(
            f"y_true and {other_name} must have the same length, got {len(y)} and {len(other)}"
        )
    if len(y) == 0:
        raise ParameterError("y_true is empty")
    if not np.all(np.isfinite(other)):
        raise ParameterError(f"{other_name} contains NaN or infinite values")
    return y, other


def _binary_inputs(y_true: Any, y_other: Any, other_name: str) -> tuple[np.ndarray, np.ndarray]:
    y, other = _aligned(y_true, y_other, other_name)
    classes = np.unique(y)
    if not set(classes.tolist()) <= {0, 1}:
        raise ParameterError(f"y_true must hold 0/1 labels, found {classes.tolist()[:10]}")
    if len(classes) != 2:
        raise ParameterError(
            f"y_true must contain both classes (clicks and non-clicks), found {classes.tolist()}; "
            "the metric is undefined on a split with a single class - use a larger or "
            "stratified split"
        )
    return y, other


def _check_probabilities(p: np.ndarray) -> None:
    if p.min() < 0.0 or p.max() > 1.0:
        raise ParameterError(
            "probabilities must lie in [0, 1]; pass predict_proba output, not raw scores or logits"
        )
