"""gradcheck itself: it must pass right gradients, catch wrong ones, and leave params untouched."""

import numpy as np
import pytest

from groundup.errors import GroundupError
from groundup.gradcheck import format_report, gradcheck


def _quadratic(params, scale=1.0):
    # E = Σ a² + 3 Σ b, so dE/da = 2a, dE/db = 3
    a, b = params["a"], params["b"]
    return lambda: (float(np.sum(a**2) + 3 * np.sum(b)), {"a": scale * 2 * a, "b": 3 + 0 * b})


def test_right_gradients_pass_and_params_are_restored():
    params = {"a": np.array([[1.0, -2.0], [0.5, 3.0]]), "b": np.array([0.7])}
    before = {k: v.copy() for k, v in params.items()}
    errors = gradcheck(_quadratic(params), params)
    assert set(errors) == {"a", "b"}
    assert max(errors.values()) < 1e-8
    for k in params:
        np.testing.assert_array_equal(params[k], before[k])


def test_a_one_percent_error_is_caught():
    params = {"a": np.array([1.0, -2.0, 0.5]), "b": np.array([0.7])}
    errors = gradcheck(_quadratic(params, scale=1.01), params)
    assert errors["a"] == pytest.approx(0.01 / 1.01, rel=1e-6)  # relative to the larger side
    assert errors["b"] < 1e-8
    assert "FAIL" in format_report(errors) and "ok" in format_report(errors)


def test_a_single_wrong_entry_is_caught():
    params = {"a": np.array([1.0, -2.0, 0.5])}

    def f():
        g = 2 * params["a"]
        g[2] += 1e-3  # entry 2 wrong by 1e-3, the largest entry is 4
        return float(np.sum(params["a"] ** 2)), {"a": g}

    assert gradcheck(f, params)["a"] == pytest.approx(1e-3 / 4, rel=1e-3)


def test_zero_gradients_report_zero():
    params = {"a": np.zeros(3)}
    assert gradcheck(lambda: (1.0, {"a": np.zeros(3)}), params) == {"a": 0.0}


def test_subsampling_checks_only_some_entries():
    calls = []
    params = {"a": np.linspace(-1, 1, 100)}

    def f():
        calls.append(1)
        return float(np.sum(params["a"] ** 2)), {"a": 2 * params["a"]}

    assert gradcheck(f, params, max_entries=5)["a"] < 1e-8
    assert len(calls) == 1 + 2 * 5


def test_float32_and_shape_mismatches_are_refused():
    with pytest.raises(GroundupError, match="float64"):
        gradcheck(lambda: (0.0, {"a": np.zeros(2)}), {"a": np.zeros(2, np.float32)})
    with pytest.raises(GroundupError, match="shape"):
        gradcheck(lambda: (0.0, {"a": np.zeros(3)}), {"a": np.zeros(2)})


def test_non_contiguous_parameters_are_nudged_in_place():
    # a transposed view or Fortran-ordered array: reshape(-1) would copy, and nudging the copy
    # would leave the loss unchanged (numeric gradient 0, relative error 1)
    base = np.arange(1.0, 7.0).reshape(3, 2)
    params = {"Wt": base.T, "F": np.asfortranarray(base), "s": np.array(0.5)}
    before = {k: v.copy() for k, v in params.items()}

    def f():
        loss = sum(float(np.sum(v**2)) for v in params.values())
        return loss, {k: 2 * v for k, v in params.items()}

    errors = gradcheck(f, params)
    assert max(errors.values()) < 1e-8, errors
    for k, v in params.items():
        np.testing.assert_array_equal(v, before[k])
