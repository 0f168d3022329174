"""Offline evaluation of recommenders on a train/test split.

Conventions used in every chapter (`protocol`):

- a user's **relevant set** is the items they interacted with in the test period and had *not*
  interacted with in training (recommending what someone already has is not a discovery);
- only users with at least one relevant item are scored;
- models never recommend an item the user had in training (``exclude_seen``).

Modules: `protocol` (relevant sets, per-user metrics of one model), `history` (truncated
histories and the history-length curve), `slices` (all / warm items / cold items / cold users
and what each ranks), `compare` (models scored slice by slice, summary tables), `bootstrap`
(paired bootstrap intervals over users, and over examples for an AUC) and `clicks` (click
predictions scored: the AUC against each kind of non-click, a decision threshold and its report,
NDCG per query).
"""

from .bootstrap import (
    Interval,
    bootstrap_mean,
    paired_auc_difference,
    paired_difference,
    percentile_interval,
    resampled_means,
    unpaired_difference,
)
from .clicks import auc_by_negative, choose_threshold, classification_table, per_query_ndcg
from .compare import (
    METRICS,
    evaluate_slices,
    slice_differences,
    slice_summary,
    validation_ndcg,
)
from .history import history_length_curve, truncate_histories
from .protocol import evaluate_per_user, relevant_items
from .slices import (
    SLICE_DESCRIPTIONS,
    SLICES,
    EvaluationSlice,
    SlicedTestSet,
    build_slices,
)

__all__ = [
    "METRICS",
    "SLICES",
    "SLICE_DESCRIPTIONS",
    "EvaluationSlice",
    "Interval",
    "SlicedTestSet",
    "auc_by_negative",
    "bootstrap_mean",
    "build_slices",
    "choose_threshold",
    "classification_table",
    "evaluate_per_user",
    "evaluate_slices",
    "history_length_curve",
    "paired_auc_difference",
    "paired_difference",
    "per_query_ndcg",
    "percentile_interval",
    "relevant_items",
    "resampled_means",
    "slice_differences",
    "slice_summary",
    "truncate_histories",
    "unpaired_difference",
    "validation_ndcg",
]
