"""CUSUM monitoring of a daily share: streams, the statistic, calibration and the scores."""

from __future__ import annotations

import numpy as np
import pytest

from recsys_helpers.errors import ParameterError
from recsys_helpers.evaluation.monitoring import (
    Episode,
    alarms,
    calibrate,
    cusum,
    daily_share,
    detection_delay,
    false_alarms_per_100_days,
    simulate_stream,
)

pytestmark = pytest.mark.unit

POOL = np.array([True] * 20 + [False] * 80)  # a pool with 20% negative texts


def test_stream_has_the_pools_share_and_the_episodes_share():
    episode = Episode(start=100, length=50, share=0.6)
    stream = simulate_stream(POOL, n_days=200, per_day=50, seed=1, episode=episode)
    assert len(stream) == 200 * 50
    share = daily_share(stream, POOL)
    assert share[:100].mean() == pytest.approx(0.2, abs=0.02)
    assert share[100:150].mean() == pytest.approx(0.6, abs=0.03)
    assert share[150:].mean() == pytest.approx(0.2, abs=0.03)


def test_stream_is_seeded_and_base_share_can_be_set():
    a = simulate_stream(POOL, 30, 10, seed=3)
    assert a.equals(simulate_stream(POOL, 30, 10, seed=3))
    assert not a.equals(simulate_stream(POOL, 30, 10, seed=4))
    share = daily_share(simulate_stream(POOL, 300, 40, seed=0, base_share=0.5), POOL)
    assert share.mean() == pytest.approx(0.5, abs=0.02)


def test_cusum_matches_its_recursion_by_hand():
    series = np.array([0.0, 2.0, 2.0, -3.0, 1.0])
    # z = series (mean 0, std 1); S = max(0, S + z - 0.5)
    assert cusum(series, 0.0, 1.0, 0.5).tolist() == [0.0, 1.5, 3.0, 0.0, 0.5]
    # with threshold 2.5 the alarm is on day 2, then S restarts at 0
    assert alarms(series, 0.0, 1.0, 2.5, 0.5).tolist() == [2]
    assert alarms(series, 0.0, 1.0, 1.0, 0.5).tolist() == [1, 2]
    # with the threshold, S restarts after each alarm: 1.5 (alarm), then 0 + 2 - 0.5
    assert cusum(series, 0.0, 1.0, 0.5, threshold=1.0).tolist() == [0.0, 1.5, 1.5, 0.0, 0.5]


def test_calibrated_threshold_meets_the_target_on_its_own_stream_and_is_the_smallest():
    rng = np.random.default_rng(0)
    normal = rng.normal(0.2, 0.05, size=2000)
    monitor = calibrate(normal, false_alarms_per_100_days=0.5)
    assert monitor.mean == pytest.approx(0.2, abs=0.005)
    assert len(monitor.alarms(normal)) <= 10  # 0.5 per 100 days of 2000
    looser = alarms(normal, monitor.mean, monitor.std, monitor.threshold * 0.98, monitor.slack)
    assert len(looser) > 10
    strict = calibrate(normal, false_alarms_per_100_days=0.0)
    assert len(strict.alarms(normal)) == 0 and strict.threshold > monitor.threshold


def test_a_lasting_rise_is_found_within_days_and_a_weaker_signal_later():
    episode = Episode(start=150, length=30, share=0.35)
    normal = daily_share(simulate_stream(POOL, 1000, 40, seed=1), POOL)
    monitor = calibrate(normal, 1.0)
    stream = daily_share(simulate_stream(POOL, 200, 40, seed=2, episode=episode), POOL)
    delay = detection_delay(monitor.alarms(stream), episode)
    assert delay < 5
    # a classifier that sees only half of the negatives: the rise it sees is smaller
    rng = np.random.default_rng(0)
    blurred = POOL & (rng.random(len(POOL)) < 0.5)
    blurred_normal = daily_share(simulate_stream(POOL, 1000, 40, seed=1), blurred)
    weak = calibrate(blurred_normal, 1.0)
    stream_items = simulate_stream(POOL, 200, 40, seed=2, episode=episode)
    assert detection_delay(weak.alarms(daily_share(stream_items, blurred)), episode) >= delay


def test_scores_of_alarms():
    episode = Episode(start=10, length=5, share=0.5)
    assert detection_delay([3, 12, 13], episode) == 2.0
    assert detection_delay([3, 20], episode) == 5.0  # missed: censored at the episode's length
    assert false_alarms_per_100_days([1, 2, 3], 200) == 1.5


def test_bad_inputs_are_refused():
    with pytest.raises(ParameterError, match="negative and non-negative"):
        simulate_stream(np.ones(5, dtype=bool), 10, 5)
    with pytest.raises(ParameterError, match="ends on day"):
        simulate_stream(POOL, 10, 5, episode=Episode(8, 5, 0.5))
    with pytest.raises(ParameterError, match="at least 20"):
        calibrate(np.zeros(5))
    with pytest.raises(ParameterError, match="standard deviation"):
        calibrate(np.zeros(50))
    with pytest.raises(ParameterError, match="episode share"):
        Episode(0, 5, 1.5)
    with pytest.raises(ParameterError, match="flagged has"):
        daily_share(simulate_stream(POOL, 5, 5), np.ones(3, dtype=bool))
