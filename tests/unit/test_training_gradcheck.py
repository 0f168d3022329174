"""Finite differences, relative error and cosine against autograd."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from recsys_helpers.errors import ParameterError
from recsys_helpers.training.gradcheck import (
    cosine,
    finite_difference_gradient,
    flatten,
    relative_error,
)

pytestmark = pytest.mark.unit


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
