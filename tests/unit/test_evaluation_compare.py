"""Models compared slice by slice: metrics against scikit-learn, pairing, and why slices matter."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import ndcg_score

from recsys_helpers.errors import ParameterError
from recsys_helpers.evaluation import (
    SLICES,
    bootstrap_mean,
    build_slices,
    evaluate_per_user,
    evaluate_slices,
    paired_difference,
    relevant_items,
    slice_differences,
    slice_summary,
    validation_ndcg,
)
from recsys_helpers.metrics import per_user_ranking
from recsys_helpers.models.baselines import PopularityRecommender, Recommender

pytestmark = pytest.mark.unit


class TableScores(Recommender):
    """Scores looked up in a users x items table (users it lacks score 0 everywhere)."""

    name = "table"

    def __init__(self, table: pd.DataFrame) -> None:
        self.table = table

    def score(self, users: Sequence[str]) -> np.ndarray:
        return self.table.reindex(index=list(users), columns=self.item_ids).fillna(0).to_numpy()


class ColdFirst(Recommender):
    """The heuristic a mixed list rewards: every item nobody clicked in training comes first."""

    name = "cold_first"

    def score(self, users: Sequence[str]) -> np.ndarray:
        return np.tile((self.item_counts == 0).astype(float), (len(users), 1))


class RandomScores(Recommender):
    """Knows nothing: independent uniform scores on every call."""

    name = "random"

    def __init__(self, seed: int = 0) -> None:
        self.rng = np.random.default_rng(seed)

    def score(self, users: Sequence[str]) -> np.ndarray:
        return self.rng.random((len(users), len(self.item_ids)))


def _frame(pairs) -> pd.DataFrame:
    users, items = zip(*pairs, strict=True)
    return pd.DataFrame({"user_id": list(users), "item_id": list(items), "rating": 1.0,
                         "timestamp": np.arange(len(pairs), dtype=np.int64)})


def _catalogue(item_ids) -> pd.DataFrame:
    return pd.DataFrame({"item_id": list(item_ids), "title": "", "text": "", "category": ""})


def _random_split(seed: int, n_users: int = 40, n_warm: int = 30, n_cold: int = 12):
    """Known users with a few warm items each; test items warm and cold; 5 users are new."""
    rng = np.random.default_rng(seed)
    warm = [f"w{i:02d}" for i in range(n_warm)]
    cold = [f"c{i:02d}" for i in range(n_cold)]
    train_pairs, test_pairs = [], []
    for u in range(n_users):
        user = f"u{u:02d}"
        if u >= 5:
            train_pairs += [(user, warm[u % n_warm])]
            train_pairs += [(user, i) for i in rng.choice(warm, 3, replace=False)]
        test_pairs += [(user, i) for i in rng.choice(warm, int(rng.integers(1, 4)),
                                                     replace=False)]
        test_pairs += [(user, i) for i in rng.choice(cold, int(rng.integers(1, 3)),
                                                     replace=False)]
    return _frame(train_pairs), _frame(test_pairs), _catalogue(warm + cold)


def _table_model(train, items, seed):
    users = sorted(set(train["user_id"]) | {f"u{u:02d}" for u in range(40)})
    values = np.random.default_rng(seed).permutation(len(users) * len(items))
    table = pd.DataFrame(values.reshape(len(users), len(items)).astype(float), index=users,
                         columns=items["item_id"])
    return TableScores(table).fit(train, items)


def test_ndcg_and_recall_match_sklearn_and_brute_force_in_every_slice():
    train, test, items = _random_split(seed=0)
    model = _table_model(train, items, seed=1)  # distinct scores: no ties to break
    per_user = evaluate_slices({"table": model}, train, test, items)
    test_set = build_slices(train, test, items)
    for name in SLICES:
        evaluation_slice = test_set.slice(name)
        relevant = evaluation_slice.relevant_sets()
        rows = per_user[per_user["slice"] == name].set_index("user")
        assert sorted(rows.index) == sorted(relevant)
        for user, candidates in evaluation_slice.candidate_sets().items():
            ordered = sorted(candidates)
            scores = model.table.loc[user, ordered].to_numpy()
            truth = np.array([item in relevant[user] for item in ordered], dtype=float)
            assert rows.loc[user, "ndcg"] == pytest.approx(
                ndcg_score([truth], [scores], k=10), rel=1e-12), (name, user)
            top20 = {ordered[i] for i in np.argsort(-scores)[:20]}
            assert rows.loc[user, "recall"] == pytest.approx(
                len(top20 & relevant[user]) / len(relevant[user])), (name, user)


def test_all_slice_agrees_with_evaluate_per_user():
    train, test, items = _random_split(seed=2)
    model = _table_model(train, items, seed=3)
    rows = evaluate_slices({"table": model}, train, test, items, slices=["all"])
    rows = rows.set_index("user")
    np.testing.assert_allclose(rows["ndcg"], evaluate_per_user(model, train, test, k=10)
                               .loc[rows.index, "ndcg"])
    recall = per_user_ranking(model.recommend(list(rows.index), 20),
                              relevant_items(train, test), 20)["recall"]
    np.testing.assert_allclose(rows["recall"], recall.loc[rows.index])


def test_training_items_are_never_candidates():
    # two models that differ only in how they score each user's training items
    train, test, items = _random_split(seed=4)
    base = _table_model(train, items, seed=5)
    seen = pd.crosstab(train["user_id"], train["item_id"]).reindex(
        index=base.table.index, columns=base.table.columns, fill_value=0) > 0
    top = TableScores(base.table.mask(seen, 1e9)).fit(train, items)
    bottom = TableScores(base.table.mask(seen, -1e9)).fit(train, items)
    per_user = evaluate_slices({"top": top, "bottom": bottom}, train, test, items)
    by_model = per_user.set_index(["slice", "user", "model"]).unstack("model")
    np.testing.assert_array_equal(by_model["ndcg", "top"], by_model["ndcg", "bottom"])
    np.testing.assert_array_equal(by_model["recall", "top"], by_model["recall", "bottom"])


@pytest.fixture(scope="module")
def new_hits_shop():
    """200 warm and 40 cold items; each user's test holds one unseen warm item and one of the
    first 8 cold items (new items are few, and the new hits are much clicked). The cold items
    come first in the catalogue, so breaking ties by catalogue order would hand a constant-score
    heuristic the right cold items."""
    rng = np.random.default_rng(0)
    warm = [f"w{i:03d}" for i in range(200)]
    cold = [f"c{i:02d}" for i in range(40)]
    train_pairs, test_pairs = [], []
    for u in range(300):
        history = [warm[u % 200], *rng.choice(warm, 3, replace=False)]
        train_pairs += [(f"u{u}", i) for i in history]
        unseen = [i for i in warm if i not in history]
        test_pairs += [(f"u{u}", rng.choice(unseen)), (f"u{u}", rng.choice(cold[:8]))]
    train, test, items = _frame(train_pairs), _frame(test_pairs), _catalogue(cold + warm)
    models = {name: model.fit(train, items) for name, model in [
        ("cold_first", ColdFirst()), ("random", RandomScores(seed=1)),
        ("popularity", PopularityRecommender())]}
    return evaluate_slices(models, train, test, items, slices=["all", "cold_items"])


def test_cold_first_wins_a_mixed_list_but_not_the_cold_slice(new_hits_shop):
    gaps = slice_differences(new_hits_shop, baseline="random", metric="ndcg")
    recall_gaps = slice_differences(new_hits_shop, baseline="random", metric="recall")
    summary = slice_summary(new_hits_shop, metric="ndcg")
    # on one mixed list, "new items first" beats a random order and popularity by far ...
    assert gaps.loc[("all", "cold_first"), "ci_low"] > 0
    assert recall_gaps.loc[("all", "cold_first"), "ci_low"] > 0
    assert summary.loc[("all", "cold_first"), "mean"] > 3 * max(
        summary.loc[("all", "random"), "mean"], summary.loc[("all", "popularity"), "mean"])
    # ... but among cold candidates only it is no better than a random order: one relevant item
    # among 40 candidates at a uniformly random rank has NDCG@10 sum_{i<=10} 1/log2(i+1) / 40
    expected_random = sum(1 / math.log2(i + 1) for i in range(1, 11)) / 40
    cold = summary.loc[("cold_items", "cold_first")]
    assert cold["ci_low"] <= expected_random <= cold["ci_high"]
    assert gaps.loc[("cold_items", "cold_first"), "ci_low"] <= 0
    assert recall_gaps.loc[("cold_items", "cold_first"), "ci_low"] <= 0
    # popularity cannot rank an item without interactions at all
    assert summary.loc[("cold_items", "popularity"), "mean"] == 0.0


def test_summary_tables_are_paired_bootstraps_of_the_per_user_rows(new_hits_shop):
    summary = slice_summary(new_hits_shop, metric="recall", n_resamples=300, seed=7)
    gaps = slice_differences(new_hits_shop, "random", metric="recall", n_resamples=300, seed=7)
    assert list(summary.columns) == ["mean", "ci_low", "ci_high", "n_users"]
    assert list(gaps.columns) == ["difference", "ci_low", "ci_high", "n_users"]
    assert summary["n_users"].tolist() == [300] * 6
    wide = new_hits_shop[new_hits_shop["slice"] == "cold_items"].pivot(
        index="user", columns="model", values="recall")
    alone = bootstrap_mean(wide["cold_first"].to_numpy(), 300, seed=7)
    row = summary.loc[("cold_items", "cold_first")]
    assert (row["mean"], row["ci_low"], row["ci_high"]) == pytest.approx(
        (alone.mean, alone.ci_low, alone.ci_high))
    pair = paired_difference(wide["cold_first"].to_numpy(), wide["random"].to_numpy(), 300,
                             seed=7)
    row = gaps.loc[("cold_items", "cold_first")]
    assert (row["difference"], row["ci_low"], row["ci_high"]) == pytest.approx(
        (pair.mean, pair.ci_low, pair.ci_high))
    identical = new_hits_shop.assign(model=new_hits_shop["model"].replace("popularity", "twin"))
    twins = pd.concat([new_hits_shop, identical[identical["model"] == "twin"]])
    same = slice_differences(twins, "popularity").xs("twin", level="model")
    assert (same[["difference", "ci_low", "ci_high"]].to_numpy() == 0).all()


def test_ties_are_broken_the_same_way_for_every_model():
    train, test, items = _random_split(seed=6)
    twins = {"first": ColdFirst().fit(train, items), "second": ColdFirst().fit(train, items)}
    per_user = evaluate_slices(twins, train, test, items, seed=3)
    by_model = per_user.set_index(["slice", "user", "model"])["ndcg"].unstack("model")
    np.testing.assert_array_equal(by_model["first"], by_model["second"])
    again = evaluate_slices(twins, train, test, items, seed=3)
    pd.testing.assert_frame_equal(per_user, again)


def test_bad_inputs_raise_clearly():
    train, test, items = _random_split(seed=8)
    model = PopularityRecommender().fit(train, items)
    models = {"popularity": model}
    with pytest.raises(ParameterError, match="ndcg_k"):
        evaluate_slices(models, train, test, items, ndcg_k=0)
    with pytest.raises(ParameterError, match="recall_k"):
        evaluate_slices(models, train, test, items, recall_k=-1)
    with pytest.raises(ParameterError, match="must be one of"):
        evaluate_slices(models, train, test, items, slices=["all", "cold"])
    with pytest.raises(ParameterError, match="slices is empty"):
        evaluate_slices(models, train, test, items, slices=[])
    with pytest.raises(ParameterError, match="models is empty"):
        evaluate_slices({}, train, test, items)
    with pytest.raises(ParameterError, match="not fitted"):
        evaluate_slices({"raw": PopularityRecommender()}, train, test, items)
    with pytest.raises(ParameterError, match="not a Recommender"):
        evaluate_slices({"odd": object()}, train, test, items)
    known_only = test[test["user_id"].isin(train["user_id"])]
    with pytest.raises(ParameterError, match="'cold_users'"):
        evaluate_slices(models, train, known_only, items)
    with pytest.raises(ParameterError, match="not in the catalogue"):
        evaluate_slices(models, train, test, pd.concat([items, _catalogue(["extra"])]))
    per_user = evaluate_slices(models, train, test, items)
    with pytest.raises(ParameterError, match="metric"):
        slice_summary(per_user, metric="auc")
    with pytest.raises(ParameterError, match="baseline"):
        slice_differences(per_user, baseline="als")
    with pytest.raises(ParameterError, match="no model besides"):
        slice_differences(per_user, baseline="popularity")
    with pytest.raises(ParameterError, match="not every model scored every user"):
        slice_summary(pd.concat([per_user, per_user.iloc[:3].assign(model="other")]))
    with pytest.raises(ParameterError, match="lacks the column"):
        slice_summary(per_user.drop(columns="recall"))


def test_record_summary_records_every_row_with_its_interval(monkeypatch):
    from recsys_helpers import report
    from recsys_helpers.evaluation.compare import record_summary

    shown = []
    monkeypatch.setattr(report, "record", lambda name, value, digits=3: shown.append((name,
                                                                                        value)))
    summary = pd.DataFrame(
        {"mean": [0.2, 0.1], "ci_low": [0.1, 0.05], "ci_high": [0.3, 0.15], "n_users": [9, 9]},
        index=pd.MultiIndex.from_tuples([("cold_items", "bi-encoder"), ("all", "ALS")],
                                        names=["slice", "model"]))
    assert record_summary(summary) == ["ndcg_cold_items_bi_encoder", "ndcg_all_als"]
    assert shown == [("ndcg_cold_items_bi_encoder", 0.2),
                     ("ndcg_cold_items_bi_encoder_ci_low", 0.1),
                     ("ndcg_cold_items_bi_encoder_ci_high", 0.3), ("ndcg_all_als", 0.1),
                     ("ndcg_all_als_ci_low", 0.05), ("ndcg_all_als_ci_high", 0.15)]
    with pytest.raises(ParameterError, match="slice_summary"):
        record_summary(summary.drop(columns="ci_low"))


def test_validation_ndcg_fits_copies_on_the_earlier_part_only():
    # Early interactions: users click items i00-i09; late: the same users click i10-i19.
    # Popularity fitted on the early part can only rank i00-i09 and finds nothing late; a model
    # that ranks by item number from the top finds the late items.
    early = [(f"u{u}", f"i{j:02d}") for u in range(10) for j in range(10) if (u + j) % 3 == 0]
    late = [(f"u{u}", f"i{10 + u:02d}") for u in range(10)]
    train = _frame(early + late)
    items = _catalogue([f"i{j:02d}" for j in range(20)])
    table = pd.DataFrame([np.arange(20.0)] * 10, index=[f"u{u}" for u in range(10)],
                         columns=items["item_id"])
    popular = PopularityRecommender()
    scores = validation_ndcg({"popularity": popular, "late_first": TableScores(table)}, train,
                             items, valid_fraction=len(late) / len(train))
    assert list(scores.index) == ["popularity", "late_first"]
    assert scores["popularity"] == 0.0 and scores["late_first"] > 0.2
    assert not hasattr(popular, "item_ids")  # the model passed in is left unfitted
    with pytest.raises(ParameterError, match="slice"):
        validation_ndcg({"popularity": popular}, train, items, slice_name="cold")
