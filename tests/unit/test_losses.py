"""Losses and hand-written gradients against torch autograd and torch.nn.functional."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from recsys_helpers.errors import ParameterError
from recsys_helpers.losses import (
    bce_gradient,
    bce_loss,
    bpr_loss,
    cosine,
    finite_difference_gradient,
    fit_pairwise,
    fit_pointwise,
    flatten,
    logistic_gradient,
    logit_gradient,
    make_scorer,
    mse_gradient,
    mse_loss,
    pointwise_loss,
    predict_logits,
    relative_error,
    same_user_pairs,
)

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


# --- losses ------------------------------------------------------------------------------------


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


# --- gradients ---------------------------------------------------------------------------------


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


def test_finite_differences_match_autograd_and_restore_the_parameters():
    torch.manual_seed(3)
    a = torch.randn(4, 3, dtype=torch.float64)
    c = torch.randn(3, dtype=torch.float64)
    before = (a.clone(), c.clone())

    def f():
        return torch.tanh(a @ c).sum() + (c ** 3).sum()

    numeric = finite_difference_gradient(f, [a, c], eps=1e-6)
    a.requires_grad_(True)
    c.requires_grad_(True)
    exact = torch.autograd.grad(f(), [a, c])
    assert relative_error(numeric, exact) < 1e-8
    assert torch.equal(a.detach(), before[0]) and torch.equal(c.detach(), before[1])
    with pytest.raises(ParameterError, match="eps"):
        finite_difference_gradient(f, [a], eps=0.0)
    with pytest.raises(ParameterError, match="torch tensors"):
        finite_difference_gradient(f, [])


def test_relative_error_cosine_and_flatten():
    g = [np.array([1.0, 2.0]), torch.tensor([3.0])]
    assert flatten(g).tolist() == [1.0, 2.0, 3.0]
    assert relative_error(g, g) == 0.0
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error(flatten(g), -flatten(g)) == pytest.approx(2.0)
    assert cosine([1.0, 0.0], [0.0, 2.0]) == pytest.approx(0.0)
    with pytest.raises(ParameterError, match="different sizes"):
        relative_error([1.0], [1.0, 2.0])
    with pytest.raises(ParameterError, match="zero gradient"):
        cosine([0.0, 0.0], [1.0, 1.0])


# --- scorers and training ----------------------------------------------------------------------


def test_make_scorer_initialisation():
    zero = make_scorer(10)
    assert np.all(predict_logits(zero, np.ones((3, 10))) == 0.0)
    wide = make_scorer(400, init_scale=5.0, seed=1)
    logits = predict_logits(wide, np.random.default_rng(0).normal(size=(4000, 400)))
    assert logits.std() == pytest.approx(5.0, rel=0.1)
    same = make_scorer(400, init_scale=5.0, seed=1)
    assert torch.equal(wide[0].weight, same[0].weight)
    state = torch.random.get_rng_state()
    mlp = make_scorer(7, hidden=3, seed=4)
    assert torch.equal(state, torch.random.get_rng_state())  # the global generator is untouched
    assert predict_logits(mlp, np.zeros((2, 7))).shape == (2,)
    with pytest.raises(ParameterError, match="init_scale"):
        make_scorer(3, init_scale=-1.0)


def _separable(seed=0, n=400):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)).astype(np.float32)
    y = (x @ np.array([2.0, -1.0, 0.5]) + 0.3 * rng.normal(size=n) > 0).astype(int)
    return x, y


@pytest.mark.parametrize("loss", ["bce", "mse"])
def test_fit_pointwise_learns_and_is_deterministic(loss):
    x, y = _separable()
    histories = []
    for _ in range(2):
        model = make_scorer(3, seed=0)
        histories.append(fit_pointwise(
            model, x, y, loss=loss, epochs=5, lr=0.05, batch_size=32, seed=7,
            evaluate=lambda m: {"acc": float(((predict_logits(m, x) > 0) == y).mean())}))
    first, second = histories
    assert list(first.columns) == ["epoch", "train_loss", "acc"]
    assert len(first) == 6 and np.isnan(first["train_loss"].iloc[0])
    assert first["acc"].iloc[-1] > 0.9
    assert first["train_loss"].iloc[-1] < first["train_loss"].iloc[1]
    assert first.equals(second)


def test_fit_pointwise_rejects_bad_inputs():
    x, y = _separable(n=20)
    model = make_scorer(3)
    with pytest.raises(ParameterError, match="0/1"):
        fit_pointwise(model, x, y * 2, epochs=1)
    with pytest.raises(ParameterError, match="NaN"):
        fit_pointwise(model, np.full((20, 3), np.nan), y, epochs=1)
    with pytest.raises(ParameterError, match="parameter 'optimizer'"):
        fit_pointwise(model, x, y, epochs=1, optimizer="lbfgs")
    with pytest.raises(ParameterError, match="parameter 'epochs'"):
        fit_pointwise(model, x, y, epochs=-1)


def test_fit_pairwise_orders_pairs():
    rng = np.random.default_rng(5)
    pos = rng.normal(size=(300, 4)).astype(np.float32) + np.array([1, 0, 0, 0], np.float32)
    neg = rng.normal(size=(300, 4)).astype(np.float32)
    model = make_scorer(4, seed=0)
    history = fit_pairwise(model, pos, neg, epochs=20, lr=0.1, optimizer="sgd", batch_size=300)
    assert history["train_loss"].iloc[-1] < np.log(2)
    assert (predict_logits(model, pos) > predict_logits(model, neg)).mean() > 0.7
    # BPR never moves the bias: it cancels in s_pos - s_neg
    assert model[0].bias.item() == 0.0
    with pytest.raises(ParameterError, match="same shape"):
        fit_pairwise(model, pos, neg[:10])


def test_same_user_pairs():
    users = np.array(["a", "a", "a", "b", "b", "c"])
    labels = np.array([1, 0, 0, 1, 1, 0])  # b has no negative, c no positive
    pos, neg = same_user_pairs(users, labels, negatives_per_positive=3, seed=0)
    assert pos.tolist() == [0, 0, 0]
    assert set(neg.tolist()) <= {1, 2}
    assert (labels[pos] == 1).all() and (labels[neg] == 0).all()
    assert (users[pos] == users[neg]).all()
    with pytest.raises(ParameterError, match="same length"):
        same_user_pairs(users, labels[:2])


def test_evaluate_every_skips_epochs_but_not_the_last():
    x, y = _separable(n=50)
    calls = []
    history = fit_pointwise(make_scorer(3), x, y, epochs=7, batch_size=50, optimizer="sgd",
                            evaluate=lambda m: calls.append(1) or {"metric": 1.0},
                            evaluate_every=3)
    assert history.dropna(subset=["metric"])["epoch"].tolist() == [0, 3, 6, 7]
    assert len(calls) == 4
    with pytest.raises(ParameterError, match="evaluate_every"):
        fit_pointwise(make_scorer(3), x, y, epochs=1, evaluate_every=0)
