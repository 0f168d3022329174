"""The evaluation protocol of every chapter: relevant sets and per-user metrics of one model.

- a user's **relevant set** is the items they interacted with in the test period and had *not*
  interacted with in training (recommending what someone already has is not a discovery);
- only users with at least one relevant item are scored;
- models never recommend an item the user had in training (``exclude_seen``).
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from ..data.splits import items_by_user
from ..metrics import per_user_ranking
from ..models.baselines import Recommender
from ..params import check_int


def relevant_items(train: pd.DataFrame, test: pd.DataFrame) -> dict[str, set[str]]:
    """Each test user's new items: test items minus the items they had in training."""
    seen = items_by_user(train)
    relevant = {}
    for user, items in items_by_user(test).items():
        new = items - seen.get(user, set())
        if new:
            relevant[user] = new
    return relevant


def evaluate_per_user(
    model: Recommender, train: pd.DataFrame, test: pd.DataFrame, k: int = 10,
    users: Iterable[str] | None = None, relevant: dict[str, set[str]] | None = None,
) -> pd.DataFrame:
    """Per-user ranking metrics @k of a fitted model (see `recsys_helpers.metrics`)."""
    check_int("k", k, low=1)
    if relevant is None:
        relevant = relevant_items(train, test)
    if users is not None:
        wanted = set(users)
        relevant = {u: r for u, r in relevant.items() if u in wanted}
    recommended = model.recommend(sorted(relevant), k)
    return per_user_ranking(recommended, relevant, k)
