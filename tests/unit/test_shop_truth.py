"""The lab shop's hidden truth: ceilings that beat every real model they bound, and true click
rates of ranked lists."""

from __future__ import annotations

import numpy as np
import pytest

from recsys_helpers.data.shop import make_lab_shop
from recsys_helpers.data.shop.truth import TrueTasteRecommender, true_click_rates
from recsys_helpers.errors import ParameterError
from recsys_helpers.evaluation.compare import evaluate_slices, slice_summary
from recsys_helpers.models.baselines import (
    PopularityRecommender,
    RandomRecommender,
    TfidfRecommender,
)

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def split():
    shop = make_lab_shop(seed=0, n_users=600, n_items=300, n_sessions=8_000, n_queries=0,
                         taste_strength=3.0, initial_item_share=0.4)
    clicks = shop.to_interactions().interactions.sort_values("timestamp")
    cut = int(0.8 * len(clicks))
    return shop, clicks.iloc[:cut], clicks.iloc[cut:]


def test_scores_are_the_shop_taste(split):
    shop, train, _ = split
    model = TrueTasteRecommender(shop, "all").fit(train, shop.items)
    user = shop.users["user_id"].iloc[3]
    last = shop.config.n_days - 1
    expected = shop.taste(np.full(len(shop.items), 3), np.arange(len(shop.items)),
                          np.full(len(shop.items), last))
    np.testing.assert_allclose(model.score([user])[0], expected)


def test_ceilings_beat_real_models_on_cold_items(split):
    shop, train, test = split
    models = {"popularity": PopularityRecommender(), "tfidf": TfidfRecommender(),
              "stated": TrueTasteRecommender(shop, "stated"),
              "all": TrueTasteRecommender(shop, "all")}
    for model in models.values():
        model.fit(train, shop.items)
    summary = slice_summary(evaluate_slices(models, train, test, shop.items,
                                            slices=("all", "cold_items")))
    cold = summary.loc["cold_items", "mean"]
    assert cold["stated"] > cold["tfidf"] + 0.02, cold
    assert cold["all"] > cold["stated"], cold
    assert summary.loc[("all", "all"), "mean"] > summary.loc[("all", "popularity"), "mean"]


def test_unknown_part_and_strangers(split):
    shop, train, _ = split
    with pytest.raises(ParameterError, match="part"):
        TrueTasteRecommender(shop, "latent")
    with pytest.raises(ParameterError, match="LabShop"):
        TrueTasteRecommender(object())
    model = TrueTasteRecommender(shop).fit(train, shop.items)
    popularity = PopularityRecommender().fit(train, shop.items)
    np.testing.assert_array_equal(model.score(["nobody"]), popularity.score(["nobody"]))


def test_true_click_rates_are_mean_sigmoids_of_the_affinity(split):
    shop, _, _ = split
    users = shop.users["user_id"].iloc[[0, 5]].tolist()
    items = shop.items["item_id"].to_numpy()
    lists = {users[0]: items[[2, 7, 9]].tolist(), users[1]: items[[4]].tolist()}
    rates = true_click_rates(shop, users, lists, day=20)
    first = shop.true_affinity(np.zeros(3, dtype=int), np.array([2, 7, 9]), np.full(3, 20))
    second = shop.true_affinity(np.array([5]), np.array([4]), np.array([20]))
    np.testing.assert_allclose(rates, [np.mean(1 / (1 + np.exp(-first))),
                                       1 / (1 + np.exp(-second[0]))])
    # A sequence of lists in the users' order gives the same.
    np.testing.assert_allclose(true_click_rates(shop, users, [lists[u] for u in users], 20),
                               rates)


def test_true_click_rates_order_the_truth_above_random(split):
    shop, train, _ = split
    users = shop.users["user_id"].iloc[:200].tolist()
    last = shop.config.n_days - 1
    rates = {name: true_click_rates(shop, users, model.fit(train, shop.items).recommend(
                 users, 10), last).mean()
             for name, model in (("random", RandomRecommender(seed=0)),
                                 ("truth", TrueTasteRecommender(shop, "all")))}
    assert rates["truth"] > rates["random"] + 0.2, rates


def test_true_click_rates_reject_bad_input(split):
    shop, _, _ = split
    user = shop.users["user_id"].iloc[0]
    item = shop.items["item_id"].iloc[0]
    with pytest.raises(ParameterError, match="LabShop"):
        true_click_rates(object(), [user], {user: [item]}, 0)
    with pytest.raises(ParameterError, match="no ranking"):
        true_click_rates(shop, [user], {}, 0)
    with pytest.raises(ParameterError, match="empty list"):
        true_click_rates(shop, [user], {user: []}, 0)
    with pytest.raises(ParameterError, match="not in this shop"):
        true_click_rates(shop, ["nobody"], [[item]], 0)
    with pytest.raises(ParameterError, match="not in this shop"):
        true_click_rates(shop, [user], [["no-such-item"]], 0)
    with pytest.raises(ParameterError, match="rankings for"):
        true_click_rates(shop, [user, user], [[item]], 0)
    with pytest.raises(ParameterError, match="day"):
        true_click_rates(shop, [user], [[item]], shop.config.n_days)
    with pytest.raises(ParameterError, match="single string"):
        true_click_rates(shop, user, [[item]], 0)
