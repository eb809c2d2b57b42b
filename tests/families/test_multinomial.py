"""The multinomial logit family against oracles that are not mlefit.

Oracles:

* statsmodels ``MNLogit`` fitted by Newton to ``tol=1e-14`` on its own ``anes96`` data
  (``statsmodels.datasets.anes96``: party identification, 7 levels, 944 rows): its
  analytic gradient and Hessian make it converge to the same point as mlefit's Newton,
  so coefficients agree to 1e-6 relative (1e-10 reached), SEs to 1e-5 (its inverse of an
  analytic Hessian), llf to 1e-8; its predicted probabilities; its HC0 sandwich
  (``cov_type="HC0"``);
* scipy.optimize on an independent softmax log-likelihood, for a per-category formula
  (a model ``MNLogit`` cannot express);
* simulation.
"""

import pickle

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import optimize, special

import mlefit
from mlefit.errors import DataError
from mlefit_families.multinomial import BoundMultinomial, Multinomial

ANES = sm.datasets.anes96.load_pandas().data
TERMS = ["logpopul", "selfLR", "age", "educ", "income"]
FORMULA = "PID ~ " + " + ".join(TERMS)


def _mnlogit(cov_type="nonrobust"):
    X = sm.add_constant(ANES[TERMS])
    return sm.MNLogit(ANES["PID"], X).fit(method="newton", maxiter=100, tol=1e-14, disp=0,
                                          cov_type=cov_type)


@pytest.fixture(scope="module")
def mn():
    return _mnlogit()


def test_against_statsmodels_mnlogit(mn):
    res = mlefit.fit(FORMULA, ANES, "multinomial")
    # statsmodels: one column per non-reference level; mlefit stacks them level by level
    np.testing.assert_allclose(res.params.to_numpy(), mn.params.to_numpy().T.ravel(),
                               rtol=1e-6)
    np.testing.assert_allclose(res.bse.to_numpy(), mn.bse.to_numpy().T.ravel(), rtol=1e-5)
    assert res.llf == pytest.approx(mn.llf, rel=1e-8)
    assert res.k == mn.params.size
    prob = res.predict(ANES.head(20), which="prob")
    assert list(prob.columns) == [str(v) for v in sorted(ANES["PID"].unique())]
    np.testing.assert_allclose(prob.to_numpy(), mn.predict()[:20], rtol=1e-8)
    assert "eta2 [1.0]" in res.summary()


def test_expected_equals_observed_information(mn):
    """The multinomial logit is canonical: the information does not depend on y."""
    res = mlefit.fit(FORMULA, ANES, "multinomial", cov_type="expected")
    np.testing.assert_allclose(res.bse.to_numpy(), mn.bse.to_numpy().T.ravel(), rtol=1e-5)


def test_sandwich_against_statsmodels():
    res = mlefit.fit(FORMULA, ANES, "multinomial", cov_type="HC0")
    mn = _mnlogit("HC0")
    np.testing.assert_allclose(res.bse.to_numpy(), mn.bse.to_numpy().T.ravel(), rtol=1e-5)


def test_reference_level():
    """Another reference re-expresses the same model: the same llf, and the log odds of
    level k against the new reference are the old ones minus the new reference's."""
    base = mlefit.fit(FORMULA, ANES, "multinomial")
    other = mlefit.fit(FORMULA, ANES, Multinomial(reference=6.0))
    assert other.llf == pytest.approx(base.llf, rel=1e-10)
    b6 = base.params["eta7"].to_numpy()
    np.testing.assert_allclose(other.params["eta2"].to_numpy(),
                               base.params["eta2"].to_numpy() - b6, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(other.params["eta1"].to_numpy(), -b6, rtol=1e-6, atol=1e-9)
    with pytest.raises(DataError, match="reference=9 is not a level"):
        mlefit.fit(FORMULA, ANES, Multinomial(reference=9))


def test_per_category_formula_against_scipy():
    """Category 'b' with the main formula's x (the first category's formula is the main
    one), 'c' with only an intercept (``eta3="~ 1"``): the
    maximiser of an independent softmax likelihood (BFGS to gtol 1e-10)."""
    rng = np.random.default_rng(5)
    n = 600
    x = rng.normal(size=n)
    E = np.column_stack([np.zeros(n), -0.2 + 0.9 * x, np.full(n, 0.3)])
    P = special.softmax(E, axis=1)
    y = np.array(["a", "b", "c"])[(rng.random(n)[:, None] > np.cumsum(P, axis=1)).sum(axis=1)]
    data = pd.DataFrame({"y": y, "x": x})
    res = mlefit.fit("y ~ x", data, "multinomial", eta3="~ 1")
    code = pd.Categorical(y, ["a", "b", "c"]).codes

    def nll(b):
        eta = np.column_stack([np.zeros(n), b[0] + b[1] * x, np.full(n, b[2])])
        return -np.sum(eta[np.arange(n), code] - special.logsumexp(eta, axis=1))

    opt = optimize.minimize(nll, np.zeros(3), method="BFGS", options={"gtol": 1e-10})
    np.testing.assert_allclose(res.params.to_numpy(), opt.x, rtol=1e-6)
    assert res.llf == pytest.approx(-opt.fun, rel=1e-10)
    assert list(res.params.index) == [("eta2", "Intercept"), ("eta2", "x"),
                                      ("eta3", "Intercept")]


def test_lrtest_and_simulate():
    small = mlefit.fit("PID ~ selfLR", ANES, "multinomial")
    large = mlefit.fit("PID ~ selfLR + age", ANES, "multinomial")
    test = mlefit.lrtest(small, large)
    assert test.df == 6
    assert test.statistic == pytest.approx(2 * (large.llf - small.llf), rel=1e-12)
    sims = large.simulate(300, seed=4)
    expected = large.predict(which="prob").to_numpy().sum(axis=0)
    counts = np.array([(sims == k).sum(axis=0).mean() for k in range(7)])
    # 300 draws of each row: the mean count per level is within 1% of its expectation
    np.testing.assert_allclose(counts, expected, rtol=0.01)


def test_quantile_residuals_are_refused():
    res = mlefit.fit("PID ~ selfLR", ANES, "multinomial")
    with pytest.raises(DataError, match="cdf"):
        res.resid("quantile")


def test_bound_family_pickles_and_conforms():
    from mlefit.testing import check_family

    fam = BoundMultinomial(("x", "y", "z"), 1)
    again = pickle.loads(pickle.dumps(fam))
    assert again.parameter_names == ("eta1", "eta3") and again.levels == fam.levels
    check_family("multinomial")
    check_family(fam)


def test_dask_frame_gives_the_in_memory_fit():
    dd = pytest.importorskip("dask.dataframe")
    formula = "PID ~ selfLR + age"
    eager = mlefit.fit(formula, ANES, "multinomial")
    lazy = mlefit.fit(formula, dd.from_pandas(ANES, npartitions=4), "multinomial")
    np.testing.assert_allclose(lazy.params.to_numpy(), eager.params.to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(lazy.bse.to_numpy(), eager.bse.to_numpy(), rtol=1e-8)
    assert lazy.llf == pytest.approx(eager.llf, rel=1e-12)
