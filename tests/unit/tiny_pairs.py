"""Tiny click pairs of varied lengths: a stand-in for a click task's examples in unit tests."""

from __future__ import annotations

import numpy as np
import pandas as pd


def click_frame(n: int, seed: int) -> pd.DataFrame:
    """Product-like pairs; the click is whether the item text has the word "red"."""
    rng = np.random.default_rng(seed)
    words = ["blue", "green", "black", "shirt", "lamp", "dress", "mug", "chair", "bike", "soft"]
    rows = []
    for i in range(n):
        label = int(rng.random() < 0.4)
        item = list(rng.choice(words, rng.integers(2, 6)))
        if label:
            item.insert(rng.integers(len(item) + 1), "red")
        rows.append({"user_id": f"u{i % 7}", "item_id": f"i{i}", "timestamp": i,
                     "history_text": " ".join(rng.choice(words, rng.integers(1, 5))),
                     "item_text": " ".join(item), "label": label})
    return pd.DataFrame(rows)
