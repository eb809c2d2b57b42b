"""Marginal effects against statsmodels' get_margeff, closed forms, and a simulation of the
delta method's standard errors."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

import mlefit
from mlefit import DataError

COLUMNS = ["term", "contrast", "estimate", "std_error", "statistic", "p_value", "conf_low",
           "conf_high"]


@pytest.fixture(scope="module")
def sim():
    """Continuous x1, x2 (not integer-valued, so statsmodels' count=True leaves them as
    derivatives) and a 0/1 d, with a binary and a count response."""
    rng = np.random.default_rng(5)
    n = 400
    d = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.uniform(-1, 2, size=n),
                      "d": (rng.random(n) < 0.4).astype(float)})
    eta = -0.3 + 0.8 * d.x1 - 0.5 * d.x2 + 0.7 * d.d
    d["y"] = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float)
    d["c"] = rng.poisson(np.exp(0.2 + 0.3 * d.x1 - 0.2 * d.x2 + 0.4 * d.d)).astype(float)
    d["g"] = pd.Categorical(rng.choice(["a", "b", "c"], size=n))
    return d


CASES = [("binomial", "logit", sm.Logit, "y"), ("binomial", "probit", sm.Probit, "y"),
         ("poisson", "log", sm.Poisson, "c")]


@pytest.mark.parametrize("family,link,model,y", CASES)
@pytest.mark.parametrize("cov_type", ["observed", "HC0"])
@pytest.mark.parametrize("at", ["overall", "mean"])
def test_agrees_with_statsmodels_get_margeff(sim, family, link, model, y, cov_type, at):
    """AME (at="overall") and effects at the means: derivatives of x1 and x2, the discrete
    change of d. Measured agreement: estimates 4e-9, SEs 1.2e-8 (relative). The central
    difference's step (1e-4 of the range) leaves a truncation error ~ (h^2 / 24) f''' /
    f' ~ 1e-8; statsmodels' SEs differentiate its effects numerically too. Hence rtol 1e-7
    and 1e-6."""
    res = mlefit.fit(f"{y} ~ x1 + x2 + d", sim, family=family, link=link, cov_type=cov_type)
    X = sm.add_constant(sim[["x1", "x2", "d"]])
    fit = model(sim[y], X).fit(disp=0, tol=1e-12,
                               cov_type="nonrobust" if cov_type == "observed" else "HC0")
    ours = res.marginal_effects(at="average" if at == "overall" else "mean")
    theirs = fit.get_margeff(at=at, dummy=True, count=True).summary_frame()
    assert list(ours.columns) == COLUMNS
    assert ours["term"].tolist() == ["x1", "x2", "d"]
    assert ours["contrast"].tolist() == ["dY/dX", "dY/dX", "1 - 0"]
    np.testing.assert_allclose(ours["estimate"], theirs.iloc[:, 0], rtol=1e-7)
    np.testing.assert_allclose(ours["std_error"], theirs.iloc[:, 1], rtol=1e-6)
    np.testing.assert_allclose(ours["p_value"], theirs.iloc[:, 3], rtol=1e-5, atol=1e-12)
    np.testing.assert_allclose(ours["conf_low"], theirs.iloc[:, 4], rtol=1e-6)


def test_at_mean_differs_from_statsmodels_for_a_factor_by_design(sim):
    """statsmodels' at="mean" sets every dummy column of a factor to its mean (a row that
    is a mix of levels); ours takes the typical row: numeric columns at their means, the
    factor at its most frequent level (marginaleffects' datagrid()). Given that row
    (atexog), statsmodels agrees with us."""
    res = mlefit.fit("y ~ x1 + x2 + g", sim, family="binomial")
    X = sm.add_constant(pd.get_dummies(sim[["x1", "x2", "g"]], drop_first=True,
                                       dtype=float))
    fit = sm.Logit(sim["y"], X).fit(disp=0, tol=1e-12)
    ours = res.marginal_effects(variables=["x1", "x2"], at="mean")
    mean_row = fit.get_margeff(at="mean").summary_frame().iloc[:2, 0].to_numpy()
    assert np.abs(ours["estimate"].to_numpy() / mean_row - 1).max() > 1e-3
    mode = sim["g"].mode().iloc[0]
    atexog = {3: float(mode == "b"), 4: float(mode == "c")}   # exog positions of g[T.b], g[T.c]
    typical = fit.get_margeff(at="mean", atexog=atexog).summary_frame().iloc[:2]
    np.testing.assert_allclose(ours["estimate"], typical.iloc[:, 0], rtol=1e-7)
    np.testing.assert_allclose(ours["std_error"], typical.iloc[:, 1], rtol=1e-6)


def _logit_probs(X, beta):
    return 1 / (1 + np.exp(-(X @ beta)))


def test_factor_levels_against_the_reference_and_pairwise(sim):
    """Each level against the first: mean P(g = L) - mean P(g = a) computed from
    statsmodels' predictions on the changed data; pairwise contrasts are differences of
    those, with the variance a' V a of the reference contrasts' covariance."""
    res = mlefit.fit("y ~ x1 + g", sim, family="binomial")
    X = sm.add_constant(pd.get_dummies(sim[["x1", "g"]], drop_first=True, dtype=float))
    fit = sm.Logit(sim["y"], X).fit(disp=0, tol=1e-12)
    ref = res.marginal_effects(variables="g")
    assert ref["contrast"].tolist() == ["b - a", "c - a"]
    levels = {}
    for level in "abc":
        Z = X.copy()
        Z["g_b"], Z["g_c"] = float(level == "b"), float(level == "c")
        levels[level] = fit.predict(Z).mean()
    np.testing.assert_allclose(ref["estimate"], [levels["b"] - levels["a"],
                                                 levels["c"] - levels["a"]], rtol=1e-9)
    pairs = res.marginal_effects(variables="g", contrast="pairwise")
    assert pairs["contrast"].tolist() == ["b - a", "c - a", "c - b"]
    np.testing.assert_allclose(pairs["estimate"].iloc[2], levels["c"] - levels["b"], rtol=1e-9)
    a = np.array([-1.0, 1.0])
    V = ref.attrs["vcov"]
    np.testing.assert_allclose(pairs["std_error"].iloc[2], np.sqrt(a @ V @ a), rtol=1e-10)


def test_a_variable_in_several_terms_is_one_variable(heart):
    """age + I(age**2) with the identity link: d mu / d age = b1 + 2 b2 age, so the AME is
    b1 + 2 b2 mean(age) with gradient (0, 1, 2 mean(age)): exact (the central difference
    of a quadratic has no truncation error)."""
    res = mlefit.fit("thalach ~ age + I(age**2) + oldpeak", heart, family="gaussian")
    ours = res.marginal_effects(variables="age")
    b = res.params["mu"]
    m = heart["age"].mean()
    assert ours["estimate"].iloc[0] == pytest.approx(b["age"] + 2 * b["I(age ** 2)"] * m,
                                                     rel=1e-9)
    g = np.array([0.0, 1.0, 2 * m, 0.0])
    C = res.cov_params().loc["mu", "mu"].to_numpy()
    assert ours["std_error"].iloc[0] == pytest.approx(np.sqrt(g @ C @ g), rel=1e-7)


def test_effects_on_sigma_of_a_distributional_model(heart):
    """sigma = exp(c0 + c1 age): d sigma / d age = c1 sigma, averaged; gradient
    mean(sigma (c1 x + e_age)) in (c0, c1). The derivative is on the fitted sigma, the
    central difference's truncation (h^2 / 24) c1^3 is ~1e-14 relative."""
    res = mlefit.fit("thalach ~ age + exang", heart, family="gaussian", sigma="~ age")
    ours = res.marginal_effects(parameter="sigma")
    assert ours["term"].tolist() == ["age"]
    c = res.params["sigma"].to_numpy()
    age = heart["age"].to_numpy()
    sigma = np.exp(c[0] + c[1] * age)
    grad = np.array([np.mean(c[1] * sigma), np.mean(sigma * (1 + c[1] * age))])
    C = res.cov_params().loc["sigma", "sigma"].to_numpy()
    assert ours["estimate"].iloc[0] == pytest.approx(np.mean(c[1] * sigma), rel=1e-8)
    assert ours["std_error"].iloc[0] == pytest.approx(np.sqrt(grad @ C @ grad), rel=1e-7)
    link = res.marginal_effects(parameter="sigma", type="link")
    assert link["estimate"].iloc[0] == pytest.approx(c[1], rel=1e-8)
    assert link["std_error"].iloc[0] == pytest.approx(res.bse[("sigma", "age")], rel=1e-8)


def test_gaussian_identity_effects_are_the_coefficients_with_t_tests(heart):
    """Under convention="R" the gaussian's tests are t on df_resid: the AME of a linear
    term is its coefficient, with its SE, t value, p-value and t interval."""
    res = mlefit.fit("thalach ~ age + oldpeak", heart, family="gaussian", convention="R")
    ours = res.marginal_effects()
    for i, term in enumerate(["age", "oldpeak"]):
        row = ours.iloc[i]
        assert row["estimate"] == pytest.approx(res.params[("mu", term)], rel=1e-9)
        assert row["std_error"] == pytest.approx(res.bse[("mu", term)], rel=1e-8)
        assert row["p_value"] == pytest.approx(res.pvalues[("mu", term)], rel=1e-6)
        q = stats.t(res.df_resid).ppf(0.975)
        assert row["conf_high"] == pytest.approx(row["estimate"] + q * row["std_error"])


def test_delta_method_se_against_simulation(sim):
    """Coefficients drawn from N(b, V): the standard deviation of the AME over 4000 draws
    estimates its SE with relative Monte Carlo error ~ 1/sqrt(2 * 4000) = 1.1%; the
    delta method is first order, exact up to O(1/n). Tolerance 5%."""
    res = mlefit.fit("y ~ x1 + x2", sim, family="binomial")
    ours = res.marginal_effects(variables="x1")
    rng = np.random.default_rng(11)
    draws = rng.multivariate_normal(res.coef, res.cov, size=4000)
    X = sm.add_constant(sim[["x1", "x2"]]).to_numpy()
    p = 1 / (1 + np.exp(-(X @ draws.T)))
    ame = (draws[:, 1] * (p * (1 - p)).mean(axis=0))
    assert ame.std(ddof=1) == pytest.approx(ours["std_error"].iloc[0], rel=0.05)


def test_at_values_and_newdata(sim):
    """A dict gives one effect per grid row (typical rows with those values); a DataFrame
    averages over its rows; for the logit, dP/dx1 = b1 p (1 - p) at each row."""
    res = mlefit.fit("y ~ x1 + x2 + d", sim, family="binomial")
    b = res.params["mu"].to_numpy()
    grid = res.marginal_effects(variables="x1", at={"x2": [0.0, 1.0], "d": 1.0})
    assert grid["x2"].tolist() == [0.0, 1.0] and grid["d"].tolist() == [1.0, 1.0]
    for x2, est in zip((0.0, 1.0), grid["estimate"], strict=True):
        p = _logit_probs(np.array([1, sim["x1"].mean(), x2, 1.0]), b)
        assert est == pytest.approx(b[1] * p * (1 - p), rel=1e-7)
    rows = sim.iloc[:50]
    avg = res.marginal_effects(variables="x1", at=rows)
    p = _logit_probs(sm.add_constant(rows[["x1", "x2", "d"]]).to_numpy(), b)
    assert avg["estimate"].iloc[0] == pytest.approx(np.mean(b[1] * p * (1 - p)), rel=1e-7)


def test_blocks_give_the_same_answer(sim, monkeypatch):
    """The blockwise accumulation does not depend on the block size (7-row blocks): only
    the order of the sums changes, rounding ~1e-16 of the level of P, which the central
    difference divides by its step h ~ 1e-4 range: a relative 1e-11 at most."""
    from mlefit.postestimation import reference_data

    res = mlefit.fit("y ~ x1 + g", sim, family="binomial")
    whole = res.marginal_effects()
    monkeypatch.setattr(reference_data, "blocks", lambda n, w: (slice(i, min(n, i + 7))
                                                                for i in range(0, n, 7)))
    from mlefit.postestimation import marginal_effects as me
    monkeypatch.setattr(me, "blocks", reference_data.blocks)
    pieces = res.marginal_effects()
    np.testing.assert_allclose(pieces["estimate"], whole["estimate"], rtol=1e-10)
    np.testing.assert_allclose(pieces["std_error"], whole["std_error"], rtol=1e-10)


def test_rows_dropped_for_missing_values_are_skipped(sim):
    data = sim.copy()
    data.loc[[3, 10], "x2"] = np.nan
    res = mlefit.fit("y ~ x1 + x2", data, family="binomial")
    clean = mlefit.fit("y ~ x1 + x2", data.dropna(), family="binomial")
    np.testing.assert_allclose(res.marginal_effects()["estimate"],
                               clean.marginal_effects()["estimate"], rtol=1e-12)


@pytest.mark.parametrize("kwargs,match", [
    ({"type": "odds"}, "type='odds'"),
    ({"contrast": "sequential"}, "contrast='sequential'"),
    ({"parameter": "sigma"}, "not a parameter of the 'binomial'"),
    ({"variables": "age"}, r"variables \['age'\]"),
    ({"at": "median"}, "at='median'"),
    ({"at": {"zz": 1}}, "at names"),
    ({"at": pd.DataFrame({"x1": [0.0]})}, r"lack the column\(s\) \['x2'\]"),
    ({"alpha": 2}, "alpha=2"),
])
def test_bad_arguments_are_refused(sim, kwargs, match):
    res = mlefit.fit("y ~ x1 + x2", sim, family="binomial")
    with pytest.raises(DataError, match=match):
        res.marginal_effects(**kwargs)


def test_fixed_parameter_and_removed_data_are_refused(sim):
    res = mlefit.fit("x1 ~ x2", sim, family="gaussian", fixed={"sigma": 1.0})
    with pytest.raises(DataError, match="fixed at 1"):
        res.marginal_effects(parameter="sigma")
    with pytest.raises(DataError, match="remove_data"):
        res.remove_data().marginal_effects()
    out = res.remove_data().marginal_effects(newdata=sim)
    np.testing.assert_allclose(out["estimate"], res.params[("mu", "x2")], rtol=1e-9)


def test_arrays_fit_is_refused_with_the_fix():
    rng = np.random.default_rng(0)
    res = mlefit.fit_arrays(rng.normal(size=50), np.ones((50, 1)))
    with pytest.raises(DataError, match="newdata"):
        res.marginal_effects()


def test_a_numeric_column_used_as_a_factor_is_held_at_its_mode(heart):
    """C(cp) of a float column: the typical row takes cp's most frequent level (4), not
    its mean (3.16, a level the fit never saw); dP/d age = b_age p (1 - p) there."""
    data = heart.assign(disease=(heart["num"] > 0).astype(int))
    res = mlefit.fit("disease ~ age + C(cp)", data, family="binomial")
    ours = res.marginal_effects(variables="age", at="mean")
    b = res.params["mu"]
    eta = b["Intercept"] + b["age"] * data["age"].mean() + b["C(cp)[T.4.0]"]
    p = 1 / (1 + np.exp(-eta))
    assert data["cp"].mode().iloc[0] == 4.0
    assert ours["estimate"].iloc[0] == pytest.approx(b["age"] * p * (1 - p), rel=1e-7)
    by_sex = res.marginal_effects(variables="age", at={"cp": [1.0, 4.0]})
    assert by_sex["cp"].tolist() == [1.0, 4.0]


def test_stata_margins_on_mtcars_with_an_interaction(data_dir):
    """Published Stata output (the R margins package's "Stata" vignette): ``reg mpg cyl
    c.hp##c.wt`` then ``margins, dydx(*)``: AMEs cyl -.3652391 (SE .5086204), hp
    -.0252715 (.0105097, interval -.0468357 to -.0037073), wt -3.837584 (.6730996); OLS
    covariance and t on n - k df, our convention="R". hp and wt enter two terms each.
    Stata prints 7 significant digits, or 6 after a leading zero (.0105097): rtol 2e-6 with
    atol 5e-8, half a unit of the last digit printed."""
    cars = pd.read_csv(data_dir / "mtcars.csv")
    res = mlefit.fit("mpg ~ cyl + hp * wt", cars, family="gaussian", convention="R")
    ours = res.marginal_effects()
    assert ours["term"].tolist() == ["cyl", "hp", "wt"]
    np.testing.assert_allclose(ours["estimate"], [-0.3652391, -0.0252715, -3.837584],
                               rtol=2e-6, atol=5e-8)
    np.testing.assert_allclose(ours["std_error"], [0.5086204, 0.0105097, 0.6730996],
                               rtol=2e-6, atol=5e-8)
    np.testing.assert_allclose(ours[["conf_low", "conf_high"]].iloc[1],
                               [-0.0468357, -0.0037073], rtol=2e-5)


def test_rebuilding_some_columns_equals_rebuilding_the_design(sim, monkeypatch):
    """The fast path (only the columns that read the variable rebuilt) against the whole
    design rebuilt at every point, on a model with a polynomial, an interaction and a
    factor: the same numbers to rounding (the products are summed in another order)."""
    from mlefit.postestimation import marginal_effects as me

    res = mlefit.fit("y ~ x1 + I(x1**2) + x2 * d + g", sim, family="binomial")
    fast = res.marginal_effects(contrast="pairwise")
    monkeypatch.setattr(me, "partial_design", lambda *args: None)
    slow = res.marginal_effects(contrast="pairwise")
    np.testing.assert_allclose(fast["estimate"], slow["estimate"], rtol=1e-9, atol=1e-13)
    np.testing.assert_allclose(fast["std_error"], slow["std_error"], rtol=1e-9)


def test_discrete_change_of_a_negative_binomial_theta(heart):
    """theta = exp(c0 + c1 sex): the change of theta from sex = 0 to 1 is exp(c0 + c1) -
    exp(c0) on every row, with gradient (exp(c0 + c1) - exp(c0), exp(c0 + c1))."""
    res = mlefit.fit("ca ~ age + sex", heart, family="negative_binomial", theta="~ sex")
    assert res.links["theta"].name == "log"
    ours = res.marginal_effects(parameter="theta")
    c0, c1 = res.params["theta"]
    grad = np.array([np.exp(c0 + c1) - np.exp(c0), np.exp(c0 + c1)])
    C = res.cov_params().loc["theta", "theta"].to_numpy()
    assert ours["contrast"].tolist() == ["1 - 0"]
    assert ours["estimate"].iloc[0] == pytest.approx(np.exp(c0 + c1) - np.exp(c0), rel=1e-12)
    assert ours["std_error"].iloc[0] == pytest.approx(np.sqrt(grad @ C @ grad), rel=1e-10)
