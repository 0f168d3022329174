"""Parameter checks, seeding and device choice."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from recsys_helpers.errors import ParameterError
from recsys_helpers.params import check_choice, check_float, check_int, check_int_list
from recsys_helpers.runtime import pick_device, set_seed

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("value, low, high", [(0, None, None), (5, 5, 5), (-3, -10, 0),
                                              (10**12, 1, None)])
def test_check_int_accepts(value, low, high):
    result = check_int("n", value, low=low, high=high)
    assert result == value and type(result) is int


@pytest.mark.parametrize("value, low, high, fragment", [
    (True, None, None, "integer"),
    (False, 0, None, "integer"),
    (1.0, None, None, "integer"),
    ("3", None, None, "integer"),
    (None, None, None, "integer"),
    (4, 5, None, ">= 5"),
    (6, None, 5, "<= 5"),
])
def test_check_int_rejects(value, low, high, fragment):
    with pytest.raises(ParameterError, match=rf"'n_users'.*{fragment}"):
        check_int("n_users", value, low=low, high=high)


@pytest.mark.parametrize("value, low, high", [(0.5, 0.0, 1.0), (0, 0.0, 1.0), (1, 0.0, 1.0),
                                              (-2.5, None, None), (1e9, 0.0, None),
                                              (np.float64(0.3), 0.0, 1.0)])
def test_check_float_accepts(value, low, high):
    result = check_float("share", value, low=low, high=high)
    assert result == value and type(result) is float


@pytest.mark.parametrize("value, low, high, fragment", [
    (True, None, None, "number"),
    ("0.5", None, None, "number"),
    (None, None, None, "number"),
    ([0.5], None, None, "number"),
    (float("nan"), 0.0, 1.0, "number"),
    (float("nan"), None, None, "number"),
    (-0.01, 0.0, 1.0, ">= 0.0"),
    (1.01, 0.0, 1.0, "<= 1.0"),
    (float("inf"), 0.0, 1.0, "<= 1.0"),
])
def test_check_float_rejects(value, low, high, fragment):
    with pytest.raises(ParameterError, match=rf"'test_fraction'.*{fragment}"):
        check_float("test_fraction", value, low=low, high=high)


def test_check_choice():
    assert check_choice("device", "cpu", ("auto", "cpu")) == "cpu"
    assert check_choice("dataset", "b", iter(["a", "b"])) == "b"  # any iterable of choices
    with pytest.raises(ParameterError, match=r"'device'.*\['auto', 'cpu'\].*'gpu'"):
        check_choice("device", "gpu", ("auto", "cpu"))
    with pytest.raises(ParameterError, match="'device'"):
        check_choice("device", None, ("auto", "cpu"))


@pytest.mark.parametrize("value", [[0], [0, 1, 5, 20], (2, 3)])
def test_check_int_list_accepts(value):
    assert check_int_list("history_sizes", value, low=0, high=20) == list(value)


@pytest.mark.parametrize("value, fragment", [
    ([], "non-empty list"),
    (5, "non-empty list"),
    ("1, 2", "non-empty list"),
    ([1, 1, 2], "strictly increasing"),
    ([3, 2], "strictly increasing"),
    ([1, 2.0], r"\[1\].*integer"),
    ([0, True], r"\[1\].*integer"),
    ([0, 25], r"\[1\].*<= 20"),
    ([-1, 2], r"\[0\].*>= 0"),
])
def test_check_int_list_rejects(value, fragment):
    with pytest.raises(ParameterError, match=rf"'history_sizes.*{fragment}"):
        check_int_list("history_sizes", value, low=0, high=20)


@pytest.mark.parametrize("seed", [-1, 1.5, True, "0", None])
def test_set_seed_rejects_bad_seeds(seed):
    with pytest.raises(ParameterError, match="seed"):
        set_seed(seed)


def test_set_seed_repeats_draws():
    def draws():
        return random.random(), np.random.rand(3), torch.rand(3)

    set_seed(123)
    first = draws()
    set_seed(123)
    second = draws()
    set_seed(124)
    third = draws()
    assert first[0] == second[0] != third[0]
    np.testing.assert_array_equal(first[1], second[1])
    assert torch.equal(first[2], second[2])
    assert not np.array_equal(first[1], third[1])
    assert not torch.equal(first[2], third[2])


def test_pick_device():
    has_cuda = torch.cuda.is_available()
    assert pick_device() == pick_device("auto") == ("cuda" if has_cuda else "cpu")
    assert pick_device("cpu") == "cpu"
    if has_cuda:
        assert pick_device("cuda") == "cuda"
    else:
        with pytest.raises(ParameterError, match="CUDA"):
            pick_device("cuda")
    for bad in ("gpu", "CUDA", None):
        with pytest.raises(ParameterError, match="device"):
            pick_device(bad)
