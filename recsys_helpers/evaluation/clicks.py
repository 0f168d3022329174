"""Scoring click predictions: how well a model's scores of (history, item) or (query, item)
pairs separate clicks from non-clicks, and what deciding or ranking with them gives.

One AUC over every pair hides what a model has learned: a shown but unclicked item was already
picked for the user, a never-shown one was not, and beating the first is much harder than
beating the second, so `auc_by_negative` reports each kind apart. A yes/no decision needs a
threshold chosen on validation data (`choose_threshold`, then `classification_table`), not the
argmax of two logits, which silently assumes 0.5. And where the pairs come in groups that are
ranked (a query's results), `per_query_ndcg` scores each group's ranking.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn import metrics as skm

from ..data.schema import require_columns
from ..errors import ParameterError
from ..metrics import auc
from ..params import check_choice, check_int


def auc_by_negative(frame: pd.DataFrame, scores: Any) -> dict[str, float]:
    """AUC of `scores` on all rows of `frame`, then clicks against each kind of non-click alone.

    `frame` has a ``label`` column and a ``negative`` column naming each non-click's kind
    (as `recsys_helpers.data.click_pairs.add_never_shown` writes it: "shown" for impressions
    that were not clicked, "sampled" for never-shown items). Returns ``{"all": .., "clicks vs
    shown": .., ...}``, one entry per kind present, in the order the kinds first appear.
    """
    require_columns(frame, ("label", "negative"), "scored examples")
    s = np.asarray(scores, dtype=float).ravel()
    if len(s) != len(frame):
        raise ParameterError(f"{len(s)} scores for {len(frame)} examples")
    label = frame["label"].to_numpy() == 1
    kinds = frame["negative"].to_numpy()
    result = {"all": float(auc(label.astype(int), s))}
    for kind in pd.unique(kinds[~label]):
        keep = label | (kinds == kind)
        result[f"clicks vs {kind}"] = float(auc(label[keep].astype(int), s[keep]))
    return result


def choose_threshold(y_true: Any, y_prob: Any, criterion: str = "f1") -> float:
    """The probability threshold that maximises the F1 score of the click class on (y, p).

    Pick it on validation data and apply it unchanged to the test data. With few clicks the
    argmax of two logits (threshold 0.5) may flag almost nothing as a click.
    """
    check_choice("criterion", criterion, ("f1",))
    y = np.asarray(y_true).ravel()
    p = np.asarray(y_prob, dtype=float).ravel()
    if len(y) != len(p) or len(y) == 0:
        raise ParameterError("y_true and y_prob must be non-empty and of the same length")
    if set(np.unique(y).tolist()) != {0, 1}:
        raise ParameterError("y_true must hold both clicks (1) and non-clicks (0)")
    precision, recall, thresholds = skm.precision_recall_curve(y, p)
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    best = int(np.argmax(f1[:-1]))  # the last point (recall 0) has no threshold
    return float(thresholds[best])


def classification_table(y_true: Any, y_prob: Any, threshold: float = 0.5) -> pd.DataFrame:
    """scikit-learn's classification report as a table: flat 0/1 labels against the flat
    decisions ``y_prob >= threshold``, one row per class plus accuracy and the averages."""
    y = np.asarray(y_true).ravel().astype(int)
    decision = (np.asarray(y_prob, dtype=float).ravel() >= threshold).astype(int)
    report = skm.classification_report(y, decision, labels=[0, 1],
                                       target_names=["no click", "click"],
                                       output_dict=True, zero_division=0)
    accuracy = report.pop("accuracy")
    table = pd.DataFrame(report).T
    table.loc["accuracy"] = [np.nan, np.nan, accuracy, table.loc["macro avg", "support"]]
    table["support"] = table["support"].astype(int)
    return table


def per_query_ndcg(frame: pd.DataFrame, scores: Any, k: int = 10, group: str = "query_id",
                   gain: str = "label") -> pd.Series:
    """NDCG@k of each group of rows of `frame` (a query's candidates, say) ranked by `scores`,
    highest first, as a Series indexed by the group ids in the order they first appear.

    Gains are the `gain` column used linearly (DCG@k = sum over ranks i <= k of
    gain_i / log2(i + 1)), as `sklearn.metrics.ndcg_score` uses them, so 0/1 clicks and graded
    relevance both work. Tied scores share their ranks: each run of equal scores gets the mean
    gain of its rows at every rank it spans, which is the expected DCG over all orders of the
    ties and what `ndcg_score` computes by default (``ignore_ties=False``). A model that cannot
    tell rows apart therefore gets what a random order would, not the credit (or blame) of the
    frame's row order. A group whose gains are all zero has no ranking to get right: its NDCG is
    undefined and is NaN here (`ndcg_score` says 0), which ``Series.mean()`` skips.
    """
    require_columns(frame, (group, gain), "scored rows")
    check_int("k", k, low=1)
    s = np.asarray(scores, dtype=float).ravel()
    if len(s) != len(frame):
        raise ParameterError(f"{len(s)} scores for {len(frame)} rows")
    if not np.isfinite(s).all():
        raise ParameterError("scores must be finite numbers (no NaN or infinity)")
    gains = frame[gain].to_numpy(dtype=float)
    if np.isnan(gains).any() or (gains < 0).any():
        raise ParameterError(f"column {gain!r} must hold gains >= 0, without missing values")
    codes, ids = pd.factorize(frame[group])
    if (codes < 0).any():
        raise ParameterError(f"column {group!r} has missing group ids")
    order = np.argsort(codes, kind="stable")
    ends = np.cumsum(np.bincount(codes, minlength=len(ids)))[:-1]
    values = [_ndcg(gains[rows], s[rows], k) for rows in np.split(order, ends)] if len(ids) else []
    return pd.Series(values, index=pd.Index(ids, name=group), name="ndcg", dtype=float)


def _ndcg(gains: np.ndarray, scores: np.ndarray, k: int) -> float:
    """NDCG@k of one group, tied scores sharing their ranks; NaN if every gain is zero."""
    discount = 1.0 / np.log2(np.arange(len(gains)) + 2.0)
    discount[k:] = 0.0
    ideal = float(np.sort(gains)[::-1] @ discount)
    if ideal == 0.0:
        return float("nan")
    _, run, counts = np.unique(-scores, return_inverse=True, return_counts=True)
    mean_gain = np.bincount(run, weights=gains) / counts  # runs in order of falling score
    run_discount = np.diff(np.cumsum(discount)[np.cumsum(counts) - 1], prepend=0.0)
    return float(mean_gain @ run_discount) / ideal
