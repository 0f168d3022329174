"""Balanced click pairs: the one builder of the (history, item, click?) examples that the
cross-encoders train and are validated on.

A shop shows a user items its logging policy already thinks they like, so a shown but
unclicked item teaches fine distinctions ("this tent rather than that tent") and little about
taste itself; and clicks are rare (about one impression in six), so a classifier trained on
impressions alone mostly learns to say "no". The pairs built here fix both:

- **training** (`click_pairs(task, "train", n)`): `n` clicks of the period, each with
  `per_click` catalogue items the user was *never shown* as non-clicks (a balanced set when
  ``per_click=1``);
- **validation and test** (`click_pairs(task, "test", n, with_shown=True)`): `n` impressions
  of the period (clicks and shown non-clicks, as they happened) plus `per_click` never-shown
  items per click, so a model can be scored against each kind of non-click apart
  (`recsys_helpers.evaluation.auc_by_negative`).

A sampled non-click keeps the click's user, history text and time, so the only thing that
differs from its click is the item. The ``negative`` column names each row's kind: "" for a
click, "shown" for an impression that was not clicked, "sampled" for a never-shown item.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ..params import check_choice, check_int
from .schema import require_columns

if TYPE_CHECKING:
    from .click_task import ClickTask
    from .shop import LabShop

PAIR_COLUMNS = ("history_text", "item_text")
AVOID_CHOICES = ("shown", "interacted")
# Share of the search log's days in each period, oldest first (as ClickTask splits clicks).
SEARCH_PERIODS = {"train": (0.0, 0.7), "valid": (0.7, 0.8), "test": (0.8, 1.0)}
MAX_TRIES_PER_NEGATIVE = 50  # rejection sampling gives up on a user who has seen nearly all


def sample_rows(frame: pd.DataFrame, n: int, seed: int = 0) -> pd.DataFrame:
    """At most `n` rows drawn at random (seeded), in their original order, index reset."""
    check_int("n", n, low=1)
    check_int("seed", seed, low=0)
    if n >= len(frame):
        return frame.reset_index(drop=True)
    chosen = np.sort(np.random.default_rng(seed).choice(len(frame), n, replace=False))
    return frame.iloc[chosen].reset_index(drop=True)


def add_never_shown(frame: pd.DataFrame, items: pd.DataFrame, seen: pd.DataFrame,
                    per_click: int = 1, seed: int = 0) -> pd.DataFrame:
    """`frame` plus, for each click in it, `per_click` catalogue items outside the user's
    `seen` pairs, as non-clicks with the click's user, history and time.

    `seen` holds (user_id, item_id) pairs: a shop's impressions (then the new non-clicks were
    never shown) or the interactions (never interacted with, all a data set without impression
    logs can tell). The result has a ``negative`` column ("" for clicks, "shown" for the
    frame's own non-clicks, "sampled" for the new ones) and is sorted by time (stable).
    """
    require_columns(frame, ("user_id", "item_id", "timestamp", "label", *PAIR_COLUMNS),
                    "click examples")
    require_columns(items, ("item_id", "text"), "item catalogue")
    require_columns(seen, ("user_id", "item_id"), "seen (user, item) pairs")
    check_int("per_click", per_click, low=1, high=100)
    check_int("seed", seed, low=0)
    rng = np.random.default_rng(seed)
    item_ids = items["item_id"].to_numpy()
    texts = items.set_index("item_id")["text"]
    touched = seen.groupby("user_id")["item_id"].agg(set)
    clicks = frame[frame["label"] == 1]
    rows = [{**row._asdict(), "item_id": item, "item_text": texts[item], "label": 0}
            for row in clicks.itertuples(index=False)
            for item in _draw_unseen(rng, item_ids, touched.get(row.user_id, set())
                                     | {row.item_id}, per_click)]
    sampled = pd.DataFrame(rows, columns=frame.columns)
    for column in ("cold_item", "cold_user"):
        if column in sampled:
            sampled[column] = sampled[column].astype(bool)
    original = frame.assign(negative=np.where(frame["label"] == 1, "", "shown"))
    combined = pd.concat([original, sampled.assign(negative="sampled")], ignore_index=True)
    return combined.sort_values("timestamp", kind="stable").reset_index(drop=True)


def click_pairs(task: ClickTask, split: str, n: int, per_click: int = 1,
                with_shown: bool = False, avoid: str = "shown", seed: int = 0) -> pd.DataFrame:
    """Click pairs of one period of `task`: see the module docstring.

    - ``with_shown=False`` (training): `n` clicks of the period, each with `per_click`
      never-shown items;
    - ``with_shown=True`` (validation, test): `n` impressions of the period, clicked or not,
      plus `per_click` never-shown items per click.

    ``avoid="shown"`` draws the non-clicks among items the user was never shown (every
    impression of the shop, where the task has them, see `ClickTask.exposures`);
    ``avoid="interacted"`` only among items the user never clicked, which is how chapters 3 and
    5 first built their pairs (and reproduces them exactly). Seeded: the same arguments give
    the same rows.
    """
    check_int("n", n, low=1)
    check_int("per_click", per_click, low=1, high=100)
    check_int("seed", seed, low=0)
    check_choice("avoid", avoid, AVOID_CHOICES)
    if not isinstance(with_shown, bool):  # papermill passes a string "False" as it is
        raise ParameterError(f"parameter 'with_shown' must be True or False, got {with_shown!r}")
    frame = task.split(split)
    if not with_shown:
        frame = frame[frame["label"] == 1]
    seen = task.exposures() if avoid == "shown" else task.interactions
    return add_never_shown(sample_rows(frame, n, seed), task.items, seen, per_click, seed)



def search_click_pairs(shop: LabShop, split: str, n: int, shown_per_click: int = 0,
                       per_click: int = 1, seed: int = 0) -> pd.DataFrame:
    """(query, product, clicked?) pairs from one period of the lab shop's search log.

    `n` clicked results of the period (the log's days split 70/10/20 by time, oldest first),
    each with up to `shown_per_click` results of the same query that were shown and not
    clicked (``negative == "shown"``) and `per_click` catalogue items never shown to that user
    in search (``"sampled"``). ``shown_per_click=0`` gives a balanced training set. The columns
    follow `click_pairs`, so the same cross-encoders and scorers read them: ``history_text``
    holds the query (the user's side of the pair: what they typed, where a recommendation pair
    has what they clicked), ``item_text`` the product. ``relevance`` is the shop's hidden
    graded relevance of every pair (0 = another kind of product), ``position`` the rank it was
    shown at (-1 if never shown). Seeded.
    """
    from .shop import LabShop

    if not isinstance(shop, LabShop):
        raise ParameterError(f"shop must be a LabShop (make_lab_shop), got {type(shop).__name__}")
    check_choice("split", split, tuple(SEARCH_PERIODS))
    check_int("n", n, low=1)
    check_int("shown_per_click", shown_per_click, low=0, high=20)
    check_int("per_click", per_click, low=0, high=100)
    check_int("seed", seed, low=0)
    queries = shop.queries.set_index("query_id")
    log = shop.search_results.join(queries[["user_id", "timestamp", "day", "text"]],
                                   on="query_id")
    low, high = SEARCH_PERIODS[split]
    days = log["day"].to_numpy() / shop.config.n_days
    log = log[(days >= low) & (days < high)]
    clicks = sample_rows(log[log["clicked"].to_numpy()], n, seed)
    if clicks.empty:
        raise ParameterError(f"the {split} period of the search log holds no clicks")
    rng = np.random.default_rng(seed)
    parts = [clicks.assign(negative="")]
    if shown_per_click:
        skipped = log[~log["clicked"].to_numpy() & log["query_id"].isin(clicks["query_id"])]
        shuffled = skipped.iloc[rng.permutation(len(skipped))]
        parts.append(shuffled.groupby("query_id").head(shown_per_click).assign(negative="shown"))
    if per_click:
        shown_to = shop.search_results.join(queries["user_id"], on="query_id") \
            .groupby("user_id")["item_index"].agg(set)
        indices = np.arange(len(shop.items))
        rows = [{**row._asdict(), "item_index": int(item), "position": -1}
                for row in clicks.itertuples(index=False)
                for item in _draw_unseen(rng, indices, shown_to.get(row.user_id, set()),
                                         per_click)]
        parts.append(pd.DataFrame(rows, columns=clicks.columns).assign(negative="sampled"))
    pairs = pd.concat(parts, ignore_index=True)
    items = shop.items
    pairs["item_id"] = items["item_id"].to_numpy()[pairs["item_index"].to_numpy()]
    pairs["item_text"] = items["text"].to_numpy()[pairs["item_index"].to_numpy()]
    pairs["relevance"] = shop.query_relevance(pairs["query_index"].to_numpy(),
                                              pairs["item_index"].to_numpy())
    pairs["label"] = (pairs["negative"] == "").astype(int)
    pairs = pairs.rename(columns={"text": "history_text"})
    columns = ["query_id", "user_id", "item_id", "timestamp", "history_text", "item_text",
               "label", "negative", "position", "relevance"]
    return pairs[columns].sort_values(["timestamp", "label"], ascending=[True, False],
                                      kind="stable").reset_index(drop=True)


def _draw_unseen(rng: np.random.Generator, candidates: np.ndarray, excluded: set,
                 k: int) -> list:
    """Up to `k` distinct candidates outside `excluded`, by rejection sampling (one uniform
    draw per try, at most `MAX_TRIES_PER_NEGATIVE` tries per item wanted)."""
    excluded, drawn = set(excluded), []
    for _ in range(MAX_TRIES_PER_NEGATIVE * k):
        if len(drawn) == k:
            break
        candidate = candidates[rng.integers(len(candidates))]
        if candidate not in excluded:
            drawn.append(candidate)
            excluded.add(candidate)
    return drawn
