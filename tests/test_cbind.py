"""R's two-column binomial response ``cbind(successes, failures) ~ x`` (mlefit.cbind).

Oracles: R's glm on star98 (``cbind(NABOVE, NBELOW)``, the results statsmodels ships in
statsmodels/genmod/tests/results/results_glm.py, class Star98), Bliss's beetle mortality
data with the estimates published by Dobson (printed by glmlab), statsmodels' GLM
Binomial with a two-column endog, and formulaic's own multi-column ``s + f ~ x``. Misuse
(and code in a cbind argument under safe formulas): tests/adversarial/test_cbind_misuse.py.
"""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import mlefit
from mlefit.cbind import arguments, is_cbind, rewrite


@pytest.fixture(scope="module")
def star98():
    return sm.datasets.star98.load_pandas().data


def _star98_formula(data, lhs):
    return f"{lhs} ~ " + " + ".join(c for c in data.columns if c not in ("NABOVE", "NBELOW"))


# R's glm(cbind(NABOVE, NBELOW) ~ ., binomial, star98), as statsmodels ships it (the
# intercept last, as statsmodels' add_constant(prepend=False) put it)
R_PARAMS = np.array([
    -0.0168150366, 0.0099254766, -0.0187242148, -0.0142385609, 0.2544871730, 0.2406936644,
    0.0804086739, -1.9521605027, -0.3340864748, -0.1690221685, 0.0049167021, -0.0035799644,
    -0.0140765648, -0.0040049918, -0.0039063958, 0.0917143006, 0.0489898381, 0.0080407389,
    0.0002220095, -0.0022492486, 2.9588779262])
R_BSE = np.array([
    4.339467e-04, 6.013714e-04, 7.435499e-04, 4.338655e-04, 2.994576e-02, 5.713824e-02,
    1.392359e-02, 3.168109e-01, 6.126411e-02, 3.270139e-02, 1.253877e-03, 2.254633e-04,
    1.904573e-03, 4.739838e-04, 9.623650e-04, 1.450923e-02, 7.451666e-03, 1.499497e-03,
    2.988794e-05, 3.489838e-04, 1.546712e+00])


@pytest.mark.parametrize("safe", [False, True])
def test_star98_equals_r(star98, safe):
    """Before: 'column(s) ['cbind'] not in the data'. After: R's estimates to their 10
    printed decimals (the rounding of the print, 5e-11, plus 1e-9 relative for the two
    fits' convergence), SEs to their 7 significant digits (rtol 2e-6), R's logLik, AIC
    and deviance to 1e-10."""
    res = mlefit.fit(_star98_formula(star98, "cbind(NABOVE, NBELOW)"), star98, "binomial",
                     safe_formulas=safe)
    params = res.params["mu"].to_numpy()
    bse = res.bse["mu"].to_numpy()
    mine = np.r_[params[1:], params[0]]
    np.testing.assert_allclose(mine, R_PARAMS, rtol=1e-9, atol=5e-11)
    np.testing.assert_allclose(np.r_[bse[1:], bse[0]], R_BSE, rtol=2e-6)
    np.testing.assert_allclose(res.llf, -2998.61255899391, rtol=1e-10)
    np.testing.assert_allclose(res.aic, 6039.22511799, rtol=1e-10)
    np.testing.assert_allclose(res.deviance, 4078.76541772, rtol=1e-10)
    assert res._context.frame.response == ("NABOVE", "NBELOW")


def test_star98_equals_the_sum_form_and_statsmodels(star98):
    a = mlefit.fit(_star98_formula(star98, "cbind(NABOVE, NBELOW)"), star98, "binomial")
    b = mlefit.fit(_star98_formula(star98, "NABOVE + NBELOW"), star98, "binomial")
    np.testing.assert_array_equal(a.params.to_numpy(), b.params.to_numpy())
    np.testing.assert_array_equal(a._context.frame.y, b._context.frame.y)
    X = sm.add_constant(star98.drop(columns=["NABOVE", "NBELOW"]))
    glm = sm.GLM(star98[["NABOVE", "NBELOW"]], X, family=sm.families.Binomial()).fit(
        tol=1e-13)
    np.testing.assert_allclose(a.params.to_numpy(), glm.params.to_numpy(), rtol=1e-8)
    np.testing.assert_allclose(a.llf, glm.llf, rtol=1e-12)


def test_expressions_and_names_as_r_writes_them():
    """Bliss's beetles (Dobson, An Introduction to GLMs): glm(cbind(killed, n - killed)
    ~ dose, binomial) gives -60.717455 (5.180701) and 34.270326 (2.912134), deviance
    11.232231 (glmlab's print, agreeing with Dobson). The estimates and deviance agree to
    their 8 printed digits; the SEs to 3e-6 (glmlab prints the SEs of its previous
    iterate's weights). The page's table shows 60 killed at 1.8610 where Bliss and
    Dobson have 61: its estimates are those of 61 (60 moves them by 2%)."""
    beetles = pd.DataFrame({
        "dose": [1.6907, 1.7242, 1.7552, 1.7842, 1.8113, 1.8369, 1.8610, 1.8839],
        "n": [59, 60, 62, 56, 63, 59, 62, 60], "killed": [6, 13, 18, 28, 52, 53, 61, 60]})
    res = mlefit.fit("cbind(killed, n - killed) ~ dose", beetles, "binomial")
    np.testing.assert_allclose(res.params.to_numpy(), [-60.717455, 34.270326], rtol=2e-8)
    np.testing.assert_allclose(res.bse.to_numpy(), [5.180701, 2.912134], rtol=3e-6)
    np.testing.assert_allclose(res.deviance, 11.232231, rtol=2e-8)
    named = mlefit.fit("cbind(dead = killed, alive = n - killed) ~ dose", beetles,
                       "binomial", safe_formulas=True)
    np.testing.assert_array_equal(named.params.to_numpy(), res.params.to_numpy())
    assert res._context.frame.response == ("killed", "I(n - killed)")
    new = pd.DataFrame({"dose": [1.75, 1.8]})
    np.testing.assert_allclose(res.predict(newdata=new),
                               1 / (1 + np.exp(-(res.params.iloc[0]
                                                 + res.params.iloc[1] * new.dose))),
                               rtol=1e-12)


def test_dask_path_reads_cbind(star98):
    dd = pytest.importorskip("dask.dataframe")
    formula = "cbind(NABOVE, NBELOW) ~ LOWINC + PERASIAN + PERBLACK"
    a = mlefit.fit(formula, star98, "binomial")
    b = mlefit.fit(formula, dd.from_pandas(star98, npartitions=3), "binomial")
    np.testing.assert_allclose(b.params.to_numpy(), a.params.to_numpy(), rtol=1e-9)


def test_rewrite():
    assert rewrite("cbind(s, f) ~ x") == "s + f ~ x"
    assert rewrite(" cbind( s , n - s ) ~ x + y") == "s + I(n - s) ~ x + y"
    assert rewrite("cbind(num.dead, `num alive`, Q('a b')) ~ x") == \
        "num.dead + `num alive` + Q('a b') ~ x"
    assert rewrite("cbind(dead = k, alive = np.power(k, 2)) ~ x") == \
        "k + I(np.power(k, 2)) ~ x"
    assert rewrite("cbind(k == 1, k != 1) ~ x") == "I(k == 1) + I(k != 1) ~ x"
    assert rewrite("s + f ~ cbind") == "s + f ~ cbind"     # not a cbind response
    assert rewrite("~ x") == "~ x"
    assert arguments("cbind(a, np.power(b, c)) ~ x") == ["a", "np.power(b, c)"]
    assert arguments("y ~ x") is None
    assert is_cbind("cbind(a, b) ~ x") and not is_cbind("a + b ~ x")
