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
  (`recsys_helpers.cross_encoder.auc_by_negative`).

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

PAIR_COLUMNS = ("history_text", "item_text")
AVOID_CHOICES = ("shown", "interacted")
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
    rows = []
    for row in clicks.itertuples(index=False):
        excluded = touched.get(row.user_id, set()) | {row.item_id}
        drawn = 0
        for _ in range(MAX_TRIES_PER_NEGATIVE * per_click):
            item = item_ids[rng.integers(len(item_ids))]
            if item not in excluded:
                rows.append({**row._asdict(), "item_id": item, "item_text": texts[item],
                             "label": 0})
                excluded = excluded | {item}
                drawn += 1
                if drawn == per_click:
                    break
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

