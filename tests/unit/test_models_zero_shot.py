"""models.zero_shot: similarities against scikit-learn, rankings, classifiers, recommenders,
and the cosines of (history, item) pairs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.metrics.pairwise import cosine_similarity

from recsys_helpers.errors import ParameterError
from recsys_helpers.models.baselines import UNRANKABLE, ContentRecommender, top_k_indices
from recsys_helpers.models.zero_shot import (
    TextProfileRecommender,
    TwoStageRecommender,
    ZeroShotClassifier,
    cosine_scores,
    embed,
    pair_features,
    pair_scores,
    rank_by_query,
)

pytestmark = pytest.mark.unit

VOCABULARY = ["red", "blue", "green", "coffee", "dog", "cat", "shirt", "mug", "toy", "cheap"]


@pytest.fixture(scope="module")
def bag_of_words():
    """A tiny lexical encoder: word counts over a fixed vocabulary (sparse rows)."""
    return CountVectorizer(vocabulary=VOCABULARY).transform


def test_embed_normalises_rows_of_a_callable_encoder(bag_of_words):
    vectors = embed(bag_of_words, ["red red shirt", "blue mug", "nothing known"])
    assert sp.issparse(vectors)
    norms = np.sqrt(np.asarray(vectors.multiply(vectors).sum(axis=1))).ravel()
    np.testing.assert_allclose(norms, [1.0, 1.0, 0.0])  # an all-zero row stays zero
    dense = embed(lambda texts: np.array([[3.0, 4.0]] * len(texts)), ["a", "b"])
    np.testing.assert_allclose(dense, [[0.6, 0.8], [0.6, 0.8]])
    with pytest.raises(ParameterError, match="single string"):
        embed(bag_of_words, "red shirt")
    with pytest.raises(ParameterError, match="rows"):
        embed(lambda texts: np.zeros((1, 2)), ["a", "b"])
    with pytest.raises(ParameterError, match="encoder must be"):
        embed(42, ["a"])


def test_cosine_scores_match_scikit_learn():
    rng = np.random.default_rng(0)
    queries, items = rng.normal(size=(4, 6)), rng.normal(size=(9, 6))
    expected = cosine_similarity(queries, items)
    np.testing.assert_allclose(cosine_scores(queries, items), expected, atol=1e-12)
    np.testing.assert_allclose(cosine_scores(sp.csr_matrix(queries), sp.csr_matrix(items)),
                               expected, atol=1e-12)
    np.testing.assert_allclose(cosine_scores(queries[0], items), expected[:1], atol=1e-12)
    with pytest.raises(ParameterError, match="same encoder"):
        cosine_scores(queries, items[:, :5])


def test_top_k_indices_agree_with_a_stable_sort():
    rng = np.random.default_rng(1)
    scores = rng.integers(0, 4, size=(20, 15)).astype(float)  # many ties
    expected = np.argsort(-scores, axis=1, kind="stable")[:, :5]
    np.testing.assert_array_equal(top_k_indices(scores, 5), expected)
    np.testing.assert_array_equal(top_k_indices(scores[0], 3), expected[:1, :3])
    with pytest.raises(ParameterError):
        top_k_indices(scores, 0)


def test_rank_by_query_returns_the_most_similar_items(bag_of_words):
    catalogue = ["blue coffee mug", "red dog toy", "green cat toy", "red shirt", "blue shirt"]
    item_vectors = embed(bag_of_words, catalogue)
    assert rank_by_query(bag_of_words, "a red shirt", item_vectors, k=2).tolist() == [3, 4]
    both = rank_by_query(bag_of_words, ["coffee mug", "cat toy"], item_vectors, k=1)
    assert both.shape == (2, 1) and both[:, 0].tolist() == [0, 2]
    with pytest.raises(ParameterError, match="empty"):
        rank_by_query(bag_of_words, [], item_vectors)


def test_zero_shot_classifier_averages_descriptions_and_picks_the_closest(bag_of_words):
    labels = {"drink": ["coffee mug", "coffee"], "pet": "dog cat toy", "wear": "shirt"}
    classifier = ZeroShotClassifier(bag_of_words, labels)
    texts = ["a red coffee mug", "a toy for the dog", "blue shirt", "cheap cat toy"]
    assert classifier.predict(texts).tolist() == ["drink", "pet", "wear", "pet"]

    # Scores are cosines to the normalised mean of each label's normalised description vectors.
    raw = bag_of_words(["coffee mug", "coffee", "dog cat toy", "shirt"]).toarray().astype(float)
    raw /= np.linalg.norm(raw, axis=1, keepdims=True)
    label_vectors = np.vstack([raw[:2].mean(axis=0), raw[2], raw[3]])
    expected = cosine_similarity(bag_of_words(texts), label_vectors)
    np.testing.assert_allclose(classifier.predict_scores(texts), expected, atol=1e-12)
    # Precomputed vectors give the same scores as the texts.
    np.testing.assert_allclose(classifier.predict_scores(embed(bag_of_words, texts)), expected,
                               atol=1e-12)


def test_zero_shot_classifier_rejects_bad_labels(bag_of_words):
    with pytest.raises(ParameterError, match="at least two"):
        ZeroShotClassifier(bag_of_words, {"only": "one label"})
    with pytest.raises(ParameterError, match="non-empty description"):
        ZeroShotClassifier(bag_of_words, {"a": "red", "b": " "})
    with pytest.raises(ParameterError, match="non-empty description"):
        ZeroShotClassifier(bag_of_words, {"a": "red", "b": []})


def test_zero_shot_classifier_with_the_bundled_minilm():
    from recsys_helpers.models.pretrained import load_encoder

    encoder = load_encoder("minilm", device="cpu")
    classifier = ZeroShotClassifier(encoder, {
        "pets": "supplies for dogs and cats", "coffee": "coffee brewing gear",
        "clothing": "clothes to wear"})
    texts = ["a chew toy for my puppy", "a French press", "a wool sweater"]
    assert classifier.predict(texts).tolist() == ["pets", "coffee", "clothing"]
    item_vectors = embed(encoder, ["leather belt", "espresso machine", "cat scratching post"])
    assert rank_by_query(encoder, "something for my kitten", item_vectors, k=1).tolist() == [2]


def _interactions(pairs):
    return pd.DataFrame({"user_id": [u for u, _ in pairs], "item_id": [i for _, i in pairs],
                         "rating": 1.0, "timestamp": np.arange(len(pairs))})


ITEMS = pd.DataFrame({"item_id": ["a", "b", "c", "d"], "title": list("abcd"),
                      "text": list("abcd"), "category": ["x", "x", "y", "y"]})
ITEM_VECTORS = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])


def test_text_profile_recommender_ranks_by_the_users_text():
    train = _interactions([("u1", "a"), ("u2", "a"), ("u2", "c"), ("u3", "c")])
    user_vectors = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    model = TextProfileRecommender(["u1", "u2", "new"], user_vectors, ITEM_VECTORS)
    model.fit(train, ITEMS)
    np.testing.assert_allclose(model.score(["new"]), cosine_similarity([[0.0, 1.0]],
                                                                      ITEM_VECTORS))
    lists = model.recommend(["u1", "new", "nobody"], k=2)
    assert lists["u1"] == ["b", "d"]  # "a" is seen in training, so never recommended
    assert lists["new"] == ["c", "d"]  # no history, but a description
    assert lists["nobody"] == ["a", "c"]  # neither: popularity (distinct users)
    with pytest.raises(ParameterError, match="user vectors"):
        TextProfileRecommender(["u1"], user_vectors, ITEM_VECTORS)
    with pytest.raises(ParameterError, match="catalogue"):
        TextProfileRecommender(["u1", "u2", "u3"], user_vectors, ITEM_VECTORS[:3]).fit(
            train, ITEMS)


def test_two_stage_orders_the_base_candidates_by_popularity():
    # Popularity (distinct users): b 3, a 2, c 1, d 0 (a new item).
    train = _interactions([("u1", "a"), ("u2", "a"), ("u1", "b"), ("u2", "b"), ("u3", "b"),
                           ("u3", "c"), ("u4", "c")][:-1])
    base = ContentRecommender(ITEM_VECTORS)
    model = TwoStageRecommender(base, n_candidates=2).fit(train, ITEMS)
    # u3 (history b, c) leans to neither; its unseen items are a and d. Candidates: both.
    # Popularity puts a (2 users) before the new item d (0 users), whatever the base order.
    assert model.recommend(["u3"], k=2)["u3"] == ["a", "d"]
    # u1 (history a, b): unseen c and d, both candidates; c has one user, d none.
    assert model.recommend(["u1"], k=2)["u1"] == ["c", "d"]
    # Only the base model's top candidates are rankable.
    scores = TwoStageRecommender(base, n_candidates=1).fit(train, ITEMS).score(["u1"])
    assert np.isfinite(scores).sum() == 1
    # Ties in popularity follow the base model's order.
    tied = TwoStageRecommender(base, n_candidates=4).fit(_interactions([("u", "a")]), ITEMS)
    np.testing.assert_array_equal(np.argsort(-tied.score(["u"])[0])[:3], [1, 3, 2])
    assert tied.score(["u"])[0, 0] == UNRANKABLE  # seen
    with pytest.raises(ParameterError, match="Recommender"):
        TwoStageRecommender("content", 10)


class _StubEncoder:
    """Deterministic vectors per text, in place of a SentenceTransformer."""

    def __init__(self):
        self.calls = []

    def encode(self, texts, normalize_embeddings, **_):
        self.calls.append(list(texts))
        vectors = np.array([[len(t), t.count("a") + 1.0, 1.0] for t in texts])
        if normalize_embeddings:
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors


def test_zero_shot_scores_are_cosines_of_distinct_texts():
    frame = pd.DataFrame({"history_text": ["aa", "b", "aa"], "item_text": ["ccc", "aa", "b"]})
    encoder = _StubEncoder()
    scores = pair_scores(encoder, frame)
    assert sorted(encoder.calls[0]) == ["aa", "b", "ccc"]  # each text embedded once

    def vector(t):
        v = np.array([len(t), t.count("a") + 1.0, 1.0])
        return v / np.linalg.norm(v)

    expected = [vector(h) @ vector(i) for h, i in zip(frame.history_text, frame.item_text,
                                                      strict=True)]
    np.testing.assert_allclose(scores, expected, rtol=1e-6)


def test_zero_shot_features_sum_to_the_cosine():
    frame = pd.DataFrame({"history_text": ["aa", "b"], "item_text": ["ccc", "aa"]})
    features = pair_features(_StubEncoder(), frame)
    np.testing.assert_allclose(features.sum(axis=1), pair_scores(_StubEncoder(), frame))
