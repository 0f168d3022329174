"""Hybrid search: one ranking from a lexical and a dense ranker.

- **Reciprocal rank fusion** (Cormack et al., 2009): score(c) = sum over rankers of
  1 / (k + rank(c)), with k = 60. It needs no training and no comparable score scales, only
  ranks.
- **A tuned blend**: w * z(dense) + (1 - w) * z(lexical), where z standardises each query's
  scores over its candidates (BM25 scores and cosines live on different scales, and BM25's
  scale changes with the query's length). The weight w is picked on training queries, never on
  the queries the comparison is reported on.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ..params import check_float, check_int
from .evaluation import ndcg_at_k, ranked_cells
from .tasks import RankingTask


def standardise(task: RankingTask, scores: np.ndarray) -> np.ndarray:
    """Each query's candidate scores minus their mean over their standard deviation; padding
    stays -inf. A query whose scores are all equal gets zeros."""
    mask = task.mask
    values = np.where(mask, scores, np.nan)
    mean = np.nanmean(values, axis=1, keepdims=True)
    spread = np.nanstd(values, axis=1, keepdims=True)
    spread[spread == 0] = 1.0
    return np.where(mask, (values - mean) / spread, -np.inf)


def blend(task: RankingTask, lexical: np.ndarray, dense: np.ndarray,
          weight: float) -> np.ndarray:
    """weight * z(dense) + (1 - weight) * z(lexical), per query."""
    weight = check_float("weight", weight, low=0.0, high=1.0)
    mask = task.mask
    z_dense = np.where(mask, standardise(task, dense), 0.0)
    z_lexical = np.where(mask, standardise(task, lexical), 0.0)
    return np.where(mask, weight * z_dense + (1 - weight) * z_lexical, -np.inf)


def tune_blend(task: RankingTask, lexical: np.ndarray, dense: np.ndarray,
               weights: Sequence[float] = tuple(np.linspace(0, 1, 11)), k: int = 10
               ) -> tuple[float, pd.DataFrame]:
    """The blend weight with the best mean nDCG@k on `task` (training queries), and the table
    of every weight tried (ties go to the smaller weight)."""
    if not len(weights):
        raise ParameterError("weights must not be empty")
    table = pd.DataFrame({"weight": [float(w) for w in weights]})
    table["ndcg"] = [ndcg_at_k(task, blend(task, lexical, dense, w), k).mean()
                     for w in table["weight"]]
    best = float(table.loc[table["ndcg"].idxmax(), "weight"])
    return best, table


def reciprocal_rank_fusion(task: RankingTask, rankings: Sequence[np.ndarray],
                           k: int = 60, seed: int = 0) -> np.ndarray:
    """RRF scores per candidate cell from several rankers' scores on the same task."""
    check_int("k", k, low=0)
    if not len(rankings):
        raise ParameterError("rankings must hold at least one score table")
    fused = np.zeros(task.candidates.shape)
    rows = np.arange(len(task))[:, None]
    for scores in rankings:
        order = ranked_cells(task, scores, seed=seed)
        ranks = np.empty_like(order)
        ranks[rows, order] = np.arange(1, order.shape[1] + 1)
        fused += 1.0 / (k + ranks)
    return np.where(task.mask, fused, -np.inf)
