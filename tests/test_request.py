"""The fit request: built once, validated in one place, shared by fit() and fit_arrays().

The validation messages themselves are checked in ``test_errors.py``; here, that the
request is frozen and complete, that both entry points build the same one, and where the
family first sees the response.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import mlefit
from mlefit import DataError
from mlefit.request import FitRequest, Options, bind_response, build_request


def test_the_request_is_frozen_and_complete():
    req = build_request("gamma", formula="y ~ x", parameter_formulas={}, link="log",
                        fixed=None, convention="R", method="bfgs", maxiter=50, tol=1e-9)
    assert isinstance(req, FitRequest)
    assert req.family.name == "gamma"
    assert {n: link.name for n, link in req.links.items()} == {"mu": "log", "shape": "log"}
    assert req.formulas == {"mu": "y ~ x", "shape": "~ 1"}
    assert req.options == Options(req.options.convention, "bfgs", None, 50, 1e-9)
    assert req.options.convention.name == "R"
    assert req.options.convention.dispersion == "pearson"
    with pytest.raises(dataclasses.FrozenInstanceError):
        req.missing = "raise"


def test_fit_and_fit_arrays_share_the_request():
    common = dict(links={"sigma": "log"}, cov_type="robust", method="newton", tol=1e-10)
    by_formula = build_request("gaussian", formula="y ~ x", parameter_formulas={}, **common)
    by_arrays = build_request("gaussian", **common)
    for name in ("family", "links", "fixed", "options", "offsets", "missing"):
        assert getattr(by_formula, name) == getattr(by_arrays, name), name
    assert by_arrays.formulas is None


def test_offset_joins_the_per_parameter_offsets():
    req = build_request("poisson", offset="t", offsets=None)
    assert req.offsets == {"mu": "t"}


def test_the_response_step_returns_the_request_and_the_response():
    req = build_request("binomial")
    y = np.array([[1.0, 2.0], [0.0, 3.0]])
    same, prepared = bind_response(req, y)
    assert same is req
    assert np.array_equal(prepared, y)
    with pytest.raises(DataError, match="outside the support"):
        bind_response(req, np.array([[-1.0, 2.0]]))


def test_both_entry_points_give_the_same_fit():
    rng = np.random.default_rng(3)
    x = rng.normal(size=80)
    y = 1 + 0.5 * x + rng.normal(size=80)
    X = np.column_stack([np.ones(80), x])
    a = mlefit.fit("y ~ x", {"y": y, "x": x}, "gaussian", method="bfgs", tol=1e-10)
    b = mlefit.fit_arrays(y, X, "gaussian", method="bfgs", tol=1e-10)
    np.testing.assert_allclose(a.coef, b.coef)
    assert a._context.options == b._context.options
    # and both are the least-squares line (BFGS stops near it, not at it)
    ols = np.linalg.lstsq(X, y, rcond=None)[0]
    np.testing.assert_allclose(a.params["mu"].to_numpy(), ols, rtol=1e-5)


def test_every_keyword_of_the_entry_points_is_reserved():
    """A family parameter named like an option of fit() could never get a formula
    (``fit(..., sigma="~ x")`` is how one is given): every keyword of fit and fit_arrays
    must be in the contract's reserved names, so that a new option cannot forget it."""
    import inspect

    from mlefit.contract import RESERVED_NAMES

    for entry in (mlefit.fit, mlefit.fit_arrays):
        keywords = {name for name, p in inspect.signature(entry).parameters.items()
                    if p.kind is not inspect.Parameter.VAR_KEYWORD}
        assert keywords <= RESERVED_NAMES, sorted(keywords - RESERVED_NAMES)
