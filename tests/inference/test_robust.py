"""Robust (sandwich) and cluster covariances: cov_type="robust"/"HC0", "HC1", "cluster".

mlefit's sandwich is ``B M B`` with ``B`` the inverse OBSERVED information at the MLE and
``M = sum_i w_i u_i u_i'`` (per-row scores; per-cluster sums for CR1). HC1 multiplies by
``n / (n - k)`` and CR1 by ``G/(G-1) (n-1)/(n-k)``, with ``k`` the number of columns of the
score matrix: every estimated coefficient, sigma's included. That is R sandwich's rule
for a model whose estimating functions include sigma (``meatHC``/``meatCL`` use
``k = NCOL(estfun(x))``); on a glm R's ``k`` counts the mean columns only, which
``convention="R"`` reproduces (test_sandwich_r.py).

Oracles and how they line up:

* statsmodels GLM ``cov_type="HC0"`` / ``"cluster"``: its sandwich takes the bread from
  ``model.hessian(params)``, which is the OBSERVED Hessian unless the model was fitted
  with ``optim_hessian="eim"``; so the default GLM fit is the matching configuration,
  for canonical and non-canonical links alike (checked with the Gaussian log link, where
  observed and expected differ). R's ``sandwich::vcovHC`` on a glm takes the bread from
  ``summary.glm``'s ``cov.unscaled``, the EXPECTED information: it equals statsmodels with
  ``optim_hessian="eim"`` and differs from mlefit for non-canonical links (shown below).
* statsmodels GLM ``cov_type="HC1"`` applies NO small-sample factor (GLM has no
  ``cov_HC1``; statsmodels falls back to ``cov_white_simple(use_correction=False)``),
  so our HC1 is compared with its HC0 times ``n/(n-k)``, which is R's ``vcovHC(type="HC1")``.
* statsmodels OLS (R's lm): its score matrix has no sigma column (k = p), ours has one
  (k = p + 1), so its HC1 and CR1 factors use ``n - p`` where ours use ``n - p - 1``;
  the HC0 mean blocks are equal because the observed information is block diagonal at
  the MLE.
* The full (beta, log sigma) Gaussian sandwich written out in numpy.
* Frequency weights: a fit with integer weights equals the fit to the expanded rows.
"""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from test_compare import PlainPoisson

import mlefit
from mlefit import DataError

FORMULA = "thalach ~ age + exang + oldpeak"
COUNTS = "ca ~ age + sex + thalach"


@pytest.fixture(scope="module")
def data(heart):
    return heart.dropna().reset_index(drop=True)


def _cov(res, block="mu"):
    return res.cov_params().loc[block, block].to_numpy()


def assert_cov_close(ours, theirs, tol):
    """Entries compared on the scale ``se_i se_j`` (near-zero covariances included)."""
    theirs = np.asarray(theirs)
    se = np.sqrt(np.diag(theirs))
    assert np.max(np.abs(ours - theirs) / np.outer(se, se)) < tol


# Gaussian ------------------------------------------------------------------------------
def test_gaussian_hc0_equals_ols_and_the_written_out_sandwich(data):
    res = mlefit.fit(FORMULA, data, cov_type="HC0")
    ols = smf.ols(FORMULA, data).fit(cov_type="HC0")
    # both are exact formulas on estimates equal to ~1e-13
    np.testing.assert_allclose(_cov(res), ols.cov_params().to_numpy(), rtol=1e-9)
    X, y = ols.model.exog, ols.model.endog
    e = y - X @ ols.params.to_numpy()
    n, s2 = len(y), e @ e / len(y)
    U = np.column_stack([X * (e / s2)[:, None], e**2 / s2 - 1])    # scores of (beta, log s)
    bread = np.linalg.inv(np.block([[X.T @ X / s2, np.zeros((4, 1))],
                                    [np.zeros((1, 4)), np.array([[2.0 * n]])]]))
    np.testing.assert_allclose(res.cov, bread @ U.T @ U @ bread, rtol=1e-9)
    assert res.covariance_kind == "robust (HC0)"
    assert mlefit.fit(FORMULA, data, cov_type="robust").cov == pytest.approx(res.cov, rel=1e-15)


def test_gaussian_hc1_and_cluster_count_sigma(data):
    n, p = len(data), 4
    for cov_type, kwargs in (("HC1", {}), ("cluster", {"groups": "cp"})):
        res = mlefit.fit(FORMULA, data, cov_type=cov_type, **kwargs)
        sm_kwds = {"groups": data["cp"].astype(int)} if kwargs else None
        ols = smf.ols(FORMULA, data).fit(cov_type=cov_type, cov_kwds=sm_kwds)
        np.testing.assert_allclose(_cov(res), ols.cov_params().to_numpy() * (n - p)
                                   / (n - p - 1), rtol=1e-9)
    assert "CR1, 4 clusters" in res.covariance_kind


# Poisson (logpdf only) -----------------------------------------------------------------
@pytest.fixture(scope="module")
def poisson_glm(data):
    def fit(cov_type, **kwds):
        model = smf.glm(COUNTS, data, family=sm.families.Poisson())
        return model.fit(cov_type=cov_type, cov_kwds=kwds or None, tol=1e-14)
    return fit


def test_poisson_hc0_hc1_cluster_match_statsmodels(data, poisson_glm):
    n, k = len(data), 4
    # numeric per-row derivatives: bread and scores to ~1e-8 relative (observed: 2e-8)
    hc0 = mlefit.fit(COUNTS, data, family=PlainPoisson(), cov_type="HC0")
    assert_cov_close(hc0.cov, poisson_glm("HC0").cov_params(), 1e-6)
    hc1 = mlefit.fit(COUNTS, data, family=PlainPoisson(), cov_type="HC1")
    np.testing.assert_allclose(poisson_glm("HC1").cov_params(), poisson_glm("HC0").cov_params(),
                               rtol=1e-12)                 # statsmodels GLM: no HC1 factor
    assert_cov_close(hc1.cov, poisson_glm("HC0").cov_params() * n / (n - k), 1e-6)
    cl = mlefit.fit(COUNTS, data, family=PlainPoisson(), cov_type="cluster", groups="cp")
    theirs = poisson_glm("cluster", groups=data["cp"].astype(int).to_numpy()).cov_params()
    assert_cov_close(cl.cov, theirs, 1e-6)


# the bread: observed information ---------------------------------------------------------
def test_bread_is_the_observed_information_for_non_canonical_links(data):
    res = mlefit.fit(FORMULA, data, link="log", cov_type="HC0")
    family = sm.families.Gaussian(sm.families.links.Log())
    observed = smf.glm(FORMULA, data, family=family).fit(cov_type="HC0", tol=1e-14)
    np.testing.assert_allclose(_cov(res), observed.cov_params().to_numpy(), rtol=1e-8)
    expected = smf.glm(FORMULA, data, family=family).fit(
        method="newton", optim_hessian="eim", cov_type="HC0", tol=1e-14)
    # R sandwich's bread (expected information) gives other standard errors here
    ratio = np.sqrt(np.diag(_cov(res)) / np.diag(expected.cov_params().to_numpy()))
    assert np.max(np.abs(ratio - 1)) > 1e-3


# weights and arguments -------------------------------------------------------------------
@pytest.mark.parametrize("cov_type", ["HC0", "HC1", "cluster"])
def test_frequency_weights_equal_expanded_rows(data, cov_type):
    rng = np.random.default_rng(1)
    w = rng.integers(1, 4, len(data))
    kwargs = {"groups": "cp"} if cov_type == "cluster" else {}
    weighted = mlefit.fit(FORMULA, data.assign(w=w), weights="w", cov_type=cov_type, **kwargs)
    expanded = mlefit.fit(FORMULA, data.loc[np.repeat(np.arange(len(data)), w)]
                          .reset_index(drop=True), cov_type=cov_type, **kwargs)
    np.testing.assert_allclose(weighted.cov, expanded.cov, rtol=1e-9)


def test_cluster_needs_groups(data):
    with pytest.raises(DataError, match="needs groups="):
        mlefit.fit(FORMULA, data, cov_type="cluster")
    labels = pd.Series(data["cp"].astype(int).astype(str))
    by_array = mlefit.fit(FORMULA, data, cov_type="cluster", groups=labels.to_numpy())
    by_name = mlefit.fit(FORMULA, data, cov_type="cluster", groups="cp")
    np.testing.assert_allclose(by_array.cov, by_name.cov, rtol=1e-14)
