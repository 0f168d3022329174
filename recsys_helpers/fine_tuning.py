"""What chapter 3 inspects around the fine-tuning loop of `recsys_helpers.train`.

- `check_strategies`: validate a list of freezing strategies ("head", "top-k", "all") before
  any model is loaded, against the model's number of encoder layers;
- `parameter_table`: where a classifier's parameters sit (embeddings, each encoder layer, the
  head) and which of them an optimiser would update;
- `newly_initialised`: which weights of a classifier the checkpoint did not provide (the new
  head), as transformers reports them when it loads the model;
- `random_init_classifier`: the same architecture as a pretrained classifier with fresh random
  weights, to measure what pretraining is worth;
- `padding_cost`: how many token positions a model computes under three padding schemes;
- `true_click_probability`: the synthetic shop's own click probability for click examples, the
  ceiling any model of those clicks can reach.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .errors import DataError, ParameterError
from .params import check_int
from .runtime import pick_device, set_seed
from .train import encoder_parts, layers_to_train

if TYPE_CHECKING:
    from transformers import PreTrainedModel

    from .data.synthetic import SyntheticShop

PADDING_SCHEMES = ("fixed", "per batch", "per batch, sorted")


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


def newly_initialised(name: str = "minilm", num_labels: int = 2) -> list[str]:
    """Names of the weights of `load_classifier(name, num_labels)` that the checkpoint lacks and
    transformers initialises at random (or to zero, for biases): the new task head."""
    if isinstance(num_labels, bool) or not isinstance(num_labels, int) or num_labels < 1:
        raise ParameterError(f"num_labels must be a positive integer, got {num_labels!r}")
    from transformers import AutoModelForSequenceClassification

    from .models.pretrained import _load

    _, info = _load(name, "classifier", lambda source, local: (
        AutoModelForSequenceClassification.from_pretrained(
            source, num_labels=num_labels, local_files_only=local, output_loading_info=True)))
    return sorted(info["missing_keys"])


def random_init_classifier(name: str = "minilm", num_labels: int = 2, seed: int = 0,
                           device: str = "auto") -> PreTrainedModel:
    """The architecture of `load_classifier(name)` (read from the model's config) with every
    weight drawn afresh, as before any pretraining; `seed` fixes the draw."""
    if isinstance(num_labels, bool) or not isinstance(num_labels, int) or num_labels < 1:
        raise ParameterError(f"num_labels must be a positive integer, got {num_labels!r}")
    from transformers import AutoConfig, AutoModelForSequenceClassification

    from .models.pretrained import _load, quiet_transformers

    config = _load(name, "model config", lambda source, local: AutoConfig.from_pretrained(
        source, num_labels=num_labels, local_files_only=local))
    target = pick_device(device)
    set_seed(seed)
    with quiet_transformers():
        model = AutoModelForSequenceClassification.from_config(config)
    return model.to(target)


def padding_cost(lengths: Sequence[int], batch_size: int, max_length: int | None = None,
                 seed: int = 0) -> pd.DataFrame:
    """Token positions a model computes for one pass over examples of the given `lengths`.

    - "fixed": every example padded to `max_length` (the longest example if None);
    - "per batch": batches in a random order (seeded), each padded to its longest example;
    - "per batch, sorted": batches of similar length (sorted longest first), as for inference.

    Columns: positions, their share that is padding, and the positions relative to "fixed".
    """
    check_int("batch_size", batch_size, low=1)
    check_int("seed", seed, low=0)
    lengths = np.asarray(lengths, dtype=np.int64)
    if lengths.ndim != 1 or len(lengths) == 0 or (lengths < 1).any():
        raise ParameterError("lengths must be a non-empty list of positive integers")
    longest = int(lengths.max())
    if max_length is None:
        max_length = longest
    check_int("max_length", max_length, low=longest)
    real = int(lengths.sum())

    def batched(order: np.ndarray) -> int:
        return sum(int(lengths[order[i:i + batch_size]].max()) * len(order[i:i + batch_size])
                   for i in range(0, len(order), batch_size))

    positions = {
        "fixed": max_length * len(lengths),
        "per batch": batched(np.random.default_rng(seed).permutation(len(lengths))),
        "per batch, sorted": batched(np.argsort(-lengths, kind="stable")),
    }
    rows = [(scheme, count, 1.0 - real / count, count / positions["fixed"])
            for scheme, count in positions.items()]
    return pd.DataFrame(rows, columns=["padding", "positions", "padding_share", "vs_fixed"])


def true_click_probability(shop: SyntheticShop, examples: pd.DataFrame) -> np.ndarray:
    """The probability with which the shop's simulator decided each example's click.

    Click examples from `click_task_from_shop` are impressions; the simulator clicked with
    probability position_bias(position) * sigmoid(true_affinity). No model of the texts can beat
    this score (it also knows the position, which the texts do not show), so its AUC is the
    ceiling of the task.
    """
    keys = ["user_id", "item_id", "timestamp"]
    missing = [c for c in keys if c not in examples.columns]
    if missing:
        raise DataError(f"the click examples lack the columns {missing}")
    impressions = shop.impressions.drop_duplicates(keys).set_index(keys)
    index = pd.MultiIndex.from_frame(examples[keys])
    rows = impressions.reindex(index)
    if rows["position"].isna().any():
        raise DataError("some examples are not impressions of this shop (was the task built "
                        "from another shop or seed?)")
    affinity = shop.true_affinity(rows["user_index"].to_numpy(dtype=np.int64),
                                  rows["item_index"].to_numpy(dtype=np.int64),
                                  rows["day"].to_numpy(dtype=np.int64))
    position_bias = 1.0 / np.log2(rows["position"].to_numpy(dtype=np.float64) + 2.0)
    return position_bias / (1.0 + np.exp(-affinity))
