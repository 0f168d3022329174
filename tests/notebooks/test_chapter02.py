"""Chapter 2 (core concepts): its claims hold on another shop and run on Amazon gift cards.

Expected run time on a 2-core CPU: about 60 s for the synthetic run (most of it embedding
texts with MiniLM), about 40 s for gift cards, a few seconds for each invalid parameter.
"""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.notebooks]

CHANCE_13_CATEGORIES = 1 / 13


def test_synthetic_shop_supports_each_concept(run_chapter):
    # Another seed and a smaller shop than the committed run.
    f = run_chapter("02_core_concepts", seed=1, n_users=2000, n_items=800, n_sessions=20000,
                    n_reviews=500)

    # Pretrained representations: tighter categories than TF-IDF, and unseen product types
    # land in the right category far above chance, where word matching is at chance.
    assert f["silhouette_minilm"] > 2 * f["silhouette_tfidf"]
    assert f["knn_accuracy_unseen_types_minilm"] > 5 * CHANCE_13_CATEGORIES
    assert f["knn_accuracy_unseen_types_tfidf"] < 2 * CHANCE_13_CATEGORIES

    # Zero-shot: requests fit better than with word matching, popularity fits by chance.
    assert f["request_precision_minilm"] > f["request_precision_tfidf"]
    assert f["request_precision_minilm"] > 5 * f["request_precision_popularity"]
    # A user's one-sentence description matches their true taste far better than popularity,
    assert f["true_click_rate_description"] > 2 * f["true_click_rate_popularity"]
    assert f["true_click_rate_description"] > 2 * f["true_click_rate_random"]
    # ... yet on logged clicks the description alone loses to popularity (exposure bias),
    assert f["user_ndcg_description_new_users"] < f["user_ndcg_popularity_new_users"]
    # ... and as the retrieval stage before popularity it wins for users with no history.
    assert f["user_ndcg_two_stage_new_users"] > f["user_ndcg_popularity_new_users"]

    # Knowledge extraction.
    category = f["extract_category"]
    assert category["zero_shot_accuracy"] > 0.9
    assert category["zero_shot_accuracy"] > 5 * category["majority_accuracy"]
    types = f["extract_category_type_only"]
    assert types["zero_shot_f1"] > 0.6 > 2 * types["keyword_f1"]
    colour = f["extract_colour"]  # written verbatim: the lookup beats the model
    assert colour["keyword_accuracy"] == 1.0 > colour["zero_shot_accuracy"]
    assert colour["zero_shot_accuracy"] > 5 * colour["majority_accuracy"]
    price = f["extract_price_band_price_only"]  # zero-shot cannot read the number ...
    assert price["zero_shot_f1"] < price["majority_f1"] + 0.1
    assert price["few_shot_f1"] > 0.6  # ... a few labels on the same vectors can
    sentiment = f["extract_sentiment"]
    assert sentiment["zero_shot_f1"] > sentiment["majority_f1"] + 0.2
    assert sentiment["zero_shot_accuracy"] > sentiment["majority_accuracy"]

    # Personalised recommendation: ALS wins on warm data; only text ranks new items.
    assert f["ndcg_als"] > f["ndcg_minilm_content"]
    assert f["ndcg_minilm_two_stage"] > f["ndcg_popularity"]
    assert f["ndcg_als_new_items"] == 0.0
    assert f["ndcg_minilm_content_new_items"] > 0.0
    assert f["ndcg_tfidf_content_new_items"] > 0.0


@pytest.mark.shared_data
def test_gift_cards_run_without_the_shop_ground_truth(mirror, run_chapter):
    f = run_chapter("02_core_concepts", dataset="amazon2018-gift-cards", n_reviews=500)
    # One category and no descriptions: the shop-only parts are skipped, not faked.
    assert "knn_accuracy_minilm" not in f and "request_precision_minilm" not in f
    assert "true_click_rate_description" not in f
    # Sentiment from review stars: almost all 5-star, so the majority class has a high
    # accuracy but a low macro-F1, and zero-shot beats it on macro-F1.
    sentiment = f["extract_sentiment"]
    assert sentiment["majority_accuracy"] > 0.9
    assert sentiment["zero_shot_f1"] > sentiment["majority_f1"]
    for name in ("ndcg_popularity", "ndcg_als", "ndcg_tfidf_content", "ndcg_minilm_content"):
        assert 0.0 < f[name] < 1.0
    # A small 5-core catalogue: popularity is a strong baseline and MiniLM content matches it.
    assert f["ndcg_minilm_content"] > 0.8 * f["ndcg_popularity"]
    assert f.get("ndcg_als_new_items", 0.0) == 0.0


@pytest.mark.parametrize(
    ("parameters", "error", "message"),
    [
        ({"model": "recsys-helpers-tests/no-such-model"}, "ModelNotAvailableError",
         "cannot load model"),
        ({"model": "not a model name"}, "UnknownNameError", "known model alias"),
        ({"k": 0}, "ParameterError", "parameter 'k' must be >= 1"),
        ({"n_candidates": 5}, "ParameterError", "parameter 'n_candidates' must be >= 10"),
        ({"dataset": "movielens"}, "ParameterError", "parameter 'dataset' must be one of"),
    ],
)
def test_invalid_parameters_stop_with_a_clear_message(chapter_error, monkeypatch, parameters,
                                                      error, message):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # as on a machine without internet
    raised = chapter_error("02_core_concepts", **parameters)
    assert raised.ename == error
    assert message in raised.evalue
