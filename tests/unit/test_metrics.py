"""Metrics against scikit-learn where the definitions coincide, and against hand arithmetic."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score, ndcg_score, roc_auc_score
from sklearn.metrics import log_loss as sk_log_loss

from recsys_helpers.errors import ParameterError
from recsys_helpers.metrics import (
    RANKING_COLUMNS,
    auc,
    catalogue_coverage,
    expected_calibration_error,
    log_loss,
    per_user_ranking,
    ranking_from_hits,
    ranking_metrics,
    reliability_table,
)

pytestmark = pytest.mark.unit


def _random_case(seed: int, n_users: int = 200, n_items: int = 60, k: int = 10):
    """Full-length top-k lists; each user's relevant items are a random set (1 to 8 items)."""
    rng = np.random.default_rng(seed)
    recommended, relevant = {}, {}
    for user in range(n_users):
        recommended[user] = rng.choice(n_items, size=k, replace=False).tolist()
        relevant[user] = set(rng.choice(n_items, size=rng.integers(1, 9), replace=False).tolist())
    return recommended, relevant


# --- classification metrics -------------------------------------------------------------------


def test_auc_and_log_loss_match_sklearn():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 500)
    p = np.clip(0.3 * y + 0.7 * rng.random(500), 0, 1)
    assert auc(y, p) == pytest.approx(roc_auc_score(y, p))
    assert log_loss(y, p) == pytest.approx(sk_log_loss(y, np.clip(p, 1e-7, 1 - 1e-7)))


def test_log_loss_clips_confident_mistakes():
    # a wrong p = 0 would be infinite; clipped at 1e-7 it costs -ln(1e-7) / 2 on two examples
    assert log_loss([1, 0], [0.0, 0.0]) == pytest.approx(-math.log(1e-7) / 2, rel=1e-6)


@pytest.mark.parametrize("func", [auc, log_loss])
def test_single_class_and_length_mismatch_raise(func):
    with pytest.raises(ParameterError, match="both classes"):
        func([1, 1, 1], [0.2, 0.5, 0.9])
    with pytest.raises(ParameterError, match="same length"):
        func([0, 1, 1], [0.2, 0.5])


def test_log_loss_rejects_scores_outside_unit_interval():
    with pytest.raises(ParameterError, match=r"\[0, 1\]"):
        log_loss([0, 1], [-0.5, 2.0])


# --- ranking metrics: hand-computed cases ---------------------------------------------------


def test_ranking_hand_computed_case():
    recommended = {"a": ["x", "y", "z"], "b": ["p", "q"]}
    relevant = {"a": {"y", "w"}, "b": {"p"}}
    table = per_user_ranking(recommended, relevant, k=3)
    a, b = table.loc["a"], table.loc["b"]
    # user a: hits at ranks (0, 1, 0), |R| = 2
    assert a["precision"] == pytest.approx(1 / 3)  # 1 hit / k=3
    assert a["recall"] == pytest.approx(1 / 2)  # 1 hit / |R|=2
    # DCG = 1/log2(3); ideal = two ones = 1/log2(2) + 1/log2(3) = 1 + 0.6309
    assert a["ndcg"] == pytest.approx((1 / math.log2(3)) / (1 + 1 / math.log2(3)))
    # AP = precision@2 * 1 / min(|R|=2, k=3) = (1/2) / 2
    assert a["ap"] == pytest.approx(0.25)
    assert a["hit"] == 1.0
    # user b: short list (p, q, <missing>) with hits (1, 0, 0), |R| = 1
    assert b["precision"] == pytest.approx(1 / 3)  # the missing place counts as a miss
    assert b["recall"] == 1.0
    assert b["ndcg"] == 1.0  # DCG = 1 = ideal DCG of a single relevant item
    assert b["ap"] == 1.0  # precision@1 = 1, divided by min(1, 3) = 1

    summary = ranking_metrics(recommended, relevant, k=3)
    assert summary["users"] == 2
    assert summary["precision"] == pytest.approx((1 / 3 + 1 / 3) / 2)
    assert summary["map"] == pytest.approx((0.25 + 1.0) / 2)
    assert summary["hit_rate"] == 1.0


def test_ideal_dcg_is_cut_at_k_and_ap_normalised_by_min():
    # 5 relevant items, k = 2, both recommended items relevant: a perfect top-2
    table = per_user_ranking({"u": [1, 2, 9]}, {"u": {1, 2, 3, 4, 5}}, k=2)
    row = table.loc["u"]
    assert row["ndcg"] == 1.0  # ideal DCG uses min(5, 2) = 2 ones
    assert row["ap"] == 1.0  # (1/1 + 2/2) / min(5, 2)
    assert row["recall"] == pytest.approx(2 / 5)


def test_users_without_relevant_items_are_skipped_and_missing_lists_are_zeros():
    recommended = {"a": [1, 2], "only_rec": [3]}
    relevant = {"a": {2}, "empty": set(), "no_list": {7}}
    table = per_user_ranking(recommended, relevant, k=2)
    assert list(table.index) == ["a", "no_list"]
    assert table.loc["no_list"].tolist() == [0.0] * 5
    # user a: hit at rank 2 -> precision 1/2, ndcg (1/log2 3) / 1, ap (1/2) / 1
    assert table.loc["a", "ndcg"] == pytest.approx(1 / math.log2(3))
    assert table.loc["a", "ap"] == pytest.approx(0.5)


def test_duplicate_recommendations_counted_once():
    # [1, 1, 2] is read as [1, 2]: the repeat neither scores twice nor takes a place
    dup = per_user_ranking({"u": [1, 1, 2]}, {"u": {1, 2}}, k=2)
    clean = per_user_ranking({"u": [1, 2]}, {"u": {1, 2}}, k=2)
    pd.testing.assert_frame_equal(dup, clean)
    assert dup.loc["u", "precision"] == 1.0
    assert catalogue_coverage({"u": [1, 1, 2]}, n_items=4, k=2) == 0.5


@pytest.mark.parametrize("k", [0, -1, 1.5, True])
def test_bad_k_raises(k):
    with pytest.raises(ParameterError, match="k must be"):
        ranking_metrics({"u": [1]}, {"u": {1}}, k=k)


def test_no_relevant_users_raises_for_summary():
    assert per_user_ranking({"u": [1]}, {"u": set()}, k=1).empty
    with pytest.raises(ParameterError, match="no user has a relevant item"):
        ranking_metrics({"u": [1]}, {"u": set()}, k=1)


# --- ranking metrics against scikit-learn ---------------------------------------------------


@pytest.mark.parametrize("k", [1, 5, 10])
def test_ndcg_matches_sklearn(k):
    recommended, relevant = _random_case(seed=k, k=10)
    # sklearn takes its ideal DCG from the y_true row, which equals ours when every relevant item
    # is among the candidates. Candidates: the recommended list (scores n, n-1, ...), then the
    # remaining relevant items, then zero-padding, all with distinct lower scores. Lists are full
    # length, so the top k by score is exactly our top k.
    users = list(relevant)
    width = 10 + max(len(r) for r in relevant.values())
    y_true = np.zeros((len(users), width))
    y_score = -np.tile(np.arange(width, dtype=float), (len(users), 1))
    for row, user in enumerate(users):
        rest = [i for i in relevant[user] if i not in recommended[user]]
        candidates = recommended[user] + rest
        y_true[row, : len(candidates)] = [item in relevant[user] for item in candidates]
    ours = per_user_ranking(recommended, relevant, k=k)["ndcg"].to_numpy()
    theirs = [ndcg_score(y_true[[i]], y_score[[i]], k=k) for i in range(len(users))]
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    assert ranking_metrics(recommended, relevant, k)["ndcg"] == pytest.approx(
        ndcg_score(y_true, y_score, k=k)
    )


def test_ap_matches_sklearn_when_all_relevant_items_are_ranked():
    rng = np.random.default_rng(1)
    k = 10
    recommended, relevant = {}, {}
    for user in range(100):
        ranked = rng.choice(100, size=k, replace=False).tolist()
        recommended[user] = ranked
        # every relevant item sits inside the top-k list, so AP@k = average precision
        relevant[user] = set(rng.choice(ranked, size=rng.integers(1, k + 1), replace=False))
    ours = per_user_ranking(recommended, relevant, k)["ap"]
    for user in recommended:
        y = [item in relevant[user] for item in recommended[user]]
        scores = np.arange(k, 0, -1)
        assert ours[user] == pytest.approx(average_precision_score(y, scores))


def test_precision_recall_hit_against_brute_force():
    recommended, relevant = _random_case(seed=3)
    table = per_user_ranking(recommended, relevant, k=5)
    for user in recommended:
        hits = len(set(recommended[user][:5]) & relevant[user])
        assert table.loc[user, "precision"] == pytest.approx(hits / 5)
        assert table.loc[user, "recall"] == pytest.approx(hits / len(relevant[user]))
        assert table.loc[user, "hit"] == float(hits > 0)


def test_ranking_from_hits_is_per_user_ranking_on_a_hit_matrix():
    recommended, relevant = _random_case(seed=4)
    table = per_user_ranking(recommended, relevant, k=7)
    hits = np.array([[item in relevant[u] for item in recommended[u][:7]] for u in relevant])
    from_hits = ranking_from_hits(hits, np.array([len(relevant[u]) for u in relevant]))
    for column in RANKING_COLUMNS:
        np.testing.assert_allclose(from_hits[column], table[column])
    with pytest.raises(ParameterError, match="n_relevant >= 1"):
        ranking_from_hits(np.ones((2, 3)), np.array([1, 0]))
    with pytest.raises(ParameterError, match="matrix"):
        ranking_from_hits(np.ones(3), np.array([1, 1, 1]))


# --- coverage and calibration ------------------------------------------------------------------


def test_catalogue_coverage():
    recommended = {"a": [1, 2, 3], "b": [2, 4, 5]}
    # top-2 lists show {1, 2} and {2, 4}: 3 distinct items of 10
    assert catalogue_coverage(recommended, n_items=10, k=2) == pytest.approx(0.3)
    with pytest.raises(ParameterError, match="n_items"):
        catalogue_coverage(recommended, n_items=2, k=3)


def test_calibration_hand_computed():
    y = [0, 1, 1, 1]
    p = [0.1, 0.15, 0.8, 1.0]
    table = reliability_table(y, p, n_bins=2)
    # bin [0, 0.5): p 0.1, 0.15, labels 0, 1; bin [0.5, 1]: p 0.8, 1.0 (1.0 joins the last bin)
    assert table["count"].tolist() == [2, 2]
    assert table["mean_prob"].tolist() == pytest.approx([0.125, 0.9])
    assert table["frac_positive"].tolist() == pytest.approx([0.5, 1.0])
    # ECE = 2/4 * |0.5 - 0.125| + 2/4 * |1.0 - 0.9| = 0.1875 + 0.05
    assert expected_calibration_error(y, p, n_bins=2) == pytest.approx(0.2375)


def test_reliability_table_keeps_empty_bins_and_perfect_calibration_is_zero():
    table = reliability_table([0, 1], [0.05, 0.95], n_bins=10)
    assert len(table) == 10 and table["count"].sum() == 2
    assert table["mean_prob"].isna().sum() == 8
    y = np.r_[np.zeros(3), np.ones(1)]
    assert expected_calibration_error(y, np.full(4, 0.25), n_bins=4) == pytest.approx(0.0)
    with pytest.raises(ParameterError, match="n_bins"):
        reliability_table([0, 1], [0.1, 0.9], n_bins=0)
