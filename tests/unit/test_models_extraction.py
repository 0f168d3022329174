"""models.extraction: the few-shot probe and label scores against scikit-learn, the keyword
lookup."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score

from recsys_helpers.errors import ParameterError
from recsys_helpers.models.extraction import few_shot_probe, keyword_predict, label_scores

pytestmark = pytest.mark.unit


def test_few_shot_probe_matches_a_logistic_regression_on_the_same_draw():
    rng = np.random.default_rng(0)
    labels = np.repeat(["a", "b", "c"], 30)
    vectors = rng.normal(size=(90, 5)) + 3.0 * (labels[:, None] == np.array(["a", "b", "c",
                                                                           "a", "b"]))
    result = few_shot_probe(vectors, labels, n_per_class=4, seed=3, draws=1)
    # Redo the same draw by hand.
    draw = np.random.default_rng(3)
    chosen = np.concatenate([draw.choice(np.flatnonzero(labels == c), 4, replace=False)
                             for c in ("a", "b", "c")])
    test = np.ones(90, dtype=bool)
    test[chosen] = False
    predicted = LogisticRegression(max_iter=2_000, random_state=3).fit(
        vectors[chosen], labels[chosen]).predict(vectors[test])
    assert result["n_test"] == 78
    assert result["accuracy"] == pytest.approx(accuracy_score(labels[test], predicted))
    assert result["macro_f1"] == pytest.approx(f1_score(labels[test], predicted,
                                                        average="macro"))
    # A class with too few examples keeps one for testing.
    small = few_shot_probe(vectors[:34], labels[:34], n_per_class=10, draws=2)
    assert small["n_test"] == 34 - 10 - 3
    with pytest.raises(ParameterError, match="two classes"):
        few_shot_probe(vectors[:5], labels[:5], 2)


def test_label_scores_match_scikit_learn():
    truth = ["a", "a", "a", "b", "c"]
    guess = ["a", "a", "b", "b", "a"]
    scores = label_scores(truth, guess)
    assert scores["accuracy"] == pytest.approx(0.6)
    assert scores["macro_f1"] == pytest.approx(f1_score(truth, guess, average="macro"))
    majority = label_scores(truth, ["a"] * 5)  # F1 of "a" only, averaged over the 3 classes
    assert majority["macro_f1"] == pytest.approx((2 * 0.6 / 1.6) / 3)
    with pytest.raises(ParameterError):
        label_scores(truth, guess[:2])


def test_keyword_predict_finds_whole_label_words():
    labels = ["red", "steel", "stainless steel", "mid-range"]
    texts = ["A RED mug", "stainless steel pan", "bored and tired", "a mid-range pick, red",
             "steely look"]
    assert keyword_predict(texts, labels, "none").tolist() == [
        "red", "stainless steel", "none", "mid-range", "none"]
    with pytest.raises(ParameterError):
        keyword_predict(texts, [], "none")


def test_keyword_predict_takes_several_keywords_per_label():
    labels = {"mid_range": ["mid-range", "fairly priced"], "premium": "luxury",
              "budget": ["budget", "cheap"]}
    texts = ["A fairly priced mug.", "Luxury quality. Cheap to run.", "A bargain.", "MID-RANGE"]
    assert keyword_predict(texts, labels, "none").tolist() == [
        "mid_range", "premium", "none", "mid_range"]
    with pytest.raises(ParameterError, match="no keyword"):
        keyword_predict(texts, {"a": []}, "none")
