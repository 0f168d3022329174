"""Click prediction from text: the supervised task that chapters 3 to 5 fine-tune on.

Each example pairs what we know about a user *at that moment* with one candidate item, both as
text, and asks whether the user clicked (or interacted with) it:

- ``history_text``: the titles of the user's latest `history_len` interactions strictly before
  the example's time ("no history yet" for a newcomer);
- ``item_text``: the candidate item's text;
- ``label``: 1 for a click / interaction, 0 otherwise.

Examples are split by time into train, valid and test (``split`` column), so a model is always
tested on the future. Two flags mark the hard cases: ``cold_item`` (the item has no positive
example before the test period) and ``cold_user`` (the user has none either).

Two sources: a shop's impressions (real non-clicks, with position bias), from the first
synthetic shop (`recsys_helpers.data.synthetic`) or the lab shop (`recsys_helpers.data.shop`)
alike, and any `InteractionData` (positives are the interactions, negatives are sampled unseen
items). A task built from a shop also keeps every (user, item) pair that was ever shown
(`ClickTask.shown`), so that `recsys_helpers.data.click_pairs` can add non-clicks that were
truly never shown.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ..params import check_float, check_int
from .schema import InteractionData, require_columns
from .shop import LabShop
from .synthetic import SyntheticShop

NO_HISTORY = "no history yet"
SPLITS = ("train", "valid", "test")
EXAMPLE_COLUMNS = ("user_id", "item_id", "timestamp", "history_text", "item_text", "label",
                   "split", "cold_item", "cold_user")


@dataclass
class ClickTask:
    """Click examples with their split, the item catalogue and the raw interactions."""

    examples: pd.DataFrame
    items: pd.DataFrame
    interactions: pd.DataFrame  # the positive events (for ID baselines and histories)
    train_end: int  # first timestamp of the validation period
    test_start: int  # first timestamp of the test period
    # every (user_id, item_id, timestamp) the shop showed, clicked or not; None where the data
    # record only interactions (then what was shown is unknown beyond the interactions)
    shown: pd.DataFrame | None = None

    def split(self, name: str) -> pd.DataFrame:
        """The examples of one period ("train", "valid" or "test"), index reset."""
        if name not in SPLITS:
            raise ParameterError(f"split must be one of {SPLITS}, got {name!r}")
        return self.examples[self.examples["split"] == name].reset_index(drop=True)

    def exposures(self) -> pd.DataFrame:
        """The (user_id, item_id) pairs a user is known to have seen: every impression when the
        task comes from a shop, else the interactions. An item outside them is "never shown"."""
        if self.shown is None:
            return self.interactions[["user_id", "item_id"]]
        return pd.concat([self.shown[["user_id", "item_id"]],
                          self.interactions[["user_id", "item_id"]]], ignore_index=True)

    def train_interactions(self) -> pd.DataFrame:
        """Positive events before the test period (training plus validation), for ID models."""
        return self.interactions[self.interactions["timestamp"] < self.test_start]

    def __repr__(self) -> str:
        counts = self.examples["split"].value_counts().reindex(SPLITS, fill_value=0)
        rate = self.examples["label"].mean()
        return (f"ClickTask({len(self.examples):,} examples: train {counts['train']:,}, valid "
                f"{counts['valid']:,}, test {counts['test']:,}; positive rate {rate:.1%})")


def click_task_from_shop(
    shop: SyntheticShop | LabShop, max_examples: int = 20_000, history_len: int = 5,
    valid_fraction: float = 0.1, test_fraction: float = 0.2, seed: int = 0,
) -> ClickTask:
    """Examples from the shop's impressions: shown items, clicked or not.

    Works on the first synthetic shop and on the lab shop, whose impression logs have the same
    columns (user_id, item_id, timestamp, clicked). In the lab shop a session's impressions
    share one timestamp, so a history (strictly earlier clicks) never holds a click of the
    example's own session. `max_examples` impressions are drawn at random (seeded) to keep
    fine-tuning affordable on a CPU; the histories are built from *all* clicks, not only the
    drawn ones.
    """
    if not isinstance(shop, SyntheticShop | LabShop):
        raise ParameterError("shop must be a SyntheticShop (make_shop) or a LabShop "
                             f"(make_lab_shop), got {type(shop).__name__}")
    check_int("max_examples", max_examples, low=10)
    check_int("seed", seed, low=0)
    impressions = shop.impressions
    require_columns(impressions, ("user_id", "item_id", "timestamp", "clicked"),
                    "shop impressions")
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(len(impressions), min(max_examples, len(impressions)),
                                replace=False))
    sample = impressions.iloc[chosen]
    clicks = impressions.loc[impressions["clicked"], ["user_id", "item_id", "timestamp"]]
    frame = pd.DataFrame({
        "user_id": sample["user_id"].to_numpy(),
        "item_id": sample["item_id"].to_numpy(),
        "timestamp": sample["timestamp"].to_numpy(),
        "label": sample["clicked"].to_numpy().astype(int),
    })
    task = _finish(frame, clicks, shop.items[["item_id", "title", "text", "category"]],
                   history_len, valid_fraction, test_fraction)
    task.shown = impressions[["user_id", "item_id", "timestamp"]].reset_index(drop=True)
    return task


def click_task_from_interactions(
    data: InteractionData, negatives: int = 4, max_positives: int = 10_000,
    history_len: int = 5, valid_fraction: float = 0.1, test_fraction: float = 0.2,
    seed: int = 0,
) -> ClickTask:
    """Examples from any interaction data: each interaction is a positive, paired with
    `negatives` items the user never interacted with, drawn uniformly, at the same time."""
    check_int("negatives", negatives, low=1, high=100)
    check_int("max_positives", max_positives, low=10)
    check_int("seed", seed, low=0)
    rng = np.random.default_rng(seed)
    events = data.interactions[["user_id", "item_id", "timestamp"]]
    positives = events.iloc[np.sort(rng.choice(len(events), min(max_positives, len(events)),
                                               replace=False))]
    item_ids = data.items["item_id"].to_numpy()
    touched = set(zip(events["user_id"], events["item_id"], strict=True))
    rows = []
    for user, item, when in positives.itertuples(index=False):
        rows.append((user, item, when, 1))
        drawn = 0
        for _ in range(50 * negatives):  # rejection sampling; gives up on impossible users
            candidate = item_ids[rng.integers(len(item_ids))]
            if (user, candidate) not in touched:
                rows.append((user, candidate, when, 0))
                drawn += 1
                if drawn == negatives:
                    break
    frame = pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp", "label"])
    return _finish(frame, events, data.items[["item_id", "title", "text", "category"]],
                   history_len, valid_fraction, test_fraction)


def _finish(frame, positives, items, history_len, valid_fraction, test_fraction) -> ClickTask:
    check_int("history_len", history_len, low=0, high=50)
    check_float("valid_fraction", valid_fraction, low=0.01, high=0.5)
    check_float("test_fraction", test_fraction, low=0.01, high=0.5)
    frame = frame.sort_values("timestamp", kind="stable").reset_index(drop=True)
    times = frame["timestamp"].to_numpy()
    train_end = int(np.quantile(times, 1.0 - valid_fraction - test_fraction))
    test_start = int(np.quantile(times, 1.0 - test_fraction))
    frame["split"] = np.where(times < train_end, "train",
                              np.where(times < test_start, "valid", "test"))

    titles = items.set_index("item_id")["title"]
    frame["history_text"] = _histories(frame, positives, titles, history_len)
    frame["item_text"] = items.set_index("item_id")["text"].reindex(frame["item_id"]).to_numpy()

    early = positives[positives["timestamp"] < test_start]
    frame["cold_item"] = ~frame["item_id"].isin(set(early["item_id"]))
    frame["cold_user"] = ~frame["user_id"].isin(set(early["user_id"]))
    interactions = positives.assign(rating=1.0)[["user_id", "item_id", "rating", "timestamp"]]
    return ClickTask(frame[list(EXAMPLE_COLUMNS)], items.reset_index(drop=True),
                     interactions.sort_values("timestamp", kind="stable").reset_index(drop=True),
                     train_end, test_start)


def _histories(frame, positives, titles, history_len) -> list[str]:
    """For each example, the titles of the user's latest positives strictly before it."""
    if history_len == 0:
        return [NO_HISTORY] * len(frame)
    ordered = positives.sort_values(["user_id", "timestamp"], kind="stable")
    by_user = {user: (group["timestamp"].to_numpy(), group["item_id"].to_numpy())
               for user, group in ordered.groupby("user_id", sort=False)}
    texts = []
    for user, when in zip(frame["user_id"], frame["timestamp"], strict=True):
        stamps, item_ids = by_user.get(user, (np.empty(0), np.empty(0)))
        end = int(np.searchsorted(stamps, when, side="left"))
        recent = item_ids[max(0, end - history_len):end][::-1]  # newest first
        texts.append("; ".join(titles.reindex(recent).fillna("").tolist()) or NO_HISTORY)
    return texts


def ranking_candidates(
    task: ClickTask, n_negatives: int = 49, max_users: int = 300, history_len: int = 5,
    seed: int = 0,
) -> pd.DataFrame:
    """Per test user, their test-period positives plus `n_negatives` never-touched items.

    This is a *sampled* ranking evaluation (rank the few true items among sampled ones): cheap
    enough for a cross-encoder on a CPU, and comparable across models because every model ranks
    the same candidates. Sampled metrics overstate absolute quality; compare models, not
    numbers across set-ups. Histories are frozen at the start of the test period. Candidate
    order is shuffled, so models that tie (e.g. an ID model on unseen items) are ranked at random.
    """
    check_int("n_negatives", n_negatives, low=1)
    check_int("max_users", max_users, low=1)
    rng = np.random.default_rng(seed)
    before = task.interactions[task.interactions["timestamp"] < task.test_start]
    after = task.interactions[task.interactions["timestamp"] >= task.test_start]
    seen_before = before.groupby("user_id")["item_id"].agg(set)
    touched = task.interactions.groupby("user_id")["item_id"].agg(set)
    users = np.sort(after["user_id"].unique())
    users = users[np.sort(rng.choice(len(users), min(max_users, len(users)), replace=False))]
    item_ids = task.items["item_id"].to_numpy()
    titles = task.items.set_index("item_id")["title"]
    texts = task.items.set_index("item_id")["text"]
    early_items = set(before["item_id"])
    rows = []
    for user in users:
        history = before[before["user_id"] == user].tail(history_len)["item_id"].to_numpy()
        history_text = "; ".join(titles.reindex(history[::-1]).tolist()) or NO_HISTORY
        new = set(after.loc[after["user_id"] == user, "item_id"]) - seen_before.get(user, set())
        if not new:
            continue
        pool = np.setdiff1d(item_ids, np.fromiter(touched[user], dtype=object))
        negatives = rng.choice(pool, min(n_negatives, len(pool)), replace=False)
        candidates = [(item, 1) for item in sorted(new)] + [(item, 0) for item in negatives]
        for position in rng.permutation(len(candidates)):
            item, label = candidates[position]
            rows.append((user, item, history_text, texts[item], label, item not in early_items,
                         user not in seen_before.index))
    return pd.DataFrame(rows, columns=["user_id", "item_id", "history_text", "item_text",
                                       "label", "cold_item", "cold_user"])
