"""A response of any size (issue 19, item 4): the kernel fits ``y / 2^e``.

Multiplying the response by ``c`` must move each parameter as its family declares
(``Family.response_scaling``: the Gaussian's mean and sigma by ``c``, the gamma's mean by
``c`` and its shape not at all) and change nothing else; on the coefficients that is
exact: an identity link's coefficients and standard errors scale by ``c``, a log link's
intercept moves by ``log c`` and nothing else of it changes, and the log-likelihood moves
by ``-n log c`` (the Jacobian). These identities are the oracle. Where float64 cannot
hold the answer (a Gaussian's coefficient variances at ``c = 1e200``: 1e400) the fit
refuses and says to rescale.
"""

import numpy as np
import pandas as pd
import pytest

import mlefit

N = 300


def _data(family, seed=4):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=N)
    eta = 0.3 + 0.4 * x
    y = {"gaussian": eta + rng.normal(size=N),
         "gamma": rng.gamma(2.0, np.exp(eta) / 2.0),
         "inverse_gaussian": rng.wald(np.exp(eta), 3.0),
         "student_t": eta + rng.standard_t(5.0, size=N),
         "weibull": np.exp(eta) * rng.weibull(1.5, size=N)}[family]
    return pd.DataFrame({"x": x, "y": y})


def _fit(family, data):
    return mlefit.fit("y ~ x", data, family)


def _expected(family, base, c):
    """The fit at ``c y`` from the fit at ``y``: each coefficient by its link."""
    params, bse = base.params.copy(), base.bse.copy()
    for (name, term) in params.index:
        link = base.links[name]
        moves = (getattr(base.family, "response_scaling", None) or {}).get(name, 0)
        if not moves:
            continue
        if link.name == "identity":
            params[(name, term)] *= c
            bse[(name, term)] *= c
        elif link.name == "log" and term == "Intercept":
            params[(name, term)] += np.log(c)
    return params, bse


@pytest.mark.parametrize("family", ["gaussian", "gamma", "inverse_gaussian", "student_t",
                                    "weibull"])
@pytest.mark.parametrize("c", [1e-150, 3e-90, 1e-40, 1e40, 7e90, 1e150])
def test_a_response_of_any_size_moves_only_what_its_unit_moves(family, c):
    data = _data(family)
    base = _fit(family, data)
    scaled = _fit(family, data.assign(y=data["y"] * c))
    params, bse = _expected(family, base, c)
    # two fits of equivalent problems stop at a decrement of ~1e-12: ~1e-9 relative
    np.testing.assert_allclose(scaled.params, params, rtol=1e-8, atol=1e-9)
    np.testing.assert_allclose(scaled.bse, bse, rtol=1e-7)
    assert scaled.llf == pytest.approx(base.llf - N * np.log(c), rel=1e-10)
    assert scaled.converged
    if family == "gaussian":
        assert scaled.dispersion.phi == pytest.approx(base.dispersion.phi * c**2, rel=1e-8)


def test_a_gamma_response_near_1e300_fits_like_one_near_1():
    """Before the response scale the Pearson start of the shape overflowed there."""
    data = _data("gamma")
    base, scaled = _fit("gamma", data), _fit("gamma", data.assign(y=data["y"] * 1e300))
    params, bse = _expected("gamma", base, 1e300)
    np.testing.assert_allclose(scaled.params, params, rtol=1e-8)
    np.testing.assert_allclose(scaled.bse, bse, rtol=1e-7)


@pytest.mark.parametrize("c", [1e-200, 1e200])
def test_variances_beyond_float64_are_refused_with_the_fix(c):
    data = _data("gaussian")
    with pytest.raises(mlefit.DataError, match=r"beyond the range of float64.*rescale the "
                                               r"response"):
        _fit("gaussian", data.assign(y=data["y"] * c))


def test_a_family_without_a_unit_is_left_alone():
    """Counts have no unit: a Poisson objective keeps its response as given."""
    rng = np.random.default_rng(2)
    x = rng.normal(size=N)
    d = pd.DataFrame({"x": x, "y": rng.poisson(np.exp(0.3 + 0.4 * x)) * 2.0**30})
    res = mlefit.fit("y ~ x", d, "poisson")
    assert res._context.objective.response is None
