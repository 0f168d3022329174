"""Which test users and items fall in which evaluation slice, and what each slice ranks.

A cold-item evaluation must not be winnable by construction. If a user's held-out items are
ranked in one mixed list, "show the never-clicked items first" finds the new items without
knowing anything about the user. So each slice ranks its positives among candidates of the same
kind only:

- ``all``: every relevant test item, ranked among all candidate items;
- ``warm_items``: the relevant items that occur in training, ranked among the warm candidates;
- ``cold_items``: the relevant items with no training interaction, ranked among the cold
  candidates (catalogue items nobody interacted with in training);
- ``cold_users``: users with no training interaction, all their relevant items, ranked among
  all candidates.

Relevant items follow the protocol of `recsys_helpers.evaluation.protocol.relevant_items`, and a
user's candidates never include an item they had in training. The item slices include every
user (cold users too); a slice keeps only the users with at least one relevant item in it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..data.schema import require_columns
from ..errors import ParameterError
from ..params import check_choice

SLICES = ("all", "warm_items", "cold_items", "cold_users")
SLICE_DESCRIPTIONS = {
    "all": "every relevant item, ranked among all candidate items",
    "warm_items": "relevant items that occur in training, ranked among warm candidates only",
    "cold_items": "relevant items absent from training, ranked among cold candidates only",
    "cold_users": "users with no training interaction, ranked among all candidate items",
}


@dataclass(frozen=True)
class EvaluationSlice:
    """One slice: its users (rows), its candidate items (columns) and their 0/1 matrices."""

    name: str
    user_ids: np.ndarray
    item_ids: np.ndarray
    relevant: sp.csr_matrix  # users x items: the held-out positives to find
    seen: sp.csr_matrix  # users x items: training interactions, excluded from the ranking

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    def relevant_sets(self) -> dict[str, set[str]]:
        """user -> relevant items of this slice, for reading and for checks."""
        return _row_sets(self.relevant, self.user_ids, self.item_ids)

    def candidate_sets(self) -> dict[str, set[str]]:
        """user -> the items this slice ranks for them (its candidates minus their seen items)."""
        every = set(self.item_ids.tolist())
        seen = _row_sets(self.seen, self.user_ids, self.item_ids)
        return {user: every - seen[user] for user in self.user_ids.tolist()}


@dataclass(frozen=True)
class SlicedTestSet:
    """The relevant pairs of a train/test split over a candidate catalogue, ready to slice.

    Rows are every user with a relevant item, columns every candidate item; ``warm_items`` and
    ``cold_users`` say which columns and rows are known from training.
    """

    user_ids: np.ndarray
    item_ids: np.ndarray
    relevant: sp.csr_matrix
    seen: sp.csr_matrix
    warm_items: np.ndarray
    cold_users: np.ndarray

    def slice(self, name: str) -> EvaluationSlice:
        """The users and candidates of slice `name` (one of `SLICES`); raises if it is empty."""
        check_choice("slice", name, SLICES)
        columns = np.arange(len(self.item_ids))
        if name == "warm_items":
            columns = np.flatnonzero(self.warm_items)
        elif name == "cold_items":
            columns = np.flatnonzero(~self.warm_items)
        relevant = self.relevant[:, columns]
        has_relevant = np.diff(relevant.indptr) > 0
        if name == "cold_users":
            has_relevant &= self.cold_users
        rows = np.flatnonzero(has_relevant)
        if len(rows) == 0:
            raise ParameterError(
                f"no user has a relevant item in the slice {name!r} ({SLICE_DESCRIPTIONS[name]}),"
                f" so its metrics are undefined; leave {name!r} out of the slices, or use a "
                "split that holds out such items or users")
        return EvaluationSlice(
            name=name, user_ids=self.user_ids[rows], item_ids=self.item_ids[columns],
            relevant=relevant[rows], seen=self.seen[rows][:, columns])


def build_slices(
    train: pd.DataFrame, test: pd.DataFrame, items: pd.DataFrame | Iterable[str],
    users: Iterable[str] | None = None,
) -> SlicedTestSet:
    """Relevant pairs, seen pairs and warm/cold flags of a split, over the candidate `items`.

    `items` is the catalogue the models may recommend from (an items table or item ids); the
    cold candidates are its items without a training interaction, so pass the items that exist
    in the test period. `users` restricts the evaluation to those users.
    """
    require_columns(train, ("user_id", "item_id"), "training interactions")
    require_columns(test, ("user_id", "item_id"), "test interactions")
    candidates = _candidate_index(items)
    train_pairs = train[["user_id", "item_id"]].drop_duplicates()
    test_pairs = test[["user_id", "item_id"]].drop_duplicates()
    if users is not None:
        test_pairs = test_pairs[test_pairs["user_id"].isin(set(users))]
    marked = test_pairs.merge(train_pairs, on=["user_id", "item_id"], how="left", indicator=True)
    new_pairs = marked[marked["_merge"] == "left_only"]

    columns = candidates.get_indexer(new_pairs["item_id"])
    if (columns < 0).any():
        missing = pd.unique(new_pairs["item_id"][columns < 0])
        raise ParameterError(
            f"{len(missing)} relevant test item(s) are not among the candidate items, e.g. "
            f"{missing[:5].tolist()}; pass the whole catalogue (or every item of the test period)"
            " as items")
    user_index = pd.Index(np.sort(new_pairs["user_id"].unique()))
    rows = user_index.get_indexer(new_pairs["user_id"])
    shape = (len(user_index), len(candidates))
    relevant = _binary_matrix(rows, columns, shape)

    seen_pairs = train_pairs[train_pairs["user_id"].isin(user_index)
                             & train_pairs["item_id"].isin(candidates)]
    seen = _binary_matrix(user_index.get_indexer(seen_pairs["user_id"]),
                          candidates.get_indexer(seen_pairs["item_id"]), shape)
    return SlicedTestSet(
        user_ids=user_index.to_numpy(), item_ids=candidates.to_numpy(),
        relevant=relevant, seen=seen,
        warm_items=candidates.isin(train_pairs["item_id"].unique()),
        cold_users=~user_index.isin(train_pairs["user_id"].unique()),
    )


def _candidate_index(items: pd.DataFrame | Iterable[str]) -> pd.Index:
    if isinstance(items, pd.DataFrame):
        require_columns(items, ("item_id",), "item catalogue")
        items = items["item_id"]
    elif isinstance(items, str):
        raise ParameterError("items must be an items table or a sequence of item ids, not a str")
    candidates = pd.Index(list(items))
    if len(candidates) == 0:
        raise ParameterError("items is empty: pass the catalogue the models recommend from")
    if not candidates.is_unique:
        raise ParameterError("items has duplicate item ids; each candidate must appear once")
    return candidates


def _binary_matrix(rows: np.ndarray, columns: np.ndarray, shape: tuple[int, int]
                   ) -> sp.csr_matrix:
    matrix = sp.csr_matrix((np.ones(len(rows), dtype=bool), (rows, columns)), shape=shape)
    matrix.sum_duplicates()
    matrix.sort_indices()
    return matrix


def _row_sets(matrix: sp.csr_matrix, user_ids: np.ndarray, item_ids: np.ndarray
              ) -> dict[str, set[str]]:
    return {user: set(item_ids[matrix.indices[matrix.indptr[r]:matrix.indptr[r + 1]]].tolist())
            for r, user in enumerate(user_ids.tolist())}
