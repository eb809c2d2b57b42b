"""The ordinal (cumulative-link) family against oracles that are not mlefit.

Oracles:

* statsmodels ``OrderedModel`` fitted with BFGS to a tight gradient tolerance (its default,
  Nelder-Mead with 500 iterations, stops short) on the UCLA data it ships
  (``statsmodels/miscmodels/tests/results/ologit_ucla.csv``), for the logit and probit
  links (``distr="logit"``/``"probit"``) and, through its ``distr=`` of a scipy
  distribution, for cloglog (``gumbel_l``: ``F = 1 - exp(-exp(x))``), loglog
  (``gumbel_r``: ``F = exp(-exp(-x))``) and cauchit (``cauchy``). statsmodels
  parameterises the cutpoints as ``theta_1`` and log increments, and reports SEs on that
  scale: its cutpoint SEs are carried to the cutpoint scale here by the delta method
  (``J = d theta / d (theta_1, log increments)``), as polr and clm report them. Its
  covariance is the inverse of a numerical Hessian (``approx_hess``, complex-step
  free, relative error about 1e-7), so SEs agree to 1e-5 and not to 1e-8;
* R's ``MASS::polr`` results statsmodels ships for the same data
  (``results_ordinal_model.py``: coefficients, thresholds, the first 7 rows of
  ``predict(type="prob")``), to the precision printed there;
* ``MASS::polr(Sat ~ Infl + Type + Cont, weights = Freq, data = housing)`` as printed in
  MASS's documentation (``example(polr)``, Venables and Ripley, *MASS*, 4th ed.,
  sec. 7.3): coefficients to the 7 digits printed, residual deviance 3479.149, AIC
  3495.149;
* ``ordinal::clm(rating ~ temp + contact, data = wine)`` as printed in the package's
  vignette (Christensen, "Cumulative link models for ordinal regression with the R
  package ordinal"): estimates and SEs to 4 decimals, logLik -86.49, and its
  ``nominal_test(fm1)`` table;
* closed forms (category probabilities sum to 1) and simulation.

The data of the last two: ``tests/data/housing.csv``, ``tests/data/wine.csv``
(provenance in tests/data/README.md).
"""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.miscmodels.ordinal_model import OrderedModel
from statsmodels.miscmodels.tests.results import results_ordinal_model as polr

import mlefit
from mlefit.errors import DataError
from mlefit_families.ordinal import BoundOrdinal, Ordinal

UCLA = polr.data_store.df
FORMULA = "apply ~ pared + public + gpa"
EXOG = ["pared", "public", "gpa"]


def _statsmodels(distr):
    model = OrderedModel(UCLA["apply"], UCLA[EXOG], distr=distr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = model.fit(method="bfgs", maxiter=20000, gtol=1e-11, disp=0)
    k = len(EXOG)
    raw = res.params.to_numpy()
    cuts = model.transform_threshold_params(raw)[1:-1]
    # delta method: theta_j = raw_k + sum_{i<=j} exp(raw_{k+i})
    m = raw.size - k
    J = np.zeros((m, m))
    J[:, 0] = 1.0
    for j in range(1, m):
        J[j:, j] = np.exp(raw[k + j])
    cov = res.cov_params().to_numpy()
    cut_se = np.sqrt(np.diag(J @ cov[k:, k:] @ J.T))
    return (np.concatenate([raw[:k], cuts]), np.concatenate([res.bse.to_numpy()[:k], cut_se]),
            res.llf)


@pytest.mark.parametrize(("link", "distr"), [
    ("logit", "logit"), ("probit", "probit"), ("cloglog", stats.gumbel_l),
    ("loglog", stats.gumbel_r), ("cauchit", stats.cauchy)])
def test_against_statsmodels_ordered_model(link, distr):
    res = mlefit.fit(FORMULA, UCLA, Ordinal(link=link))
    coef, se, llf = _statsmodels(distr)
    # BFGS stops at |g| < 1e-11; its estimates then agree with Newton's to ~1e-8
    np.testing.assert_allclose(res.params.to_numpy(), coef, rtol=1e-6)
    # statsmodels' SEs come from a numerical Hessian (relative error ~1e-7)
    np.testing.assert_allclose(res.bse.to_numpy(), se, rtol=1e-5)
    assert res.llf == pytest.approx(llf, rel=1e-8)
    assert list(res.params.index.get_level_values("term")[3:]) == [
        "unlikely|somewhat likely", "somewhat likely|very likely"]


@pytest.mark.parametrize(("link", "expected"), [
    ("logit", polr.res_ord_logit), ("probit", polr.res_ord_probit),
    ("cloglog", polr.res_ord_cloglog)])
def test_against_r_polr_ucla(link, expected):
    """polr's optim (BFGS, reltol 1e-8 on the deviance) stops about 2e-4 short in the
    coefficients (statsmodels' own test allows atol=2e-4 for the same reason): R's
    estimates must be that close, and the log-likelihood at R's estimates no higher than
    at ours (ours is the maximum) and lower by less than 1e-6 relative."""
    res = mlefit.fit(FORMULA, UCLA, Ordinal(link=link))
    np.testing.assert_allclose(res.params["location"].to_numpy(), expected.coefficients_val,
                               atol=3e-4)
    cuts = res.params[["cut1", "cut2"]].to_numpy()
    np.testing.assert_allclose(cuts, expected.thresholds, rtol=3e-4)
    r_point = np.concatenate([expected.coefficients_val, expected.thresholds])
    X = res._context.frame.designs["location"].X
    y = res._context.frame.y
    theta = {"location": X @ r_point[:3], "cut1": r_point[3], "cut2": r_point[4]}
    llf_r = float(np.sum(res.family.logpdf(y, **theta)))
    assert llf_r <= res.llf
    assert res.llf - llf_r < 1e-6 * abs(res.llf)
    # polr's SEs: optim's numerical Hessian, printed to 4 significant digits
    np.testing.assert_allclose(res.bse["location"].to_numpy(), expected.coefficients_stdE,
                               rtol=2e-3)
    prob = res.predict(UCLA.head(7), which="prob")
    assert list(prob.columns) == ["unlikely", "somewhat likely", "very likely"]
    np.testing.assert_allclose(prob.to_numpy(), expected.prob_pred, atol=5e-5)


@pytest.fixture(scope="module")
def housing(data_dir):
    h = pd.read_csv(data_dir / "housing.csv", index_col=0)
    levels = {"Sat": ["Low", "Medium", "High"], "Infl": ["Low", "Medium", "High"],
              "Type": ["Tower", "Apartment", "Atrium", "Terrace"], "Cont": ["Low", "High"]}
    for column, cats in levels.items():
        h[column] = pd.Categorical(h[column], cats, ordered=column == "Sat")
    return h


def test_against_r_polr_housing(housing):
    res = mlefit.fit("Sat ~ Infl + Type + Cont", housing, "ordinal", weights="Freq")
    published = {"Infl[T.Medium]": 0.5663937, "Infl[T.High]": 1.2888191,
                 "Type[T.Apartment]": -0.5723501, "Type[T.Atrium]": -0.3661866,
                 "Type[T.Terrace]": -1.0910149, "Cont[T.High]": 0.3602841}
    for term, value in published.items():
        assert res.params[("location", term)] == pytest.approx(value, abs=5e-7)
    assert res.params[("cut1", "Low|Medium")] == pytest.approx(-0.4961353, abs=5e-7)
    assert res.params[("cut2", "Medium|High")] == pytest.approx(0.6907083, abs=5e-7)
    assert -2 * res.llf == pytest.approx(3479.149, abs=5e-4)
    assert res.aic == pytest.approx(3495.149, abs=5e-4)
    text = res.summary()
    assert "Intercepts (cutpoints):" in text and "Low|Medium" in text


@pytest.fixture(scope="module")
def wine(data_dir):
    w = pd.read_csv(data_dir / "wine.csv", index_col=0)
    w["rating"] = pd.Categorical(w["rating"], ordered=True)
    return w


def test_against_r_clm_wine(wine):
    res = mlefit.fit("rating ~ temp + contact", wine, "ordinal")
    est = [2.5031, 1.5278, -1.3444, 1.2508, 3.4669, 5.0064]
    se = [0.5287, 0.4766, 0.5171, 0.4379, 0.5978, 0.7309]
    np.testing.assert_allclose(res.params.to_numpy(), est, atol=5e-5)
    np.testing.assert_allclose(res.bse.to_numpy(), se, atol=5e-5)
    assert res.llf == pytest.approx(-86.49, abs=5e-3)
    assert res.aic == pytest.approx(184.98, abs=5e-3)


def test_nominal_test_against_clm(wine):
    res = mlefit.fit("rating ~ temp + contact", wine, "ordinal")
    table = mlefit.nominal_test(res)
    # the vignette: temp 3 -84.904 187.81 3.1750 0.3654; contact 3 -86.209 190.42 0.5667 0.9040
    assert list(table.index) == ["<none>", "temp", "contact"]
    np.testing.assert_allclose(table.loc[["temp", "contact"], "Df"], [3, 3])
    np.testing.assert_allclose(table.loc[["temp", "contact"], "logLik"], [-84.904, -86.209],
                               atol=5e-4)
    np.testing.assert_allclose(table.loc[["temp", "contact"], "LRT"], [3.1750, 0.5667],
                               atol=5e-4)
    np.testing.assert_allclose(table.loc[["temp", "contact"], "Pr(>Chi)"], [0.3654, 0.9040],
                               atol=5e-5)
    one = mlefit.nominal_test(res, terms=["temp"])
    assert list(one.index) == ["<none>", "temp"]
    with pytest.raises(DataError, match="not terms of the location formula"):
        mlefit.nominal_test(res, terms=["judge"])


def test_expected_information_is_the_sum_over_categories(wine):
    """cov_type='expected': the information sum_c dP_c dP_c' / P_c, here with dP_c from
    central differences of the category probabilities (not the family's formulas)."""
    res = mlefit.fit("rating ~ temp + contact", wine, "ordinal", cov_type="expected")
    fam = res.family
    X = res._context.frame.designs["location"].X
    beta = res.params.to_numpy()
    names = fam.parameter_names

    def probs(b):
        cuts = {c: np.full(len(X), b[2 + j]) for j, c in enumerate(names[1:])}
        return fam.probabilities(X @ b[:2], **cuts)

    h = 1e-6
    grads = []
    for i in range(beta.size):
        e = np.zeros(beta.size)
        e[i] = h
        grads.append((probs(beta + e) - probs(beta - e)) / (2 * h))
    G = np.stack(grads)                       # p x n x K
    P = probs(beta)
    info = np.einsum("anc,bnc->ab", G, G / P)
    np.testing.assert_allclose(res.bse.to_numpy(), np.sqrt(np.diag(np.linalg.inv(info))),
                               rtol=1e-6)


def test_sandwich_against_the_outer_product_of_scores(wine):
    """HC0: bread^-1 meat bread^-1 with scores and Hessian from central differences of
    the log-likelihood of the category probabilities."""
    res = mlefit.fit("rating ~ temp + contact", wine, "ordinal", cov_type="HC0")
    fam = res.family
    X = res._context.frame.designs["location"].X
    y = res._context.frame.y.astype(int)
    beta = res.params.to_numpy()
    names = fam.parameter_names

    def rows(b):
        cuts = {c: np.full(len(X), b[2 + j]) for j, c in enumerate(names[1:])}
        return np.log(fam.probabilities(X @ b[:2], **cuts)[np.arange(len(y)), y])

    h = 1e-5
    S = np.stack([(rows(beta + h * e) - rows(beta - h * e)) / (2 * h)
                  for e in np.eye(beta.size)], axis=1)
    H = np.stack([(S_plus - S_minus).sum(axis=0) / (2 * h) for S_plus, S_minus in
                  ((np.stack([(rows(beta + h * e + h2 * f) - rows(beta + h * e - h2 * f))
                              / (2 * h2) for f in np.eye(beta.size)], axis=1),
                    np.stack([(rows(beta - h * e + h2 * f) - rows(beta - h * e - h2 * f))
                              / (2 * h2) for f in np.eye(beta.size)], axis=1))
                   for e in np.eye(beta.size) for h2 in [1e-5])])
    bread = np.linalg.inv(-H)
    cov = bread @ (S.T @ S) @ bread
    np.testing.assert_allclose(res.bse.to_numpy(), np.sqrt(np.diag(cov)), rtol=1e-4)


def test_likelihood_ratio_and_information_criteria(wine):
    small = mlefit.fit("rating ~ temp", wine, "ordinal")
    large = mlefit.fit("rating ~ temp + contact", wine, "ordinal")
    test = mlefit.lrtest(small, large)
    assert test.df == 1
    assert test.statistic == pytest.approx(2 * (large.llf - small.llf), rel=1e-12)
    # k counts the cutpoints: 4 + 2 coefficients, AIC = -2 llf + 2 k
    assert large.k == 6
    assert large.aic == pytest.approx(-2 * large.llf + 12, rel=1e-12)


def test_probabilities_sum_to_one_and_newdata(wine):
    res = mlefit.fit("rating ~ temp + contact", wine, "ordinal")
    prob = res.predict(which="prob")
    assert list(prob.columns) == ["1", "2", "3", "4", "5"]
    np.testing.assert_allclose(prob.sum(axis=1), 1.0, rtol=1e-14)
    new = pd.DataFrame({"temp": ["warm"], "contact": ["yes"]})
    p_new = res.predict(new, which="prob").to_numpy()[0]
    eta = res.params[("location", "temp[T.warm]")] + res.params[("location", "contact[T.yes]")]
    cum = stats.logistic.cdf(res.params[["cut1", "cut2", "cut3", "cut4"]].to_numpy() - eta)
    np.testing.assert_allclose(np.cumsum(p_new)[:-1], cum, rtol=1e-12)
    with pytest.raises(DataError, match="without intervals"):
        res.predict(which="prob", interval="confidence")
    with pytest.raises(DataError, match="which='prob'"):
        res.predict()


def test_simulate_and_quantile_residuals():
    """Data drawn from a known proportional-odds model: the estimates recover the truth
    (4 SE) and the randomized quantile residuals at the truth's fit are N(0, 1)
    (mean within 4 SE, variance within 4 SE: 2 / n for a normal sample)."""
    rng = np.random.default_rng(3)
    n = 4000
    x = rng.normal(size=n)
    y = np.digitize(1.2 * x + rng.logistic(size=n), [-1.0, 0.5, 2.0])
    data = pd.DataFrame({"y": y, "x": x})
    res = mlefit.fit("y ~ x", data, "ordinal")
    truth = [1.2, -1.0, 0.5, 2.0]
    assert np.all(np.abs(res.params.to_numpy() - truth) < 4 * res.bse.to_numpy())
    r = res.resid("quantile", seed=1).to_numpy()
    assert abs(r.mean()) < 4 / np.sqrt(n)
    assert abs(r.var() - 1) < 4 * np.sqrt(2 / n)
    sims = res.simulate(200, seed=2)
    assert sims.shape == (n, 200)
    assert set(np.unique(sims)) <= {0.0, 1.0, 2.0, 3.0}
    # the simulated frequencies of each level agree with the fitted probabilities
    expected = res.predict(which="prob").to_numpy().sum(axis=0)
    counts = np.array([(sims == k).sum(axis=0).mean() for k in range(4)])
    np.testing.assert_allclose(counts, expected, rtol=0.02)


def test_levels_declared_for_integers_and_text():
    rng = np.random.default_rng(0)
    x = rng.normal(size=300)
    code = np.digitize(x + rng.logistic(size=300), [-1, 1])
    words = np.array(["low", "mid", "high"])[code]
    numeric = mlefit.fit("y ~ x", pd.DataFrame({"y": code + 1, "x": x}), "ordinal")
    text = mlefit.fit("y ~ x", pd.DataFrame({"y": words, "x": x}),
                      Ordinal(levels=["low", "mid", "high"]))
    np.testing.assert_allclose(text.params.to_numpy(), numeric.params.to_numpy(), rtol=1e-12)
    assert numeric.params.index[1] == ("cut1", "1|2")
    assert text.params.index[1] == ("cut1", "low|mid")


@pytest.mark.parametrize(("data", "family", "formula", "match"), [
    (pd.DataFrame({"y": ["a", "b", "c"] * 5, "x": range(15)}), "ordinal", "y ~ x",
     "holds text"),
    (pd.DataFrame({"y": pd.Categorical(["a", "b", "c"] * 5), "x": range(15)}), "ordinal",
     "y ~ x", "unordered categorical"),
    (pd.DataFrame({"y": [1, 2, 3] * 5, "x": range(15)}), "ordinal", "y ~ 0 + x",
     "has no intercept"),
    (pd.DataFrame({"y": [1, 2, 3] * 5, "x": range(15)}), "ordinal", "np.log(y) ~ x",
     "must be a column name"),
    (pd.DataFrame({"y": [1] * 15, "x": range(15)}), "ordinal", "y ~ x", "at least 2 levels"),
    (pd.DataFrame({"y": ["a", "b", "z"] * 5, "x": range(15)}), Ordinal(levels=["a", "b"]),
     "y ~ x", "not among the levels"),
])
def test_bad_input_is_refused(data, family, formula, match):
    with pytest.raises(DataError, match=match):
        mlefit.fit(formula, data, family)


def test_unknown_link_is_refused():
    with pytest.raises(DataError, match="not a cumulative link"):
        Ordinal(link="identity")
    data = pd.DataFrame({"y": [1, 2, 3] * 5, "x": range(15)})
    with pytest.raises(DataError, match=r"mlefit_families.ordinal.Ordinal\(link='probit'\)"):
        mlefit.fit("y ~ x", data, "ordinal", link="probit")


def test_dask_frame_gives_the_in_memory_fit(wine):
    """On a Dask frame the levels are the union over the partitions (the first partition
    here has no rating 5) and the fit is the in-memory one (to rounding)."""
    dd = pytest.importorskip("dask.dataframe")
    ordered = wine.sort_values("response").reset_index(drop=True)
    ddf = dd.from_pandas(ordered, npartitions=3, sort=False)
    first = ddf.partitions[0].compute()["rating"]
    assert 5 not in set(first[first.notna()].astype(int))
    lazy = mlefit.fit("rating ~ temp + contact", ddf, "ordinal")
    eager = mlefit.fit("rating ~ temp + contact", ordered, "ordinal")
    assert lazy.family.levels == eager.family.levels == (1, 2, 3, 4, 5)
    np.testing.assert_allclose(lazy.params.to_numpy(), eager.params.to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(lazy.bse.to_numpy(), eager.bse.to_numpy(), rtol=1e-8)
    assert lazy.llf == pytest.approx(eager.llf, rel=1e-12)
    new = pd.DataFrame({"temp": ["warm"], "contact": ["no"]})
    np.testing.assert_allclose(lazy.predict(new, which="prob").to_numpy(),
                               eager.predict(new, which="prob").to_numpy(), rtol=1e-9)


def test_bound_family_pickles(wine):
    res = mlefit.fit("rating ~ temp + contact", wine, Ordinal(link="probit"))
    again = pickle.loads(pickle.dumps(res.family))
    assert isinstance(again, BoundOrdinal)
    assert again.levels == res.family.levels and again.link == "probit"
    assert again.parameter_names == res.family.parameter_names
    y = res._context.frame.y
    theta = {p: res.predict(which=p).to_numpy() for p in res.family.parameter_names}
    np.testing.assert_array_equal(again.logpdf(y, **theta), res.family.logpdf(y, **theta))


def test_fit_arrays_matches_fit(wine):
    by_formula = mlefit.fit("rating ~ temp + contact", wine, "ordinal")
    X = by_formula._context.frame.designs["location"].X
    by_arrays = mlefit.fit_arrays(wine["rating"], X, "ordinal",
                                  names={"location": ["warm", "yes"]})
    np.testing.assert_allclose(by_arrays.params.to_numpy(), by_formula.params.to_numpy(),
                               rtol=1e-10)
    assert by_arrays.params.index[2] == ("cut1", "1|2")


def test_conformance_kit():
    from mlefit.testing import check_family

    check_family("ordinal")
    check_family(BoundOrdinal(("a", "b", "c", "d", "e"), "cloglog"))
