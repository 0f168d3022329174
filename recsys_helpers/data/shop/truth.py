"""Recommenders that read the lab shop's hidden taste: the ceilings a real model is measured by.

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
"""

from __future__ import annotations

from collections.abc import Sequence

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
