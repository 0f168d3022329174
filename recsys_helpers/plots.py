"""The book's recurring figures, so each chapter draws them the same way in one line."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes


def use_book_style() -> None:
    """Readable defaults for every chapter (same size and grid everywhere)."""
    plt.rcParams.update({
        "figure.figsize": (7.0, 4.0), "figure.dpi": 100, "axes.grid": True, "grid.alpha": 0.3,
        "axes.spines.top": False, "axes.spines.right": False, "font.size": 10,
    })


def _axes(ax: Axes | None) -> Axes:
    return ax if ax is not None else plt.subplots()[1]


def long_tail(curve: pd.DataFrame, ax: Axes | None = None, title: str = "") -> Axes:
    """Interactions per item by popularity rank (log scale) with the cumulative share."""
    ax = _axes(ax)
    ax.plot(curve["rank"], curve["interactions"], color="tab:blue")
    ax.set_yscale("log")
    ax.set_xlabel("item popularity rank")
    ax.set_ylabel("interactions (log scale)", color="tab:blue")
    twin = ax.twinx()
    twin.plot(curve["rank"], curve["interaction_share"], color="tab:orange")
    twin.set_ylabel("cumulative share of interactions", color="tab:orange")
    twin.set_ylim(0, 1.02)
    twin.grid(False)
    ax.set_title(title or "Long tail of item popularity")
    return ax


def stacked_shares(table: pd.DataFrame, ax: Axes | None = None, title: str = "",
                   top: int = 13) -> Axes:
    """Stacked area of category shares over time; categories beyond `top` become 'other'."""
    ax = _axes(ax)
    order = table.mean().sort_values(ascending=False).index
    shown = table[order[:top]].copy()
    if len(order) > top:
        shown["other"] = table[order[top:]].sum(axis=1)
    colours = plt.get_cmap("tab20").colors
    ax.stackplot(shown.index, shown.T.to_numpy(), labels=shown.columns, alpha=0.9,
                 colors=[colours[i % len(colours)] for i in range(shown.shape[1])])
    ax.set_ylim(0, 1)
    ax.set_ylabel("share of interactions")
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8, frameon=False)
    ax.set_title(title or "Category share over time")
    return ax


def metric_curve(frame: pd.DataFrame, x: str, y: str, ax: Axes | None = None,
                 label: str = "", baseline: float | None = None,
                 baseline_label: str = "popularity", title: str = "") -> Axes:
    """A metric against a size (history length, epochs, ...) with an optional flat baseline."""
    ax = _axes(ax)
    ax.plot(frame[x], frame[y], marker="o", label=label or y)
    if baseline is not None:
        ax.axhline(baseline, color="grey", linestyle="--", label=baseline_label)
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.legend(frameon=False)
    if title:
        ax.set_title(title)
    return ax


def grouped_bars(table: pd.DataFrame, ax: Axes | None = None, title: str = "",
                 ylabel: str = "") -> Axes:
    """Bars for a table whose rows are groups and whose columns are models."""
    ax = _axes(ax)
    n_groups, n_models = table.shape
    width = 0.8 / n_models
    x = np.arange(n_groups)
    for j, column in enumerate(table.columns):
        ax.bar(x + (j - (n_models - 1) / 2) * width, table[column].to_numpy(), width,
               label=str(column))
    ax.set_xticks(x, [str(i) for i in table.index])
    ax.set_ylabel(ylabel)
    ax.legend(frameon=False)
    if title:
        ax.set_title(title)
    return ax


def interval_bars(summary: pd.DataFrame, ax: Axes | None = None, title: str = "",
                  ylabel: str = "") -> Axes:
    """Grouped bars of `slice_summary`-style rows (index slice x model; columns mean, ci_low,
    ci_high) with each bar's interval drawn as an error bar: groups are slices, bars models."""
    ax = _axes(ax)
    means = summary["mean"].unstack(0)  # model x slice
    slices, models = list(means.columns), list(means.index)
    width = 0.8 / len(models)
    x = np.arange(len(slices))
    for j, model in enumerate(models):
        rows = summary.xs(model, level=1).reindex(slices)
        centre = rows["mean"].to_numpy()
        error = np.vstack([centre - rows["ci_low"].to_numpy(), rows["ci_high"].to_numpy() - centre])
        ax.bar(x + (j - (len(models) - 1) / 2) * width, centre, width, yerr=error, capsize=2,
               label=str(model))
    ax.set_xticks(x, slices)
    ax.set_ylabel(ylabel)
    ax.legend(frameon=False, fontsize=8, ncol=2)
    if title:
        ax.set_title(title)
    return ax
