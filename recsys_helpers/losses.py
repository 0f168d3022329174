"""Losses of click and ranking models, their gradients written out, and a gradient check.

Chapter 4 derives the gradients of the two pointwise click losses and checks them numerically:

- mean squared error on a predicted click probability R_i (the article's choice),
  L = (1/N) sum_i (R_i - y_i)^2, whose gradient is (2/N) sum_i (R_i - y_i) dR_i/dtheta_k
  (`mse_gradient`);
- binary cross-entropy on a sigmoid output p_i = sigmoid(z_i),
  L = -(1/N) sum_i [y_i log p_i + (1 - y_i) log(1 - p_i)], whose gradient with respect to the
  logit is simply p_i - y_i, so for a logistic model z = w.x + b it is (1/N) sum_i (p_i - y_i) x_i
  (`logistic_gradient`, `bce_gradient`);

and one pairwise ranking loss, BPR (Rendle et al., 2009): -log sigmoid(s_pos - s_neg)
(`bpr_loss`). `finite_difference_gradient` differentiates any scalar function of torch tensors
numerically (central differences), the reference a hand-derived gradient must match.

`make_scorer`, `fit_pointwise` and `fit_pairwise` train small scorers (logistic regression or a
one-hidden-layer MLP) on fixed feature vectors with any of these losses, with the same optimiser
and seeds, so that the losses are compared and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from .errors import ParameterError
from .params import check_choice, check_float, check_int

POINTWISE_LOSSES = ("bce", "mse")
OPTIMIZERS = ("adam", "sgd")


# --- losses ------------------------------------------------------------------------------------

def mse_loss(probabilities: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean squared error between predicted click probabilities and 0/1 labels (Brier score)."""
    return ((probabilities - labels.to(probabilities.dtype)) ** 2).mean()


def bce_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy of sigmoid(logits); computed from the logits, which is stable."""
    return F.binary_cross_entropy_with_logits(logits, labels.to(logits.dtype))


def pointwise_loss(logits: torch.Tensor, labels: torch.Tensor, loss: str) -> torch.Tensor:
    """"bce" on the logits or "mse" on sigmoid(logits): the two click losses of chapter 4."""
    check_choice("loss", loss, POINTWISE_LOSSES)
    if loss == "bce":
        return bce_loss(logits, labels)
    return mse_loss(torch.sigmoid(logits), labels)


def bpr_loss(positive_scores: torch.Tensor, negative_scores: torch.Tensor) -> torch.Tensor:
    """Bayesian personalised ranking: mean of -log sigmoid(s_pos - s_neg) over pairs.

    Written as softplus(s_neg - s_pos), the same number without overflow for large margins.
    """
    if positive_scores.shape != negative_scores.shape:
        raise ParameterError(
            f"positive and negative scores must pair up one to one, got shapes "
            f"{tuple(positive_scores.shape)} and {tuple(negative_scores.shape)}"
        )
    return F.softplus(negative_scores - positive_scores).mean()


# --- gradients written out ---------------------------------------------------------------------

def mse_gradient(predictions: Any, labels: Any, jacobian: Any) -> np.ndarray:
    """Gradient of (1/N) sum_i (R_i - y_i)^2: (2/N) sum_i (R_i - y_i) dR_i/dtheta.

    `predictions` R (N,), `labels` y (N,), `jacobian` dR_i/dtheta_k as an (N, K) array; returns
    the K partial derivatives. (The article prints this with a minus sign in front, which is the
    direction of steepest *ascent*.)
    """
    r, y, jac = _as_float64(predictions), _as_float64(labels), _as_float64(jacobian)
    if jac.ndim == 1:
        jac = jac[:, None]
    if not (r.ndim == 1 and r.shape == y.shape and jac.shape[0] == len(r)):
        raise ParameterError(
            f"predictions and labels must be vectors of length N and the jacobian (N, K), got "
            f"{r.shape}, {y.shape} and {jac.shape}"
        )
    return 2.0 / len(r) * (jac.T @ (r - y))


def logit_gradient(logits: Any, labels: Any, loss: str) -> np.ndarray:
    """Per-example derivative of the loss with respect to the logit z, with p = sigmoid(z).

    "bce": p - y.  "mse" on p: 2 (p - y) p (1 - p), which vanishes as p approaches 0 or 1 -
    including when the prediction is confidently *wrong*.
    """
    check_choice("loss", loss, POINTWISE_LOSSES)
    z, y = _as_float64(logits), _as_float64(labels)
    p = 1.0 / (1.0 + np.exp(-z))
    if loss == "bce":
        return p - y
    return 2.0 * (p - y) * p * (1.0 - p)


def logistic_gradient(
    features: Any, labels: Any, weight: Any, bias: float, loss: str = "bce"
) -> tuple[np.ndarray, float]:
    """Gradient of a pointwise loss of the logistic model p = sigmoid(w.x + b), by the chain rule.

    With r_i the per-example logit derivative (`logit_gradient`): dL/dw = (1/N) sum_i r_i x_i and
    dL/db = (1/N) sum_i r_i; for "bce" that is (1/N) sum_i (p_i - y_i) x_i.
    """
    x, y, w = _as_float64(features), _as_float64(labels), _as_float64(weight)
    if x.ndim != 2 or w.shape != (x.shape[1],) or y.shape != (x.shape[0],):
        raise ParameterError(
            f"features must be (N, K), labels (N,) and weight (K,), got {x.shape}, {y.shape} "
            f"and {w.shape}"
        )
    r = logit_gradient(x @ w + float(bias), y, loss)
    return x.T @ r / len(y), float(r.mean())


def bce_gradient(
    features: Any, labels: Any, weight: Any, bias: float
) -> tuple[np.ndarray, float]:
    """Gradient of the mean binary cross-entropy of p = sigmoid(w.x + b):
    ((1/N) sum_i (p_i - y_i) x_i, (1/N) sum_i (p_i - y_i))."""
    return logistic_gradient(features, labels, weight, bias, "bce")


def finite_difference_gradient(
    f: Callable[[], torch.Tensor], params: Sequence[torch.Tensor], eps: float = 1e-6
) -> list[torch.Tensor]:
    """Central differences (f(theta + eps e_k) - f(theta - eps e_k)) / (2 eps), entry by entry.

    `f` takes no argument and reads `params` (tensors it closes over, changed in place here and
    restored after). Use float64: in float32 the rounding error of f swamps the difference.
    The error is O(eps^2) plus rounding of order (machine epsilon * |f|) / eps.
    """
    check_float("eps", eps, low=1e-12, high=1.0)
    params = list(params)
    if not params or not all(isinstance(p, torch.Tensor) for p in params):
        raise ParameterError("params must be a non-empty sequence of torch tensors")
    if not all(p.is_contiguous() for p in params):
        raise ParameterError("params must be contiguous tensors (they are changed in place)")
    gradients = []
    with torch.no_grad():
        for param in params:
            grad = torch.zeros_like(param)
            flat, flat_grad = param.view(-1), grad.view(-1)
            for k in range(flat.numel()):
                kept = flat[k].item()
                flat[k] = kept + eps
                upper = float(f())
                flat[k] = kept - eps
                lower = float(f())
                flat[k] = kept
                flat_grad[k] = (upper - lower) / (2.0 * eps)
            gradients.append(grad)
    return gradients


def flatten(gradients: Any) -> np.ndarray:
    """One float64 vector from a tensor, an array, or a sequence of them (parameter order)."""
    if isinstance(gradients, torch.Tensor | np.ndarray):
        gradients = [gradients]
    parts = [_as_float64(g).ravel() for g in gradients]
    if not parts:
        raise ParameterError("no gradients to flatten")
    return np.concatenate(parts)


def relative_error(candidate: Any, reference: Any) -> float:
    """||a - b|| / max(||a||, ||b||): 0 when they agree, 2 when one is minus the other."""
    a, b = flatten(candidate), flatten(reference)
    if a.shape != b.shape:
        raise ParameterError(f"gradients have different sizes: {a.shape} and {b.shape}")
    scale = max(np.linalg.norm(a), np.linalg.norm(b))
    return 0.0 if scale == 0.0 else float(np.linalg.norm(a - b) / scale)


def cosine(candidate: Any, reference: Any) -> float:
    """Cosine of the angle between two gradients: 1 same direction, -1 opposite."""
    a, b = flatten(candidate), flatten(reference)
    if a.shape != b.shape:
        raise ParameterError(f"gradients have different sizes: {a.shape} and {b.shape}")
    norms = np.linalg.norm(a) * np.linalg.norm(b)
    if norms == 0.0:
        raise ParameterError("the cosine of a zero gradient is undefined")
    return float(a @ b / norms)


# --- small scorers and their training ----------------------------------------------------------

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


def _as_float64(value: Any) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().double().numpy()
    return np.asarray(value, dtype=np.float64)
