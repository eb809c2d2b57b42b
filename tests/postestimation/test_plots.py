"""Diagnostic and profile plots render (Agg backend) with the expected axes."""

import numpy as np
import pytest

import mlefit
from mlefit.postestimation.plots import leverage

matplotlib = pytest.importorskip("matplotlib")   # the plot extra
matplotlib.use("Agg")


@pytest.fixture(scope="module")
def res(heart):
    return mlefit.fit("thalach ~ age + exang + oldpeak", heart, "gaussian")


def test_diagnostics_have_four_labelled_panels(res):
    fig = res.plot_diagnostics(nsim=9, seed=1)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["Residuals vs fitted", "Normal QQ of randomized quantile residuals",
                      "Scale-location", "Residuals vs leverage"]
    qq = fig.axes[1]
    assert len(qq.collections) >= 2  # points and the simulation envelope
    assert qq.get_xlabel() == "normal quantiles"


def test_leverage_is_the_hat_matrix_diagonal(res, heart):
    X = np.column_stack([np.ones(len(heart)), heart[["age", "exang", "oldpeak"]]])
    hat = np.einsum("ij,jk,ik->i", X, np.linalg.inv(X.T @ X), X)
    np.testing.assert_allclose(leverage(res), hat, rtol=1e-9)


def test_profile_plot_marks_the_interval(res):
    fig = res.plot_profile("age")
    ax = fig.axes[0]
    ci = res.conf_int(method="profile", terms=["age"]).iloc[0]
    verticals = [line.get_xdata()[0] for line in ax.lines[1:] if
                 np.ptp(line.get_xdata()) == 0]
    np.testing.assert_allclose(sorted(verticals), [ci["lower"], ci["upper"]], rtol=1e-12)
    assert "Profile of age" in ax.get_title()


def test_discrete_family_diagnostics(heart):
    data = heart.assign(high=(heart["num"] > 0).astype(float))
    res = mlefit.fit("high ~ age + thalach", data, "binomial")
    fig = res.plot_diagnostics(nsim=5, seed=2)
    assert len(fig.axes) == 4


def test_leverage_ignores_a_sandwich_covariance(heart):
    """The hat values come from X' W X, not from res.cov: under HC0 (and a cluster
    covariance) res.cov is the sandwich, and the old code (w W x' cov x) gave other
    numbers. Oracle: statsmodels' GLM hat_matrix_diag (the same X' W X inverse; both solve
    the same IRLS fixed point, so they agree to the fit's convergence, 1e-8)."""
    import statsmodels.api as sm

    data = heart.assign(high=(heart["num"] > 0).astype(float))
    res = mlefit.fit("high ~ age + thalach + oldpeak", data, "binomial", cov_type="HC0")
    h = leverage(res)
    np.testing.assert_allclose(h, res.influence()["hat"].to_numpy(), rtol=1e-12)
    X = sm.add_constant(data[["age", "thalach", "oldpeak"]].to_numpy())
    sm_fit = sm.GLM(data["high"].to_numpy(), X, family=sm.families.Binomial()).fit(tol=1e-12)
    np.testing.assert_allclose(h, sm_fit.get_influence().hat_matrix_diag, rtol=1e-8)
    # the sandwich is not the inverse information here, so the old formula differed
    assert not np.allclose(res.cov, mlefit.fit("high ~ age + thalach + oldpeak", data,
                                               "binomial").cov, rtol=1e-3)
    clustered = mlefit.fit("high ~ age + thalach + oldpeak", data, "binomial",
                           cov_type="cluster", groups=data["sex"])
    np.testing.assert_allclose(leverage(clustered), h, rtol=1e-12)
