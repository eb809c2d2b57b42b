"""mlefit.profile_fixed: a family parameter profiled over a grid (R's tweedie.profile).

Oracles: the same model with the parameter estimated freely (its ML value) and
``conf_int(method="profile")`` of that fit (the likelihood-ratio interval by root finding on
the exact profile). The grid's spline resolves them to its interpolation error: with 11
values 0.05 apart on the fair data the maximiser agrees to 2e-5 and the interval's ends
to 3e-5 (measured); tested at 2e-4. Its maximum, 0.006 above the free fit's
log-likelihood (measured), at 0.02.
"""

import numpy as np
import pytest
import statsmodels.api as sm

import mlefit
from mlefit.errors import DataError

FORMULA = "affairs ~ rate_marriage + age + yrs_married"


@pytest.fixture(scope="module")
def fair():
    return sm.datasets.fair.load_pandas().data


@pytest.mark.slow
def test_power_profile_against_the_free_fit(fair):
    prof = mlefit.profile_fixed(FORMULA, fair, "tweedie", "power", np.linspace(1.3, 1.8, 11))
    free = mlefit.fit(FORMULA, fair, "tweedie")
    p_hat = free.params[("power", "Intercept")]
    assert prof.mle == pytest.approx(p_hat, abs=2e-4)
    # the spline's maximum: its interpolation error on a profile that falls by ~500
    # over the grid is 0.006 (measured)
    assert prof.llf_max == pytest.approx(free.llf, abs=0.02)
    ci = free.conf_int(method="profile").loc[("power", "Intercept")]
    np.testing.assert_allclose(prof.interval, [ci["lower"], ci["upper"]], atol=2e-4)
    assert prof.table["converged"].all() and len(prof.fits) == 11
    # each grid value is a fit at that fixed power
    i = 4
    one = mlefit.fit(FORMULA, fair, "tweedie", fixed={"power": prof.table.value[i]})
    assert prof.table.llf[i] == pytest.approx(one.llf, rel=1e-12)
    assert "power" in str(prof)


def test_power_profile_on_simulated_data():
    """Fast: 3000 simulated rows at power 1.4; the spline's maximiser against the free fit
    (a grid step of 0.1: agreement 1e-3 measured, tested at 5e-3)."""
    from mlefit_families.tweedie import Tweedie

    rng = np.random.default_rng(2)
    x = rng.normal(size=3000)
    y = Tweedie().sample(rng, 3000, np.exp(0.3 + 0.4 * x), 1.5, 1.4)
    data = {"y": y, "x": x}
    prof = mlefit.profile_fixed("y ~ x", data, "tweedie", "power", np.linspace(1.1, 1.7, 7))
    free = mlefit.fit("y ~ x", data, "tweedie")
    assert prof.mle == pytest.approx(free.params[("power", "Intercept")], abs=5e-3)
    low, high = prof.interval
    assert low < prof.mle < high


def test_profile_fixed_refuses_bad_grids(fair):
    with pytest.raises(DataError, match="four distinct"):
        mlefit.profile_fixed(FORMULA, fair, "tweedie", "power", [1.4, 1.5])
    with pytest.raises(DataError, match="also in fixed"):
        mlefit.profile_fixed(FORMULA, fair, "tweedie", "power", [1.3, 1.4, 1.5, 1.6],
                             fixed={"power": 1.5})
    with pytest.raises(DataError, match="level"):
        mlefit.profile_fixed(FORMULA, fair, "tweedie", "power", [1.3, 1.4, 1.5, 1.6],
                             level=1.5)
