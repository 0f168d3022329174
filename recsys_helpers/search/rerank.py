"""Re-ranking: a cross-encoder re-reads the first stage's top candidates, query and product
together, and reorders them.

A bi-encoder compares two vectors computed apart; a cross-encoder reads ``[CLS] query [SEP]
product [SEP]`` in one pass, so every query word can attend to every product word. That costs one
encoder pass per (query, product) pair, so it only re-ranks the first stage's top `depth`
candidates (50 here); below them the first stage's order stays. The model is the mean-pooled
pair classifier of `recsys_helpers.models.cross_encoder`, trained on training queries' pairs
labelled relevant (gain >= `min_gain`) or not, its negatives drawn from the first stage's top
candidates (hard negatives: what the first stage confused with a match).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..params import check_int
from .evaluation import ranked_cells
from .tasks import RankingTask

if TYPE_CHECKING:
    from ..models.cross_encoder import CrossEncoder


def hard_pairs(task: RankingTask, first_stage: np.ndarray, product_texts: Sequence[str],
               depth: int = 50, per_query: int = 4, min_gain: int = 2,
               seed: int = 0) -> pd.DataFrame:
    """Labelled pairs for the cross-encoder: per query, up to `per_query` relevant and as many
    irrelevant candidates from the first stage's top `depth` (relevant: gain >= `min_gain`).
    Columns history_text (the query), item_text (the product), label, gain."""
    check_int("depth", depth, low=1)
    check_int("per_query", per_query, low=1)
    rng = np.random.default_rng(seed)
    top = ranked_cells(task, first_stage, depth, seed)
    rows = []
    for q in range(len(task)):
        cells = top[q][task.mask[q, top[q]]]
        gains = task.gains[q, cells]
        for label, chosen in ((1, cells[gains >= min_gain]), (0, cells[gains < min_gain])):
            for cell in rng.permutation(chosen)[:per_query]:
                rows.append((task.query_texts[q], product_texts[task.candidates[q, cell]],
                             label, int(task.gains[q, cell])))
    return pd.DataFrame(rows, columns=["history_text", "item_text", "label", "gain"])


def rerank(task: RankingTask, first_stage: np.ndarray, product_texts: Sequence[str],
           model: CrossEncoder, depth: int = 50, seed: int = 0,
           batch_size: int = 128) -> np.ndarray:
    """Scores that put the first stage's top `depth` in the cross-encoder's order, and the
    other candidates after them in the first stage's order."""
    check_int("depth", depth, low=1)
    order = ranked_cells(task, first_stage, seed=seed)
    rows = np.arange(len(task))[:, None]
    position = np.empty_like(order)
    position[rows, order] = np.arange(order.shape[1])
    scores = np.where(task.mask, -1.0 - position, -np.inf)  # below 0, first-stage order
    top = order[:, :depth]
    keep = task.mask[rows, top]
    query_rows, cells = np.nonzero(keep)
    cells = top[query_rows, cells]
    frame = pd.DataFrame({
        "history_text": [task.query_texts[q] for q in query_rows],
        "item_text": [product_texts[p] for p in task.candidates[query_rows, cells]]})
    if len(frame):
        scores[query_rows, cells] = 1.0 + model.predict(frame, batch_size=batch_size)
    return scores
