"""Accuracy and macro-F1 of several classifiers on one test set, with bootstrap intervals.

A test set of a few hundred texts leaves a few points of doubt on every figure, and the doubt
is what decides whether a model is better. The test examples are resampled with replacement
and every model is scored on the *same* draws (paired, as in `bootstrap`), so the interval of
a difference between two models is read from the same resamples. Macro-F1, the mean over
classes of each class's F1, is not a mean over examples, which is why each resample recomputes
it rather than averaging per-example values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ..params import check_int
from .bootstrap import percentile_interval

SCORES = ("accuracy", "macro_f1")


def macro_f1(y_true: Any, y_pred: Any, classes: Sequence[Any] | None = None) -> float:
    """Mean F1 over `classes` (default: every class in y_true or y_pred); a class that is never
    predicted and never true is left out, one that is never predicted but true scores 0."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    labels = np.union1d(y_true, y_pred) if classes is None else np.asarray(classes)
    return float(_macro_f1_rows(y_true[None, :], y_pred[None, :], labels)[0])


def score_table(y_true: Any, predictions: Mapping[str, Any], n_resamples: int = 1000,
                confidence: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """One row per model: accuracy and macro-F1 with percentile intervals over resampled test
    sets (the same resamples for every model)."""
    y_true = np.asarray(y_true)
    check_int("n_resamples", n_resamples, low=1)
    if len(y_true) == 0 or not predictions:
        raise ParameterError("score_table needs test labels and at least one model")
    for name, y_pred in predictions.items():
        if np.shape(y_pred) != y_true.shape:
            raise ParameterError(f"model {name!r} has {len(y_pred)} predictions for "
                                 f"{len(y_true)} test examples")
    classes = np.unique(y_true)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(y_true), size=(n_resamples, len(y_true)))
    rows = []
    for name, y_pred in predictions.items():
        y_pred = np.asarray(y_pred)
        accuracy = (y_pred[draws] == y_true[draws]).mean(axis=1)
        f1 = _macro_f1_rows(y_true[draws], y_pred[draws], classes)
        (acc_low, f1_low), (acc_high, f1_high) = percentile_interval(
            np.column_stack([accuracy, f1]), confidence)
        rows.append({"model": name, "accuracy": float((y_pred == y_true).mean()),
                     "accuracy_low": acc_low, "accuracy_high": acc_high,
                     "macro_f1": macro_f1(y_true, y_pred, classes),
                     "macro_f1_low": f1_low, "macro_f1_high": f1_high})
    return pd.DataFrame(rows).set_index("model")


def _macro_f1_rows(y_true: np.ndarray, y_pred: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Macro-F1 of each row of (rows, n) label arrays, vectorised over rows:
    F1_c = 2 TP / (2 TP + FP + FN), averaged over the classes present in the row."""
    total = np.zeros(len(y_true))
    present = np.zeros(len(y_true))
    for c in classes:
        is_true, is_pred = y_true == c, y_pred == c
        tp = (is_true & is_pred).sum(axis=1)
        denominator = is_true.sum(axis=1) + is_pred.sum(axis=1)  # = 2 TP + FP + FN
        seen = denominator > 0
        total += np.where(seen, 2 * tp / np.maximum(denominator, 1), 0.0)
        present += seen
    return total / np.maximum(present, 1)


def most_confused_pairs(y_true: Any, y_pred: Any, top: int = 10) -> pd.DataFrame:
    """The (true, predicted) label pairs most often confused, both directions added up:
    columns label_a, label_b, a_as_b, b_as_a, total."""
    check_int("top", top, low=1)
    frame = pd.DataFrame({"true": np.asarray(y_true), "pred": np.asarray(y_pred)})
    wrong = frame[frame["true"] != frame["pred"]]
    counts = wrong.value_counts().to_dict()
    pairs = {}
    for (true, pred), n in counts.items():
        a, b = sorted((true, pred), key=str)
        entry = pairs.setdefault((a, b), [0, 0])
        entry[0 if true == a else 1] += n
    rows = [{"label_a": a, "label_b": b, "a_as_b": ab, "b_as_a": ba, "total": ab + ba}
            for (a, b), (ab, ba) in pairs.items()]
    columns = ["label_a", "label_b", "a_as_b", "b_as_a", "total"]
    table = pd.DataFrame(rows, columns=columns)
    return table.sort_values(["total", "label_a", "label_b"], ascending=[False, True, True]) \
        .head(top).reset_index(drop=True)
