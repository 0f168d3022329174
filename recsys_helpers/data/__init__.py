"""Data: the synthetic shop, real data set loaders, downloads and splits.

`load_dataset` is the one entry point behind every notebook's ``dataset`` parameter.
"""

from __future__ import annotations

from .registry import DATASETS, load_interactions
from .schema import InteractionData
from .synthetic import make_shop

DATASET_NAMES: tuple[str, ...] = ("shop", "synthetic", *DATASETS)


def load_dataset(name: str, *, seed: int = 0, event: str = "click",
                 **shop_options: float) -> InteractionData:
    """The lab shop (``name="shop"``), the first synthetic shop (``"synthetic"``), or a real set.

    For the shops, `shop_options` are their settings (`LabShopConfig` knobs such as
    ``text_signal`` for the lab shop, sizes for both), `event` picks clicks or purchases as the
    interactions, and the generated shop (with its hidden truth) is in ``extras["shop"]``. Real
    data sets ignore `seed` and `shop_options`: they are what they are.
    """
    if name == "shop":
        from .shop import make_lab_shop

        return make_lab_shop(seed=seed, **shop_options).to_interactions(event)
    if name == "synthetic":
        return make_shop(seed=seed, **shop_options).to_interactions(event)
    return load_interactions(name)


__all__ = ["DATASET_NAMES", "InteractionData", "load_dataset", "make_shop"]
