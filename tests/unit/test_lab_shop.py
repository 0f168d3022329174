"""The lab shop: determinism, schema, the timeline, validation, and the controls that make it a
laboratory: shuffled texts and ``text_signal=0`` drop text models to random on cold items,
MiniLM beats TF-IDF on cold items at the default mix, and ALS beats both on warm items."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from recsys_helpers.data.schema import InteractionData
from recsys_helpers.data.shop import (
    ATTRIBUTE_NAMES,
    CATEGORY_NAMES,
    LabShopConfig,
    make_lab_shop,
    position_bias,
)
from recsys_helpers.data.shop.behaviour import EPOCH, SECONDS_PER_DAY
from recsys_helpers.data.shop.language import ATTRIBUTES, CATEGORIES
from recsys_helpers.errors import ParameterError
from recsys_helpers.models.baselines import (
    UNRANKABLE,
    ALSRecommender,
    ContentRecommender,
    PopularityRecommender,
    TfidfRecommender,
)

pytestmark = pytest.mark.unit

SMALL = {"n_users": 600, "n_items": 300, "n_sessions": 6_000, "n_queries": 500}
# The controls' shop: big enough for stable NDCG, small enough to embed its items in seconds.
CONTROL = {"n_users": 4_000, "n_items": 1_000, "n_sessions": 60_000, "n_queries": 0,
           "initial_item_share": 0.3}
CUTOFF_SHARE = 0.7  # clicks before 70 % of the horizon train, the rest test


@pytest.fixture(scope="module")
def shop():
    return make_lab_shop(seed=0, **SMALL)


# --- a small local evaluation: NDCG@10 of held-out clicks, cold and warm items apart -----------


def ndcg_at_10(scores: np.ndarray, positives: list[np.ndarray], rng: np.random.Generator) -> float:
    """Mean NDCG@10 (binary relevance) over rows; ties, -inf included, are broken at random."""
    discounts = 1.0 / np.log2(np.arange(2, 12))
    values = []
    for row, wanted in zip(scores, positives, strict=True):
        finite = np.where(np.isfinite(row), row, np.finfo(float).min)
        order = np.lexsort((rng.random(len(row)), -finite))[:10]
        hits = np.isin(order, wanted)
        ideal = discounts[:min(len(wanted), 10)].sum()
        values.append(float(hits @ discounts[:len(hits)]) / ideal)
    return float(np.mean(values))


def split_by_time(lab_shop, cutoff_share: float = CUTOFF_SHARE):
    """Clicks before the cutoff day train; after it they are the test positives."""
    clicks = lab_shop.to_interactions().interactions
    day = (clicks["timestamp"] - EPOCH) // SECONDS_PER_DAY
    cutoff = int(cutoff_share * lab_shop.config.n_days)
    return clicks[day < cutoff], clicks[day >= cutoff]


def evaluate(lab_shop, models: dict, seed: int = 0) -> dict[str, dict[str, float]]:
    """NDCG@10 per model on cold items (no training click; ranked among cold items only) and on
    warm items (ranked among warm items the user has not clicked in training); "random" is the
    exact expectation of a random ranking."""
    train, test = split_by_time(lab_shop)
    items = lab_shop.items
    item_index = pd.Index(items["item_id"])
    warm = np.zeros(len(items), dtype=bool)
    warm[item_index.get_indexer(train["item_id"].unique())] = True
    test = test[test["user_id"].isin(set(train["user_id"]))]
    seen = train.groupby("user_id")["item_id"].agg(set)
    fitted = {name: model.fit(train, items) for name, model in models.items()}
    results: dict[str, dict[str, float]] = {name: {} for name in [*models, "random"]}
    for group, columns in (("cold", np.flatnonzero(~warm)), ("warm", np.flatnonzero(warm))):
        positives, users = [], []
        for user, clicked in test.groupby("user_id")["item_id"]:
            chosen = set(clicked) - seen.get(user, set())
            wanted = np.flatnonzero(np.isin(items["item_id"].to_numpy()[columns], list(chosen)))
            if len(wanted):
                users.append(user)
                positives.append(wanted)
        n_candidates = np.full(len(users), len(columns))
        for name, model in fitted.items():
            scores = model.score(users)[:, columns].astype(float)
            if group == "warm":
                rows = model.user_index.get_indexer(users)
                history = model.user_items[rows][:, columns].toarray() > 0
                scores[history] = UNRANKABLE
                n_candidates = len(columns) - history.sum(axis=1)
            results[name][group] = ndcg_at_10(scores, positives, np.random.default_rng(seed))
        results["random"][group] = expected_random_ndcg_at_10(
            np.array([len(p) for p in positives]), n_candidates)
        results.setdefault("_users", {})[group] = len(users)
    return results


def expected_random_ndcg_at_10(n_positive: np.ndarray, n_candidates: np.ndarray) -> float:
    """The exact mean NDCG@10 of a uniformly random ranking: each place holds a positive with
    probability n_positive / n_candidates, so E[DCG] is that share times the summed discounts."""
    discounts = 1.0 / np.log2(np.arange(2, 12))
    cumulative = np.cumsum(discounts)
    places = np.minimum(n_candidates, 10)
    expected_dcg = n_positive / n_candidates * cumulative[places - 1]
    return float(np.mean(expected_dcg / cumulative[np.minimum(n_positive, 10) - 1]))


@pytest.fixture(scope="module")
def encoder():
    from recsys_helpers.models.pretrained import load_encoder

    return load_encoder("minilm", device="cpu")


@pytest.fixture(scope="module")
def control_shop():
    return make_lab_shop(seed=0, **CONTROL)


@pytest.fixture(scope="module")
def minilm_vectors(control_shop, encoder):
    from recsys_helpers.models.pretrained import encode_texts

    vectors = encode_texts(encoder, control_shop.items["text"].tolist())
    # Centre on the catalogue mean: sentence embeddings share a large common direction that
    # would otherwise act as a per-item bias, the same for every user (a training-free fix).
    return vectors - vectors.mean(axis=0)


def text_models(vectors: np.ndarray) -> dict:
    return {"tfidf": TfidfRecommender(), "minilm": ContentRecommender(item_vectors=vectors)}


# --- determinism ------------------------------------------------------------------------------


def test_same_seed_gives_identical_tables(shop):
    again = make_lab_shop(seed=0, **SMALL)
    for name in ("items", "users", "impressions", "reviews", "queries", "search_results"):
        pd.testing.assert_frame_equal(getattr(shop, name), getattr(again, name))
    np.testing.assert_array_equal(shop.tastes.item_factors, again.tastes.item_factors)
    np.testing.assert_array_equal(shop.item_quality, again.item_quality)


def test_different_seed_gives_different_tables(shop):
    other = make_lab_shop(seed=1, **SMALL)
    assert not shop.items["text"].equals(other.items["text"])
    assert not shop.impressions[["user_id", "item_id"]].equals(
        other.impressions[["user_id", "item_id"]])
    assert not shop.queries["text"].equals(other.queries["text"])


def test_behavioural_knobs_leave_the_catalogue_alone(shop):
    other = make_lab_shop(seed=0, text_signal=0.0, policy_skill=0.3, **SMALL)
    pd.testing.assert_frame_equal(shop.items, other.items)
    pd.testing.assert_frame_equal(shop.users, other.users)
    assert not shop.impressions["item_id"].equals(other.impressions["item_id"])


# --- sizes, schema and texts ------------------------------------------------------------------


def test_sizes_slates_and_indices(shop):
    config, imp = shop.config, shop.impressions
    assert len(shop.items) == config.n_items and shop.items["item_id"].is_unique
    assert len(shop.users) == config.n_users and shop.users["user_id"].is_unique
    assert not imp.duplicated(["session_id", "item_id"]).any()
    per_session = imp.groupby("session_id")["position"]
    assert (per_session.max() + 1 == per_session.size()).all()
    assert 0.9 * config.n_sessions * config.slate_size <= len(imp)
    np.testing.assert_array_equal(shop.items["item_id"].to_numpy()[imp["item_index"]],
                                  imp["item_id"])
    np.testing.assert_array_equal(shop.users["user_id"].to_numpy()[imp["user_index"]],
                                  imp["user_id"])


def test_texts_express_attributes_without_naming_the_category(shop):
    items = shop.items
    assert set(items["category"]) == set(CATEGORY_NAMES)
    for row in items.itertuples():
        assert row.noun in CATEGORIES[row.category]["nouns"]
        assert row.noun.lower() in row.text.lower()
        assert row.brand not in row.text  # the brand speaks through its voice only
        assert f"${row.price:.2f}" in row.text
        # the category's own name never appears (only the product noun shows it)
        assert row.category.replace("_", " ") not in row.text.lower()
    # the same attribute value is written in several ways across the catalogue
    waterproof = items[items["feature"] == "waterproof"]["text"]
    used = [p for p in ATTRIBUTES["feature"]["waterproof"]["item"]
            if waterproof.str.contains(p, regex=False).any()]
    assert len(used) >= 4


def test_lexical_variety_zero_writes_canonical_phrases():
    plain = make_lab_shop(seed=0, lexical_variety=0.0, mention_rate=1.0, **SMALL)
    for row in plain.items.head(50).itertuples():
        for name in ATTRIBUTE_NAMES:
            canonical = ATTRIBUTES[name][getattr(row, name)]["item"][0]
            assert canonical in row.text


def test_to_interactions_matches_the_old_shop_format(shop):
    imp = shop.impressions
    clicks = shop.to_interactions()
    assert isinstance(clicks, InteractionData) and clicks.extras["shop"] is shop
    assert list(clicks.interactions.columns) == ["user_id", "item_id", "rating", "timestamp"]
    assert len(clicks.interactions) == int(imp["clicked"].sum())
    assert {"item_id", "title", "text", "category"} <= set(clicks.items.columns)
    purchases = shop.to_interactions("purchase")
    assert 0 < len(purchases.interactions) < len(clicks.interactions)
    assert not (imp["purchased"] & ~imp["clicked"]).any()
    with pytest.raises(ParameterError, match="click"):
        shop.to_interactions("view")


def test_user_descriptions_state_interests_not_item_phrases(shop):
    descriptions = shop.users["description"]
    assert descriptions.str.len().gt(10).all()
    assert descriptions.nunique() > 0.5 * len(descriptions)
    item_phrases = {p for values in ATTRIBUTES.values() for v in values.values()
                    for p in v["item"]}
    assert not any(p in d for d in descriptions for p in item_phrases)


# --- the timeline and behaviour ---------------------------------------------------------------


def test_nothing_happens_before_it_exists(shop):
    imp = shop.impressions
    assert (imp["day"] >= shop.items["created_day"].to_numpy()[imp["item_index"]]).all()
    assert (imp["day"] >= shop.users["first_day"].to_numpy()[imp["user_index"]]).all()
    np.testing.assert_array_equal((imp["timestamp"] - EPOCH) // SECONDS_PER_DAY, imp["day"])
    assert imp.groupby("session_id")["timestamp"].first().is_monotonic_increasing
    results = shop.search_results
    query_day = shop.queries["day"].to_numpy()[results["query_index"]]
    assert (query_day >= shop.items["created_day"].to_numpy()[results["item_index"]]).all()


def test_cold_items_and_users_arrive_in_every_period(shop):
    imp = shop.impressions
    created = shop.items["created_day"].to_numpy()[imp["item_index"]]
    first = shop.users["first_day"].to_numpy()[imp["user_index"]]
    for low in range(0, shop.config.n_days, 45):
        period = imp["day"].between(low, low + 44).to_numpy()
        new_item = created[period] >= low
        new_user = first[period] >= low
        assert new_item.any() and new_user.any()
        if low > 0:
            assert new_item.mean() < 0.5


def test_clicks_follow_affinity_with_position_bias():
    medium = make_lab_shop(seed=1, n_users=1_000, n_items=500, n_sessions=10_000, n_queries=0)
    imp = medium.impressions
    affinity = medium.true_affinity(imp["user_index"], imp["item_index"], imp["day"])
    p_click = position_bias(imp["position"].to_numpy()) / (1.0 + np.exp(-affinity))
    clicked = imp["clicked"].to_numpy()
    # the recorded clicks are Bernoulli(p_click): totals agree within 4 sd, per position too
    for position in (0, 4, 9):
        rows = imp["position"].to_numpy() == position
        p = p_click[rows]
        assert abs(clicked[rows].sum() - p.sum()) < 4 * np.sqrt((p * (1 - p)).sum())
    assert affinity[clicked].mean() > affinity[~clicked].mean() + 0.5


def test_drift_moves_only_drifting_users(shop):
    drifts = shop.users["drifts"].to_numpy()
    users = np.repeat(np.arange(shop.config.n_users), 20)
    items = np.tile(np.arange(20), shop.config.n_users)
    change = np.abs(shop.taste(users, items, shop.config.n_days)
                    - shop.taste(users, items, 0)).reshape(-1, 20).mean(axis=1)
    np.testing.assert_allclose(change[~drifts], 0.0, atol=1e-12)
    assert change[drifts].mean() > 0.3


def test_taste_has_unit_variance_at_any_mix():
    for signal in (0.0, 0.5, 1.0):
        lab = make_lab_shop(seed=2, text_signal=signal, **SMALL)
        rng = np.random.default_rng(0)
        users = rng.integers(0, lab.config.n_users, 20_000)
        items = rng.integers(0, lab.config.n_items, 20_000)
        assert lab.taste(users, items, 0).std() == pytest.approx(1.0, abs=0.1)


def test_reviews_follow_purchases_and_affinity(shop):
    reviews = shop.reviews
    assert len(reviews) > 30 and reviews["rating"].between(1, 5).all()
    bought = shop.impressions[shop.impressions["purchased"]]
    pairs = set(zip(bought["user_id"], bought["item_id"], bought["timestamp"], strict=True))
    assert all((r.user_id, r.item_id, r.timestamp - 3 * SECONDS_PER_DAY) in pairs
               for r in reviews.itertuples())
    index = pd.Index(shop.items["item_id"])
    users = pd.Index(shop.users["user_id"]).get_indexer(reviews["user_id"])
    day = (reviews["timestamp"] - 3 * SECONDS_PER_DAY - EPOCH) // SECONDS_PER_DAY
    affinity = shop.true_affinity(users, index.get_indexer(reviews["item_id"]), day)
    assert spearmanr(reviews["rating"], affinity).statistic > 0.3


# --- search -----------------------------------------------------------------------------------


def test_queries_results_clicks_and_relevance(shop):
    queries, results = shop.queries, shop.search_results
    k = shop.config.results_per_query
    assert len(queries) == shop.config.n_queries and len(results) == k * len(queries)
    assert not results.duplicated(["query_id", "item_id"]).any()
    grades = shop.query_relevance(results["query_index"], results["item_index"])
    np.testing.assert_array_equal(grades, results["relevance"])
    category = queries["category_index"].to_numpy()[results["query_index"]]
    other = category != shop.items["category_index"].to_numpy()[results["item_index"]]
    assert (results["relevance"].to_numpy()[other] == 0).all()
    assert results["relevance"].max() >= 3
    rate = results.groupby("relevance")["clicked"].mean()
    assert rate.is_monotonic_increasing
    # a query's words are seldom an item text's words: the phrases come from another voice
    query_phrases = {p for values in ATTRIBUTES.values() for v in values.values()
                     for p in v["query"]}
    item_phrases = {p.rstrip(".").lower() for values in ATTRIBUTES.values()
                    for v in values.values() for p in v["item"]}
    assert len(query_phrases & item_phrases) <= 3


# --- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize("overrides, name", [
    ({"n_users": -5}, "n_users"),
    ({"n_items": 5}, "n_items"),
    ({"text_signal": 1.5}, "text_signal"),
    ({"text_signal": float("nan")}, "text_signal"),
    ({"lexical_variety": -0.1}, "lexical_variety"),
    ({"candidate_pool": 5}, "candidate_pool"),
    ({"n_factors": 0}, "n_factors"),
    ({"seed": True}, "seed"),
    ({"policy_skill": "high"}, "policy_skill"),
    ({"n_days": 1}, "n_days"),
])
def test_invalid_config_raises(overrides, name):
    with pytest.raises(ParameterError, match=name):
        LabShopConfig(**overrides)
    with pytest.raises(ParameterError, match=name):
        make_lab_shop(**overrides)


def test_config_and_overrides_are_exclusive():
    with pytest.raises(ParameterError, match="not both"):
        make_lab_shop(LabShopConfig(**SMALL), seed=2)


# --- the controls -----------------------------------------------------------------------------


def test_default_mix_text_wins_cold_and_als_wins_warm(control_shop, minilm_vectors):
    models = {"popularity": PopularityRecommender(),
              "als": ALSRecommender(factors=32, iterations=15), **text_models(minilm_vectors)}
    result = evaluate(control_shop, models)
    cold = {name: result[name]["cold"] for name in result if name != "_users"}
    warm = {name: result[name]["warm"] for name in result if name != "_users"}
    assert cold["minilm"] > cold["tfidf"] + 0.003, cold
    assert cold["tfidf"] > cold["random"] + 0.01, cold
    assert cold["als"] < cold["minilm"] - 0.01, cold  # ALS cannot rank what it never saw
    assert warm["als"] > max(warm["minilm"], warm["tfidf"], warm["popularity"]) + 0.005, warm


def test_shuffled_texts_drop_text_models_to_random_on_cold_items(control_shop, minilm_vectors):
    rng = np.random.default_rng(0)
    permutation = rng.permutation(len(control_shop.items))
    shuffled = control_shop.items.copy()
    shuffled["text"] = shuffled["text"].to_numpy()[permutation]
    lab = make_lab_shop(seed=0, **CONTROL)
    lab.items = shuffled
    models = {**text_models(minilm_vectors[permutation])}
    result = evaluate(lab, models)
    for name in ("tfidf", "minilm"):
        assert abs(result[name]["cold"] - result["random"]["cold"]) < 0.01, result


def test_no_text_signal_removes_the_cold_item_advantage(control_shop, minilm_vectors):
    lab = make_lab_shop(seed=0, text_signal=0.0, **CONTROL)
    models = {**text_models(minilm_vectors)}
    result = evaluate(lab, models)
    for name in ("tfidf", "minilm"):
        assert abs(result[name]["cold"] - result["random"]["cold"]) < 0.01, result


def graded_ndcg_at_10(scores: np.ndarray, grades: np.ndarray) -> float:
    """Mean NDCG@10 with gains 2**grade - 1 (the usual graded form), over queries."""
    gains = 2.0 ** grades - 1.0
    discounts = 1.0 / np.log2(np.arange(2, 12))
    ideal = -np.sort(-gains, axis=1)[:, :10] @ discounts
    top = np.argsort(-scores, axis=1, kind="stable")[:, :10]
    return float(np.mean(np.take_along_axis(gains, top, axis=1) @ discounts / ideal))


def test_semantic_search_beats_lexical_on_the_query_log(control_shop, encoder, minilm_vectors):
    from sklearn.feature_extraction.text import TfidfVectorizer

    from recsys_helpers.models.pretrained import encode_texts
    from recsys_helpers.models.zero_shot import cosine_scores

    lab = make_lab_shop(seed=0, **{**CONTROL, "n_queries": 300})
    pd.testing.assert_frame_equal(lab.items, control_shop.items)  # same catalogue, new queries
    queries, n_items = lab.queries, len(lab.items)
    pairs_query = np.repeat(np.arange(len(queries)), n_items)
    pairs_item = np.tile(np.arange(n_items), len(queries))
    exists = (lab.items["created_day"].to_numpy()[None, :]
              <= queries["day"].to_numpy()[:, None])
    grades = np.where(exists, lab.query_relevance(pairs_query, pairs_item).reshape(exists.shape),
                      0)

    def ndcg(scores: np.ndarray) -> float:
        return graded_ndcg_at_10(np.where(exists, scores, -np.inf), grades)

    vectoriser = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit(lab.items["text"])
    lexical = cosine_scores(vectoriser.transform(queries["text"]),
                            vectoriser.transform(lab.items["text"]))
    semantic = cosine_scores(encode_texts(encoder, queries["text"].tolist()), minilm_vectors)
    logged = np.full(exists.shape, -np.inf)
    results = lab.search_results
    logged[results["query_index"], results["item_index"]] = -results["position"].to_numpy()
    random = np.random.default_rng(0).random(exists.shape)
    scores = {"random": ndcg(random), "logging engine": ndcg(logged), "tfidf": ndcg(lexical),
              "minilm": ndcg(semantic)}
    assert scores["minilm"] > scores["tfidf"] + 0.05, scores
    assert scores["tfidf"] > scores["logging engine"] > scores["random"] + 0.03, scores


def test_load_dataset_shop_is_the_lab_shop_with_its_knobs():
    from recsys_helpers.data import DATASET_NAMES, load_dataset

    assert "shop" in DATASET_NAMES
    data = load_dataset("shop", seed=2, text_signal=0.2, **SMALL)
    shop = data.extras["shop"]
    assert shop.config.text_signal == 0.2 and shop.config.seed == 2
    pd.testing.assert_frame_equal(data.interactions,
                                  make_lab_shop(seed=2, text_signal=0.2, **SMALL)
                                  .to_interactions().interactions)
    with pytest.raises(ParameterError, match="text_signal"):
        load_dataset("shop", text_signal=1.5)
