"""Data: the synthetic shop, real data set loaders, downloads and splits.

`load_dataset` is the one entry point behind every notebook's ``dataset`` parameter.
"""

from __future__ import annotations

from .registry import DATASETS, load_interactions
from .schema import InteractionData
from .synthetic import make_shop

DATASET_NAMES: tuple[str, ...] = ("synthetic", *DATASETS)


def load_dataset(name: str, *, seed: int = 0, event: str = "click",
                 **shop_options: int) -> InteractionData:
    """The synthetic shop (``name="synthetic"``, sized by `shop_options`) or a real data set.

    For the shop, `event` picks clicks or purchases as the interactions, and the generated
    `SyntheticShop` (with its ground truth) is in ``extras["shop"]``. Real data sets ignore
    `seed` and `shop_options`: they are what they are.
    """
    if name == "synthetic":
        return make_shop(seed=seed, **shop_options).to_interactions(event)
    return load_interactions(name)


__all__ = ["DATASET_NAMES", "InteractionData", "load_dataset", "make_shop"]
