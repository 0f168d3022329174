"""The synthetic shop: determinism, schema, the timeline, and that the simulated behaviour shows
the effects (position bias, drift, cold start) the chapters rely on."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from recsys_helpers.data.schema import InteractionData
from recsys_helpers.data.synthetic import EPOCH, SECONDS_PER_DAY, ShopConfig, make_shop
from recsys_helpers.data.vocabulary import CATEGORIES, PRICE_BAND_EDGES, PRICE_BANDS
from recsys_helpers.errors import ParameterError

pytestmark = pytest.mark.unit

SMALL = {"n_users": 600, "n_items": 300, "n_sessions": 6_000}


@pytest.fixture(scope="module")
def shop():
    return make_shop(seed=0, **SMALL)


@pytest.fixture(scope="module")
def medium_shop():
    return make_shop(n_users=1_000, n_items=500, n_sessions=10_000, seed=1)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


# --- determinism ------------------------------------------------------------------------------


def test_same_seed_gives_identical_tables(shop):
    again = make_shop(seed=0, **SMALL)
    for name in ("items", "users", "impressions", "reviews"):
        pd.testing.assert_frame_equal(getattr(shop, name), getattr(again, name))
    np.testing.assert_array_equal(shop.pref_start, again.pref_start)
    np.testing.assert_array_equal(shop.pref_end, again.pref_end)
    np.testing.assert_array_equal(shop.item_quality, again.item_quality)


def test_different_seed_gives_different_tables(shop):
    other = make_shop(seed=1, **SMALL)
    assert not shop.items["text"].equals(other.items["text"])
    assert not np.array_equal(shop.pref_start, other.pref_start)
    assert not shop.impressions[["user_id", "item_id"]].equals(
        other.impressions[["user_id", "item_id"]])


# --- sizes and schema -------------------------------------------------------------------------


def test_sizes_and_slates(shop):
    config = shop.config
    imp = shop.impressions
    assert len(shop.items) == config.n_items and shop.items["item_id"].is_unique
    assert len(shop.users) == config.n_users and shop.users["user_id"].is_unique
    assert imp["session_id"].nunique() <= config.n_sessions
    # a slate shows an item at most once, in positions 0, 1, 2, ... without gaps
    assert not imp.duplicated(["session_id", "item_id"]).any()
    per_session = imp.groupby("session_id")["position"]
    assert (per_session.max() + 1 == per_session.size()).all()
    assert imp["position"].between(0, config.slate_size - 1).all()
    assert 0.8 * config.n_sessions * config.slate_size <= len(imp)
    # the index columns point at the right rows of the item and user tables
    np.testing.assert_array_equal(shop.items["item_id"].to_numpy()[imp["item_index"]],
                                  imp["item_id"])
    np.testing.assert_array_equal(shop.users["user_id"].to_numpy()[imp["user_index"]],
                                  imp["user_id"])


def test_catalogue_covers_categories_and_texts_describe_items(shop):
    items = shop.items
    assert items["category"].nunique() >= 10
    assert set(items["category"]) <= set(CATEGORIES)
    for row in items.itertuples():
        assert row.noun in CATEGORIES[row.category]["nouns"]
        assert row.brand in CATEGORIES[row.category]["brands"]
        text = row.text.lower()
        assert row.noun.lower() in text
        assert row.colour in text
        assert row.price_band in text
        assert f"${row.price:.2f}" in row.text
    # the price band follows the price and the documented edges
    expected = np.where(items["price"] < PRICE_BAND_EDGES[0], PRICE_BANDS[0],
                        np.where(items["price"] < PRICE_BAND_EDGES[1], PRICE_BANDS[1],
                                 PRICE_BANDS[2]))
    np.testing.assert_array_equal(items["price_band"], expected)
    for name, spec in CATEGORIES.items():
        prices = items.loc[items["category"] == name, "price"]
        low, high = spec["price"]
        assert prices.between(low - 0.01, high + 0.01).all()


def test_to_interactions_keeps_clicked_impressions_only(shop):
    imp = shop.impressions
    clicks = shop.to_interactions()
    assert isinstance(clicks, InteractionData)
    assert clicks.extras["shop"] is shop
    assert len(clicks.interactions) == int(imp["clicked"].sum())
    assert (clicks.interactions["rating"] == 1.0).all()
    clicked = imp.loc[imp["clicked"], ["user_id", "item_id", "timestamp"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(clicks.interactions[["user_id", "item_id", "timestamp"]],
                                  clicked)
    assert len(clicks.items) == len(shop.items)

    purchases = shop.to_interactions("purchase")
    assert len(purchases.interactions) == int(imp["purchased"].sum()) > 0
    with pytest.raises(ValueError, match="click"):
        shop.to_interactions("view")


def test_purchase_implies_click(shop):
    imp = shop.impressions
    assert not (imp["purchased"] & ~imp["clicked"]).any()
    assert 0 < imp["purchased"].sum() < imp["clicked"].sum() < len(imp)


# --- the timeline -----------------------------------------------------------------------------


def test_nothing_happens_before_it_exists(shop):
    imp = shop.impressions
    created = shop.items["created_day"].to_numpy()[imp["item_index"]]
    first = shop.users["first_day"].to_numpy()[imp["user_index"]]
    assert (imp["day"] >= created).all()
    assert (imp["day"] >= first).all()
    assert imp["day"].between(0, shop.config.n_days - 1).all()
    np.testing.assert_array_equal((imp["timestamp"] - EPOCH) // SECONDS_PER_DAY, imp["day"])
    # session ids follow time
    by_session = imp.groupby("session_id")["timestamp"].first()
    assert by_session.is_monotonic_increasing


@pytest.mark.parametrize("seed", range(5))
def test_tiny_catalogue_never_shows_an_item_before_it_exists(seed):
    # 13 items, one per category: most categories would have no day-0 stock by chance
    tiny = make_shop(n_users=10, n_items=13, n_sessions=200, seed=seed)
    created = tiny.items["created_day"].to_numpy()[tiny.impressions["item_index"]]
    assert (tiny.impressions["day"] >= created).all()


def test_cold_items_and_cold_users_exist(shop):
    config = shop.config
    late_items = shop.items["created_day"] > 0
    late_users = shop.users["first_day"] > 0
    # about 1 - initial share of each arrives later (binomial sd is below 0.03 at these sizes)
    assert late_items.mean() == pytest.approx(1 - config.initial_item_share, abs=0.1)
    assert late_users.mean() == pytest.approx(1 - config.initial_user_share, abs=0.1)
    imp = shop.impressions
    assert imp["item_id"].isin(shop.items.loc[late_items, "item_id"]).any()
    assert imp["user_id"].isin(shop.users.loc[late_users, "user_id"]).any()


def test_reviews_follow_purchases_rating_and_quality(shop):
    reviews = shop.reviews
    assert len(reviews) > 100
    bought = shop.impressions.loc[shop.impressions["purchased"]]
    pairs = set(zip(bought["user_id"], bought["item_id"], bought["timestamp"], strict=True))
    for row in reviews.itertuples():
        assert (row.user_id, row.item_id, row.timestamp - 3 * SECONDS_PER_DAY) in pairs
    assert reviews["rating"].between(1, 5).all()
    expected = np.select([reviews["rating"] >= 4, reviews["rating"] <= 2],
                         ["positive", "negative"], "neutral")
    np.testing.assert_array_equal(reviews["sentiment"], expected)
    assert set(reviews["sentiment"]) == {"positive", "neutral", "negative"}
    nouns = shop.items.set_index("item_id").loc[reviews["item_id"], "noun"].to_numpy()
    assert all(noun in text for noun, text in zip(nouns, reviews["text"], strict=True))
    # rating = quality (sd 0.7 after scaling) + noise (sd 0.8), rounded: clearly correlated
    quality = shop.item_quality[pd.Index(shop.items["item_id"]).get_indexer(reviews["item_id"])]
    assert spearmanr(reviews["rating"], quality).statistic > 0.4


# --- behaviour --------------------------------------------------------------------------------


def test_position_bias(medium_shop):
    rate = medium_shop.impressions.groupby("position")["clicked"].mean()
    # slates are not ordered by affinity, so the click-rate ratio reflects the bias
    # 1 / log2(position + 2): about log2(11) = 3.46 between positions 0 and 9
    assert rate[0] / rate[9] == pytest.approx(np.log2(11), rel=0.3)
    assert rate[0] > rate[4] > rate[9]


def test_true_affinity_agrees_with_clicks(medium_shop):
    imp = medium_shop.impressions
    affinity = medium_shop.true_affinity(imp["user_index"], imp["item_index"], imp["day"])
    clicked = imp["clicked"].to_numpy()
    assert affinity[clicked].mean() > affinity[~clicked].mean() + 0.5
    # at position 0 there is no damping: clicks are Bernoulli(sigmoid(affinity))
    top = (imp["position"] == 0).to_numpy()
    p = _sigmoid(affinity[top])
    assert abs(clicked[top].sum() - p.sum()) < 4 * np.sqrt((p * (1 - p)).sum())


def test_drift_moves_only_drifting_users(shop):
    users = np.arange(shop.config.n_users)
    drifts = shop.users["drifts"].to_numpy()
    n_days = shop.config.n_days
    np.testing.assert_array_equal(shop.pref_end[~drifts], shop.pref_start[~drifts])
    # the seasonal cycle is a full year, so day 0 and day n_days differ by drift alone
    start = shop.category_weights(users, np.zeros(len(users)))
    end = shop.category_weights(users, np.full(len(users), n_days))
    np.testing.assert_allclose(start.sum(axis=1), 1.0)
    shift = 0.5 * np.abs(end - start).sum(axis=1)
    np.testing.assert_allclose(shift[~drifts], 0.0, atol=1e-12)
    assert shift[drifts].mean() > 0.3
    # within the horizon, stable users change with the season only: much less than drifters
    late = shop.category_weights(users, np.full(len(users), n_days - 1))
    seasonal = 0.5 * np.abs(late - start).sum(axis=1)
    assert seasonal[~drifts].mean() < 0.5 * seasonal[drifts].mean()
    assert drifts.mean() == pytest.approx(shop.config.drift_share, abs=0.1)


def test_season_raises_a_category_at_its_peak(shop):
    garden = list(CATEGORIES).index("garden")  # peaks at 35 % of the year
    coffee = list(CATEGORIES).index("coffee")  # no season
    users = np.flatnonzero(~shop.users["drifts"].to_numpy())
    n_days = shop.config.n_days

    def ratio(day):
        weights = shop.category_weights(users, np.full(len(users), day))
        return weights[:, garden] / weights[:, coffee]

    assert np.all(ratio(round(0.35 * n_days)) > 1.5 * ratio(round(0.85 * n_days)))


# --- size and validation ----------------------------------------------------------------------


@pytest.mark.slow
def test_a_million_impressions_generate():
    # the time it takes is printed by benchmarks, not asserted here
    big = make_shop(n_users=50_000, n_items=20_000, n_sessions=100_000, slate_size=10)
    assert len(big.impressions) >= 900_000


@pytest.mark.parametrize("overrides, name", [
    ({"n_users": -5}, "n_users"),
    ({"n_items": 5}, "n_items"),
    ({"slate_size": 0}, "slate_size"),
    ({"drift_share": 1.5}, "drift_share"),
    ({"review_rate": -0.1}, "review_rate"),
    ({"initial_item_share": float("nan")}, "initial_item_share"),
    ({"seed": True}, "seed"),
    ({"seed": 1.0}, "seed"),
    ({"n_days": 1}, "n_days"),
    ({"preference_concentration": 0.0}, "preference_concentration"),
])
def test_invalid_config_raises(overrides, name):
    with pytest.raises(ParameterError, match=name):
        ShopConfig(**overrides)
    with pytest.raises(ParameterError, match=name):
        make_shop(**overrides)


def test_config_and_overrides_are_exclusive():
    with pytest.raises(ValueError, match="not both"):
        make_shop(ShopConfig(**SMALL), seed=2)
