"""Chapter 3 (algorithm and the five steps): its teaching points hold on the committed run (seed 0,
recomputed by nbval) and for other seeds (`make test-seeds`).

Expected run time: about 3.5 minutes for a papermill run on an idle 2-core CPU (the main
fine-tuning run, a top-2 run, three smaller runs of the learning curve, and converged linear
probes of the pretrained and of a random-weights encoder); the invalid-parameter cases stop in
the parameter cell within seconds.

`_check_teaching_points` asserts only claims that held at seeds 0, 1 and 2 (papermill runs of
2026-12-04, four epochs); the committed run adds what the chapter's prose says of seed 0. At
seed 1 the fine-tuned model trails the zero-shot cosine (-0.080, interval [-0.133, -0.030]); at
seeds 0 and 2 it is level with it. So the order of the fine-tuned model and the zero-shot or
TF-IDF cosine is not asserted across seeds. (With three epochs, seed 1's loss ended at 0.625.)
"""

from __future__ import annotations

import math

import pytest

from recsys_helpers.report import read_records

from .conftest import NOTEBOOKS

pytestmark = [pytest.mark.notebooks]
CHAPTER = "03_algorithm"


def _check_teaching_points(f):
    # Step 1: the shop's English text has no unknown tokens, a Chinese title mostly does;
    # per-batch padding computes far fewer positions than padding to 128 (the article's code).
    assert f["unk_share_shop_texts"] == 0.0
    assert f["unk_share_chinese_title"] > 0.5
    assert f["padding_share_per_batch"] < 0.5 * f["padding_share_fixed_128"]
    # Step 2: the textbook head adds 2 x 384 + 2 weights, the mean-pooled head 384 + 1;
    # untrained, the model ranks at chance.
    assert f["new_parameters_stock"] == 2 * 384 + 2
    assert f["new_parameters"] == 384 + 1
    assert 0.4 < f["valid_auc_before"] < 0.6
    # Step 4: the model trains. The zero head starts at ln 2; the loss ends at 0.6 or below
    # (0.409, 0.423, 0.342 at seeds 0, 1, 2) and the best validation AUC beats the untrained
    # head (0.664 vs 0.514, 0.643 vs 0.518, 0.679 vs 0.506).
    assert f["train_loss_start"] == pytest.approx(math.log(2), abs=0.02)
    assert f["train_loss_end"] <= 0.6
    assert f["valid_auc_best"] > f["valid_auc_before"] + 0.05
    # Step 5: fine-tuning beats the untrained head on the test pairs, clear of noise (interval
    # lows 0.096, 0.027, 0.134); the reloaded model gives identical probabilities.
    assert f["test_auc_finetuned"] > f["test_auc_before"]
    assert f["test_auc_diff_finetuned_before_ci_low"] > 0
    assert f["reload_identical"] is True
    # The ceiling: position bias keeps even the true relevance well below 1.
    assert 0.6 < f["test_auc_true_relevance"] < 0.8
    # A match between two texts is beyond a word-count model of the pair.
    assert f["test_auc_shown_tfidf_lr"] < f["test_auc_shown_zero_shot"]
    # Freezing: head < top-2 < all in trainable parameters; every strategy trains (the head as
    # a converged probe, which memorises the pairs).
    assert f["trainable_head"] < f["trainable_top_2"] < f["trainable_all"] == f["parameters_total"]
    assert f["valid_auc_all"] == f["valid_auc_best"]  # the main run
    assert f["probe_train_loss"] < 0.65  # converged; C is chosen on validation (0.1 at seed 2)
    assert f["train_loss_end_top_2"] < 0.65
    # Pretraining pays where both encoders can be trained to convergence: a probe of the
    # pretrained states generalises, one of random-weight states does not.
    assert f["probe_train_loss_random_init"] < 0.6
    assert f["probe_valid_auc"] > f["probe_valid_auc_random_init"]
    assert f["probe_test_auc"] > f["probe_test_auc_random_init"]
    # The learning curve: its largest run is the main run, and more pairs help.
    assert f["curve_test_auc_400"] == f["test_auc_finetuned"]
    assert f["curve_test_auc_400"] > f["curve_test_auc_100"]


def test_committed_run():
    f = read_records(NOTEBOOKS / f"{CHAPTER}.ipynb")
    _check_teaching_points(f)
    # What the prose says of seed 0: the fine-tuned model is level with the zero-shot cosine
    # (its interval straddles 0).
    assert f["test_auc_diff_finetuned_zero_shot_ci_low"] < 0 < f[
        "test_auc_diff_finetuned_zero_shot_ci_high"]


@pytest.mark.extra_seeds  # about 3 minutes each on the 2-core Xeon: `make test-seeds`, not CI
@pytest.mark.parametrize("seed", [1, 2])
def test_fine_tuning_teaching_points_hold_for_other_seeds(run_chapter, seed):
    _check_teaching_points(run_chapter(CHAPTER, seed=seed))


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"freeze_strategies": ["head", "top-9"]}, "k must be between 1 and 6"),
        ({"freeze_strategies": ["bottom-2"]}, "each strategy must be"),
        ({"lr": 0.0}, "parameter 'lr' must be > 0"),
        ({"head_lr": -1.0}, "parameter 'head_lr' must be >= 0.0"),
        ({"precision": "fp8"}, "parameter 'precision' must be one of"),
        ({"n_clicks": 10}, "parameter 'n_clicks' must be >= 50"),
        ({"pooling": "max"}, "parameter 'pooling' must be one of"),
        ({"curve_sizes": [50, 1000]}, "exceeds the 400 training pairs"),
        ({"device": "gpu"}, "parameter 'device' must be one of"),
        ({"model_name": "no-such-model"}, "no-such-model"),
    ],
)
def test_invalid_parameters_stop_with_a_clear_message(chapter_error, parameters, message):
    error = chapter_error(CHAPTER, **parameters)
    assert error.ename in ("ParameterError", "ModelNotAvailableError", "UnknownNameError")
    assert message in error.evalue
