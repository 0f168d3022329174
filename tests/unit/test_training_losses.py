"""Losses and hand-written gradients against torch autograd and torch.nn.functional."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from recsys_helpers.errors import ParameterError
from recsys_helpers.training.gradcheck import cosine, relative_error
from recsys_helpers.training.losses import (
    bce_gradient,
    bce_loss,
    bpr_loss,
    logistic_gradient,
    logit_gradient,
    mse_gradient,
    mse_loss,
    pointwise_loss,
)
from recsys_helpers.training.scorers import make_scorer

pytestmark = pytest.mark.unit


def _problem(seed: int = 0, n: int = 40, k: int = 5):
    """A small logistic problem in float64 with non-trivial weights."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, k))
    y = (rng.random(n) < 0.3).astype(float)
    w = rng.normal(size=k)
    b = float(rng.normal())
    return x, y, w, b


def _autograd(x, y, w, b, loss):
    xt, yt = torch.tensor(x), torch.tensor(y)
    wt = torch.tensor(w, requires_grad=True)
    bt = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    logits = xt @ wt + bt
    if loss == "bce":
        value = F.binary_cross_entropy_with_logits(logits, yt)
    else:
        value = F.mse_loss(torch.sigmoid(logits), yt)
    gw, gb = torch.autograd.grad(value, [wt, bt])
    return gw.numpy(), float(gb)


def test_pointwise_losses_match_torch_functional():
    torch.manual_seed(0)
    logits = torch.randn(50, dtype=torch.float64) * 3
    labels = (torch.rand(50) < 0.4).double()
    p = torch.sigmoid(logits)
    assert float(bce_loss(logits, labels)) == pytest.approx(
        float(F.binary_cross_entropy(p, labels)), rel=1e-10)
    assert float(mse_loss(p, labels)) == pytest.approx(float(F.mse_loss(p, labels)), rel=1e-12)
    assert float(pointwise_loss(logits, labels, "mse")) == pytest.approx(
        float(F.mse_loss(p, labels)), rel=1e-12)
    assert float(pointwise_loss(logits, labels, "bce")) == pytest.approx(
        float(F.binary_cross_entropy_with_logits(logits, labels)), rel=1e-12)
    with pytest.raises(ParameterError, match="parameter 'loss' must be one of"):
        pointwise_loss(logits, labels, "hinge")


def test_bpr_loss_is_minus_log_sigmoid_of_the_margin():
    torch.manual_seed(1)
    pos, neg = torch.randn(30, dtype=torch.float64), torch.randn(30, dtype=torch.float64)
    expected = -F.logsigmoid(pos - neg).mean()
    assert float(bpr_loss(pos, neg)) == pytest.approx(float(expected), rel=1e-12)
    # equal scores cost log 2; huge margins stay finite in both directions
    assert float(bpr_loss(torch.zeros(3), torch.zeros(3))) == pytest.approx(np.log(2), rel=1e-6)
    big = torch.tensor([1000.0])
    assert float(bpr_loss(big, -big)) == 0.0
    assert float(bpr_loss(-big, big)) == pytest.approx(2000.0)
    with pytest.raises(ParameterError, match="pair up"):
        bpr_loss(torch.zeros(3), torch.zeros(4))


@pytest.mark.parametrize("loss", ["bce", "mse"])
def test_logistic_gradient_matches_autograd(loss):
    x, y, w, b = _problem()
    gw, gb = logistic_gradient(x, y, w, b, loss)
    aw, ab = _autograd(x, y, w, b, loss)
    np.testing.assert_allclose(gw, aw, rtol=1e-10, atol=1e-14)
    assert gb == pytest.approx(ab, rel=1e-10)
    if loss == "bce":
        bw, bb = bce_gradient(x, y, w, b)
        np.testing.assert_allclose(bw, gw)
        assert bb == gb


def test_logit_gradient_matches_autograd_per_example():
    z = torch.linspace(-8, 8, 41, dtype=torch.float64, requires_grad=True)
    for label in (0.0, 1.0):
        y = torch.full_like(z, label)
        bce = F.binary_cross_entropy_with_logits(z, y, reduction="sum")
        mse = ((torch.sigmoid(z) - y) ** 2).sum()
        np.testing.assert_allclose(logit_gradient(z, y, "bce"),
                                   torch.autograd.grad(bce, z)[0].numpy(), atol=1e-12)
        np.testing.assert_allclose(logit_gradient(z, y, "mse"),
                                   torch.autograd.grad(mse, z)[0].numpy(), atol=1e-12)
    # the vanishing gradient: a confidently wrong MSE prediction barely moves
    assert abs(logit_gradient([-8.0], [1.0], "mse")[0]) < 1e-3
    assert abs(logit_gradient([-8.0], [1.0], "bce")[0]) > 0.99


def test_mse_gradient_formula_matches_autograd_for_an_mlp_and_the_minus_sign_does_not():
    torch.manual_seed(2)
    model = make_scorer(6, hidden=5, seed=2).double()
    x = torch.randn(25, 6, dtype=torch.float64)
    y = (torch.rand(25) < 0.5).double()
    params = list(model.parameters())

    def predictions(*flat_params):
        return torch.func.functional_call(model, dict(zip(
            [n for n, _ in model.named_parameters()], flat_params, strict=True)), (x,))

    r = torch.sigmoid(model(x))
    reference = torch.autograd.grad(F.mse_loss(r, y), params)
    jac = torch.autograd.functional.jacobian(lambda *p: torch.sigmoid(predictions(*p)),
                                             tuple(params))
    jacobian = torch.cat([j.reshape(25, -1) for j in jac], dim=1)
    formula = mse_gradient(r, y, jacobian)
    assert relative_error(formula, reference) < 1e-12
    assert cosine(formula, reference) == pytest.approx(1.0)
    assert relative_error(-formula, reference) == pytest.approx(2.0)
    assert cosine(-formula, reference) == pytest.approx(-1.0)


def test_mse_gradient_checks_shapes():
    with pytest.raises(ParameterError, match="jacobian"):
        mse_gradient([0.1, 0.2], [0, 1], np.ones((3, 2)))
    # a one-parameter model may pass its derivative as a vector
    assert mse_gradient([0.5], [1.0], [2.0]).shape == (1,)
