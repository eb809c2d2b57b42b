"""Sandwich covariances under convention="R" (R's ``sandwich`` on a glm), and HC2/HC3.

The oracle is R's definitions written out in numpy from the ``sandwich`` package's source
(Zeileis 2004, 2006, JSS 11(10) and 16(9)), applied to statsmodels' GLM estimates:

* ``bread.glm``: ``summary.glm()$cov.unscaled * n * dispersion``, where ``cov.unscaled =
  (X' W X)^-1`` with glm's working weights ``W = w mu'(eta)^2 / V(mu)`` (the expected
  information) and ``n = sum(df[1:2])`` the rows; the dispersion is 1 for poisson, binomial
  and "Negative Binomial(theta)", else ``sum(wres^2) / sum(W)``;
* ``estfun.glm``: ``wres * X / dispersion`` with ``wres`` the working residuals times the
  working weights (the dispersion cancels between bread and meat: the oracle keeps it to
  stay literal);
* ``meatHC``: ``crossprod(sqrt(omega) * X) / n`` with ``res = rowMeans(estfun / X)`` and
  ``omega = res^2`` (HC0), ``res^2 n/(n - k)`` (HC1, ``k = ncol(X)``), ``res^2 / (1 - h)``
  (HC2), ``res^2 / (1 - h)^2`` (HC3), ``h = hatvalues(glm)``;
* ``meatCL(type = "HC1")``: ``G/(G - 1) crossprod(rowsum(estfun, cluster)) / n`` times
  ``(n - 1)/(n - k)``;
* ``sandwich``: ``bread %*% meat %*% bread / n``.

statsmodels lines up where its definitions coincide: its GLM ``HC0`` and ``cluster``
(``G/(G-1) (n-1)/(n-k)``, ``k`` the mean columns) take the bread from ``model.hessian``,
the expected information when fitted with ``optim_hessian="eim"`` (so they equal R's for
every link); its GLM ``HC1`` applies no factor (R's HC1 is its HC0 times ``n/(n - k)``);
its GLM has no HC2/HC3, its OLS does (the Gaussian identity case, where ``h`` is the OLS
hat matrix).

Tolerances: mlefit's and statsmodels' estimates agree to about 1e-10 relative (Newton vs
IRLS at tol 1e-14); the sandwich is a smooth function of them, so entries are compared
to 1e-7 on the scale ``se_i se_j``.
"""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

import mlefit
from mlefit.inference.covariance import leverages

links = sm.families.links

#: statsmodels warns that the sqrt link may leave the Poisson's domain (it does not here)
pytestmark = pytest.mark.filterwarnings("ignore::statsmodels.tools.sm_exceptions.DomainWarning")

#: inverse link and d mu / d eta of each link used below, written out
INVERSE = {
    "identity": (lambda e: e, np.ones_like),
    "log": (np.exp, np.exp),
    "sqrt": (np.square, lambda e: 2.0 * e),
}


def r_vcov(X, y, eta, link, variance, *, fixed_dispersion, prior=None, cov_type="HC0",
           cluster=None):
    """R: ``vcovHC(glm, type)``, or ``vcovCL(glm, cluster, type = "HC1")``, written out."""
    n, k = X.shape
    prior = np.ones(n) if prior is None else np.asarray(prior, float)
    inverse, deriv = INVERSE[link]
    mu, d = inverse(eta), deriv(eta)
    W = prior * d**2 / variance(mu)                      # weights(fit, "working")
    wres = (y - mu) / d * W                              # working residuals * W
    disp = 1.0 if fixed_dispersion else np.sum(wres**2) / np.sum(W)
    ef = wres[:, None] * X / disp                        # estfun.glm
    unscaled = np.linalg.inv(X.T @ (W[:, None] * X))     # summary.glm()$cov.unscaled
    bread = unscaled * n * disp                          # bread.glm
    if cluster is None:
        h = W * np.einsum("ij,jk,ik->i", X, unscaled, X)  # hatvalues(glm)
        res = wres / disp                                # rowMeans(estfun / X)
        omega = {"HC0": res**2, "HC1": res**2 * n / (n - k), "HC2": res**2 / (1 - h),
                 "HC3": res**2 / (1 - h) ** 2}[cov_type]
        A = np.sqrt(omega)[:, None] * X
        meat = A.T @ A / n                               # meatHC
    else:
        labels, codes = np.unique(cluster, return_inverse=True)
        G = labels.size
        summed = np.zeros((G, k))
        np.add.at(summed, codes, ef)                     # rowsum(estfun, cluster)
        meat = G / (G - 1) * summed.T @ summed / n * (n - 1) / (n - k)   # meatCL, HC1
    return bread @ meat @ bread / n                      # sandwich


def assert_cov_close(ours, theirs, tol=1e-7):
    theirs = np.asarray(theirs)
    se = np.sqrt(np.diag(theirs))
    assert np.max(np.abs(np.asarray(ours) - theirs) / np.outer(se, se)) < tol


def _mean_cov(res):
    return res.cov_params().loc["mu", "mu"].to_numpy()


# the cases: family, link, data, statsmodels family, R's variance function ---------------
@pytest.fixture(scope="module")
def simulated():
    """Counts with a cluster label: mu = exp(...) for the NB, (...)^2 for the sqrt Poisson."""
    rng = np.random.default_rng(19)
    n = 400
    x1, x2 = rng.normal(size=n), rng.integers(0, 2, n).astype(float)
    g = rng.integers(0, 12, n)
    mu_nb = np.exp(0.5 + 0.4 * x1 - 0.3 * x2)
    y_nb = rng.poisson(rng.gamma(2.0, mu_nb / 2.0))
    y_sqrt = rng.poisson((1.5 + 0.3 * x1 + 0.5 * x2) ** 2)
    return pd.DataFrame({"x1": x1, "x2": x2, "g": g, "y_nb": y_nb, "y_sqrt": y_sqrt})


THETA = 2.0
CASES = {
    # name: (formula, family, link, fixed, statsmodels family, V(mu), dispersion fixed?)
    "gaussian": ("thalach ~ age + exang + oldpeak", "gaussian", "identity", {},
                 sm.families.Gaussian(), np.ones_like, False),
    "gaussian-log": ("thalach ~ age + exang + oldpeak", "gaussian", "log", {},
                     sm.families.Gaussian(links.Log()), np.ones_like, False),
    "gamma": ("chol ~ age + sex + thalach", "gamma", "log", {},
              sm.families.Gamma(links.Log()), np.square, False),
    "negative-binomial": ("y_nb ~ x1 + x2", "negative_binomial", "log", {"theta": THETA},
                          sm.families.NegativeBinomial(links.Log(), alpha=1 / THETA),
                          lambda m: m + m * m / THETA, True),
    "poisson-sqrt": ("y_sqrt ~ x1 + x2", "poisson", "sqrt", {},
                     sm.families.Poisson(links.Sqrt()), lambda m: m, True),
}


def _data(name, heart, simulated):
    if name in ("negative-binomial", "poisson-sqrt"):
        return simulated, simulated["g"].to_numpy()
    data = heart.dropna().reset_index(drop=True)
    return data, data["cp"].astype(int).to_numpy()


def _statsmodels(formula, data, family, **fit_kwds):
    model = smf.glm(formula, data, family=family)
    return model.fit(method="newton", optim_hessian="eim", tol=1e-14, maxiter=200,
                     **fit_kwds)


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("cov_type", ["HC0", "HC1", "HC2", "HC3", "cluster"])
def test_convention_r_is_r_sandwich_written_out(name, cov_type, heart, simulated):
    formula, family, link, fixed, sm_family, variance, fixed_disp = CASES[name]
    data, cluster = _data(name, heart, simulated)
    kwargs = {"groups": cluster} if cov_type == "cluster" else {}
    res = mlefit.fit(formula, data, family=family, link=link, fixed=fixed,
                     convention="R", cov_type=cov_type, **kwargs)
    ref = _statsmodels(formula, data, sm_family)
    np.testing.assert_allclose(res.params["mu"], ref.params, rtol=1e-8)
    X, y = ref.model.exog, ref.model.endog
    oracle = r_vcov(X, y, X @ ref.params.to_numpy(), link, variance,
                    fixed_dispersion=fixed_disp,
                    cov_type=cov_type, cluster=cluster if cov_type == "cluster" else None)
    assert_cov_close(_mean_cov(res), oracle)
    assert "R's sandwich on a glm" in res.covariance_kind


@pytest.mark.parametrize("name", CASES)
def test_convention_r_equals_statsmodels_with_the_expected_bread(name, heart, simulated):
    formula, family, link, fixed, sm_family, *_ = CASES[name]
    data, cluster = _data(name, heart, simulated)

    def ours(cov_type, **kw):
        return _mean_cov(mlefit.fit(formula, data, family=family, link=link, fixed=fixed,
                                    convention="R", cov_type=cov_type, **kw))

    hc0 = _statsmodels(formula, data, sm_family, cov_type="HC0")
    n, k = hc0.model.exog.shape
    assert_cov_close(ours("HC0"), hc0.cov_params())
    assert_cov_close(ours("HC1"), hc0.cov_params() * n / (n - k))
    cl = _statsmodels(formula, data, sm_family, cov_type="cluster",
                      cov_kwds={"groups": cluster})
    assert_cov_close(ours("cluster", groups=cluster), cl.cov_params())


def test_convention_r_counts_rows_and_mean_columns_where_ml_counts_every_coefficient(heart):
    """The Gaussian identity link: observed = expected information at the MLE, so HC0 is
    the same under both conventions, and HC1 differs only by R's ``k = p`` against ML's
    ``k = p + 1`` (sigma): ML's is larger by exactly ``(n - p)/(n - p - 1)``."""
    data = heart.dropna().reset_index(drop=True)
    formula = "thalach ~ age + exang + oldpeak"
    n, p = len(data), 4
    for cov_type, ratio in (("HC0", 1.0), ("HC1", (n - p) / (n - p - 1))):
        ml = _mean_cov(mlefit.fit(formula, data, cov_type=cov_type))
        r = _mean_cov(mlefit.fit(formula, data, cov_type=cov_type, convention="R"))
        np.testing.assert_allclose(ml, r * ratio, rtol=1e-9)


# weights: R's prior weights under convention="R" -------------------------------------
def test_convention_r_weights_are_glm_prior_weights(heart, simulated):
    """``var_weights=`` of a Gaussian and ``weights=`` of a Poisson are R glm's
    ``weights =``: the oracle takes them as prior weights (``n`` = rows)."""
    data = heart.dropna().reset_index(drop=True)
    v = np.random.default_rng(3).uniform(0.5, 2.0, len(data))
    formula = "thalach ~ age + exang + oldpeak"
    ref = smf.glm(formula, data, var_weights=v).fit(tol=1e-14)
    X, y = ref.model.exog, ref.model.endog
    for cov_type in ("HC1", "HC3"):
        res = mlefit.fit(formula, data.assign(v=v), var_weights="v", convention="R",
                         cov_type=cov_type)
        oracle = r_vcov(X, y, X @ ref.params.to_numpy(), "identity", np.ones_like,
                        fixed_dispersion=False, prior=v, cov_type=cov_type)
        assert_cov_close(_mean_cov(res), oracle)
    w = np.random.default_rng(4).integers(1, 4, len(simulated)).astype(float)
    ref = smf.glm("y_sqrt ~ x1 + x2", simulated, family=sm.families.Poisson(links.Sqrt()),
                  freq_weights=w).fit(tol=1e-14)
    X, y = ref.model.exog, ref.model.endog
    for cov_type in ("HC1", "HC2"):
        res = mlefit.fit("y_sqrt ~ x1 + x2", simulated.assign(w=w), family="poisson",
                         link="sqrt", weights="w", convention="R", cov_type=cov_type)
        oracle = r_vcov(X, y, X @ ref.params.to_numpy(), "sqrt", lambda m: m,
                        fixed_dispersion=True, prior=w, cov_type=cov_type)
        assert_cov_close(_mean_cov(res), oracle)


# HC2 and HC3 -----------------------------------------------------------------------------
@pytest.mark.parametrize("convention", [None, "R"])
@pytest.mark.parametrize("cov_type", ["HC2", "HC3"])
def test_hc2_hc3_gaussian_identity_equal_ols(heart, convention, cov_type):
    """Under both conventions the mean block is OLS's HC2/HC3 (the observed information
    is block diagonal at the Gaussian MLE, so sigma's row does not reach it)."""
    data = heart.dropna().reset_index(drop=True)
    formula = "thalach ~ age + exang + oldpeak"
    res = mlefit.fit(formula, data, cov_type=cov_type, convention=convention)
    ols = smf.ols(formula, data).fit(cov_type=cov_type)
    np.testing.assert_allclose(_mean_cov(res), ols.cov_params().to_numpy(), rtol=1e-9)
    assert res.covariance_kind.startswith(f"robust ({cov_type}")


@pytest.mark.parametrize("cov_type", ["HC2", "HC3"])
def test_hc2_hc3_default_convention_poisson_log(simulated, cov_type):
    """The Poisson with its canonical log link has no dispersion and observed = expected
    information, so without weights the ML and R definitions coincide: the oracle is R's."""
    d = simulated.assign(y=simulated["y_nb"])
    res = mlefit.fit("y ~ x1 + x2", d, family="poisson", cov_type=cov_type)
    ref = smf.glm("y ~ x1 + x2", d, family=sm.families.Poisson()).fit(tol=1e-14)
    X, y = ref.model.exog, ref.model.endog
    oracle = r_vcov(X, y, X @ ref.params.to_numpy(), "log", lambda m: m,
                    fixed_dispersion=True, cov_type=cov_type)
    assert_cov_close(res.cov, oracle)


@pytest.mark.parametrize("cov_type", ["HC2", "HC3"])
def test_hc2_hc3_frequency_weights_equal_expanded_rows(heart, cov_type):
    """Default convention: a row of weight w is w rows, each with leverage h / w."""
    data = heart.dropna().reset_index(drop=True)
    w = np.random.default_rng(1).integers(1, 4, len(data))
    formula = "chol ~ age + sex"
    weighted = mlefit.fit(formula, data.assign(w=w), family="gamma", weights="w",
                          cov_type=cov_type)
    expanded = mlefit.fit(formula, data.loc[np.repeat(np.arange(len(data)), w)]
                          .reset_index(drop=True), family="gamma", cov_type=cov_type)
    np.testing.assert_allclose(weighted.cov, expanded.cov, rtol=1e-8)


def test_leverages_are_hatvalues(heart):
    """The engine's leverage pass against the hat matrix written out (gamma, log link)."""
    data = heart.dropna().reset_index(drop=True)
    res = mlefit.fit("chol ~ age + sex", data, family="gamma")
    h = leverages(res._context.objective, res._context.coef_ml)
    ref = smf.glm("chol ~ age + sex", data,
                  family=sm.families.Gamma(links.Log())).fit(tol=1e-14)
    X = ref.model.exog
    # gamma, log link: working weights mu'(eta)^2 / V(mu) = mu^2 / mu^2 = 1: the OLS hat
    H = X @ np.linalg.inv(X.T @ X) @ X.T
    np.testing.assert_allclose(h, np.diag(H), rtol=1e-9)
    np.testing.assert_allclose(h.sum(), 3.0, rtol=1e-12)
