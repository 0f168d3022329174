"""Watching a daily share (of negative news, say) and raising an alarm when it rises: CUSUM.

A monitor reads each day's share of texts a classifier calls negative. The share is noisy (a
day has a few dozen texts, and the classifier errs), so a rule such as "alarm when today is
above x" either fires on noise or waits for a large jump. The one-sided CUSUM (Page, 1954)
accumulates evidence instead:

    z_t = (x_t - mean) / std,      S_t = max(0, S_{t-1} + z_t - k),      alarm when S_t > h,

where mean and std are the share's level and spread on normal days, k (in standard deviations)
is the slack that normal days' drift is absorbed by, and h the threshold. After an alarm S
restarts at 0. A small, lasting rise adds up within days while isolated noisy days do not.

To judge a monitor honestly, its level, spread and threshold are fixed on a stream *without*
an episode (`calibrate`), and it is then scored on fresh streams: `detection_delay` on streams
with an injected episode, `false_alarms_per_100_days` on streams without one. The streams are
built by resampling a labelled pool (`simulate_stream`): every day draws `per_day` texts, each
negative with the day's probability, so the truth of every day is known.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ..params import check_float, check_int


@dataclass(frozen=True)
class Episode:
    """Days [start, start + length) on which the share of negative texts is `share`."""

    start: int
    length: int
    share: float

    def __post_init__(self) -> None:
        check_int("episode start", self.start, low=0)
        check_int("episode length", self.length, low=1)
        check_float("episode share", self.share, low=0.0, high=1.0)

    @property
    def end(self) -> int:
        return self.start + self.length


def simulate_stream(is_negative: Any, n_days: int, per_day: int, seed: int = 0,
                    episode: Episode | None = None,
                    base_share: float | None = None) -> pd.DataFrame:
    """A dated stream drawn with replacement from a labelled pool.

    Each day draws `per_day` texts; each is negative with probability `base_share` (the pool's
    own share when None), or `episode.share` on the episode's days, and is then a uniformly
    drawn negative or non-negative text of the pool. Returns columns ``day`` and ``item`` (the
    row of the pool).
    """
    negative = np.asarray(is_negative, dtype=bool)
    check_int("n_days", n_days, low=1)
    check_int("per_day", per_day, low=1)
    check_int("seed", seed, low=0)
    negatives, others = np.flatnonzero(negative), np.flatnonzero(~negative)
    if len(negatives) == 0 or len(others) == 0:
        raise ParameterError("the pool needs negative and non-negative texts to draw from")
    base = negative.mean() if base_share is None else check_float(
        "base_share", base_share, low=0.0, high=1.0)
    if episode is not None and episode.end > n_days:
        raise ParameterError(f"the episode ends on day {episode.end}, after the stream's "
                             f"{n_days} days")
    share = np.full(n_days, base)
    if episode is not None:
        share[episode.start:episode.end] = episode.share
    rng = np.random.default_rng(seed)
    drawn_negative = rng.random((n_days, per_day)) < share[:, None]
    items = np.where(drawn_negative, rng.choice(negatives, size=(n_days, per_day)),
                     rng.choice(others, size=(n_days, per_day)))
    return pd.DataFrame({"day": np.repeat(np.arange(n_days), per_day), "item": items.ravel()})


def daily_share(stream: pd.DataFrame, flagged: Any) -> np.ndarray:
    """Share of each day's texts that are flagged (e.g. predicted negative); `flagged` is one
    bool per pool row."""
    flags = np.asarray(flagged, dtype=float)
    if stream["item"].max() >= len(flags):
        raise ParameterError(f"the stream draws pool rows up to {stream['item'].max()}, but "
                             f"flagged has {len(flags)} entries")
    return stream.assign(flag=flags[stream["item"].to_numpy()]).groupby("day")["flag"] \
        .mean().to_numpy()


def cusum(series: Any, mean: float, std: float, slack: float = 0.5,
          threshold: float | None = None) -> np.ndarray:
    """The upper CUSUM statistic S_t of a series; with a `threshold`, S restarts at 0 on the
    day after each day it exceeds it (as the monitor does after an alarm)."""
    z = (np.asarray(series, dtype=float) - mean) / _positive(std)
    statistic = np.empty(len(z))
    level = 0.0
    for t, value in enumerate(z):
        level = max(0.0, level + value - slack)
        statistic[t] = level
        if threshold is not None and level > threshold:
            level = 0.0
    return statistic


def alarms(series: Any, mean: float, std: float, threshold: float,
           slack: float = 0.5) -> np.ndarray:
    """Days on which the CUSUM exceeds `threshold`; the statistic restarts at 0 after each."""
    statistic = cusum(series, mean, std, slack, threshold)
    return np.flatnonzero(statistic > threshold).astype(np.int64)


@dataclass(frozen=True)
class Monitor:
    """A calibrated CUSUM: level and spread of normal days, slack and threshold."""

    mean: float
    std: float
    threshold: float
    slack: float = 0.5

    def alarms(self, series: Any) -> np.ndarray:
        return alarms(series, self.mean, self.std, self.threshold, self.slack)

    def statistic(self, series: Any) -> np.ndarray:
        """S_t as the monitor computes it (restarting after each alarm)."""
        return cusum(series, self.mean, self.std, self.slack, self.threshold)


def calibrate(normal_series: Any, false_alarms_per_100_days: float = 1.0,
              slack: float = 0.5) -> Monitor:
    """Fit a monitor on a series without an episode: its mean and standard deviation, and the
    smallest threshold at which that series raises at most the target rate of alarms."""
    series = np.asarray(normal_series, dtype=float)
    check_float("false_alarms_per_100_days", false_alarms_per_100_days, low=0.0)
    check_float("slack", slack, low=0.0)
    if len(series) < 20:
        raise ParameterError(f"calibrate on at least 20 normal days, got {len(series)}")
    mean, std = float(series.mean()), float(series.std())
    allowed = int(np.floor(false_alarms_per_100_days * len(series) / 100))
    # The number of alarms falls as the threshold rises; search the smallest passing one.
    low, high = 0.0, max(1.0, float(cusum(series, mean, std, slack).max()) + 1e-9)
    for _ in range(60):
        middle = (low + high) / 2
        if len(alarms(series, mean, std, middle, slack)) <= allowed:
            high = middle
        else:
            low = middle
    return Monitor(mean, std, high, slack)


def detection_delay(alarm_days: Any, episode: Episode) -> float:
    """Days from the episode's start to the first alarm on or after it and before it ends;
    an episode without an alarm counts as its full length (a censored delay)."""
    days = np.asarray(alarm_days)
    hits = days[(days >= episode.start) & (days < episode.end)]
    return float(hits[0] - episode.start) if len(hits) else float(episode.length)


def false_alarms_per_100_days(alarm_days: Any, n_days: int) -> float:
    """Alarms on a stream without an episode, per 100 days."""
    check_int("n_days", n_days, low=1)
    return 100.0 * len(np.asarray(alarm_days)) / n_days


def _positive(std: float) -> float:
    if not std > 0:
        raise ParameterError(f"the standard deviation of normal days must be > 0, got {std}")
    return float(std)
