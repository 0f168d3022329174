"""Compare recommenders slice by slice, on the same users, with bootstrap intervals.

`evaluate_slices` scores every model on every slice of `recsys_helpers.evaluation.slices` and
returns one row per (user, slice, model): NDCG@10 and Recall@20 by default. Every model is scored
on the same users and the same candidate sets, so the rows are paired, and `slice_summary` and
`slice_differences` turn them into means and differences with paired bootstrap intervals.

Ranking a slice: a user's candidates are the slice's items minus the items they had in training;
the model's scores (`Recommender.score_items`) order them, best first. Ties are broken at random
(seeded, the same draw for every model), so a model that gives many items one score, such as
"every new item first", gets the ranking a random order would give among them, never one that
the catalogue's order happens to favour. An item the model cannot rank (a non-finite score, e.g.
`UNRANKABLE`) is never counted as found, as in `Recommender.recommend`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ..metrics import ranking_from_hits
from ..models.baselines import Recommender, top_k_indices
from ..params import check_choice, check_int
from .bootstrap import percentile_interval, resampled_means
from .slices import SLICES, EvaluationSlice, build_slices

METRICS = ("ndcg", "recall")
PER_USER_COLUMNS = ("user", "slice", "model", "ndcg", "recall")


def evaluate_slices(
    models: Mapping[str, Recommender], train: pd.DataFrame, test: pd.DataFrame,
    items: pd.DataFrame | Iterable[str], slices: Sequence[str] = SLICES, ndcg_k: int = 10,
    recall_k: int = 20, users: Iterable[str] | None = None, seed: int = 0,
    batch_size: int = 512,
) -> pd.DataFrame:
    """Per-user NDCG@`ndcg_k` and Recall@`recall_k` of each fitted model on each slice.

    Columns user, slice, model, ndcg, recall; within a slice every model has a row for the same
    users. `items` is the candidate catalogue (see `build_slices`); models must have been fitted
    on a catalogue that contains it. `seed` (with `batch_size`) fixes the tie-breaking draw.
    """
    names = _check_models(models)
    slices = _check_slices(slices)
    check_int("seed", seed, low=0)
    check_int("ndcg_k", ndcg_k, low=1)
    check_int("recall_k", recall_k, low=1)
    check_int("batch_size", batch_size, low=1)
    test_set = build_slices(train, test, items, users)
    chosen = [test_set.slice(name) for name in slices]
    depth = max(ndcg_k, recall_k)
    frames = []
    for evaluation_slice in chosen:
        tie_seed = (seed, SLICES.index(evaluation_slice.name))  # same draw for every model
        for name in names:
            ndcg, recall = _score_slice(models[name], name, evaluation_slice, ndcg_k, recall_k,
                                        depth, tie_seed, batch_size)
            frames.append(pd.DataFrame({
                "user": evaluation_slice.user_ids, "slice": evaluation_slice.name,
                "model": name, "ndcg": ndcg, "recall": recall}))
    table = pd.concat(frames, ignore_index=True)
    table.attrs.update(ndcg_k=ndcg_k, recall_k=recall_k)
    return table


def slice_summary(
    per_user: pd.DataFrame, metric: str = "ndcg", n_resamples: int = 1000,
    confidence: float = 0.95, seed: int = 0,
) -> pd.DataFrame:
    """Slice x model -> mean, ci_low, ci_high, n_users of `metric` (paired bootstrap over users).

    Within a slice all models share the same resampled users, so their intervals and the
    differences of `slice_differences` come from one draw.
    """
    rows = []
    for slice_name, wide in _paired_tables(per_user, metric):
        means = resampled_means(wide.to_numpy(), n_resamples, seed)
        low, high = percentile_interval(means, confidence)
        for j, model in enumerate(wide.columns):
            rows.append({"slice": slice_name, "model": model, "mean": wide[model].mean(),
                         "ci_low": low[j], "ci_high": high[j], "n_users": len(wide)})
    return pd.DataFrame(rows).set_index(["slice", "model"])


def slice_differences(
    per_user: pd.DataFrame, baseline: str, metric: str = "ndcg", n_resamples: int = 1000,
    confidence: float = 0.95, seed: int = 0,
) -> pd.DataFrame:
    """Slice x model -> difference (model minus `baseline`), ci_low, ci_high, n_users.

    The interval resamples users jointly for both models (paired); an interval that excludes 0
    says the gap is larger than the luck of which users happened to be in the test set.
    """
    rows = []
    for slice_name, wide in _paired_tables(per_user, metric):
        check_choice("baseline", baseline, wide.columns)
        others = [m for m in wide.columns if m != baseline]
        if not others:
            raise ParameterError(f"slice {slice_name!r} has no model besides the baseline "
                                 f"{baseline!r} to compare with it")
        gaps = wide[others].to_numpy() - wide[[baseline]].to_numpy()
        low, high = percentile_interval(resampled_means(gaps, n_resamples, seed), confidence)
        for j, model in enumerate(others):
            rows.append({"slice": slice_name, "model": model, "difference": gaps[:, j].mean(),
                         "ci_low": low[j], "ci_high": high[j], "n_users": len(wide)})
    return pd.DataFrame(rows).set_index(["slice", "model"])


def validation_period(train: pd.DataFrame, items: pd.DataFrame, valid_fraction: float = 0.2
                      ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(earlier training part, later validation part, the items of the training period): the
    split on which a choice is made instead of the test set."""
    from ..data.splits import temporal_split
    from ..params import check_float

    check_float("valid_fraction", valid_fraction, low=0.01, high=0.99)
    early, late = temporal_split(train, valid_fraction)
    return early, late, items[items["item_id"].isin(train["item_id"])]


def validation_ndcg(
    models: Mapping[str, Recommender], train: pd.DataFrame, items: pd.DataFrame,
    slice_name: str = "all", valid_fraction: float = 0.2, k: int = 10, seed: int = 0,
) -> pd.Series:
    """Model name -> mean NDCG@`k` on a validation period cut from the end of `train`.

    A choice between models (or settings) made on the test set is tuned to that test set;
    this makes it on the training period instead. Each model is copied unfitted, fitted on the
    earlier ``1 - valid_fraction`` of `train` and scored on `slice_name` of the later part, the
    items of the training period as candidates; the test period is never looked at. The models
    given are left as they are.
    """
    import copy

    names = _check_models(models, fitted=False)
    check_choice("slice_name", slice_name, SLICES)
    early, late, candidates = validation_period(train, items, valid_fraction)
    trials = {name: copy.deepcopy(models[name]).fit(early, items) for name in names}
    per_user = evaluate_slices(trials, early, late, candidates, slices=(slice_name,),
                               ndcg_k=k, seed=seed)
    means = per_user.groupby("model", sort=False)["ndcg"].mean()
    return means.reindex(names).rename(f"validation NDCG@{k} ({slice_name})")


def _score_slice(
    model: Recommender, name: str, evaluation_slice: EvaluationSlice, ndcg_k: int,
    recall_k: int, depth: int, seed: tuple[int, int], batch_size: int,
) -> tuple[np.ndarray, np.ndarray]:
    """NDCG and recall of one model for every user of one slice, a batch of users at a time."""
    ndcg, recall = [], []
    n_users = evaluation_slice.n_users
    for start in range(0, n_users, batch_size):
        stop = min(start + batch_size, n_users)
        scores = np.array(model.score_items(evaluation_slice.user_ids[start:stop].tolist(),
                                            evaluation_slice.item_ids.tolist()), dtype=float)
        if np.isnan(scores).any():
            raise ParameterError(f"the model {name!r} returned NaN scores; give items it cannot "
                                 "rank the score UNRANKABLE (-inf) instead")
        scores[evaluation_slice.seen[start:stop].toarray()] = -np.inf
        relevant = evaluation_slice.relevant[start:stop].toarray()
        # A random permutation of each row's columns, the same for every model: after it,
        # top_k_indices's "lower index first" among equal scores is a random tie-break.
        rng = np.random.default_rng([*seed, start])
        order = rng.permuted(np.tile(np.arange(scores.shape[1]), (len(scores), 1)), axis=1)
        best = top_k_indices(np.take_along_axis(scores, order, axis=1), depth)
        columns = np.take_along_axis(order, best, axis=1)
        hits = (np.take_along_axis(relevant, columns, axis=1)
                & np.isfinite(np.take_along_axis(scores, columns, axis=1)))
        hits = np.pad(hits, ((0, 0), (0, depth - hits.shape[1])))  # fewer candidates than depth
        n_relevant = relevant.sum(axis=1)
        ndcg.append(ranking_from_hits(hits[:, :ndcg_k], n_relevant)["ndcg"])
        recall.append(ranking_from_hits(hits[:, :recall_k], n_relevant)["recall"])
    return np.concatenate(ndcg), np.concatenate(recall)


def _paired_tables(per_user: pd.DataFrame, metric: str):
    """(slice, users x models table of `metric`) per slice; every model must score every user."""
    check_choice("metric", metric, METRICS)
    missing = [c for c in PER_USER_COLUMNS if c not in per_user.columns]
    if missing:
        raise ParameterError(f"per_user lacks the column(s) {missing}; pass the table that "
                             "evaluate_slices returns")
    if per_user.empty:
        raise ParameterError("per_user is empty: there is nothing to summarise")
    for slice_name in pd.unique(per_user["slice"]):
        rows = per_user[per_user["slice"] == slice_name]
        if rows.duplicated(["user", "model"]).any():
            raise ParameterError(f"slice {slice_name!r} has several rows for one user and model")
        wide = rows.pivot(index="user", columns="model", values=metric)
        wide = wide[list(pd.unique(rows["model"]))]  # keep the models in the order given
        if wide.isna().to_numpy().any():
            raise ParameterError(
                f"in slice {slice_name!r} not every model scored every user, so the models "
                "cannot be compared pairwise; score them together with evaluate_slices")
        yield slice_name, wide


def _check_models(models: Mapping[str, Recommender], fitted: bool = True) -> list[str]:
    state = "fitted " if fitted else ""
    if not isinstance(models, Mapping):
        raise ParameterError(f"models must map a display name to a {state}Recommender, e.g. "
                             "{'popularity': PopularityRecommender()"
                             + (".fit(train, items)}" if fitted else "}"))
    if not models:
        raise ParameterError(f"models is empty: pass at least one {state}Recommender")
    for name, model in models.items():
        if not isinstance(model, Recommender):
            raise ParameterError(f"models[{name!r}] is a {type(model).__name__}, not a "
                                 "Recommender")
        if fitted and not hasattr(model, "item_index"):
            raise ParameterError(f"models[{name!r}] is not fitted: call fit(train, items) first")
    return list(models)


def _check_slices(slices: Sequence[str]) -> list[str]:
    if isinstance(slices, str):
        slices = [slices]
    slices = list(slices)
    if not slices:
        raise ParameterError(f"slices is empty: pass some of {list(SLICES)}")
    for name in slices:
        check_choice("slice", name, SLICES)
    if len(set(slices)) != len(slices):
        raise ParameterError(f"slices has repeats: {slices}")
    return slices


def record_summary(summary: pd.DataFrame, metric: str = "ndcg") -> list[str]:
    """Record each (slice, model) row of `slice_summary` as ``<metric>_<slice>_<model>`` with
    ``_ci_low`` and ``_ci_high``, the names tests and the results page read; returns the names.

    Model names become identifier-like (lower case, spaces and dashes to underscores).
    """
    from ..report import record

    check_choice("metric", metric, METRICS)
    missing = {"mean", "ci_low", "ci_high"} - set(summary.columns)
    if missing:
        raise ParameterError(f"summary lacks columns {sorted(missing)}: pass slice_summary's "
                             "result")
    names = []
    for (slice_name, model), row in summary.iterrows():
        key = str(model).lower().replace(" ", "_").replace("-", "_")
        name = f"{metric}_{slice_name}_{key}"
        record(name, row["mean"])
        record(f"{name}_ci_low", row["ci_low"])
        record(f"{name}_ci_high", row["ci_high"])
        names.append(name)
    return names
