"""The tidy tables every loader returns, and the column checks that guard them.

All interaction data sets, real or synthetic, come back as an `InteractionData`:

- ``interactions``: one row per user-item event, columns
  ``user_id`` (str), ``item_id`` (str), ``rating`` (float; 1.0 for implicit events),
  ``timestamp`` (int64 Unix seconds).
- ``items``: one row per item, columns ``item_id`` (str), ``title`` (str), ``text`` (str: the
  text a language model reads, title plus description or genres), ``category`` (str).

Chapters therefore run unchanged on any data set through the ``dataset`` parameter.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

from ..errors import DataError

INTERACTION_COLUMNS = ("user_id", "item_id", "rating", "timestamp")
ITEM_COLUMNS = ("item_id", "title", "text", "category")


def require_columns(frame: pd.DataFrame, columns: Iterable[str], where: str) -> None:
    """Raise DataError naming the missing columns and the columns that are there."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(
            f"{where} lacks the column(s) {missing}; it has {list(frame.columns)}. "
            "The file may be of another format or version: check the source and re-download it."
        )


@dataclass
class InteractionData:
    """A data set of user-item interactions with item texts (see the module docstring)."""

    name: str
    interactions: pd.DataFrame
    items: pd.DataFrame
    extras: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        require_columns(self.interactions, INTERACTION_COLUMNS, f"{self.name} interactions")
        require_columns(self.items, ITEM_COLUMNS, f"{self.name} items")
        unknown = ~self.interactions["item_id"].isin(self.items["item_id"])
        if unknown.any():
            raise DataError(
                f"{self.name}: {int(unknown.sum())} interactions refer to items missing from the "
                "item table; the item metadata file does not match the interactions file"
            )

    @property
    def n_users(self) -> int:
        return int(self.interactions["user_id"].nunique())

    @property
    def n_items(self) -> int:
        return int(self.items["item_id"].nunique())

    def __repr__(self) -> str:
        return (
            f"InteractionData({self.name!r}: {len(self.interactions):,} interactions, "
            f"{self.n_users:,} users, {self.n_items:,} items)"
        )
