"""Chapter 1 (background): its measurements hold on the lab shop at another seed, on the
committed run, and on two real data sets.

Expected run time: about 40 s for the lab-shop run on a 2-core CPU (MiniLM encodes the
catalogue and the test users), about 15 s for each real-data run (`text_model="none"`), seconds
for each invalid-parameter case.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = [pytest.mark.notebooks]

COMMITTED = Path(__file__).resolve().parents[2] / "notebooks" / "01_background.ipynb"


def assert_lab_shop_claims(figures: dict) -> None:
    """What held at seeds 0 and 1 of the lab shop."""
    # sparsity and the long tail
    assert figures["density"] < 0.1  # nine cells in ten are empty
    assert figures["head_share_top20"] > 0.3  # an even spread would give 0.2
    # cold users: the same users score higher the more of their history the model knows
    assert figures["ndcg_unknown_users"] < figures["ndcg_cold_users"] < figures["ndcg_warm_users"]
    # cold items: an ID model cannot rank them at all, so it falls below a random order ...
    assert figures["ndcg_cold_items_als"] == 0.0
    assert figures["diff_cold_items_als_random_ci_high"] < 0
    # ... where the zero-shot text encoder beats a random order (TF-IDF did not at every seed)
    assert figures["diff_cold_items_zero_shot_random_ci_low"] > 0
    # on warm items ALS beats popularity and the zero-shot encoder, intervals excluding 0
    assert figures["diff_warm_items_als_popularity_ci_low"] > 0
    assert figures["diff_warm_items_als_zero_shot_ci_low"] > 0
    # interest drift: the hidden taste of drifting users moves, the others' does not
    assert figures["true_top10_kept_others"] == 1.0
    assert figures["true_top10_kept_drifters"] < 0.8
    assert figures["ndcg_fresh_minus_stale"] > 0


@pytest.mark.extra_seeds  # `make test-seeds`, not CI: the committed run is seed 0
def test_lab_shop_at_another_seed(run_chapter):
    assert_lab_shop_claims(run_chapter("01_background", seed=1))


def test_committed_run():
    from recsys_helpers.report import read_records

    assert_lab_shop_claims(read_records(COMMITTED))


@pytest.mark.shared_data
def test_movielens_cold_users_score_below_warm_users(mirror, run_chapter):
    figures = run_chapter("01_background", dataset="ml-latest-small", text_model="none")
    assert figures["ndcg_cold_users"] < figures["ndcg_warm_users"]
    assert figures["density"] == pytest.approx(0.017, abs=0.001)  # 100,836 / (610 * 9,742)
    assert figures["share_cold_items"] > 0.5  # most movies have under five ratings
    assert figures["ndcg_cold_items_als"] == 0.0


@pytest.mark.shared_data
def test_gift_cards_cold_users_score_below_warm_users(mirror, run_chapter):
    # A 5-core set: every user has at least five reviews, so hold out one and look at four.
    figures = run_chapter("01_background", dataset="amazon2018-gift-cards", text_model="none",
                          test_per_user=1, min_history=4, history_sizes=[0, 1, 2, 4])
    assert figures["ndcg_cold_users"] < figures["ndcg_warm_users"]
    assert figures["share_cold_users"] == 0.0  # 5-core: nobody has fewer than five


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"dataset": "movielens"}, "parameter 'dataset' must be one of"),
        ({"k": 0}, "parameter 'k' must be >= 1"),
        ({"seed": "zero"}, "parameter 'seed' must be an integer"),
        ({"history_sizes": [5, 1]}, "must be strictly increasing"),
        ({"text_model": ""}, "parameter 'text_model' must be one of"),
        ({"text_signal": 1.5}, "parameter 'text_signal' must be <= 1"),
    ],
)
def test_invalid_parameters_stop_with_a_clear_message(chapter_error, parameters, message):
    error = chapter_error("01_background", **parameters)
    assert error.ename == "ParameterError"
    assert message in error.evalue
