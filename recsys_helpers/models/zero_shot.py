"""Zero-shot use of a pretrained text encoder: classify, rank and recommend with no training.

Everything here rests on one operation: embed two sets of texts and compare them by cosine
similarity. What changes is what the second set holds:

- `ZeroShotClassifier`: short **label descriptions** ("a product for making coffee"); a text gets
  the label whose description it is most similar to. No labelled example is used.
- `rank_by_query`: a free-text **request** ("a gift for a coffee lover"); the catalogue is
  ranked by similarity to it.
- `pair_scores`: the **other text of a pair** (an item beside a user's history text); the
  pair's score is the cosine of its two texts, the no-training baseline of the cross-encoders.
  `pair_features` keeps the per-dimension products that sum to it, for a linear probe.
- `TextProfileRecommender`: each user's own **description** of themselves; items are ranked by
  similarity to it, so a user with no history at all still gets a personal list.
- `TwoStageRecommender`: a text model retrieves candidates, popularity orders them (what a
  shop's logged clicks reward), the simplest way to combine "what fits" with "what sells".

The baselines of attribute extraction (a few-shot probe, a keyword lookup) live in
`recsys_helpers.models.extraction`.

The encoder can be a SentenceTransformer (``load_encoder``) or, except for `pair_scores` and
`pair_features`, any callable that maps a list of texts to a matrix, dense or sparse (e.g. a
fitted ``TfidfVectorizer().transform``), so the same code gives the lexical baseline of every
zero-shot experiment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.preprocessing import normalize

from ..data.click_pairs import PAIR_COLUMNS
from ..data.schema import require_columns
from ..errors import ParameterError
from ..params import check_int
from .baselines import UNRANKABLE, Recommender, top_k_indices
from .pretrained import encode_texts

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

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


def pair_scores(encoder: SentenceTransformer, frame: pd.DataFrame,
                batch_size: int = 128) -> np.ndarray:
    """Cosine similarity between the embedding of the history text and that of the item text.

    No training at all: the pretrained sentence encoder as it comes. Each distinct text is
    embedded once.
    """
    return pair_features(encoder, frame, batch_size).sum(axis=1).astype(np.float64)


def pair_features(encoder: SentenceTransformer, frame: pd.DataFrame,
                  batch_size: int = 128) -> np.ndarray:
    """Element-wise product of the normalised history and item embeddings, (n, dim).

    Its row sums are the zero-shot cosines; a linear model on it learns a weighted cosine, i.e.
    which dimensions of similarity matter for clicks (a "linear probe" of the encoder).
    """
    require_columns(frame, PAIR_COLUMNS, "pairs to score")
    texts = pd.unique(pd.concat([frame["history_text"], frame["item_text"]], ignore_index=True))
    vectors = encode_texts(encoder, texts.tolist(), batch_size=batch_size, normalize=True)
    row = pd.Series(np.arange(len(texts)), index=texts)
    history = vectors[row[frame["history_text"]].to_numpy()]
    item = vectors[row[frame["item_text"]].to_numpy()]
    return history * item


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
    "embed", "pair_features", "pair_scores", "rank_by_query",
]
