"""Honest baselines every text model in the book is compared with.

- `RandomRecommender`: a seeded random order of the whole catalogue; the floor any model must
  clear, and the level a text model falls to when its texts carry no information.
- `PopularityRecommender`: the most-interacted items; no personalisation at all.
- `ALSRecommender`: ID-based collaborative filtering (implicit-feedback matrix factorisation,
  alternating least squares from the `implicit` library). It knows users and items only by
  their IDs, so it cannot rank an item or a user that training never saw.
- `ContentRecommender` / `TfidfRecommender`: a user profile is the mean vector of the texts of
  the items in their history; items are ranked by cosine similarity. With TF-IDF vectors this
  is the lexical baseline; with sentence embeddings it is the pretrained-model recommender.

All share one interface: ``fit(train, items)``, then ``score(users)`` (a users x catalogue
matrix), ``score_items(users, item_ids)`` (the same, restricted to a candidate set) or
``recommend(users, k)``, where ``items`` is the whole catalogue (cold items included: content
models can rank them, ID models cannot).
"""

from __future__ import annotations

import warnings
import zlib
from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import normalize
from tqdm import TqdmWarning

from ..data.schema import INTERACTION_COLUMNS, ITEM_COLUMNS, require_columns
from ..errors import ParameterError
from ..params import check_int

UNRANKABLE = -np.inf  # the score of an item a model cannot rank


class Recommender:
    """Shared plumbing: the catalogue index, seen items, and top-k selection."""

    name = "recommender"

    def fit(self, train: pd.DataFrame, items: pd.DataFrame) -> Recommender:
        require_columns(train, INTERACTION_COLUMNS, "training interactions")
        require_columns(items, ITEM_COLUMNS, "item catalogue")
        self.item_ids = items["item_id"].to_numpy()
        self.item_index = pd.Index(self.item_ids)
        if not self.item_index.is_unique:
            raise ParameterError("the item catalogue has duplicate item_id values")
        known = self.item_index.get_indexer(train["item_id"])
        if (known < 0).any():
            raise ParameterError("training interactions mention items missing from the catalogue")
        self.user_index = pd.Index(np.sort(train["user_id"].unique()))
        rows = self.user_index.get_indexer(train["user_id"])
        self.user_items = sp.csr_matrix(
            (np.ones(len(train), dtype=np.float32), (rows, known)),
            shape=(len(self.user_index), len(self.item_ids)),
        )
        self.user_items.sum_duplicates()
        self.item_counts = np.asarray((self.user_items > 0).sum(axis=0)).ravel()
        self._fit()
        return self

    def _fit(self) -> None:
        """Model-specific training, after the shared matrices exist."""

    def score(self, users: Sequence[str]) -> np.ndarray:
        """Scores (len(users), n_items); `UNRANKABLE` marks items the model cannot rank."""
        raise NotImplementedError

    def item_columns(self, item_ids: Sequence[str]) -> np.ndarray:
        """Column of each item id in the output of `score` (the order of the fitted catalogue)."""
        columns = self.item_index.get_indexer(list(item_ids))
        if (columns < 0).any():
            unknown = np.asarray(list(item_ids), dtype=object)[columns < 0]
            raise ParameterError(
                f"{len(unknown)} item(s) are not in the catalogue the {self.name} model was fitted "
                f"on, e.g. {unknown[:5].tolist()}; fit it with the same items table")
        return columns

    def score_items(self, users: Sequence[str], item_ids: Sequence[str]) -> np.ndarray:
        """Scores (len(users), len(item_ids)) of the given candidate items only, in that order.

        Evaluation ranks a candidate set (say the cold items) rather than the whole catalogue;
        this is `score` restricted to those columns, so every model is scored the same way.
        """
        return self.score(users)[:, self.item_columns(item_ids)]

    def popularity_scores(self, n_users: int) -> np.ndarray:
        counts = np.where(self.item_counts > 0, self.item_counts, UNRANKABLE).astype(np.float32)
        return np.tile(counts, (n_users, 1))

    def recommend(
        self, users: Sequence[str], k: int = 10, exclude_seen: bool = True,
        batch_size: int = 2048,
    ) -> dict[str, list[str]]:
        """Top-k item IDs per user, best first, never an item the model cannot rank."""
        check_int("k", k, low=1)
        users = list(users)
        result: dict[str, list[str]] = {}
        for start in range(0, len(users), batch_size):
            batch = users[start:start + batch_size]
            scores = self.score(batch).astype(np.float32, copy=True)
            if exclude_seen:
                rows = self.user_index.get_indexer(batch)
                for r, row in enumerate(rows):
                    if row >= 0:
                        seen = self.user_items.indices[
                            self.user_items.indptr[row]:self.user_items.indptr[row + 1]]
                        scores[r, seen] = UNRANKABLE
            top = top_k_indices(scores, k)
            for user, indices, row_scores in zip(batch, top, scores, strict=True):
                keep = indices[np.isfinite(row_scores[indices])]
                result[user] = self.item_ids[keep].tolist()
        return result


class RandomRecommender(Recommender):
    """Every item, new ones included, in a random order per user.

    A user's order depends only on the seed and the user id (not on which other users share the
    call), so lists and scores are reproducible however users are batched.
    """

    name = "random"

    def __init__(self, seed: int = 0) -> None:
        self.seed = check_int("seed", seed, low=0)

    def score(self, users: Sequence[str]) -> np.ndarray:
        scores = np.empty((len(users), len(self.item_ids)))
        for row, user in enumerate(users):
            key = zlib.crc32(str(user).encode("utf-8"))
            scores[row] = np.random.default_rng([self.seed, key]).random(len(self.item_ids))
        return scores


class PopularityRecommender(Recommender):
    """Everyone gets the items with the most distinct users in training."""

    name = "popularity"

    def score(self, users: Sequence[str]) -> np.ndarray:
        return self.popularity_scores(len(users))


class ALSRecommender(Recommender):
    """Implicit-feedback matrix factorisation (Hu, Koren & Volinsky 2008) via `implicit`.

    Users unseen in training get popularity scores: the ID model has no vector for them, and
    falling back to popularity is what a production system would do.
    """

    name = "als"

    def __init__(self, factors: int = 64, regularization: float = 0.05, alpha: float = 10.0,
                 iterations: int = 15, seed: int = 0) -> None:
        self.factors = check_int("factors", factors, low=1)
        self.regularization = regularization
        self.alpha = alpha
        self.iterations = check_int("iterations", iterations, low=1)
        self.seed = seed

    def _fit(self) -> None:
        from threadpoolctl import threadpool_limits

        with warnings.catch_warnings():  # implicit imports tqdm.auto, which warns without widgets
            warnings.simplefilter("ignore", TqdmWarning)
            from implicit.cpu.als import AlternatingLeastSquares

        # implicit warns (and slows down) when BLAS runs its own thread pool.
        with threadpool_limits(1, "blas"):
            model = AlternatingLeastSquares(
                factors=self.factors, regularization=self.regularization, alpha=self.alpha,
                iterations=self.iterations, random_state=self.seed, num_threads=1,
            )
            model.fit(self.user_items, show_progress=False)
        self.user_factors = np.asarray(model.user_factors)
        self.item_factors = np.asarray(model.item_factors)

    def score(self, users: Sequence[str]) -> np.ndarray:
        rows = self.user_index.get_indexer(list(users))
        scores = self.popularity_scores(len(rows))
        known = rows >= 0
        dot = self.user_factors[rows[known]] @ self.item_factors.T
        dot[:, self.item_counts == 0] = UNRANKABLE
        scores[known] = dot
        return scores


class ContentRecommender(Recommender):
    """Rank items by cosine similarity to the mean text vector of the user's history.

    `item_vectors` holds one row per catalogue item (dense embeddings or a sparse TF-IDF
    matrix), in the order of the ``items`` table given to `fit`. Every item with text can be
    ranked, including items nobody interacted with. Unseen users get popularity scores.
    """

    name = "content"

    def __init__(self, item_vectors: np.ndarray | sp.spmatrix | None = None) -> None:
        self.item_vectors = item_vectors

    def _fit(self) -> None:
        if self.item_vectors is None:
            raise ParameterError("ContentRecommender needs item_vectors (one row per item)")
        if self.item_vectors.shape[0] != len(self.item_ids):
            raise ParameterError(
                f"item_vectors has {self.item_vectors.shape[0]} rows but the catalogue has "
                f"{len(self.item_ids)} items; build the vectors from the same items table")
        vectors = normalize(self.item_vectors)
        profiles = normalize(self.user_items) @ vectors  # mean of the history's vectors
        self._vectors = vectors
        self._profiles = normalize(profiles)

    def score(self, users: Sequence[str]) -> np.ndarray:
        rows = self.user_index.get_indexer(list(users))
        scores = self.popularity_scores(len(rows))
        known = rows >= 0
        similarity = self._profiles[rows[known]] @ self._vectors.T
        scores[known] = similarity.toarray() if sp.issparse(similarity) else similarity
        return scores


class TfidfRecommender(ContentRecommender):
    """The lexical content baseline: TF-IDF vectors of the item texts (words and bigrams)."""

    name = "tfidf"

    def __init__(self, min_df: int = 1, ngram_range: tuple[int, int] = (1, 2)) -> None:
        super().__init__()
        self.vectorizer = TfidfVectorizer(min_df=min_df, ngram_range=ngram_range,
                                          sublinear_tf=True)

    def fit(self, train: pd.DataFrame, items: pd.DataFrame) -> TfidfRecommender:
        require_columns(items, ITEM_COLUMNS, "item catalogue")
        self.item_vectors = self.vectorizer.fit_transform(items["text"].fillna(""))
        super().fit(train, items)
        return self


def lexical_classifier(seed: int = 0, max_features: int = 50_000) -> Pipeline:
    """TF-IDF + logistic regression: the lexical baseline for text classification tasks."""
    return make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, max_features=max_features),
        LogisticRegression(max_iter=2_000, random_state=seed),
    )


def top_k_indices(scores: np.ndarray, k: int) -> np.ndarray:
    """Column indices of the k highest scores per row, best first (ties: lower index first).

    Exact and deterministic even with many tied scores, which a plain argpartition is not; a
    1-D `scores` is one row.
    """
    check_int("k", k, low=1)
    scores = np.atleast_2d(np.asarray(scores))
    if not np.issubdtype(scores.dtype, np.floating):
        scores = scores.astype(np.float64)
    k = min(k, scores.shape[1])
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    # argpartition picks arbitrarily among items tied with the k-th best score (and differently
    # across numpy versions and CPUs): in such rows take the tied items with the lowest indices.
    kth = np.take_along_axis(scores, part, axis=1).min(axis=1, keepdims=True)
    tied = scores == kth
    rows = np.flatnonzero(tied.sum(axis=1) > np.take_along_axis(tied, part, axis=1).sum(axis=1))
    if len(rows):
        better = scores[rows] > kth[rows]
        room = k - better.sum(axis=1, keepdims=True)
        chosen = better | (tied[rows] & (np.cumsum(tied[rows], axis=1, dtype=np.int32) <= room))
        part[rows] = np.nonzero(chosen)[1].reshape(len(rows), k)
    part_scores = np.take_along_axis(scores, part, axis=1)
    order = np.lexsort((part, -part_scores), axis=1)
    return np.take_along_axis(part, order, axis=1)
