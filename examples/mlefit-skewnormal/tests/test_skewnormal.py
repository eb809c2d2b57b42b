"""The example plugin's own tests: the conformance kit, scipy as oracle, and a fit by name
through the installed entry point (run after ``pip install``)."""

import numpy as np
import pandas as pd
import pytest
from mlefit_skewnormal import SkewNormal
from scipy import stats

import mlefit
from mlefit.registry import build_registry
from mlefit.testing import check_family, parametrize_with_checks


@parametrize_with_checks([SkewNormal()])
def test_conformance(family, check):
    check(family)


def test_whole_kit_passes():
    report = check_family(SkewNormal())
    assert "derivatives" in report.skipped       # logpdf only: the engine differentiates


def test_logpdf_matches_scipy():
    rng = np.random.default_rng(1)
    y, mu = rng.normal(size=50), rng.normal(size=50)
    sigma, alpha = rng.uniform(0.5, 3, 50), rng.uniform(-5, 5, 50)
    expected = stats.skewnorm.logpdf(y, alpha, loc=mu, scale=sigma)
    # both evaluate the same closed form in double precision
    np.testing.assert_allclose(SkewNormal().logpdf(y, mu, sigma, alpha), expected,
                               rtol=1e-12)


def test_installed_through_the_entry_point():
    info = {i.name: i for i in mlefit.families()}["skewnormal"]
    assert info.source.distribution == "mlefit-skewnormal"
    assert info.source.plugin == "skewnormal"
    assert mlefit.get_family("skew_normal")[0].name == "skewnormal"


def test_fit_by_name_recovers_the_truth():
    rng = np.random.default_rng(2024)
    n = 3000
    x = rng.uniform(-1, 1, n)
    y = stats.skewnorm.rvs(3.0, loc=1.0 + 2.0 * x, scale=1.5, size=n, random_state=rng)
    res = mlefit.fit("y ~ x", pd.DataFrame({"y": y, "x": x}), family="skewnormal")
    assert res.converged and res.diagnostics.derivatives == "numeric"
    truth = {("mu", "Intercept"): 1.0, ("mu", "x"): 2.0,
             ("sigma", "Intercept"): np.log(1.5), ("alpha", "Intercept"): 3.0}
    for key, value in truth.items():     # within 4 standard errors (seeded simulation)
        assert abs(res.params[key] - value) <= 4 * res.bse[key], key


def test_unknown_when_blocked(monkeypatch):
    monkeypatch.setenv("MLEFIT_BLOCK_PLUGINS", "mlefit-skewnormal")
    reg = build_registry()
    assert "skewnormal" not in reg.names() and "gaussian" in reg.names()
    with pytest.raises(mlefit.UnknownFamilyError, match="skewnormal"):
        reg.family("skewnormal")


def test_fits_the_heart_data_without_start_values():
    """Issue 20, 8(b): ``thalach ~ age + exang`` stopped at llf -139175 before the start
    values of logpdf-only families got a warm-up. Oracle: scipy's own skew-normal
    log-density maximised by BFGS from least-squares starts and a negative shape (the
    data skew left): llf -1316.6459045..."""
    from scipy import optimize

    heart = mlefit.datasets.load_heart()
    y = heart["thalach"].to_numpy(float)
    X = np.column_stack([np.ones(len(y)), heart[["age", "exang"]].to_numpy(float)])

    def nll(t):
        return -stats.skewnorm.logpdf(y, t[4], loc=X @ t[:3], scale=np.exp(t[3])).sum()

    b = np.linalg.lstsq(X, y, rcond=None)[0]
    best = optimize.minimize(nll, np.r_[b, np.log(np.std(y - X @ b)), -1.0], method="BFGS",
                             options={"gtol": 1e-8})
    res = mlefit.fit("thalach ~ age + exang", heart, family=SkewNormal())
    assert res.converged
    assert res.llf == pytest.approx(-best.fun, abs=1e-6)    # the same likelihood maximised
    np.testing.assert_allclose(res.coef, best.x, rtol=1e-3, atol=1e-3)
