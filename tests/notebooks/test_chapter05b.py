"""Chapter 5b (seven recommenders, four slices): what the chapter asserts is only what held at
every shop seed tried (0, 1 and 2). Seed 0 is read from the committed notebook, whose outputs
nbval re-computes in the same run; seeds 1 and 2 are papermill runs with the default sizes,
marked `extra_seeds` and run by `make test-seeds` (CI executes each chapter once). The
same table on Amazon Gift Cards (reduced training sizes) is checked only for what held on both
Gift Cards and MovieLens.

Measured and left out: on cold items the fine-tuned bi-encoder led zero-shot and TF-IDF at every
seed, but its interval over zero-shot excluded 0 at seeds 0 and 2 only, and over TF-IDF at
seeds 0 and 1 only; zero-shot beat TF-IDF at seed 1 only; fusion tied ALS overall at every seed.

Expected run time on the 2-core reference CPU when it is not busy: about 3.5 minutes per shop
seed, 1.5 minutes on Gift Cards, a few seconds per invalid-parameter case.
"""

from __future__ import annotations

import pytest

from recsys_helpers.report import read_records

from .conftest import NOTEBOOKS

pytestmark = [pytest.mark.notebooks]

CHAPTER = "05b_recommenders_compared"
MODELS = ("popularity", "als", "tfidf", "zero_shot", "bi_encoder", "fusion", "cross_encoder")
SLICES = ("all", "warm_items", "cold_items", "cold_users")


def _check_table_and_training(figures):
    """What held on the shop at every seed and on both real data sets."""
    # Every contract name exists and lies inside its own interval.
    for slice_name in SLICES:
        for model in MODELS:
            name = f"ndcg_{slice_name}_{model}"
            assert figures[f"{name}_ci_low"] <= figures[name] <= figures[f"{name}_ci_high"], name
    # Models that learn: the bi-encoder's in-batch loss falls; the cross-encoder leaves ln 2
    # and beats the same architecture with an untrained head on validation pairs.
    assert figures["bi_encoder_train_loss_end"] < figures["bi_encoder_train_loss_start"] - 0.2
    assert figures["cross_encoder_train_loss_end"] < 0.6
    assert figures["cross_encoder_valid_auc"] > figures["cross_encoder_valid_auc_untrained"]
    # An ID model cannot rank an item without interactions.
    assert figures["ndcg_cold_items_als"] == 0.0
    # Fusion: ALS's warm ranking kept exactly, overall within a thousandth of ALS (the mapped
    # new items rarely reach a top 10: at seed 0 the difference rounds to -0.000), and on cold
    # items within the interval of the best model there.
    assert figures["diff_warm_items_fusion_als"] == 0.0
    assert figures["diff_all_fusion_als_ci_low"] > -0.001
    assert figures["fusion_within_best_cold_items"] == 1.0


def _check_what_held_at_every_shop_seed(figures):
    _check_table_and_training(figures)
    # Every text model ranks new items far above a model that cannot.
    for model in ("tfidf", "zero_shot", "bi_encoder", "fusion", "cross_encoder"):
        assert figures[f"ndcg_cold_items_{model}"] > 0.05, model
    # Where behaviour exists, IDs win: ALS beats the fine-tuned bi-encoder on warm items.
    assert figures["diff_warm_items_als_bi_encoder_ci_low"] > 0
    # Fine-tuning leads on new items (point estimates; see the module docstring for intervals).
    assert figures["diff_cold_items_bi_encoder_zero_shot"] > 0
    assert figures["diff_cold_items_bi_encoder_tfidf"] > 0
    # The validation period gave new users popularity, and so does the fusion model.
    assert figures["ndcg_cold_users_fusion"] == figures["ndcg_cold_users_popularity"]


def test_committed_run_seed_0():
    _check_what_held_at_every_shop_seed(read_records(NOTEBOOKS / f"{CHAPTER}.ipynb"))


@pytest.mark.extra_seeds  # about 7 minutes a seed on the 2-core Xeon: `make test-seeds`, not CI
@pytest.mark.parametrize("seed", [1, 2])
def test_other_shop_seeds(run_chapter, seed):
    _check_what_held_at_every_shop_seed(run_chapter(CHAPTER, seed=seed))


@pytest.mark.shared_data
def test_real_data(mirror, run_chapter):
    # Reduced training sizes keep CI short; the table is produced and only what held on both
    # Gift Cards and MovieLens (measured with these settings, 2026-12-02) is asserted. CI runs
    # Gift Cards only: MovieLens adds two minutes, and chapter 6.3 runs the bi-encoder and the
    # fusion on it at every CI run. Measured: on Gift Cards 1 item is cold, so every text
    # model ties on cold items; on MovieLens the text models score about 0.005 there, and
    # popularity leads overall.
    _check_table_and_training(run_chapter(CHAPTER, dataset="amazon2018-gift-cards",
                                          be_steps=40, ce_clicks=120, ce_valid_clicks=100,
                                          n_resamples=500))


@pytest.mark.parametrize(("parameters", "message"), [
    ({"dataset": "shopp"}, "parameter 'dataset' must be one of"),
    ({"eval_users": 5}, "parameter 'eval_users' must be >= 20"),
    ({"ce_head_lr": "fast"}, "parameter 'ce_head_lr' must be a number"),
])
def test_invalid_parameters_stop_with_a_clear_message(chapter_error, parameters, message):
    error = chapter_error(CHAPTER, **parameters)
    assert error.ename == "ParameterError"
    assert message in error.evalue
