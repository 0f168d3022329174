"""Small scorers on fixed feature vectors, trained with a chosen loss.

`make_scorer`, `fit_pointwise` and `fit_pairwise` train logistic regression or a one-hidden-layer
MLP on fixed features (e.g. frozen text-encoder features) with BCE, MSE or BPR, with the same
optimiser, batches and seeds, so that when two losses are compared nothing else differs.
`same_user_pairs` pairs each click with non-clicks shown to the same user (chapter 4's first
exercise: on the lab shop such pairs barely train BPR).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from ..errors import ParameterError
from ..params import check_choice, check_float, check_int
from .losses import POINTWISE_LOSSES, bpr_loss, pointwise_loss

OPTIMIZERS = ("adam", "sgd")


def make_scorer(
    n_features: int, hidden: int = 0, seed: int = 0, init_scale: float = 0.0
) -> nn.Module:
    """Logistic regression (`hidden=0`: one linear layer) or a one-hidden-layer MLP with ReLU;
    maps (N, n_features) to N logits. Seeded, so two losses start from the same parameters.

    The logistic model starts at zero (every prediction 0.5) unless `init_scale` > 0: then its
    weights are drawn from N(0, init_scale^2 / n_features), so that on standardised, roughly
    independent features the initial logits spread with standard deviation about `init_scale`
    (a large value starts the model confidently wrong on many examples). The MLP uses PyTorch's
    default initialisation.
    """
    check_int("n_features", n_features, low=1)
    check_int("hidden", hidden, low=0, high=4096)
    check_float("init_scale", init_scale, low=0.0)
    generator_state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        if hidden == 0:
            layer = nn.Linear(n_features, 1)
            nn.init.normal_(layer.weight, std=init_scale / n_features ** 0.5)
            nn.init.zeros_(layer.bias)
            body: nn.Module = layer
        else:
            body = nn.Sequential(nn.Linear(n_features, hidden), nn.ReLU(), nn.Linear(hidden, 1))
    finally:
        torch.random.set_rng_state(generator_state)
    return nn.Sequential(body, nn.Flatten(0))


def predict_logits(model: nn.Module, features: Any, batch_size: int = 8192) -> np.ndarray:
    """Logits of a scorer for a float array of features, without gradients."""
    x = _features_tensor(features, "features")
    device = _device_of(model)
    model.eval()
    with torch.no_grad():
        out = [model(x[i:i + batch_size].to(device)).cpu()
               for i in range(0, len(x), batch_size)]
    return torch.cat(out).double().numpy() if out else np.zeros(0)


def fit_pointwise(
    model: nn.Module, features: Any, labels: Any, loss: str = "bce", epochs: int = 10,
    lr: float = 0.01, batch_size: int = 256, optimizer: str = "adam", weight_decay: float = 0.0,
    seed: int = 0, evaluate: Callable[[nn.Module], dict] | None = None,
    evaluate_every: int = 1,
) -> pd.DataFrame:
    """Train `model` in place on (features, 0/1 labels) with "bce" or "mse" (on the sigmoid).

    Returns one row per epoch (epoch 0 is before training): the mean training loss of the epoch
    and whatever `evaluate(model)` returns, computed every `evaluate_every` epochs and after the
    last one (NaN in between). The shuffling depends only on `seed`, so two models trained with
    the same seed see the same batches in the same order. With `batch_size` >= the number of
    examples an epoch is one full-batch gradient step.
    """
    check_choice("loss", loss, POINTWISE_LOSSES)
    x = _features_tensor(features, "features")
    y = torch.as_tensor(np.asarray(labels, dtype=np.float32))
    if y.shape != (len(x),) or not set(torch.unique(y).tolist()) <= {0.0, 1.0}:
        raise ParameterError("labels must be a 0/1 vector with one entry per feature row")

    def batch_loss(rows: torch.Tensor, device: str) -> torch.Tensor:
        return pointwise_loss(model(x[rows].to(device)), y[rows].to(device), loss)

    return _train(model, len(x), batch_loss, epochs, lr, batch_size, optimizer, weight_decay,
                  seed, evaluate, evaluate_every)


def fit_pairwise(
    model: nn.Module, positive_features: Any, negative_features: Any, epochs: int = 10,
    lr: float = 0.01, batch_size: int = 256, optimizer: str = "adam", weight_decay: float = 0.0,
    seed: int = 0, evaluate: Callable[[nn.Module], dict] | None = None,
    evaluate_every: int = 1,
) -> pd.DataFrame:
    """Train `model` in place with the BPR loss on pairs: row i of `positive_features` should
    outscore row i of `negative_features`. Same schedule and history as `fit_pointwise`."""
    pos = _features_tensor(positive_features, "positive_features")
    neg = _features_tensor(negative_features, "negative_features")
    if pos.shape != neg.shape:
        raise ParameterError(f"positive and negative features must have the same shape, got "
                             f"{tuple(pos.shape)} and {tuple(neg.shape)}")

    def batch_loss(rows: torch.Tensor, device: str) -> torch.Tensor:
        return bpr_loss(model(pos[rows].to(device)), model(neg[rows].to(device)))

    return _train(model, len(pos), batch_loss, epochs, lr, batch_size, optimizer, weight_decay,
                  seed, evaluate, evaluate_every)


def same_user_pairs(
    users: Any, labels: Any, negatives_per_positive: int = 1, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Row indices (positive, negative) pairing each positive example with negatives drawn at
    random (with replacement) among the *same user's* negative examples; users without any
    negative contribute no pair."""
    check_int("negatives_per_positive", negatives_per_positive, low=1, high=1000)
    users, labels = np.asarray(users), np.asarray(labels)
    if users.shape != labels.shape or users.ndim != 1:
        raise ParameterError("users and labels must be vectors of the same length")
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"user": users, "label": labels, "row": np.arange(len(users))})
    negatives = frame[frame["label"] == 0].groupby("user")["row"].agg(np.array)
    pos_rows, neg_rows = [], []
    for user, row in frame.loc[frame["label"] == 1, ["user", "row"]].itertuples(index=False):
        pool = negatives.get(user)
        if pool is None:
            continue
        drawn = pool[rng.integers(len(pool), size=negatives_per_positive)]
        pos_rows.extend([row] * negatives_per_positive)
        neg_rows.extend(drawn.tolist())
    return np.asarray(pos_rows, dtype=np.int64), np.asarray(neg_rows, dtype=np.int64)


# --- internals ---------------------------------------------------------------------------------

def _train(model, n, batch_loss, epochs, lr, batch_size, optimizer, weight_decay, seed,
           evaluate, evaluate_every) -> pd.DataFrame:
    check_int("epochs", epochs, low=0, high=100_000)
    check_float("lr", lr, low=0.0)
    check_int("batch_size", batch_size, low=1)
    check_choice("optimizer", optimizer, OPTIMIZERS)
    check_float("weight_decay", weight_decay, low=0.0)
    check_int("seed", seed, low=0)
    check_int("evaluate_every", evaluate_every, low=1)
    if n == 0:
        raise ParameterError("there are no training examples")
    device = _device_of(model)
    params = [p for p in model.parameters() if p.requires_grad]
    if optimizer == "adam":
        opt: torch.optim.Optimizer = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    else:
        opt = torch.optim.SGD(params, lr=lr, weight_decay=weight_decay)
    generator = torch.Generator().manual_seed(seed)
    rows_history = [{"epoch": 0, "train_loss": float("nan"), **_evaluated(model, evaluate)}]
    for epoch in range(1, epochs + 1):
        model.train()
        total = 0.0
        for rows in torch.randperm(n, generator=generator).split(batch_size):
            opt.zero_grad()
            value = batch_loss(rows, device)
            value.backward()
            opt.step()
            total += value.item() * len(rows)
        due = epoch % evaluate_every == 0 or epoch == epochs
        rows_history.append({"epoch": epoch, "train_loss": total / n,
                             **_evaluated(model, evaluate if due else None)})
    return pd.DataFrame(rows_history)


def _evaluated(model: nn.Module, evaluate) -> dict:
    if evaluate is None:
        return {}
    result = dict(evaluate(model))
    model.train()
    return result


def _features_tensor(features: Any, name: str) -> torch.Tensor:
    array = np.asarray(features, dtype=np.float32)
    if array.ndim != 2:
        raise ParameterError(f"{name} must be a 2-d array (examples, features), got {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ParameterError(f"{name} contains NaN or infinite values")
    return torch.from_numpy(np.ascontiguousarray(array))


def _device_of(model: nn.Module) -> str:
    parameter = next(model.parameters(), None)
    return "cpu" if parameter is None else str(parameter.device)
