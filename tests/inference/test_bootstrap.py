"""The parametric-bootstrap likelihood-ratio test.

Oracles: the asymptotic chi-square p-value of a regular test (the bootstrap estimates
the same tail probability; its Monte Carlo SE is sqrt(p (1 - p) / B)), and simulation.
"""

import importlib.util
import warnings

import numpy as np
import pandas as pd
import pytest

import mlefit
from mlefit import ComparisonError, DataError


def test_regular_test_bootstrap_agrees_with_chi_square(heart):
    m0 = mlefit.fit("thalach ~ age", heart, "gaussian")
    m1 = mlefit.fit("thalach ~ age + chol", heart, "gaussian")
    res = mlefit.lrtest(m0, m1, bootstrap=400, seed=11, progress=False)
    boot = res.bootstrap
    assert boot.B == 400 and boot.failed == 0 and boot.replicates.size == 400
    assert boot.statistic == pytest.approx(res.statistic, rel=1e-12)
    se = np.sqrt(res.pvalue * (1 - res.pvalue) / 400)
    assert abs(boot.pvalue - res.pvalue) < 4 * se
    # the replicates follow chi2(1): their mean is 1 (SE sqrt(2/400) = 0.07)
    assert boot.replicates.mean() == pytest.approx(1.0, abs=4 * np.sqrt(2 / 400))
    assert "parametric bootstrap" in str(res)
    again = mlefit.lrtest(m0, m1, bootstrap=400, seed=11, progress=False)
    assert again.bootstrap.pvalue == boot.pvalue


def test_bootstrap_where_the_asymptotic_test_is_refused():
    """theta with covariates at the Poisson boundary: no chi-bar-squared; the bootstrap."""
    rng = np.random.default_rng(3)
    n = 400
    data = pd.DataFrame({"x": rng.normal(size=n), "g": rng.integers(0, 2, size=n)})
    data["y"] = rng.poisson(np.exp(0.5 + 0.3 * data["x"]))
    m0 = mlefit.fit("y ~ x", data, "poisson")
    with warnings.catch_warnings():  # theta may run towards the Poisson boundary (inf)
        warnings.simplefilter("ignore", mlefit.ConvergenceWarning)
        m1 = mlefit.fit("y ~ x", data, "negative_binomial", theta="~ g")
    with pytest.raises(ComparisonError, match="bootstrap"):
        mlefit.lrtest(m0, m1)
    res = mlefit.lrtest(m0, m1, bootstrap=40, seed=2, progress=False)
    assert res.bootstrap.B == 40 and 0 < res.pvalue <= 1
    assert res.pvalue == res.bootstrap.pvalue


def test_bad_bootstrap_requests(heart):
    m0 = mlefit.fit("thalach ~ age", heart, "gaussian")
    m1 = mlefit.fit("thalach ~ age + chol", heart, "gaussian")
    m2 = mlefit.fit("thalach ~ age + chol + exang", heart, "gaussian")
    with pytest.raises(DataError, match="positive number"):
        mlefit.lrtest(m0, m1, bootstrap=0)
    with pytest.raises(ComparisonError, match="two models"):
        mlefit.lrtest(m0, m1, m2, bootstrap=10)


def test_bootstrap_progress_bar_is_the_profile_one(heart, capsys, monkeypatch):
    """One progress helper: a bar when asked for, an ImportError naming the extra when
    asked for without tqdm (as conf_int(method="profile") does), none by default."""
    m0 = mlefit.fit("thalach ~ age", heart, "gaussian")
    m1 = mlefit.fit("thalach ~ age + chol", heart, "gaussian")
    if importlib.util.find_spec("tqdm") is not None:   # the bar itself needs the extra
        mlefit.lrtest(m0, m1, bootstrap=3, seed=1, progress=True)
        assert "bootstrap refits" in capsys.readouterr().err
    monkeypatch.setitem(__import__("sys").modules, "tqdm.auto", None)
    with pytest.raises(ImportError, match=r"pip install 'mlefit\[progress\]'"):
        mlefit.lrtest(m0, m1, bootstrap=3, seed=1, progress=True)
    assert mlefit.lrtest(m0, m1, bootstrap=3, seed=1).bootstrap.B == 3
