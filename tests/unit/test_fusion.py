"""The ID + text fusion on a tiny shop with two tastes whose text vectors say which is which.

Users a* buy only A items and users b* only B items; the text vectors are the group's direction
plus noise, so text predicts behaviour and the map into ALS's factor space can learn it. Items
XA* and XB* have texts but no interactions: ALS cannot rank them, the fusion must.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys_helpers.errors import ParameterError
from recsys_helpers.models.baselines import (
    UNRANKABLE,
    ALSRecommender,
    ContentRecommender,
    PopularityRecommender,
)
from recsys_helpers.models.fusion import FusionRecommender, choose_alpha
from recsys_helpers.models.zero_shot import TextProfileRecommender

pytestmark = pytest.mark.unit

DIM = 8


@pytest.fixture(scope="module")
def blocks():
    rng = np.random.default_rng(0)
    pairs = []
    for group in ("a", "b"):
        for u in range(20):
            for i in rng.choice(12, 6, replace=False):
                pairs.append((f"{group}{u:02d}", f"{group.upper()}{i}"))
    warm = [f"{g}{i}" for g in "AB" for i in range(12)]
    cold = [f"X{g}{i}" for g in "AB" for i in range(3)]
    item_ids = warm + cold
    group = np.array([0 if i.lstrip("X").startswith("A") else 1 for i in item_ids])
    directions = np.eye(DIM)[[0, 1]]
    vectors = directions[group] + 0.1 * rng.standard_normal((len(item_ids), DIM))
    items = pd.DataFrame({"item_id": item_ids, "title": item_ids, "text": item_ids,
                          "category": np.where(group == 0, "A", "B")})
    users, clicked = zip(*pairs, strict=True)
    train = pd.DataFrame({"user_id": list(users), "item_id": list(clicked), "rating": 1.0,
                          "timestamp": np.arange(len(pairs), dtype=np.int64)})
    return train, items, vectors


def _als():
    return ALSRecommender(factors=2, regularization=0.05, iterations=15, seed=0)


@pytest.fixture(scope="module")
def fusion(blocks):
    train, items, vectors = blocks
    return FusionRecommender(_als(), vectors).fit(train, items)


def _columns(model, prefix):
    return np.flatnonzero(pd.Index(model.item_ids).str.startswith(prefix))


def test_warm_items_score_exactly_as_als_does(fusion, blocks):
    train, items, _ = blocks
    als = _als().fit(train, items)
    users = ["a00", "a07", "b03", "b19"]
    warm = fusion.item_counts > 0
    np.testing.assert_allclose(fusion.score(users)[:, warm], als.score(users)[:, warm],
                               rtol=1e-5, atol=1e-6)  # float64 here, float32 in ALS


def test_als_cannot_rank_cold_items_but_fusion_can(fusion, blocks):
    train, items, _ = blocks
    als = _als().fit(train, items)
    cold = _columns(fusion, "X")
    assert (als.score(["a00"])[:, cold] == UNRANKABLE).all()
    assert not any(item.startswith("X") for item in als.recommend(["a00"], k=30)["a00"])
    scores = fusion.score(["a00", "b00"])
    assert np.isfinite(scores[:, cold]).all()
    # the directional check: group A's users rank the new A items above the new B items
    new_a, new_b = _columns(fusion, "XA"), _columns(fusion, "XB")
    assert scores[0, new_a].min() > scores[0, new_b].max()
    assert scores[1, new_b].min() > scores[1, new_a].max()


def test_the_map_reproduces_warm_item_factors(fusion):
    warm = fusion.item_counts > 0
    actual = fusion.id_model.item_factors[warm]
    predicted = fusion.predicted_factors[warm]
    residual = ((actual - predicted) ** 2).sum()
    total = ((actual - actual.mean(axis=0)) ** 2).sum()
    assert 1 - residual / total > 0.9  # R^2 of the ridge map on the items it was fitted on
    cosines = (actual * predicted).sum(1) / (np.linalg.norm(actual, axis=1)
                                            * np.linalg.norm(predicted, axis=1))
    assert cosines.min() > 0.9


def test_cold_users_get_the_text_profile_scores(blocks):
    train, items, vectors = blocks
    profiles = TextProfileRecommender(["newcomer"], vectors[[0]], vectors)
    fusion = FusionRecommender(_als(), vectors, text_model=profiles).fit(train, items)
    np.testing.assert_allclose(fusion.score(["newcomer"]), profiles.score(["newcomer"]))
    assert fusion.recommend(["newcomer"], k=5)["newcomer"][0].lstrip("X").startswith("A")


def test_a_cold_user_model_answers_for_new_users_only(blocks):
    train, items, vectors = blocks
    profiles = TextProfileRecommender(["newcomer"], vectors[[0]], vectors)
    popular = PopularityRecommender()
    fusion = FusionRecommender(_als(), vectors, text_model=profiles,
                               cold_user_model=popular).fit(train, items)
    np.testing.assert_allclose(fusion.score(["newcomer"]), popular.score(["newcomer"]))
    assert not np.allclose(fusion.score(["newcomer"]), profiles.score(["newcomer"]))
    # users with ALS factors are scored as before
    plain = FusionRecommender(_als(), vectors, text_model=profiles).fit(train, items)
    np.testing.assert_allclose(fusion.score(["a01", "b02"]), plain.score(["a01", "b02"]))


def test_cold_scale_multiplies_only_the_cold_items_scores(fusion, blocks):
    train, items, vectors = blocks
    scaled = FusionRecommender(_als(), vectors, cold_scale=3.0).fit(train, items)
    cold = fusion.item_counts == 0
    base, tripled = fusion.score(["a01"])[0], scaled.score(["a01"])[0]
    np.testing.assert_allclose(tripled[cold], 3.0 * base[cold], rtol=1e-6)
    np.testing.assert_allclose(tripled[~cold], base[~cold], rtol=1e-6)


def test_alpha_zero_is_the_text_model_and_blends_lie_between(blocks):
    train, items, vectors = blocks
    text = ContentRecommender(vectors).fit(train, items)
    pure_text = FusionRecommender(_als(), vectors, alpha=0.0).fit(train, items)
    scale = pure_text.text_scale
    np.testing.assert_allclose(pure_text.score(["a01"]), scale * text.score(["a01"]), rtol=1e-6)
    half = FusionRecommender(_als(), vectors, alpha=0.5).fit(train, items)
    expected = 0.5 * half.id_scores(["a01"]) + 0.5 * scale * text.score(["a01"])
    np.testing.assert_allclose(half.score(["a01"]), expected, rtol=1e-6)


def test_encoder_callables_and_a_fitted_text_model_are_accepted(blocks):
    train, items, vectors = blocks
    lookup = dict(zip(items["text"], vectors, strict=True))
    from_callable = FusionRecommender(_als(), lambda texts: np.stack([lookup[t] for t in texts]))
    from_callable.fit(train, items)
    text = ContentRecommender(vectors).fit(train, items)
    reused = FusionRecommender(_als(), vectors, text_model=text, fit_text_model=False)
    reused.fit(train, items)
    np.testing.assert_allclose(from_callable.score(["b02"]), reused.score(["b02"]), rtol=1e-6)


def test_choose_alpha_scores_every_weight_on_a_later_slice(blocks):
    train, items, vectors = blocks
    alpha, table = choose_alpha(FusionRecommender(_als(), vectors), train, items,
                                alphas=(0.0, 0.5, 1.0))
    assert list(table.index) == [0.0, 0.5, 1.0] and alpha in table.index
    assert table[alpha] == table.max() and table.between(0, 1).all()


@pytest.mark.parametrize("settings", [
    {"alpha": 1.5}, {"alpha": -0.1}, {"ridge": 0.0}, {"min_interactions": 0},
    {"id_model": "als"}, {"text_model": "tfidf"}, {"text_vectors": None},
    {"fit_text_model": False}, {"fit_text_model": "no"}, {"cold_user_model": "popularity"},
    {"cold_scale": -1.0},
])
def test_bad_parameters_raise(settings, blocks):
    vectors = blocks[2]
    options = {"id_model": _als(), "text_vectors": vectors, **settings}
    with pytest.raises(ParameterError):
        FusionRecommender(**options)


def test_mismatched_inputs_raise_at_fit(blocks):
    train, items, vectors = blocks
    with pytest.raises(ParameterError, match="rows"):
        FusionRecommender(_als(), vectors[:5]).fit(train, items)
    with pytest.raises(ParameterError, match="factors"):
        FusionRecommender(PopularityRecommender(), vectors).fit(train, items)
    unfitted = ContentRecommender(vectors)
    with pytest.raises(ParameterError, match="same items"):
        FusionRecommender(_als(), vectors, text_model=unfitted,
                          fit_text_model=False).fit(train, items)
