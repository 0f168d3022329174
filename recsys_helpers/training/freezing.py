"""Which parts of a classifier fine-tuning updates. `recsys_helpers.train.freeze_layers`
applies a strategy ("head", "top-k", "all"); a comparison of several wants a bad one refused
before any model is loaded (`check_strategies`) and a table of where the parameters sit and
which of them train (`parameter_table`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from ..errors import ParameterError
from ..params import check_int
from ..train import encoder_parts, layers_to_train

if TYPE_CHECKING:
    from transformers import PreTrainedModel


def check_strategies(name: str, strategies: Any, n_layers: int) -> list[str]:
    """Return `strategies` if it is a non-empty list of distinct freezing strategies that
    `recsys_helpers.train.freeze_layers` accepts for a model with `n_layers` encoder layers."""
    check_int("n_layers", n_layers, low=1)
    if not isinstance(strategies, list | tuple) or not strategies:
        raise ParameterError(f"parameter {name!r} must be a non-empty list of strategies such "
                             f"as ['head', 'top-2', 'all'], got {strategies!r}")
    for strategy in strategies:
        try:
            layers_to_train(strategy, n_layers)
        except ParameterError as err:
            raise ParameterError(f"parameter {name!r}: {err}") from None
    if len(set(strategies)) != len(strategies):
        raise ParameterError(f"parameter {name!r} lists a strategy twice: {strategies!r}")
    return list(strategies)


def parameter_table(model: PreTrainedModel) -> pd.DataFrame:
    """One row per part of a classifier: "embeddings", "layer 0" ... "layer n-1" (the encoder
    blocks, bottom to top) and "head" (everything else: pooler, classifier, ...), with its
    number of parameters and how many of them are trainable."""
    embeddings, layers = encoder_parts(model)
    owner = {id(p): "embeddings" for p in embeddings.parameters()}
    for index, layer in enumerate(layers):
        owner.update({id(p): f"layer {index}" for p in layer.parameters()})
    parts = ["embeddings", *(f"layer {i}" for i in range(len(layers))), "head"]
    counts = {part: [0, 0] for part in parts}
    for parameter in model.parameters():
        part = owner.get(id(parameter), "head")
        counts[part][0] += parameter.numel()
        counts[part][1] += parameter.numel() if parameter.requires_grad else 0
    return pd.DataFrame([(part, *counts[part]) for part in parts],
                        columns=["part", "parameters", "trainable"])
