"""Columns of any size: power-of-two scaling inside the kernel (issue 19, item 4; issue 15).

Multiplying a predictor by ``c`` must divide its coefficient and standard error by
``|c|`` and change nothing else (an identity of the likelihood, the oracle here), for
``c`` across 1e-150..1e150, for every kind of family: analytic GLMs, a two-parameter
family and a logpdf-only one (numeric derivatives on the linear-predictor scale, which
the column's scale does not reach). The engine multiplies such a column by a power of two
inside each block (exact), so the fit at ``c`` is the fit at 1 up to rounding. Beyond
about 1e154 a coefficient's variance (``~1/c^2``) leaves float64's range: the fit then
refuses with an error that names the column and says to rescale it.
"""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import mlefit
from mlefit import Family, Parameter
from mlefit.domains import Positive


class PlainGamma(Family):
    """Gamma (mean mu, shape) with logpdf only."""

    name = "plain_gamma_scaling"
    support = Positive()
    parameters = (Parameter("mu", Positive()), Parameter("shape", Positive()))

    def logpdf(self, y, mu, shape):
        return stats.gamma.logpdf(y, a=shape, scale=mu / shape)


def _data(family: str, n=300, seed=11):
    rng = np.random.default_rng(seed)
    x, z = rng.normal(size=n), rng.normal(size=n)
    eta = 0.3 + 0.4 * x - 0.2 * z
    y = {"gaussian": eta + rng.normal(size=n),
         "poisson": rng.poisson(np.exp(eta)),
         "binomial": rng.random(n) < 1 / (1 + np.exp(-eta)),
         "gamma": rng.gamma(2.0, np.exp(eta) / 2.0),
         "negative_binomial": rng.poisson(rng.gamma(2.0, np.exp(eta) / 2.0)),
         "logpdf-only gamma": rng.gamma(2.0, np.exp(eta) / 2.0)}[family]
    return pd.DataFrame({"y": np.asarray(y, dtype=float), "x": x, "z": z})


def _fit(family, data):
    kind = PlainGamma() if family == "logpdf-only gamma" else family
    links = {"link": "log"} if family in ("gamma", "logpdf-only gamma") else {}
    return mlefit.fit("y ~ x + z", data, family=kind, **links)


FAMILIES = ["gaussian", "poisson", "binomial", "gamma", "negative_binomial",
            "logpdf-only gamma"]


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("factor", [1e-150, -1e-97, 3e-30, 1e25, -2e88, 1e150])
def test_a_column_of_any_size_rescales_only_its_coefficient(family, factor):
    data = _data(family)
    base = _fit(family, data)
    scaled = _fit(family, data.assign(x=data["x"] * factor))
    key = ("mu", "x")
    want, want_se = base.params.copy(), base.bse.copy()
    want[key] /= factor
    want_se[key] /= abs(factor)
    # both fits stop at a decrement of ~1e-12: they agree to ~1e-9 relative (the column
    # multiplies exactly; what differs is the path to the optimum and summation order)
    np.testing.assert_allclose(scaled.params, want, rtol=1e-8, atol=0)
    np.testing.assert_allclose(scaled.bse, want_se, rtol=1e-7, atol=0)
    assert scaled.llf == pytest.approx(base.llf, rel=1e-12)


@pytest.mark.parametrize("factor", [1e-300, 1e300])
def test_a_variance_beyond_float64_is_refused_with_the_fix(factor):
    data = _data("poisson")
    with pytest.raises(mlefit.DataError, match=r"'mu: x'.*beyond the range of float64.*"
                                               r"rescale"):
        _fit("poisson", data.assign(x=data["x"] * factor))


def test_moderate_columns_are_not_scaled():
    """Columns within 2^+-20 of 1 keep their bits: the NIST certified digits are computed
    on the columns as given (tests/test_nist.py)."""
    data = _data("gaussian")
    res = _fit("gaussian", data.assign(x=data["x"] * 1e5))
    assert np.all(res._context.objective.scale == 1.0)
    big = data["x"] * 1e7
    res = _fit("gaussian", data.assign(x=big))
    scale = res._context.objective.scale
    assert scale[1] == 2.0 ** -np.round(np.log2(big.abs().max()))
    assert np.all(np.delete(scale, 1) == 1.0)
