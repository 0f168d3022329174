"""The lab shop's hidden truth used to score models: ceilings and true click rates.

A model's NDCG alone does not say whether it is good: 0.09 on cold items may be most of what can
be had, or a small part of it. The shop knows each user's taste, so it can rank with it:

- ``part="stated"``: only the semantic part of taste, what item texts can express (category,
  use, style, ...). No text model can do better on cold items in expectation, however it is
  trained, since the latent part is invisible in words; the gap between a text model and this
  ceiling is what better language understanding (or fine-tuning) could still win.
- ``part="all"``: the whole taste (semantic and latent), the ceiling of any model at all.

Neither uses item quality or the logging policy's exposure, which also shape who clicks what, so
a real model can occasionally beat them on a slice. Scores are the taste on `day` (by default the
last day), since tastes drift.

`true_click_rates` scores a ranked list the way logged clicks cannot: the mean probability that
the user would click each listed item if shown it (``sigmoid(true_affinity)``, before position
bias). Logged clicks only exist where the shop's logging policy showed an item, so a metric on
them (NDCG on the test period) rewards agreeing with that policy; the true click rate does not
(exposure bias, which this lets a chapter measure).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ...errors import ParameterError
from ...models.baselines import Recommender
from ...params import check_choice, check_int
from .behaviour import item_codes, taste
from .laboratory import LabShop

PARTS = ("stated", "all")


class TrueTasteRecommender(Recommender):
    """Ranks items by the shop's hidden taste of each user (see the module docstring).

    Users unknown to the shop get popularity scores, like the other recommenders' strangers.
    """

    name = "true taste"

    def __init__(self, shop: LabShop, part: str = "stated", day: int | None = None) -> None:
        if not isinstance(shop, LabShop):
            raise ParameterError(f"shop must be a LabShop (make_lab_shop), got "
                                 f"{type(shop).__name__}")
        self.shop = shop
        self.part = check_choice("part", part, PARTS)
        last = shop.config.n_days - 1
        self.day = last if day is None else check_int("day", day, low=0, high=last)

    def _fit(self) -> None:
        shop_items = pd.Index(self.shop.items["item_id"])
        self._item_rows = shop_items.get_indexer(self.item_ids)
        if (self._item_rows < 0).any():
            raise ParameterError("the catalogue holds items that are not in this shop")
        self._users = pd.Index(self.shop.users["user_id"])
        self._codes = item_codes(self.shop.items)
        self._mix = 1.0 if self.part == "stated" else self.shop.config.text_signal

    def score(self, users: Sequence[str]) -> np.ndarray:
        users = list(users)
        scores = self.popularity_scores(len(users)).astype(float)
        rows = self._users.get_indexer(users)
        known = np.flatnonzero(rows >= 0)
        n_items = len(self._item_rows)
        if len(known):
            user = np.repeat(rows[known], n_items)
            item = np.tile(self._item_rows, len(known))
            share = np.full(len(user), self.day / self.shop.config.n_days)
            scores[known] = taste(self.shop.tastes, self._codes, self._mix, user, item,
                                  share).reshape(len(known), n_items)
        return scores


def true_click_rates(shop: LabShop, user_ids: Sequence[str],
                     rankings: Mapping[str, Sequence[str]] | Sequence[Sequence[str]],
                     day: int) -> np.ndarray:
    """Per user, the mean true click probability of the items of their list on `day`.

    `rankings` maps each user id to a list of item ids (what `Recommender.recommend` returns),
    or is a sequence of lists in the order of `user_ids`. The probability is
    ``sigmoid(LabShop.true_affinity)``: taste, quality and the click bias, without the position
    bias of a slate, so it says how well a list fits the user, not where it was shown.
    """
    if not isinstance(shop, LabShop):
        raise ParameterError(f"shop must be a LabShop (make_lab_shop), got "
                             f"{type(shop).__name__}")
    if isinstance(user_ids, str):
        raise ParameterError("user_ids must be a list of user ids, not a single string")
    users = list(user_ids)
    check_int("day", day, low=0, high=shop.config.n_days - 1)
    if isinstance(rankings, Mapping):
        missing = [u for u in users if u not in rankings]
        if missing:
            raise ParameterError(f"{len(missing)} user(s) have no ranking, e.g. {missing[:3]}")
        lists = [list(rankings[u]) for u in users]
    else:
        lists = [list(r) for r in rankings]
        if len(lists) != len(users):
            raise ParameterError(f"{len(lists)} rankings for {len(users)} users")
    lengths = np.array([len(r) for r in lists])
    if (lengths == 0).any():
        empty = [u for u, n in zip(users, lengths, strict=True) if n == 0]
        raise ParameterError(f"{len(empty)} user(s) have an empty list, e.g. {empty[:3]}: "
                             "a list with no item has no click rate")
    user_rows = pd.Index(shop.users["user_id"]).get_indexer(users)
    if (user_rows < 0).any():
        unknown = np.asarray(users, dtype=object)[user_rows < 0]
        raise ParameterError(f"{len(unknown)} user(s) are not in this shop, e.g. "
                             f"{unknown[:3].tolist()}")
    flat = [item for r in lists for item in r]
    item_rows = pd.Index(shop.items["item_id"]).get_indexer(flat)
    if (item_rows < 0).any():
        unknown = np.asarray(flat, dtype=object)[item_rows < 0]
        raise ParameterError(f"{len(unknown)} listed item(s) are not in this shop, e.g. "
                             f"{pd.unique(unknown)[:3].tolist()}")
    logits = shop.true_affinity(np.repeat(user_rows, lengths), item_rows,
                                np.full(len(item_rows), day))
    probability = 1.0 / (1.0 + np.exp(-logits))
    owner = np.repeat(np.arange(len(users)), lengths)
    return np.bincount(owner, weights=probability, minlength=len(users)) / lengths
