"""Diagnostic and profile plots (the optional extra ``plot``: matplotlib).

Each function returns the matplotlib Figure; nothing is shown or saved.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from ..errors import DataError
from ..inference.resampling import draws, make_rng, refit
from .influence import influence
from .residuals import quantile_residuals, residuals

__all__ = ["leverage", "plot_diagnostics", "plot_profile", "qq_envelope"]


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise DataError("plots need matplotlib. Fix: pip install 'mlefit[plot]'.") from exc
    return plt


def leverage(res) -> np.ndarray:
    """The hat values of :func:`mlefit.postestimation.influence.influence` (R's
    ``hatvalues`` for a GLM, the generalized leverage otherwise), NaN on rows not used.

    They come from the information (``X' W X``), never from ``res.cov``: under a sandwich
    or cluster covariance ``res.cov`` is not the inverse information."""
    return influence(res)["hat"].to_numpy()


def qq_envelope(res, nsim: int, seed) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise 2.5% and 97.5% bands of the sorted quantile residuals of ``nsim``
    responses simulated from the fit and refitted (the parametric-bootstrap envelope)."""
    rng = make_rng(seed)
    obj = res._context.objective
    sims = draws(res, nsim, rng)
    sorted_r = []
    for y in sims:
        sol = refit(res, y)
        thetas = obj.thetas(obj.etas(sol.beta))
        sorted_r.append(np.sort(quantile_residuals(res.family, y, thetas, rng)))
    band = np.percentile(np.array(sorted_r), [2.5, 97.5], axis=0)
    return band[0], band[1]


def plot_diagnostics(res, nsim: int = 39, seed=None):
    """Residuals vs fitted, QQ of quantile residuals with a simulation envelope,
    scale-location, and residuals vs leverage."""
    plt = _pyplot()
    fig, axes = plt.subplots(2, 2, figsize=(9, 8))
    first = res.family.parameters[0].name
    which = "mean" if res.family.has("mean") else first
    fitted = res.predict(which=which).to_numpy()
    xlabel = "fitted mean" if which == "mean" else f"fitted {first}"
    kind = "deviance" if res.family.has("unit_deviance") else "quantile"
    r = residuals(res, kind, seed=seed).to_numpy()
    q = residuals(res, "quantile", seed=seed).to_numpy()
    ax = axes[0, 0]
    ax.scatter(fitted, r, s=8, alpha=0.6)
    ax.axhline(0, color="grey", lw=1)
    ax.set(xlabel=xlabel, ylabel=f"{kind} residual", title="Residuals vs fitted")
    ax = axes[0, 1]
    used = np.sort(q[res._context.rows])
    theo = stats.norm.ppf((np.arange(1, used.size + 1) - 0.5) / used.size)
    ax.scatter(theo, used, s=8)
    if res.family.has("sample") and nsim > 0:
        low, high = qq_envelope(res, nsim, seed)
        grid = stats.norm.ppf((np.arange(1, low.size + 1) - 0.5) / low.size)
        ax.fill_between(grid, low, high, color="grey", alpha=0.3, label=f"{nsim} simulations")
        ax.legend(loc="upper left")
    ax.plot(theo, theo, color="grey", lw=1)
    ax.set(xlabel="normal quantiles", ylabel="quantile residual",
           title="Normal QQ of randomized quantile residuals")
    ax = axes[1, 0]
    ax.scatter(fitted, np.sqrt(np.abs(q)), s=8, alpha=0.6)
    ax.set(xlabel=xlabel, ylabel="sqrt(|quantile residual|)", title="Scale-location")
    ax = axes[1, 1]
    h = leverage(res)
    ax.scatter(h, residuals(res, "pearson").to_numpy() if res.family.has("unit_variance")
               or res.family.has("variance") else q, s=8, alpha=0.6)
    ax.axhline(0, color="grey", lw=1)
    ax.set(xlabel="leverage", ylabel="Pearson residual", title="Residuals vs leverage")
    fig.suptitle(f"{res.family.name}: {res.formulas[res.family.parameters[0].name]}")
    fig.tight_layout()
    return fig


def plot_profile(res, term, alpha: float = 0.05):
    """The signed root of the profile deviance of ``term`` with the profile interval."""
    plt = _pyplot()
    curve = res.profile(term, alpha=alpha / 2)
    ci = res.conf_int(alpha=alpha, method="profile", terms=[term])
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(curve["value"], curve["signed_root"], marker=".")
    z = stats.norm.ppf(1 - alpha / 2)
    for level in (-z, z):
        ax.axhline(level, color="grey", lw=1, ls="--")
    for end in ci.iloc[0]:
        if np.isfinite(end):
            ax.axvline(end, color="grey", lw=1)
    ax.set(xlabel=str(term), ylabel="signed root of the profile deviance",
           title=f"Profile of {term}: {100 * (1 - alpha):g}% interval "
                 f"[{ci.iloc[0, 0]:.4g}, {ci.iloc[0, 1]:.4g}]")
    fig.tight_layout()
    return fig
