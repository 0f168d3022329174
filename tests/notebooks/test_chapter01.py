"""Chapter 1 (background): its claims hold on the synthetic shop and on two real data sets.

Expected run time: about 10 s per papermill run on a 2-core CPU.
"""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.notebooks]


def test_synthetic_shop_shows_all_three_limits(run_chapter):
    # A seed other than the committed one: the claims must not hang on one draw.
    figures = run_chapter("01_background", seed=3)
    assert figures["density"] < 0.05  # sparsity: almost every cell is empty
    assert figures["head_share_top20"] > 0.5  # a fifth of the items take most clicks
    assert figures["ndcg_cold_users"] < figures["ndcg_warm_users"]
    assert figures["ndcg_unknown_users"] < figures["ndcg_cold_users"]
    assert figures["ndcg_als_cold_items"] == 0.0  # an ID model cannot rank new items
    assert figures["ndcg_als_warm_items"] > 0.05
    # Interest drift: the model trained on old behaviour is clearly worse.
    assert figures["ndcg_stale_model"] < 0.9 * figures["ndcg_fresh_model"]
    assert figures["true_taste_shift"] > 0.2


@pytest.mark.shared_data
def test_movielens_cold_users_score_below_warm_users(mirror, run_chapter):
    figures = run_chapter("01_background", dataset="ml-latest-small")
    assert figures["ndcg_cold_users"] < figures["ndcg_warm_users"]
    assert figures["density"] == pytest.approx(0.017, abs=0.001)  # 100,836 / (610 * 9,742)
    assert figures["share_cold_items"] > 0.5  # most movies have under five ratings


@pytest.mark.shared_data
def test_gift_cards_cold_users_score_below_warm_users(mirror, run_chapter):
    # A 5-core set: every user has at least five reviews, so hold out one and look at four.
    figures = run_chapter("01_background", dataset="amazon2018-gift-cards", test_per_user=1,
                          min_history=4, history_sizes=[0, 1, 2, 4])
    assert figures["ndcg_cold_users"] < figures["ndcg_warm_users"]
    assert figures["share_cold_users"] == 0.0  # 5-core: nobody has fewer than five


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"dataset": "movielens"}, "parameter 'dataset' must be one of"),
        ({"k": 0}, "parameter 'k' must be >= 1"),
        ({"seed": "zero"}, "parameter 'seed' must be an integer"),
        ({"history_sizes": [5, 1]}, "must be strictly increasing"),
    ],
)
def test_invalid_parameters_stop_with_a_clear_message(chapter_error, parameters, message):
    error = chapter_error("01_background", **parameters)
    assert error.ename == "ParameterError"
    assert message in error.evalue
