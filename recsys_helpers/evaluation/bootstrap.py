"""Bootstrap confidence intervals over users, paired across models.

Two models scored on the same users are compared by resampling users, not scores: each resample
draws n users with replacement and averages every model over the *same* draw. A user who is hard
for one model is usually hard for the other, so the difference of the two means varies much less
than either mean, and the paired interval of the difference is narrower than the one an unpaired
resampling would give. Intervals are percentile intervals of the resampled means.

All resamples are drawn at once as a (resamples, users) count matrix, in chunks that bound the
memory, so the cost is a few matrix products rather than a Python loop per resample.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ParameterError
from ..params import check_int

_MAX_COUNTS_PER_CHUNK = 4_000_000  # entries of the resample-count matrix held at once


@dataclass(frozen=True)
class Interval:
    """A mean over users with its bootstrap percentile interval; `n_users` is how many users it
    rests on (for an unpaired difference, the smaller of the two groups)."""

    mean: float
    ci_low: float
    ci_high: float
    n_users: int


def resampled_means(values: Any, n_resamples: int = 1000,
                    seed: int | np.random.Generator = 0) -> np.ndarray:
    """Means of each column of `values` (users, models) over `n_resamples` bootstrap draws of
    the users; every column is averaged over the same draws. Returns (n_resamples, models)."""
    matrix = _user_matrix(values, "values")
    check_int("n_resamples", n_resamples, low=1)
    n_users = matrix.shape[0]
    rng = np.random.default_rng(seed)
    chunk = max(1, _MAX_COUNTS_PER_CHUNK // n_users)
    means = np.empty((n_resamples, matrix.shape[1]))
    for start in range(0, n_resamples, chunk):
        size = min(chunk, n_resamples - start)
        picks = rng.integers(0, n_users, size=(size, n_users))
        flat = (picks + n_users * np.arange(size)[:, None]).ravel()
        counts = np.bincount(flat, minlength=size * n_users).reshape(size, n_users)
        means[start:start + size] = counts @ matrix / n_users
    return means


def bootstrap_mean(values: Any, n_resamples: int = 1000, confidence: float = 0.95,
                   seed: int = 0) -> Interval:
    """The mean of per-user `values` with its bootstrap percentile interval."""
    column = _user_vector(values, "values")
    low, high = percentile_interval(resampled_means(column, n_resamples, seed), confidence)
    return Interval(float(column.mean()), float(low[0]), float(high[0]), len(column))


def paired_difference(values_a: Any, values_b: Any, n_resamples: int = 1000,
                      confidence: float = 0.95, seed: int = 0) -> Interval:
    """Mean of a - b over the same users (row u of both is user u), resampling users jointly."""
    a, b = _paired(values_a, values_b)
    return bootstrap_mean(a - b, n_resamples, confidence, seed)


def unpaired_difference(values_a: Any, values_b: Any, n_resamples: int = 1000,
                        confidence: float = 0.95, seed: int = 0) -> Interval:
    """Mean of a minus mean of b, resampling the two independently: what ignoring the pairing
    gives, shown for contrast; for two models scored on the same users use `paired_difference`."""
    a, b = _user_vector(values_a, "values_a"), _user_vector(values_b, "values_b")
    seeds = np.random.SeedSequence(seed).spawn(2)
    means_a = resampled_means(a, n_resamples, np.random.default_rng(seeds[0]))
    means_b = resampled_means(b, n_resamples, np.random.default_rng(seeds[1]))
    low, high = percentile_interval(means_a - means_b, confidence)
    return Interval(float(a.mean() - b.mean()), float(low[0]), float(high[0]),
                    min(len(a), len(b)))


def paired_auc_difference(y_true: Any, scores_a: Any, scores_b: Any, n_resamples: int = 1000,
                          confidence: float = 0.95, seed: int = 0) -> Interval:
    """AUC of `scores_a` minus AUC of `scores_b` on the same labelled examples, with a
    bootstrap interval that resamples the examples jointly for both models, positives and
    negatives apart (so every resample keeps the class counts, and both AUCs exist).

    An AUC is not a mean over users, so this resamples examples; ``n_users`` of the result
    counts the positives, the scarcer class, on which the AUC's precision mostly rests.
    """
    from sklearn.metrics import roc_auc_score

    check_int("n_resamples", n_resamples, low=1)
    y = np.asarray(y_true)
    a, b = np.asarray(scores_a, dtype=float), np.asarray(scores_b, dtype=float)
    if not (y.ndim == a.ndim == b.ndim == 1 and len(y) == len(a) == len(b)):
        raise ParameterError(f"y_true, scores_a and scores_b must be 1-D and of one length, got "
                             f"shapes {y.shape}, {a.shape}, {b.shape}")
    if not np.isin(y, (0, 1)).all() or len(np.unique(y)) < 2:
        raise ParameterError("y_true must hold 0/1 labels of both classes")
    positives, negatives = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    rng = np.random.default_rng(seed)
    differences = np.empty(n_resamples)
    for i in range(n_resamples):
        rows = np.concatenate([rng.choice(positives, len(positives)),
                               rng.choice(negatives, len(negatives))])
        differences[i] = roc_auc_score(y[rows], a[rows]) - roc_auc_score(y[rows], b[rows])
    low, high = percentile_interval(differences, confidence)
    return Interval(float(roc_auc_score(y, a) - roc_auc_score(y, b)), float(low[0]),
                    float(high[0]), len(positives))


def percentile_interval(resampled: np.ndarray, confidence: float = 0.95
                        ) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds of the central `confidence` share of each column of resampled
    means (the percentile interval, which needs no normality assumption)."""
    if isinstance(confidence, bool) or not isinstance(confidence, int | float) \
            or not 0.0 < confidence < 1.0:
        raise ParameterError(f"confidence must be a number strictly between 0 and 1 (0.95 for a "
                             f"95% interval), got {confidence!r}")
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(np.asarray(resampled, dtype=float), [tail, 1.0 - tail], axis=0)
    return np.atleast_1d(low), np.atleast_1d(high)


def _user_matrix(values: Any, name: str) -> np.ndarray:
    matrix = np.asarray(values, dtype=float)
    if matrix.ndim == 1:
        matrix = matrix[:, None]
    if matrix.ndim != 2 or matrix.shape[0] == 0 or matrix.shape[1] == 0:
        raise ParameterError(f"{name} must hold one value per user (and model), with at least "
                             f"one user; got shape {matrix.shape}")
    if not np.isfinite(matrix).all():
        raise ParameterError(f"{name} contains NaN or infinite values")
    return matrix


def _user_vector(values: Any, name: str) -> np.ndarray:
    matrix = _user_matrix(values, name)
    if matrix.shape[1] != 1:
        raise ParameterError(f"{name} must be one number per user, got shape {matrix.shape}")
    return matrix[:, 0]


def _paired(values_a: Any, values_b: Any) -> tuple[np.ndarray, np.ndarray]:
    a, b = _user_vector(values_a, "values_a"), _user_vector(values_b, "values_b")
    if len(a) != len(b):
        raise ParameterError(f"a paired comparison needs the same users for both models, got "
                             f"{len(a)} and {len(b)} values")
    return a, b
