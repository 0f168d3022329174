"""Zero-shot use of a pretrained text encoder: classify, rank and recommend with no training.

Everything here rests on one operation: embed two sets of texts and compare them by cosine
similarity. What changes is what the second set holds:

- `ZeroShotClassifier`: short **label descriptions** ("a product for making coffee"); a text gets
  the label whose description it is most similar to. No labelled example is used.
- `rank_by_query`: a free-text **request** ("a gift for a coffee lover"); the catalogue is
  ranked by similarity to it.
- `TextProfileRecommender`: each user's own **description** of themselves; items are ranked by
  similarity to it, so a user with no history at all still gets a personal list.
- `TwoStageRecommender`: a text model retrieves candidates, popularity orders them (what a
  shop's logged clicks reward), the simplest way to combine "what fits" with "what sells".
- `few_shot_probe`: the next step up from zero-shot, a logistic regression on a handful of
  labelled examples per class on top of the frozen embeddings.
- `keyword_predict`: the lexical sanity check for attribute extraction (does the label's name
  occur literally in the text?), which shows which extraction tasks are easy by construction.

The encoder can be a SentenceTransformer (``load_encoder``) or any callable that maps a list of
texts to a matrix, dense or sparse (e.g. a fitted ``TfidfVectorizer().transform``), so the same
code gives the lexical baseline of every zero-shot experiment.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.preprocessing import normalize

from .errors import ParameterError
from .models.baselines import UNRANKABLE, Recommender, top_k_indices
from .models.pretrained import encode_texts
from .params import check_int

Encoder = Any  # a SentenceTransformer, or a callable list[str] -> (n, d) dense or sparse matrix


def embed(encoder: Encoder, texts: Sequence[str],
          batch_size: int = 128) -> np.ndarray | sp.spmatrix:
    """L2-normalised vectors of `texts` (rows), so that a dot product is a cosine similarity."""
    if isinstance(texts, str):
        raise ParameterError("texts must be a list of strings, not a single string")
    texts = list(texts)
    if hasattr(encoder, "encode"):
        return encode_texts(encoder, texts, batch_size=batch_size, normalize=True)
    if callable(encoder):
        vectors = encoder(texts)
        if vectors.shape[0] != len(texts):
            raise ParameterError(
                f"the encoder returned {vectors.shape[0]} rows for {len(texts)} texts")
        return normalize(vectors) if sp.issparse(vectors) else normalize(np.asarray(vectors))
    raise ParameterError(
        "encoder must be a SentenceTransformer or a callable mapping texts to vectors, got "
        f"{type(encoder).__name__}")


def cosine_scores(query_vectors: Any, item_vectors: Any) -> np.ndarray:
    """Dense (n_queries, n_items) cosine similarities of two row-vector matrices."""
    queries, items = _rows(query_vectors), _rows(item_vectors)
    if queries.shape[1] != items.shape[1]:
        raise ParameterError(
            f"query vectors have {queries.shape[1]} dimensions but item vectors have "
            f"{items.shape[1]}; embed both with the same encoder")
    scores = normalize(queries) @ normalize(items).T
    return np.asarray(scores.toarray() if sp.issparse(scores) else scores, dtype=np.float64)


def rank_by_query(encoder: Encoder, queries: str | Sequence[str], item_vectors: Any,
                  k: int = 10) -> np.ndarray:
    """Indices of the `k` items most similar to each query, best first.

    One query (a string) gives shape (k,); a list of queries gives (n_queries, k). The item
    vectors must come from the same encoder (for TF-IDF: the same fitted vectoriser).
    """
    single = isinstance(queries, str)
    query_list = [queries] if single else list(queries)
    if not query_list:
        raise ParameterError("queries is empty")
    top = top_k_indices(cosine_scores(embed(encoder, query_list), item_vectors), k)
    return top[0] if single else top


class ZeroShotClassifier:
    """Label a text with the class whose short description it is most similar to.

    ``labels`` maps each label to a description, or to several descriptions whose normalised
    vectors are averaged (a small "prompt ensemble"). Nothing is trained: the only supervision
    is the wording of the descriptions.
    """

    def __init__(self, encoder: Encoder, labels: Mapping[str, str | Sequence[str]],
                 batch_size: int = 128) -> None:
        if not isinstance(labels, Mapping) or len(labels) < 2:
            raise ParameterError("labels must map at least two labels to descriptions")
        self.encoder = encoder
        self.batch_size = batch_size
        self.labels = np.array(list(labels), dtype=object)
        descriptions: list[str] = []
        owner: list[int] = []
        for position, (label, text) in enumerate(labels.items()):
            texts = [text] if isinstance(text, str) else list(text)
            if not texts or not all(isinstance(t, str) and t.strip() for t in texts):
                raise ParameterError(f"label {label!r} needs a non-empty description")
            descriptions.extend(texts)
            owner.extend([position] * len(texts))
        vectors = embed(encoder, descriptions, batch_size)
        # Average each label's description vectors: a (labels x descriptions) averaging matrix.
        owner_array = np.asarray(owner)
        average = sp.csr_matrix(
            (np.ones(len(owner)), (owner_array, np.arange(len(owner)))),
            shape=(len(self.labels), len(owner)))
        average = normalize(average, norm="l1")
        self.label_vectors = normalize(average @ vectors)

    def predict_scores(self, texts: Sequence[str] | np.ndarray | sp.spmatrix) -> np.ndarray:
        """Cosine similarity of each text to each label, shape (n_texts, n_labels).

        `texts` is a list of strings, or their vectors from the same encoder (to avoid
        embedding a catalogue twice).
        """
        vectors = texts if _is_matrix(texts) else embed(self.encoder, texts, self.batch_size)
        return cosine_scores(vectors, self.label_vectors)

    def predict(self, texts: Sequence[str] | np.ndarray | sp.spmatrix) -> np.ndarray:
        """The most similar label of each text (ties: the label listed first)."""
        return self.labels[np.argmax(self.predict_scores(texts), axis=1)]


class TextProfileRecommender(Recommender):
    """Rank items by similarity to a text vector per user (their own description), no training
    on behaviour at all. Users without a text vector get popularity scores."""

    name = "text profile"

    def __init__(self, user_ids: Sequence[str], user_vectors: Any, item_vectors: Any) -> None:
        user_ids = list(user_ids)
        if user_vectors.shape[0] != len(user_ids):
            raise ParameterError(
                f"{len(user_ids)} user ids but {user_vectors.shape[0]} user vectors")
        self.text_users = pd.Index(user_ids)
        if not self.text_users.is_unique:
            raise ParameterError("user_ids has duplicates")
        self.user_vectors = user_vectors
        self.item_vectors = item_vectors

    def _fit(self) -> None:
        if self.item_vectors.shape[0] != len(self.item_ids):
            raise ParameterError(
                f"item_vectors has {self.item_vectors.shape[0]} rows but the catalogue has "
                f"{len(self.item_ids)} items")

    def score(self, users: Sequence[str]) -> np.ndarray:
        rows = self.text_users.get_indexer(list(users))
        scores = self.popularity_scores(len(rows))
        known = rows >= 0
        if known.any():
            scores[known] = cosine_scores(self.user_vectors[rows[known]], self.item_vectors)
        return scores


class TwoStageRecommender(Recommender):
    """Stage 1: the `base` model's `n_candidates` best unseen items; stage 2: those candidates
    ordered by training popularity (distinct users), ties broken by the base model's order.

    Items outside the candidates are unrankable. An item nobody interacted with in training
    has popularity 0, so it can still be recommended but only after every warm candidate.
    """

    name = "two-stage"

    def __init__(self, base: Recommender, n_candidates: int = 100) -> None:
        if not isinstance(base, Recommender):
            raise ParameterError(f"base must be a Recommender, got {type(base).__name__}")
        self.base = base
        self.n_candidates = check_int("n_candidates", n_candidates, low=1)

    def _fit(self) -> None:
        self.base.fit(self._train, self._items)

    def fit(self, train: pd.DataFrame, items: pd.DataFrame) -> TwoStageRecommender:
        self._train, self._items = train, items
        super().fit(train, items)
        return self

    def score(self, users: Sequence[str]) -> np.ndarray:
        users = list(users)
        base = self.base.score(users).astype(np.float64, copy=True)
        rows = self.user_index.get_indexer(users)
        for r, row in enumerate(rows):  # seen items must not take a candidate slot
            if row >= 0:
                start, end = self.user_items.indptr[row], self.user_items.indptr[row + 1]
                base[r, self.user_items.indices[start:end]] = UNRANKABLE
        n = min(self.n_candidates, base.shape[1])
        candidates = top_k_indices(base, n)
        scores = np.full(base.shape, UNRANKABLE)
        # popularity + a tie-breaker in [0, 1) that falls with the base model's rank
        tie_break = (n - np.arange(n)) / (n + 1.0)
        for r, chosen in enumerate(candidates):
            chosen = chosen[np.isfinite(base[r, chosen])]
            scores[r, chosen] = self.item_counts[chosen] + tie_break[:len(chosen)]
        return scores


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
    accuracy, macro_f1 = [], []
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
        macro_f1.append(scores["macro_f1"])
    return {"accuracy": float(np.mean(accuracy)), "macro_f1": float(np.mean(macro_f1)),
            "n_test": int(test.sum())}


def label_scores(y_true: Sequence[str], y_pred: Sequence[str]) -> dict[str, float]:
    """Accuracy and macro-F1 (the mean F1 over the classes present in `y_true`, so every true
    class weighs the same however rare it is, and a majority-class guess scores low)."""
    truth = np.asarray(y_true, dtype=object).astype(str)
    predicted = np.asarray(y_pred, dtype=object).astype(str)
    if len(truth) != len(predicted) or len(truth) == 0:
        raise ParameterError("y_true and y_pred must be non-empty and of the same length")
    return {"accuracy": float(accuracy_score(truth, predicted)),
            "macro_f1": float(f1_score(truth, predicted, labels=np.unique(truth),
                                       average="macro", zero_division=0))}


def keyword_predict(texts: Sequence[str], labels: Sequence[str], default: str) -> np.ndarray:
    """The label whose name occurs first in each text (whole words, any case), else `default`.

    The baseline that shows which "extraction" tasks are only string matching: if the label's
    own name is written in the text, a lookup finds it without any model.
    """
    labels = list(labels)
    if not labels:
        raise ParameterError("labels is empty")
    # Longer names first, so that "stainless steel" wins over "steel" at the same position.
    ordered = sorted(labels, key=len, reverse=True)
    pattern = re.compile(r"\b(" + "|".join(re.escape(label) for label in ordered) + r")\b",
                         re.IGNORECASE)
    lookup = {label.lower(): label for label in labels}
    predictions = []
    for text in texts:
        found = pattern.search(text)
        predictions.append(lookup[found.group(1).lower()] if found else default)
    return np.array(predictions, dtype=object)


def _is_matrix(value: Any) -> bool:
    return sp.issparse(value) or (isinstance(value, np.ndarray) and value.ndim == 2)


def _rows(value: Any) -> np.ndarray | sp.spmatrix:
    if sp.issparse(value):
        return value
    array = np.asarray(value, dtype=np.float64)
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2:
        raise ParameterError(f"expected a matrix of row vectors, got shape {array.shape}")
    return array


__all__: list[str] = [
    "TextProfileRecommender", "TwoStageRecommender", "ZeroShotClassifier", "cosine_scores",
    "embed", "few_shot_probe", "keyword_predict", "label_scores", "rank_by_query",
    "top_k_indices",
]
