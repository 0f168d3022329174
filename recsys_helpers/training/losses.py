"""Click and ranking losses, and their gradients written out by hand.

Two pointwise click losses:

- mean squared error on a predicted click probability R_i (the article's choice),
  L = (1/N) sum_i (R_i - y_i)^2, whose gradient is (2/N) sum_i (R_i - y_i) dR_i/dtheta_k
  (`mse_gradient`);
- binary cross-entropy on a sigmoid output p_i = sigmoid(z_i),
  L = -(1/N) sum_i [y_i log p_i + (1 - y_i) log(1 - p_i)], whose gradient with respect to the
  logit is simply p_i - y_i, so for a logistic model z = w.x + b it is (1/N) sum_i (p_i - y_i) x_i
  (`logistic_gradient`, `bce_gradient`);

and one pairwise ranking loss, BPR (Rendle et al., 2009): -log sigmoid(s_pos - s_neg)
(`bpr_loss`). The hand-written gradients are what `recsys_helpers.training.gradcheck` checks
against autograd and finite differences.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import ParameterError
from ..params import check_choice

POINTWISE_LOSSES = ("bce", "mse")


# --- losses ------------------------------------------------------------------------------------

def mse_loss(probabilities: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean squared error between predicted click probabilities and 0/1 labels (Brier score)."""
    return ((probabilities - labels.to(probabilities.dtype)) ** 2).mean()


def bce_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy of sigmoid(logits); computed from the logits, which is stable."""
    return F.binary_cross_entropy_with_logits(logits, labels.to(logits.dtype))


def pointwise_loss(logits: torch.Tensor, labels: torch.Tensor, loss: str) -> torch.Tensor:
    """"bce" on the logits or "mse" on sigmoid(logits): the two pointwise click losses."""
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
    r, y, jac = as_float64(predictions), as_float64(labels), as_float64(jacobian)
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
    z, y = as_float64(logits), as_float64(labels)
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
    x, y, w = as_float64(features), as_float64(labels), as_float64(weight)
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


# --- conversion --------------------------------------------------------------------------------

def as_float64(value: Any) -> np.ndarray:
    """A float64 numpy array from a tensor (detached, on the CPU), an array or a sequence."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().double().numpy()
    return np.asarray(value, dtype=np.float64)
