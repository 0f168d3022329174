"""One name per interaction data set, so a notebook's ``dataset`` parameter picks any of them.

Fixed names map to a loader in `LOADERS`; ``amazon2018:<Category>`` and
``amazon2023:<Category>`` take any category of those releases. Adding a data set means adding
one entry to `LOADERS` (or to `PREFIX_LOADERS` for a family of names).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from ..errors import UnknownNameError
from .amazon import load_amazon2018, load_amazon2023
from .movielens import load_movielens
from .schema import InteractionData

LOADERS: dict[str, Callable[[], InteractionData]] = {
    "ml-latest-small": partial(load_movielens, "ml-latest-small"),
    "ml-100k": partial(load_movielens, "ml-100k"),
    "ml-1m": partial(load_movielens, "ml-1m"),
    "amazon2018-gift-cards": partial(load_amazon2018, "Gift_Cards"),
}

# "<prefix>:<argument>" names; the argument is passed to the loader.
PREFIX_LOADERS: dict[str, Callable[[str], InteractionData]] = {
    "amazon2018": load_amazon2018,
    "amazon2023": load_amazon2023,
}

DATASETS: tuple[str, ...] = (*LOADERS, *(f"{prefix}:<Category>" for prefix in PREFIX_LOADERS))


def load_interactions(name: str) -> InteractionData:
    """Load the interaction data set called `name` (one of `DATASETS`)."""
    if name in LOADERS:
        return LOADERS[name]()
    prefix, colon, argument = str(name).partition(":")
    if colon and prefix in PREFIX_LOADERS:
        return PREFIX_LOADERS[prefix](argument)
    known = [*LOADERS, *(f"{prefix}:<Category>" for prefix in PREFIX_LOADERS)]
    hint = (" The generated shops are 'shop' (the lab shop, recsys_helpers.data.shop) and "
            "'synthetic' (recsys_helpers.data.synthetic), through recsys_helpers.data."
            "load_dataset.")
    raise UnknownNameError(f"unknown data set {name!r}; known names: {known}.{hint}")
