"""Firth's penalised likelihood (``fit(..., penalty="firth")``), against oracles that are
not mlefit:

* closed forms: a 2x2 table with a zero cell (the estimate of the log odds ratio is the
  log odds ratio with 1/2 added to every cell) and the log-linear poisson on a factor
  (each group's rate is ``(sum y + 1/2) / n_g``: the modified score of an intercept per
  group is ``sum (y - mu) + 1/2`` because the leverages of a group sum to 1);
* R's logistf on Heinze and Schemper's endometrial data (coefficients and penalised
  profile-likelihood intervals as printed by logistf, recorded in the test suite of the
  Python package firthlogist, jzluo/firthlogist ``tests/test_firthlogist.py``);
* numpy of the definitions: the modified score ``X'(y - mu + h (1/2 - mu))`` is 0 at the
  estimate, ``llf`` is ``l + 1/2 log det(X' W X)``, the covariance is ``(X' W X)^-1``.
"""

import warnings

import numpy as np
import pandas as pd
import pytest

import mlefit
from mlefit.errors import ConvergenceWarning, DataError


def test_two_by_two_with_a_zero_cell_is_the_half_corrected_odds_ratio():
    # x = 0: 10 successes, 5 failures; x = 1: 8 successes, 0 failures (the ML log odds
    # ratio is infinite)
    grouped = pd.DataFrame({"s": [10.0, 8.0], "f": [5.0, 0.0], "x": [0.0, 1.0]})
    res = mlefit.fit("s + f ~ x", grouped, family="binomial", penalty="firth")
    log_or = np.log((8.5 / 0.5) / (10.5 / 5.5))
    # the penalised score equations are solved to a step of 1e-10: rtol 1e-9
    assert res.params[("mu", "x")] == pytest.approx(log_or, rel=1e-9)
    assert res.params[("mu", "Intercept")] == pytest.approx(np.log(10.5 / 5.5), rel=1e-9)
    rows = pd.DataFrame({"y": [1.0] * 10 + [0.0] * 5 + [1.0] * 8,
                         "x": [0.0] * 15 + [1.0] * 8})
    bern = mlefit.fit("y ~ x", rows, family="binomial", penalty="firth")
    np.testing.assert_allclose(bern.coef, res.coef, rtol=1e-9)


def test_poisson_log_per_group_rate_is_sum_plus_a_half():
    y = np.array([0.0, 0, 0, 0, 3, 1, 4, 2, 0])
    g = np.array(["a"] * 4 + ["b"] * 5)
    res = mlefit.fit("y ~ 0 + g", pd.DataFrame({"y": y, "g": g}), family="poisson",
                     penalty="firth")
    want = [np.log(0.5 / 4), np.log(10.5 / 5)]        # group a has no events: ML is -inf
    np.testing.assert_allclose(res.coef, want, rtol=1e-9)
    one = mlefit.fit("y ~ 1", pd.DataFrame({"y": y}), family="poisson", penalty="firth")
    assert one.coef[0] == pytest.approx(np.log(y.mean() + 1 / (2 * len(y))), rel=1e-10)


@pytest.fixture(scope="module")
def endometrial(data_dir):
    return pd.read_csv(data_dir / "endometrial.csv")


@pytest.fixture(scope="module")
def firth_fit(endometrial):
    return mlefit.fit("HG ~ NV + PI + EH", endometrial, family="binomial", penalty="firth")


def test_endometrial_matches_logistf(firth_fit):
    # logistf stops when coefficients move by less than 1e-5 (its xconv), so its printed
    # values are ~1e-7 relative from the maximum: rtol 1e-6
    np.testing.assert_allclose(firth_fit.coef, [3.77455951, 2.92927330, -0.03475175,
                                                -2.60416387], rtol=1e-6)
    ci = firth_fit.conf_int(method="profile")
    logistf = [[1.0825371, 7.20928050], [0.6097244, 7.85463171],
               [-0.1244587, 0.04045547], [-4.3651832, -1.23272106]]
    # printed to 7-9 digits; the bounds are found to 1e-10
    np.testing.assert_allclose(ci.to_numpy(), logistf, rtol=1e-6)


def test_endometrial_against_the_definitions(firth_fit, endometrial):
    X = np.column_stack([np.ones(len(endometrial)),
                         endometrial[["NV", "PI", "EH"]].to_numpy(float)])
    y = endometrial["HG"].to_numpy(float)
    mu = 1 / (1 + np.exp(-X @ firth_fit.coef))
    W = mu * (1 - mu)
    info = X.T @ (W[:, None] * X)
    h = W * np.einsum("ij,jk,ik->i", X, np.linalg.inv(info), X)
    score = X.T @ (y - mu + h * (0.5 - mu))
    assert np.max(np.abs(score)) < 1e-8
    llf = np.sum(y * np.log(mu) + (1 - y) * np.log1p(-mu))
    assert firth_fit.llf == pytest.approx(llf + 0.5 * np.linalg.slogdet(info)[1], rel=1e-12)
    np.testing.assert_allclose(firth_fit.cov, np.linalg.inv(info), rtol=1e-8)


def test_separation_warning_names_firth_and_firth_is_finite(endometrial):
    with pytest.warns(ConvergenceWarning, match='penalty="firth"'):
        mlefit.fit("HG ~ NV + PI + EH", endometrial, family="binomial")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = mlefit.fit("HG ~ NV + PI + EH", endometrial, family="binomial",
                         penalty="firth")
    assert res.converged and np.all(np.isfinite(res.bse))


@pytest.mark.parametrize("kwargs, match", [
    ({"family": "gaussian"}, "canonical links only"),
    ({"family": "binomial", "link": "probit"}, "canonical links only"),
    ({"family": "negative_binomial"}, "canonical links only"),
    ({"family": "binomial", "penalty": "ridge"}, "not None or 'firth'"),
    ({"family": "binomial", "method": "bfgs"}, "own maximiser"),
    ({"family": "binomial", "cov_type": "HC0"}, "sandwich of the unpenalised scores"),
    ({"family": "binomial", "cov_type": "cluster", "groups": "NV"}, "sandwich"),
])
def test_refusals(endometrial, kwargs, match):
    kwargs = {"penalty": "firth", **kwargs}
    with pytest.raises(DataError, match=match):
        mlefit.fit("HG ~ NV + PI + EH", endometrial, **kwargs)


def _penalised_numpy(X, y, beta):
    """l + 1/2 log det(X' W X) of the logistic model, in numpy."""
    eta = X @ beta
    mu = 1 / (1 + np.exp(-eta))
    W = mu * (1 - mu)
    llf = np.sum(y * eta - np.logaddexp(0.0, eta))
    return llf + 0.5 * np.linalg.slogdet(X.T @ (W[:, None] * X))[1]


def test_penalised_matches_a_direct_constrained_maximum(firth_fit, endometrial):
    """Oracle: scipy's BFGS on numpy's penalised log-likelihood with NV held, the
    penalty on the full design (logistf's profile)."""
    from scipy import optimize

    X = np.column_stack([np.ones(len(endometrial)),
                         endometrial[["NV", "PI", "EH"]].to_numpy(float)])
    y = endometrial["HG"].to_numpy(float)
    prof = firth_fit.profile("NV", values=[1.0, 5.0])
    assert prof.attrs["llf_max"] == pytest.approx(firth_fit.llf, rel=1e-12)
    for value in (1.0, 5.0):
        def neg(free, value=value):
            return -_penalised_numpy(X, y, np.insert(free, 1, value))
        best = optimize.minimize(neg, np.delete(firth_fit.coef, 1), method="BFGS",
                                 options={"gtol": 1e-9})
        got = prof.loc[prof["value"] == value, "llf"].item()
        # BFGS to a gradient of 1e-9 on a smooth, concave surface: the maxima agree to
        # far below 1e-8 absolute
        assert got == pytest.approx(-best.fun, abs=1e-8)
    # the interval's ends are where the signed root is -+ the normal quantile
    lo, hi = firth_fit.conf_int(method="profile", terms="NV").to_numpy()[0]
    ends = firth_fit.profile("NV", values=[lo, hi])
    z = 1.959963984540054
    np.testing.assert_allclose(ends.set_index("value").loc[[lo, hi], "signed_root"], [-z, z],
                               rtol=1e-7)


def _nested_numpy(Xs, Xl, y, g):
    """l(X_s g) + 1/2 log det(X_l' W X_l): the smaller model under the larger penalty."""
    eta = Xs @ g
    mu = 1 / (1 + np.exp(-eta))
    W = mu * (1 - mu)
    return np.sum(y * eta - np.logaddexp(0.0, eta)) + \
        0.5 * np.linalg.slogdet(Xl.T @ (W[:, None] * Xl))[1]


def test_lrtest_between_firth_fits_uses_logistfs_nested_rule(endometrial, firth_fit):
    """Oracles: scipy's BFGS on numpy's penalised log-likelihood of the smaller model under
    the larger model's penalty; and, for one dropped term, the penalised profile at 0
    (logistf's anova(nested) and its profile test are the same statistic)."""
    from scipy import optimize

    small = mlefit.fit("HG ~ PI + EH", endometrial, family="binomial", penalty="firth")
    Xl = np.column_stack([np.ones(len(endometrial)),
                          endometrial[["NV", "PI", "EH"]].to_numpy(float)])
    Xs = Xl[:, [0, 2, 3]]
    y = endometrial["HG"].to_numpy(float)
    assert small.llf == pytest.approx(_penalised_numpy(Xs, y, small.coef), rel=1e-12)
    best = optimize.minimize(lambda g: -_nested_numpy(Xs, Xl, y, g), small.coef,
                             method="BFGS", options={"gtol": 1e-9})
    test = mlefit.lrtest(small, firth_fit)
    # both maxima to ~1e-12 absolute (a smooth concave surface): 1e-8 on the statistic
    assert test.statistic == pytest.approx(2 * (firth_fit.llf + best.fun), abs=1e-8)
    prof = firth_fit.profile("NV", values=[0.0])
    at_zero = prof.loc[prof["value"] == 0.0, "signed_root"].item()
    assert test.statistic == pytest.approx(at_zero ** 2, rel=1e-7)
    assert test.statistic != pytest.approx(2 * (firth_fit.llf - small.llf), rel=1e-3)
    assert "nested rule" in test.notes[0]


def test_comparisons_that_mix_or_misuse_firth_fits_are_refused(endometrial, firth_fit):
    small = mlefit.fit("HG ~ PI + EH", endometrial, family="binomial", penalty="firth")
    ml = mlefit.fit("HG ~ PI + EH", endometrial, family="binomial")
    with pytest.raises(mlefit.ComparisonError, match="same penalty"):
        mlefit.lrtest(ml, firth_fit)
    with pytest.raises(mlefit.ComparisonError, match="unpenalised score"):
        mlefit.score_test(small, firth_fit)
    with pytest.raises(DataError, match="bootstrap"):
        mlefit.lrtest(small, firth_fit, bootstrap=9, seed=1)


def test_refits_of_a_firth_fit_are_penalised(firth_fit):
    """The parametric bootstrap and simulation envelopes refit through ``refit``: on the
    fit's own response it returns the penalised estimate."""
    from mlefit.inference.resampling import refit

    sol = refit(firth_fit, firth_fit._context.objective.y)
    np.testing.assert_allclose(sol.beta, firth_fit.coef, rtol=1e-8)


def test_frequency_weights_are_copies_of_rows(endometrial):
    """A row of weight 2 is two rows: the penalty's leverages count both copies."""
    w = 1.0 + (np.arange(len(endometrial)) % 2)
    weighted = mlefit.fit("HG ~ NV + PI + EH", endometrial.assign(w=w), family="binomial",
                          weights="w", penalty="firth")
    copies = pd.concat([endometrial, endometrial[w == 2]], ignore_index=True)
    expanded = mlefit.fit("HG ~ NV + PI + EH", copies, family="binomial", penalty="firth")
    np.testing.assert_allclose(weighted.coef, expanded.coef, rtol=1e-9)
    assert weighted.llf == pytest.approx(expanded.llf, rel=1e-11)


def test_poisson_offset_enters_the_rate():
    """Exposure t: each group's rate is (sum y + 1/2) / sum t (the same modified score)."""
    data = pd.DataFrame({"y": [0.0, 0, 2, 5, 1], "t": [2.0, 3, 1, 4, 2],
                         "g": ["a", "a", "b", "b", "b"]})
    res = mlefit.fit("y ~ 0 + g", data, family="poisson", exposure="t", penalty="firth")
    np.testing.assert_allclose(res.coef, [np.log(0.5 / 5), np.log(8.5 / 7)], rtol=1e-9)


def test_a_dask_frame_is_refused(endometrial):
    dd = pytest.importorskip("dask.dataframe")
    with pytest.raises(DataError, match="rows in memory"):
        mlefit.fit("HG ~ NV", dd.from_pandas(endometrial, npartitions=2), family="binomial",
                   penalty="firth")


def test_summary_says_the_likelihood_is_penalised(firth_fit):
    text = firth_fit.summary()
    assert "Penalty: Firth (Jeffreys prior)" in text
    assert f"Log-likelihood: {firth_fit.llf:.8g}" in text
