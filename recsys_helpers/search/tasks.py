"""What a search ranker is scored on: per query, its candidate products and their gains.

A `RankingTask` holds ``n_queries`` query texts and a rectangular candidate table: row q lists
the product rows query q is ranked over (the whole catalogue in the lab shop, the judged
products in a judged set, padded with -1 to the longest row) and their graded gains. Every
ranker returns a score per (query, candidate) cell of that table, so evaluation, fusion and
re-ranking never need to know where the candidates came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..errors import ParameterError

if TYPE_CHECKING:
    from ..data.search_sets import JudgedSearchSet
    from ..data.shop import LabShop


@dataclass(frozen=True)
class RankingTask:
    """Query texts, candidate product rows (n_queries, width; -1 pads) and their gains."""

    query_texts: list[str]
    candidates: np.ndarray
    gains: np.ndarray

    def __post_init__(self) -> None:
        if self.candidates.shape != self.gains.shape or self.candidates.ndim != 2:
            raise ParameterError("candidates and gains must be two tables of the same shape")
        if len(self.query_texts) != len(self.candidates):
            raise ParameterError(f"{len(self.query_texts)} query texts for "
                                 f"{len(self.candidates)} candidate rows")

    @property
    def mask(self) -> np.ndarray:
        """True where a cell holds a real candidate (not padding)."""
        return self.candidates >= 0

    def __len__(self) -> int:
        return len(self.query_texts)

    def gather(self, product_scores: np.ndarray) -> np.ndarray:
        """Scores per candidate cell from scores per (query, product), -inf on padding."""
        rows = np.arange(len(self))[:, None]
        picked = product_scores[rows, np.maximum(self.candidates, 0)].astype(np.float64)
        return np.where(self.mask, picked, -np.inf)

    def subset(self, rows: Sequence[int] | np.ndarray) -> RankingTask:
        rows = np.asarray(rows, dtype=np.int64)
        return RankingTask([self.query_texts[r] for r in rows], self.candidates[rows],
                           self.gains[rows])


def task_from_shop(shop: LabShop, query_rows: np.ndarray) -> RankingTask:
    """Shop queries ranked over the whole catalogue, gains = the shop's true graded relevance."""
    query_rows = np.asarray(query_rows, dtype=np.int64)
    n_items = len(shop.items)
    gains = shop.query_relevance(np.repeat(query_rows, n_items),
                                 np.tile(np.arange(n_items), len(query_rows)))
    candidates = np.tile(np.arange(n_items), (len(query_rows), 1))
    return RankingTask(shop.queries["text"].to_numpy()[query_rows].tolist(), candidates,
                       gains.reshape(len(query_rows), n_items).astype(np.int64))


def task_from_judgements(search_set: JudgedSearchSet, query_ids: Sequence[int]) -> RankingTask:
    """Each query ranked over its own judged products; product rows index
    ``search_set.products``. Queries whose judged products all have gain 0 are dropped (nDCG is
    undefined for them: there is nothing to find)."""
    judged = search_set.judgements
    row_of = dict(zip(search_set.products["product_id"], range(len(search_set.products)),
                      strict=True))
    text_of = dict(zip(search_set.queries["query_id"], search_set.queries["text"], strict=True))
    groups = {q: g for q, g in judged.groupby("query_id", sort=False)}
    kept = [q for q in query_ids if q in groups and groups[q]["gain"].max() > 0]
    if not kept:
        raise ParameterError("none of the queries has a judged product with a gain above 0")
    width = max(len(groups[q]) for q in kept)
    candidates = np.full((len(kept), width), -1, dtype=np.int64)
    gains = np.zeros((len(kept), width), dtype=np.int64)
    for row, query in enumerate(kept):
        group = groups[query]
        candidates[row, :len(group)] = [row_of[p] for p in group["product_id"]]
        gains[row, :len(group)] = group["gain"].to_numpy()
    return RankingTask([text_of[q] for q in kept], candidates, gains)
