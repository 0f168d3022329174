"""Small scorers on fixed features: initialisation, training with each loss, BPR pairs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from recsys_helpers.errors import ParameterError
from recsys_helpers.training.scorers import (
    fit_pairwise,
    fit_pointwise,
    make_scorer,
    predict_logits,
    same_user_pairs,
)

pytestmark = pytest.mark.unit


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
