"""nDCG@k with graded gains, per query, and the floor a random order sets.

For a query with candidates c_1..c_n, gains g(c) >= 0 and a ranking that puts c_(i) at rank i,

    DCG@k = sum_{i<=k} g(c_(i)) / log2(i + 1),    nDCG@k = DCG@k / IDCG@k,

where IDCG@k is the DCG of the candidates sorted by gain. Gains are used linearly, as
scikit-learn's `ndcg_score` does (the tests check the two agree). Ties in a ranker's scores are
broken by a seeded random order, the same for every ranker, so a ranker that cannot tell
candidates apart gets the random floor rather than whatever order the catalogue happens to have.
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from ..params import check_int
from .tasks import RankingTask


def ranked_cells(task: RankingTask, scores: np.ndarray, k: int | None = None,
                 seed: int = 0) -> np.ndarray:
    """Column positions of each query's candidates, best first (padding last), cut at k."""
    scores = np.asarray(scores, dtype=np.float64)
    if scores.shape != task.candidates.shape:
        raise ParameterError(f"scores must have the task's shape {task.candidates.shape}, got "
                             f"{scores.shape}")
    if np.isnan(scores[task.mask]).any():
        raise ParameterError("scores contain NaN for some candidates")
    tiebreak = np.random.default_rng(seed).random(scores.shape)
    order = np.lexsort((tiebreak, -np.where(task.mask, scores, -np.inf)), axis=1)
    return order if k is None else order[:, :k]


def ndcg_at_k(task: RankingTask, scores: np.ndarray, k: int = 10, seed: int = 0) -> np.ndarray:
    """nDCG@k of every query of `task` under `scores` (one value per query)."""
    check_int("k", k, low=1)
    top = ranked_cells(task, scores, k, seed)
    return _ndcg(task, np.take_along_axis(task.gains, top, axis=1))


def random_floor(task: RankingTask, k: int = 10, draws: int = 20, seed: int = 0) -> np.ndarray:
    """Expected nDCG@k of a random order of each query's candidates (mean over `draws`)."""
    check_int("draws", draws, low=1)
    rng = np.random.default_rng(seed)
    total = np.zeros(len(task))
    for _ in range(draws):
        total += ndcg_at_k(task, rng.random(task.candidates.shape), k, seed)
    return total / draws


def _ndcg(task: RankingTask, ranked_gains: np.ndarray) -> np.ndarray:
    k = ranked_gains.shape[1]
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    ideal = -np.sort(-np.where(task.mask, task.gains, 0), axis=1)[:, :k]
    idcg = ideal @ discounts[:ideal.shape[1]]
    if (idcg <= 0).any():
        raise ParameterError("every query needs a candidate with a gain above 0")
    return (ranked_gains @ discounts) / idcg
