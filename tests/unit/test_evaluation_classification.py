"""Accuracy and macro-F1 with paired bootstrap intervals, and the most confused label pairs."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import f1_score

from recsys_helpers.errors import ParameterError
from recsys_helpers.evaluation.classification import macro_f1, most_confused_pairs, score_table

pytestmark = pytest.mark.unit


def test_macro_f1_matches_scikit_learn():
    rng = np.random.default_rng(0)
    for _ in range(20):
        y_true = rng.integers(0, 4, size=50)
        y_pred = np.where(rng.random(50) < 0.6, y_true, rng.integers(0, 5, size=50))
        expected = f1_score(y_true, y_pred, average="macro", zero_division=0)
        assert macro_f1(y_true, y_pred) == pytest.approx(expected)


def test_macro_f1_over_given_classes_counts_a_missed_class_as_zero():
    # class 2 is true once and never predicted: F1 0; class 3 never occurs: left out
    assert macro_f1([0, 1, 2], [0, 1, 1], classes=[0, 1, 2, 3]) == pytest.approx(
        (1.0 + 2 / 3 + 0.0) / 3)


def test_score_table_intervals_hold_the_point_estimates():
    rng = np.random.default_rng(1)
    y_true = rng.integers(0, 3, size=300)
    good = np.where(rng.random(300) < 0.9, y_true, (y_true + 1) % 3)
    bad = np.where(rng.random(300) < 0.5, y_true, (y_true + 1) % 3)
    table = score_table(y_true, {"good": good, "bad": bad}, n_resamples=300, seed=0)
    assert list(table.index) == ["good", "bad"]
    for _, row in table.iterrows():
        assert row.accuracy_low <= row.accuracy <= row.accuracy_high
        assert row.macro_f1_low <= row.macro_f1 <= row.macro_f1_high
    assert table.loc["good", "accuracy_low"] > table.loc["bad", "accuracy_high"]
    assert table.loc["good", "accuracy"] == pytest.approx((good == y_true).mean())
    again = score_table(y_true, {"good": good, "bad": bad}, n_resamples=300, seed=0)
    assert again.equals(table)
    with pytest.raises(ParameterError, match="predictions for"):
        score_table(y_true, {"short": good[:10]})


def test_most_confused_pairs_adds_both_directions():
    y_true = ["a", "a", "b", "b", "b", "c", "c"]
    y_pred = ["b", "a", "a", "a", "b", "a", "c"]
    table = most_confused_pairs(y_true, y_pred, top=5)
    assert table.iloc[0].to_dict() == {"label_a": "a", "label_b": "b", "a_as_b": 1,
                                       "b_as_a": 2, "total": 3}
    assert table.iloc[1][["label_a", "label_b", "total"]].tolist() == ["a", "c", 1]
    assert len(table) == 2
