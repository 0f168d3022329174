"""The lab shop's ceilings: ranking by the hidden taste must beat every real model it bounds."""

from __future__ import annotations

import numpy as np
import pytest

from recsys_helpers.data.shop import make_lab_shop
from recsys_helpers.data.shop.truth import TrueTasteRecommender
from recsys_helpers.errors import ParameterError
from recsys_helpers.evaluation.compare import evaluate_slices, slice_summary
from recsys_helpers.models.baselines import PopularityRecommender, TfidfRecommender

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
