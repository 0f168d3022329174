"""How much a model gains from knowing more of a user's history (the cold-start curve)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd

from ..models.baselines import Recommender
from ..params import check_int
from .protocol import evaluate_per_user, relevant_items


def truncate_histories(
    train: pd.DataFrame, users: Sequence[str], keep_last: int
) -> pd.DataFrame:
    """Training data in which `users` keep only their `keep_last` most recent interactions.

    Everyone else keeps their full history, so the model still learns the same item vectors:
    only how much it knows about the chosen users changes. This isolates the cold-start effect
    from the differences between light and heavy users.
    """
    check_int("keep_last", keep_last, low=0)
    chosen = train["user_id"].isin(set(users))
    ordered = train[chosen].sort_values("timestamp", kind="stable")
    from_end = ordered.groupby("user_id").cumcount(ascending=False)
    kept = ordered[from_end < keep_last]
    return pd.concat([train[~chosen], kept]).sort_values("timestamp", kind="stable")


def history_length_curve(
    make_model: Callable[[], Recommender], train: pd.DataFrame, test: pd.DataFrame,
    items: pd.DataFrame, history_sizes: Sequence[int], min_history: int, k: int = 10,
) -> pd.DataFrame:
    """NDCG@k of the same users and test items as their known history grows.

    Users with at least `min_history` training interactions and a relevant test item are kept;
    for each size n in `history_sizes` the model is refitted with those users truncated to
    their n latest interactions (n = 0: the model has never seen them). The relevant sets come
    from the full history, so every point scores the same targets.
    """
    counts = train["user_id"].value_counts()
    relevant = relevant_items(train, test)
    users = sorted(u for u in relevant if counts.get(u, 0) >= min_history)
    rows = []
    for n in history_sizes:
        model = make_model().fit(truncate_histories(train, users, n), items)
        scores = evaluate_per_user(model, train, test, k, relevant={u: relevant[u] for u in users})
        rows.append({"history": n, "users": len(users), "ndcg": scores["ndcg"].mean(),
                     "hit_rate": scores["hit"].mean()})
    return pd.DataFrame(rows)
