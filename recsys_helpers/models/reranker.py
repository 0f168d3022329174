"""Two-stage ranking: a cheap first stage picks candidates, a cross-encoder re-orders the best.

A bi-encoder scores a whole catalogue with one matrix product, because users and items are
encoded apart; a cross-encoder reads each (user text, item text) pair together, which lets every
word of one side attend to every word of the other, and costs one encoder pass *per pair*. So
production systems (and the article's click classifier, used as a ranker) re-rank only the first
stage's top `depth` candidates: the cross-encoder decides the order at the top of the list, the
first stage everything below it.

`RerankRecommender` does this for whatever list it is asked to rank: `score_items` takes the
first stage's top `depth` among the given candidates (say, the cold items) and places them, in
the cross-encoder's order, above the rest. Pair scores are cached, so an item ranked in several
evaluation slices is read once per user.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ..params import check_int
from .baselines import Recommender, top_k_indices


class PairScorer(Protocol):
    """Anything that scores (history_text, item_text) rows, such as a fine-tuned CrossEncoder."""

    def predict(self, frame: pd.DataFrame, batch_size: int = 128) -> np.ndarray: ...


class RerankRecommender(Recommender):
    """A fitted first-stage recommender whose top `depth` candidates a cross-encoder re-orders.

    `user_texts` maps a user id to the text the cross-encoder reads for them (for a bi-encoder
    first stage, its `user_text`: recent titles or a self-description); users without one keep
    the first stage's order. Item texts come from the ``text`` column of the items given to
    `fit`. After `fit`: `pairs_scored` counts the cross-encoder's pair evaluations so far.
    """

    name = "rerank"

    def __init__(self, first_stage: Recommender, cross_encoder: PairScorer,
                 user_texts: Mapping[str, str] | pd.Series, depth: int = 20,
                 batch_size: int = 256) -> None:
        if not isinstance(first_stage, Recommender) or not hasattr(first_stage, "item_ids"):
            raise ParameterError("first_stage must be a fitted Recommender (call its fit first)")
        if not callable(getattr(cross_encoder, "predict", None)):
            raise ParameterError("cross_encoder must have a predict(frame) method, such as a "
                                 "fine-tuned CrossEncoder")
        self.first_stage = first_stage
        self.cross_encoder = cross_encoder
        self.user_texts = dict(user_texts)
        self.depth = check_int("depth", depth, low=1)
        self.batch_size = check_int("batch_size", batch_size, low=1)

    def fit(self, train: pd.DataFrame, items: pd.DataFrame) -> RerankRecommender:
        self._texts = items["text"].fillna("").astype(str).to_numpy()
        super().fit(train, items)
        if not np.array_equal(self.item_ids, self.first_stage.item_ids):
            raise ParameterError("the first stage was fitted on another catalogue: fit both on "
                                 "the same items table")
        self._cache: dict[tuple[str, int], float] = {}
        self.pairs_scored = 0
        return self

    def score(self, users: Sequence[str]) -> np.ndarray:
        return self.score_items(users, self.item_ids)

    def score_items(self, users: Sequence[str], item_ids: Sequence[str]) -> np.ndarray:
        users = list(users)
        columns = self.item_columns(item_ids)
        scores = np.array(self.first_stage.score_items(users, item_ids), dtype=float)
        top = top_k_indices(scores, min(self.depth, scores.shape[1]))
        wanted = [(r, int(c)) for r, user in enumerate(users) if user in self.user_texts
                  for c in top[r] if np.isfinite(scores[r, c])]
        self._score_pairs([(users[r], int(columns[c])) for r, c in wanted])
        above = np.max(np.where(np.isfinite(scores), scores, -np.inf), axis=1,
                       initial=0.0) + 1.0
        for r, c in wanted:  # the re-ranked block sits above every other candidate
            scores[r, c] = above[r] + self._cache[(users[r], int(columns[c]))]
        return scores

    def _score_pairs(self, pairs: list[tuple[str, int]]) -> None:
        """Cross-encoder probabilities of the pairs not scored yet, batched."""
        new = list(dict.fromkeys(p for p in pairs if p not in self._cache))
        if not new:
            return
        frame = pd.DataFrame({"history_text": [self.user_texts[u] for u, _ in new],
                              "item_text": [self._texts[c] for _, c in new]})
        probabilities = self.cross_encoder.predict(frame, batch_size=self.batch_size)
        self._cache.update(zip(new, np.asarray(probabilities, dtype=float).tolist(),
                               strict=True))
        self.pairs_scored += len(new)
