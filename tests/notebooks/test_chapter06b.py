"""Chapter 6.2 (financial sentiment monitoring): on the committed run (seed 0, recomputed by
nbval) and on another split seed (seed 3, `make test-seeds`), the classifiers beat the majority
guess, fine-tuning learns (its loss starts below ln 3, from the probe, and falls), and the
monitors find the injected episode within its length while raising few false alarms.

Run time measured on the 2-core reference CPU while other jobs shared it (load 5-10): a few
minutes for the papermill run, about 13 s per invalid-parameter case; less when it is idle.
"""

from __future__ import annotations

import math

import pytest

from recsys_helpers.report import read_records

from .conftest import NOTEBOOKS

pytestmark = [pytest.mark.notebooks, pytest.mark.shared_data]

CHAPTER = "06b_financial_sentiment"
MODELS = ("majority", "tfidf", "frozen", "finetuned")
MONITORS = ("true_labels", "finetuned", "frozen", "tfidf")


def _check(figures):
    for name in MODELS:
        assert 0.0 <= figures[f"sentiment_macro_f1_{name}"] <= 1.0
    # The majority guess is the share of neutral sentences (2,879 of 4,846).
    assert figures["sentiment_accuracy_majority"] == pytest.approx(0.594, abs=0.01)
    for name in ("tfidf", "frozen", "finetuned"):
        assert figures[f"sentiment_accuracy_{name}"] > 0.68
        assert figures[f"sentiment_macro_f1_{name}"] > figures["sentiment_macro_f1_majority"] + 0.3
    # Started from the probe, fine-tuning keeps at least the probe's level and its loss falls.
    assert figures["sentiment_accuracy_finetuned"] >= figures["sentiment_accuracy_frozen"] - 0.02
    assert figures["sentiment_finetune_loss_start"] < math.log(3)
    # One pass of 120 steps (the default): 0.574 -> 0.338 at seed 0 and 0.493 -> 0.441 at seed 3
    # (AMD reference machine, 2026-12-07). Each end is the mean of 10 batch losses, so only a
    # clear fall is asserted; the accuracy gain over the frozen probe says what it bought.
    assert figures["sentiment_finetune_loss_end"] < figures["sentiment_finetune_loss_start"] - 0.03
    # A perfect classifier finds the episode fastest; every monitor finds it within its length
    # on average, and the thresholds hold the false alarms near the calibrated target (1/100).
    for name in MONITORS:
        delay = figures[f"monitor_detection_delay_{name}"]
        assert figures["monitor_detection_delay_true_labels"] <= delay + 0.5
        assert delay < 20
        assert figures[f"monitor_false_alarms_per_100_days_{name}"] < 3.0


def test_committed_run():
    _check(read_records(NOTEBOOKS / f"{CHAPTER}.ipynb"))


@pytest.mark.extra_seeds  # about 1.5 minutes on the AMD machine: `make test-seeds`, not CI
def test_other_seed(mirror, run_chapter):
    # The default fine-tuning budget; fewer bootstrap resamples and monitoring streams.
    _check(run_chapter(CHAPTER, seed=3, n_bootstrap=200, n_streams=15, calibration_days=1000))


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"dataset": "imdb"}, "parameter 'dataset' must be one of"),
        ({"episode_start": 190}, "must end within n_days=200"),
        ({"episode_share": 0.05}, "must exceed the normal share"),
        ({"precision": "fp16"}, "parameter 'precision' must be one of"),
        ({"steps": 2}, "parameter 'steps' must be >= 10"),
    ],
)
def test_invalid_parameters_stop_with_a_clear_message(mirror, chapter_error, parameters,
                                                      message):
    error = chapter_error(CHAPTER, **parameters)
    assert error.ename == "ParameterError"
    assert message in error.evalue
