"""evaluation.clicks: click predictions scored, checked against scikit-learn where it computes
the same thing (AUC, F1, the classification report, NDCG with tied scores)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from recsys_helpers.errors import DataError, ParameterError
from recsys_helpers.evaluation import (
    auc_by_negative,
    choose_threshold,
    classification_table,
    per_query_ndcg,
)

pytestmark = pytest.mark.unit


def test_auc_by_negative_matches_sklearn_per_kind():
    rng = np.random.default_rng(0)
    label = np.array([1, 0, 0, 1, 0, 0, 1, 0, 0, 0])
    negative = np.array(["", "shown", "sampled", "", "shown", "sampled", "", "shown", "sampled",
                         "shown"])
    scores = rng.normal(size=len(label))
    frame = pd.DataFrame({"label": label, "negative": negative})
    result = auc_by_negative(frame, scores)
    assert list(result) == ["all", "clicks vs shown", "clicks vs sampled"]
    assert result["all"] == pytest.approx(skm.roc_auc_score(label, scores))
    for kind in ("shown", "sampled"):
        keep = (label == 1) | (negative == kind)
        assert result[f"clicks vs {kind}"] == pytest.approx(
            skm.roc_auc_score(label[keep], scores[keep]))
    with pytest.raises(ParameterError):
        auc_by_negative(frame, scores[:3])


def test_choose_threshold_maximises_f1():
    rng = np.random.default_rng(0)
    y = (rng.random(120) < 0.2).astype(int)
    p = np.clip(0.15 + 0.3 * y + rng.normal(0, 0.2, 120), 0, 1)
    threshold = choose_threshold(y, p)
    best = max(skm.f1_score(y, p >= t) for t in np.unique(p))
    assert skm.f1_score(y, p >= threshold) == pytest.approx(best)
    with pytest.raises(ParameterError, match="both"):
        choose_threshold(np.zeros(5), np.linspace(0, 1, 5))


def test_classification_table_matches_sklearn():
    rng = np.random.default_rng(1)
    y = (rng.random(200) < 0.3).astype(int)
    p = rng.random(200)
    table = classification_table(y, p, threshold=0.6)
    decision = (p >= 0.6).astype(int)
    assert table.loc["click", "precision"] == pytest.approx(skm.precision_score(y, decision))
    assert table.loc["click", "recall"] == pytest.approx(skm.recall_score(y, decision))
    assert table.loc["no click", "f1-score"] == pytest.approx(
        skm.f1_score(y, decision, pos_label=0))
    assert table.loc["accuracy", "f1-score"] == pytest.approx(skm.accuracy_score(y, decision))
    assert table.loc["click", "support"] == y.sum()


def _query_rows(seed: int, queries: int = 40) -> pd.DataFrame:
    """Queries of 1 to 15 candidates, rows of all queries interleaved; graded gains 0-3 (some
    queries all zero) and scores on a coarse grid, so many scores tie."""
    rng = np.random.default_rng(seed)
    parts = []
    for q in range(queries):
        n = int(rng.integers(1, 16))
        gains = rng.choice([0, 0, 1, 2, 3], n) if q % 7 else np.zeros(n, dtype=int)
        parts.append(pd.DataFrame({"query_id": f"q{q}", "relevance": gains,
                                   "score": rng.integers(0, 4, n) / 4}))
    frame = pd.concat(parts, ignore_index=True)
    return frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)


@pytest.mark.parametrize(("seed", "k"), [(0, 1), (0, 3), (1, 5), (2, 10), (3, 20)])
def test_per_query_ndcg_matches_sklearn_with_ties_and_graded_gains(seed, k):
    frame = _query_rows(seed)
    ndcg = per_query_ndcg(frame, frame["score"], k=k, gain="relevance")
    assert ndcg.index.tolist() == pd.unique(frame["query_id"]).tolist()  # first appearance
    assert ndcg.index.name == "query_id"
    ties = 0
    for query, rows in frame.groupby("query_id"):
        gains, scores = rows["relevance"].to_numpy(), rows["score"].to_numpy()
        ties += len(scores) - len(np.unique(scores))
        if gains.sum() == 0:
            assert np.isnan(ndcg[query])  # undefined: nothing to rank first
        elif len(rows) == 1:
            assert ndcg[query] == 1.0  # sklearn refuses a query of one document
        else:
            assert ndcg[query] == pytest.approx(skm.ndcg_score([gains], [scores], k=k))
    # the cases the comparison is for did occur: ties, all-zero queries, one-row queries
    assert ties > 50 and ndcg.isna().sum() >= 6 and (frame.groupby("query_id").size() == 1).any()


def test_per_query_ndcg_averages_over_the_orders_of_tied_scores():
    frame = pd.DataFrame({"query_id": ["a"] * 3 + ["b"] * 2, "label": [0, 1, 0, 1, 0]})
    ndcg = per_query_ndcg(frame, np.zeros(5), k=10)
    # a: the click is equally likely at ranks 1, 2 and 3; b: at ranks 1 and 2
    expected_a = np.mean([1.0, 1 / np.log2(3), 1 / np.log2(4)])
    np.testing.assert_allclose(ndcg.to_numpy(), [expected_a, np.mean([1.0, 1 / np.log2(3)])])
    perfect = per_query_ndcg(frame, frame["label"], k=1)
    assert perfect.tolist() == [1.0, 1.0] and perfect.name == "ndcg"


def test_per_query_ndcg_rejects_bad_input():
    frame = pd.DataFrame({"query_id": ["a", "a", "b"], "label": [1, 0, 1]})
    with pytest.raises(DataError, match="grade"):
        per_query_ndcg(frame, [0.1, 0.2, 0.3], gain="grade")
    with pytest.raises(DataError, match="session"):
        per_query_ndcg(frame, [0.1, 0.2, 0.3], group="session")
    with pytest.raises(ParameterError, match="2 scores for 3 rows"):
        per_query_ndcg(frame, [0.1, 0.2])
    with pytest.raises(ParameterError, match="k"):
        per_query_ndcg(frame, [0.1, 0.2, 0.3], k=0)
    with pytest.raises(ParameterError, match="finite"):
        per_query_ndcg(frame, [0.1, np.nan, 0.3])
    with pytest.raises(ParameterError, match="gains >= 0"):
        per_query_ndcg(frame.assign(label=[1, -1, 0]), [0.1, 0.2, 0.3])
    assert per_query_ndcg(frame.iloc[:0], []).empty
