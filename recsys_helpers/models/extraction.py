"""Attribute extraction from text: the baselines a zero-shot classifier is measured against.

"Knowledge extraction" (reading a product's category, a stated feature or a review's sentiment
out of its text) can be done with no label at all (`ZeroShotClassifier` in
`recsys_helpers.models.zero_shot`), but whether that needs a language model depends on how the
text says it. Two baselines tell:

- `keyword_predict`: a lookup of each label's own words in the text. Where the attribute is
  written verbatim, this wins and no model is needed; where the text paraphrases it
  ("Keeps the rain out." for *waterproof*), the lookup misses and meaning has to do the work.
- `few_shot_probe`: the next step up from zero-shot, a logistic regression on a handful of
  labelled examples per class on top of the frozen embeddings (a linear probe). It shows what
  the vectors hold even where the label descriptions fail to reach it (a price figure, say).

`label_scores` gives the accuracy and macro-F1 of one set of predictions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

from ..errors import ParameterError
from ..evaluation.classification import macro_f1
from ..params import check_int


def few_shot_probe(vectors: Any, labels: Sequence[str], n_per_class: int, seed: int = 0,
                   draws: int = 5) -> dict[str, float]:
    """Logistic regression on `n_per_class` labelled examples per class, tested on the rest.

    The embeddings stay frozen: only a linear layer is fitted (a "linear probe"). A class with
    no more than `n_per_class` examples gives all but one to training. Returns the mean
    accuracy and macro-F1 over `draws` random draws, and the test size of one draw.
    """
    check_int("n_per_class", n_per_class, low=1)
    check_int("draws", draws, low=1)
    y = np.asarray(labels, dtype=object)
    if vectors.shape[0] != len(y):
        raise ParameterError(f"{vectors.shape[0]} vectors but {len(y)} labels")
    classes = np.unique(y)
    if len(classes) < 2:
        raise ParameterError("few_shot_probe needs at least two classes")
    rng = np.random.default_rng(seed)
    accuracy, f1 = [], []
    for _ in range(draws):
        chosen = np.concatenate([
            rng.choice(members, min(n_per_class, len(members) - 1), replace=False)
            for members in (np.flatnonzero(y == c) for c in classes)
        ])
        test = np.ones(len(y), dtype=bool)
        test[chosen] = False
        model = LogisticRegression(max_iter=2_000, random_state=seed)
        model.fit(vectors[chosen], y[chosen].astype(str))
        scores = label_scores(y[test], model.predict(vectors[test]))
        accuracy.append(scores["accuracy"])
        f1.append(scores["macro_f1"])
    return {"accuracy": float(np.mean(accuracy)), "macro_f1": float(np.mean(f1)),
            "n_test": int(test.sum())}


def label_scores(y_true: Sequence[str], y_pred: Sequence[str]) -> dict[str, float]:
    """Accuracy and macro-F1 (the mean F1 over the classes present in `y_true`, so every true
    class weighs the same however rare it is, and a majority-class guess scores low)."""
    truth = np.asarray(y_true, dtype=object).astype(str)
    predicted = np.asarray(y_pred, dtype=object).astype(str)
    if len(truth) != len(predicted) or len(truth) == 0:
        raise ParameterError("y_true and y_pred must be non-empty and of the same length")
    return {"accuracy": float((truth == predicted).mean()),
            "macro_f1": macro_f1(truth, predicted, classes=np.unique(truth))}


def keyword_predict(texts: Sequence[str], labels: Sequence[str] | Mapping[str, Sequence[str]],
                    default: str) -> np.ndarray:
    """The label whose keyword occurs first in each text (whole words, any case), else
    `default`.

    `labels` is a list of label names (each its own keyword) or a mapping label -> keywords
    (for labels such as ``"mid_range"`` that a text writes as "mid-range"). The baseline that
    shows which "extraction" tasks are only string matching.
    """
    keywords = ({label: [label] for label in labels} if not isinstance(labels, Mapping)
                else {label: [words] if isinstance(words, str) else list(words)
                      for label, words in labels.items()})
    lookup = {word.lower(): label for label, words in keywords.items() for word in words}
    if not lookup:
        raise ParameterError("labels is empty (or gives no keyword)")
    # Longer keywords first, so that "stainless steel" wins over "steel" at the same position.
    ordered = sorted(lookup, key=len, reverse=True)
    pattern = re.compile(r"\b(" + "|".join(re.escape(word) for word in ordered) + r")\b",
                         re.IGNORECASE)
    predictions = []
    for text in texts:
        found = pattern.search(text)
        predictions.append(lookup[found.group(1).lower()] if found else default)
    return np.array(predictions, dtype=object)


__all__ = ["few_shot_probe", "keyword_predict", "label_scores"]
