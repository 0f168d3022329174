"""Bootstrap intervals over users (and over examples for an AUC): coverage, pairing, and the
bad-input errors."""

from __future__ import annotations

import numpy as np
import pytest

from recsys_helpers.errors import ParameterError
from recsys_helpers.evaluation import (
    bootstrap_mean,
    paired_auc_difference,
    paired_difference,
    percentile_interval,
    resampled_means,
    unpaired_difference,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("confidence", "low", "high"), [(0.95, 0.90, 0.98), (0.5, 0.40, 0.60)])
def test_interval_covers_the_true_mean_as_often_as_its_confidence(confidence, low, high):
    # per-user scores drawn from Beta(2, 5), whose mean is 2 / 7
    rng = np.random.default_rng(0)
    covered = []
    for simulation in range(300):
        values = rng.beta(2, 5, size=100)
        interval = bootstrap_mean(values, n_resamples=500, confidence=confidence,
                                  seed=simulation)
        covered.append(interval.ci_low <= 2 / 7 <= interval.ci_high)
    assert low <= np.mean(covered) <= high


def test_resampled_means_spread_like_the_standard_error():
    values = np.random.default_rng(1).exponential(size=400)
    means = resampled_means(values, n_resamples=4000, seed=0)
    assert means.shape == (4000, 1)
    assert means.mean() == pytest.approx(values.mean(), rel=0.01)
    standard_error = values.std() / np.sqrt(len(values))
    assert means.std() == pytest.approx(standard_error, rel=0.1)
    # seeded: the same seed gives the same draws, another seed other draws
    np.testing.assert_array_equal(means, resampled_means(values, 4000, seed=0))
    assert not np.array_equal(means, resampled_means(values, 4000, seed=1))


def test_every_column_is_averaged_over_the_same_draws():
    values = np.random.default_rng(2).random((50, 3))
    joint = resampled_means(values, n_resamples=200, seed=5)
    for j in range(3):
        np.testing.assert_allclose(joint[:, j], resampled_means(values[:, j], 200, seed=5)[:, 0])
    # hence column differences are exactly the resampled means of the per-user differences
    np.testing.assert_allclose(joint[:, 0] - joint[:, 1],
                               resampled_means(values[:, 0] - values[:, 1], 200, seed=5)[:, 0])


def test_identical_models_differ_by_exactly_zero():
    values = np.random.default_rng(3).random(80)
    gap = paired_difference(values, values.copy(), seed=4)
    assert (gap.mean, gap.ci_low, gap.ci_high, gap.n_users) == (0.0, 0.0, 0.0, 80)


def test_paired_interval_is_narrower_when_models_are_correlated():
    # users differ a lot in how easy they are; model b is a little better on every user
    rng = np.random.default_rng(4)
    difficulty = rng.beta(1, 3, size=300)
    a = difficulty + rng.normal(0, 0.02, 300)
    b = difficulty + 0.02 + rng.normal(0, 0.02, 300)
    paired = paired_difference(b, a, seed=0)
    unpaired = unpaired_difference(b, a, seed=0)
    assert paired.mean == pytest.approx(unpaired.mean)
    assert paired.ci_high - paired.ci_low < 0.3 * (unpaired.ci_high - unpaired.ci_low)
    assert paired.ci_low > 0 > unpaired.ci_low  # only the paired comparison sees the gap


def test_percentile_interval_takes_the_central_share():
    resampled = np.arange(1001, dtype=float)[:, None]
    low, high = percentile_interval(resampled, confidence=0.9)
    assert (low[0], high[0]) == pytest.approx((50.0, 950.0))


@pytest.mark.parametrize("confidence", [0, 1, 1.5, -0.1, True, "0.95"])
def test_bad_confidence_raises(confidence):
    with pytest.raises(ParameterError, match="confidence"):
        bootstrap_mean([0.1, 0.2], confidence=confidence)


def test_bad_values_raise():
    with pytest.raises(ParameterError, match="n_resamples"):
        bootstrap_mean([0.1, 0.2], n_resamples=0)
    with pytest.raises(ParameterError, match="at least one user"):
        bootstrap_mean([])
    with pytest.raises(ParameterError, match="NaN"):
        bootstrap_mean([0.1, np.nan])
    with pytest.raises(ParameterError, match="one number per user"):
        bootstrap_mean(np.zeros((3, 2)))
    with pytest.raises(ParameterError, match="same users"):
        paired_difference([0.1, 0.2], [0.1, 0.2, 0.3])


def test_auc_difference_matches_sklearn_and_separates_a_better_model():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    good = y + rng.normal(0, 1.0, 400)
    weak = y + rng.normal(0, 3.0, 400)
    result = paired_auc_difference(y, good, weak, n_resamples=300)
    assert result.mean == pytest.approx(roc_auc_score(y, good) - roc_auc_score(y, weak))
    assert 0 < result.ci_low < result.mean < result.ci_high
    assert result.n_users == int(y.sum())
    same = paired_auc_difference(y, good, good, n_resamples=50)
    assert same.mean == same.ci_low == same.ci_high == 0.0
    noise = paired_auc_difference(y, rng.normal(size=400), rng.normal(size=400), n_resamples=300)
    assert noise.ci_low < 0 < noise.ci_high


def test_auc_difference_refuses_bad_input():
    with pytest.raises(ParameterError, match="both classes"):
        paired_auc_difference([1, 1, 1], [0.1, 0.2, 0.3], [0.3, 0.2, 0.1])
    with pytest.raises(ParameterError, match="one length"):
        paired_auc_difference([0, 1], [0.1, 0.2, 0.3], [0.3, 0.2])
