"""The fitted model: an immutable record of estimates, covariance and diagnostics.

``params`` and ``bse`` are pandas Series on a (parameter, term) MultiIndex; coefficients
of every parameter are on its link scale. What refits and predictions need besides (the
model frame with its formula specs, the engine's objective, the rows used, the options)
is kept in one private :class:`~mlefit.context.FitContext`, whose docstring states the
data policy (references, never copies; :meth:`FitResult.remove_data`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
import pandas as pd

from .context import FitContext
from .conventions import Convention
from .errors import DataError
from .family import Family
from .inference.coefficients import estimated_coef
from .inference.wald import wald_table
from .links import Link
from .postestimation.goodness_of_fit import GLMStatistics, exact_fit_statistics, statistics

__all__ = ["Diagnostics", "DispersionSummary", "FitResult"]

#: former public attributes, now in the private context: reading them warns
MOVED_TO_CONTEXT = ("frame", "objective", "options", "rows")


@dataclass(frozen=True)
class Diagnostics:
    """How the optimiser got there."""

    converged: bool
    iterations: int
    decrement: float
    gradient_se: float
    condition: float
    derivatives: str
    fallbacks: tuple[str, ...]
    method: str
    message: str
    exact_fit: bool = False


@dataclass(frozen=True)
class DispersionSummary:
    """The dispersion phi of a GLM-type fit (a family with a variance function).

    ``phi_ml`` and ``phi_pearson`` are its maximum-likelihood and Pearson
    ``X2 / (n - p)`` estimates; ``phi`` is the value the standard errors use (R's
    ``summary(glm)$dispersion``): ``phi_ml``, or ``phi_pearson`` under
    ``dispersion="pearson"`` or ``convention="R"``. ``parameter`` is the family's
    dispersion parameter, or None for a family that fixes phi at 1 (binomial, poisson,
    the negative binomial): then ``phi_ml`` and ``phi`` are 1 ("dispersion parameter
    taken to be 1", as R says), unless ``dispersion="pearson"`` asks for the Pearson
    dispersion (R's quasi families and ``negative.binomial(theta)``); ``phi_pearson`` is
    still X2 / (n - p), a check of over-dispersion. An exact fit has every value 0.
    """

    parameter: str | None
    phi_ml: float
    phi_pearson: float
    df_resid: float
    phi: float


@dataclass(frozen=True)
class FitResult:
    """A fitted model (immutable). Create it with :func:`mlefit.fit`.

    What a result offers, by topic (everything else is private):

    - **estimates**: `params`, `bse`, `cov_params()`, `tvalues` (alias `zvalues`),
      `pvalues`, `t_tests`, `k`, `parameter_names`;
    - **intervals and tests**: `conf_int()`, `natural_params()` (intercept-only
      parameters on their natural scale), `profile()`, `wald_test()`; between fits
      `mlefit.lrtest`, `mlefit.score_test` and `mlefit.compare`;
    - **fit statistics**: `llf`, `llf_ml`, `aic`, `bic`, `aicc`, `nobs`, `df_resid`,
      `dispersion`, `deviance`, `null_deviance`, `df_null`, `pearson_chi2`, `glm`;
    - **the model**: `family`, `formulas`, `links`, `fixed`, `convention`,
      `covariance_kind`, `aliased` (the columns `singular="drop"` dropped);
    - **the rows**: `nobs`, `n_dropped`, `dropped_by`;
    - **the optimiser**: `converged`, `diagnostics`;
    - **predictions and simulation**: `predict()`, `fittedvalues`, `simulate()`;
    - **effects**: `marginal_effects()` (and `mlefit.emmeans`);
    - **residuals**: `resid()`, `resid_response`, `resid_pearson`, `resid_deviance`,
      `influence()`;
    - **presentation**: `summary()` (with `.as_html()`, `.as_latex()`), `tidy()`,
      `plot_diagnostics()`, `plot_profile()`;
    - **export**: `to_dict()`, `to_json()` (the schema of `mlefit fit --json`);
    - **storage**: `remove_data()` (a copy without the data, small to pickle);
    - **raw arrays**: `coef`, `cov`, `index` (what `params` and `cov_params()` are
      built from).

    The former attributes `frame`, `objective`, `options` and `rows` are internal refit
    state, kept in the private context (:mod:`mlefit.context`); reading them still works
    but issues a DeprecationWarning.
    """

    family: Family
    formulas: dict[str, str]
    links: dict[str, Link]
    fixed: dict[str, float]
    coef: np.ndarray = field(repr=False)
    cov: np.ndarray = field(repr=False)
    index: pd.MultiIndex = field(repr=False)
    llf: float
    llf_ml: float
    nobs: float
    n_dropped: int
    dropped_by: dict[str, int]
    df_resid: float
    convention: Convention
    diagnostics: Diagnostics
    covariance_kind: str
    #: what refits, predictions and residuals need (private; see mlefit.context)
    _context: FitContext = field(repr=False, compare=False)
    dispersion: DispersionSummary | None = None
    #: ``singular="drop"``: the ``(parameter, term)`` of every aliased column, not
    #: estimated (NaN in ``params``, ``bse``, ``cov`` and the tests; NA in the summary;
    #: not counted in ``k``, ``df_resid``, AIC and BIC), as R's ``NA`` coefficients
    aliased: tuple[tuple[str, str], ...] = ()

    def __post_init__(self):
        for arr in (self.coef, self.cov):
            arr.setflags(write=False)

    def __getattr__(self, name: str):
        # only reached when normal lookup fails: the attributes that moved to the context
        context = self.__dict__.get("_context")
        if name in MOVED_TO_CONTEXT and context is not None:
            warnings.warn(f"FitResult.{name} is internal refit state; it moved to the private "
                          f"fit context (FitResult._context.{name}) and will be removed. Use "
                          "the result's public attributes and methods instead.",
                          DeprecationWarning, stacklevel=2)
            return getattr(context, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def remove_data(self) -> FitResult:
        """A copy of this result without the data, small to pickle or keep.

        As statsmodels' ``remove_data()``, but returning a new result (a FitResult is
        immutable; this one keeps its data): ``small = res.remove_data()``. The copy
        keeps every statistic: ``params``, ``bse``, ``cov_params()``, tests, Wald
        ``conf_int()``, ``llf``, AIC and BIC, the GLM deviances (computed now) and
        ``summary()``; ``predict(newdata)`` still rebuilds the designs from new data.
        What needs the fit's rows (``predict()`` without ``newdata``, ``fittedvalues``,
        residuals, profiles and profile intervals, ``simulate()``, plots, and
        ``lrtest``, ``score_test`` and ``compare`` with other fits) raises a
        :class:`~mlefit.errors.DataError` that says so; refit to get them back. See
        :mod:`mlefit.context` for the data policy.
        """
        glm = self.glm if self._context.has_data else self.__dict__.get("glm")
        out = replace(self, _context=self._context.without_data())
        out.__dict__["glm"] = glm     # the cached_property's value, computed on the data
        return out

    # estimates ---------------------------------------------------------------------
    @property
    def params(self) -> pd.Series:
        """Coefficients, indexed by (parameter, term); link scale."""
        return pd.Series(self.coef.copy(), index=self.index, name="estimate")

    @property
    def bse(self) -> pd.Series:
        """Standard errors of :attr:`params` (square roots of the covariance diagonal)."""
        return pd.Series(np.sqrt(np.diag(self.cov)), index=self.index, name="std_error")

    def cov_params(self) -> pd.DataFrame:
        """Covariance of the coefficients (``cov_type`` of the fit), on the params index."""
        return pd.DataFrame(self.cov.copy(), index=self.index, columns=self.index)

    @property
    def t_tests(self) -> bool:
        """Whether the tests use Student's t on ``df_resid`` (``convention='R'`` with a
        dispersion family) rather than the normal."""
        return self.convention.t_tests

    @property
    def tvalues(self) -> pd.Series:
        """z values (t values under ``convention='R'`` for dispersion families)."""
        stat, _ = wald_table(self.coef, self.bse.to_numpy(), self._df)
        return pd.Series(stat, index=self.index, name="t" if self.t_tests else "z")

    zvalues = tvalues

    @property
    def pvalues(self) -> pd.Series:
        """Two-sided p-values of the Wald z (or t) tests of each coefficient = 0."""
        _, p = wald_table(self.coef, self.bse.to_numpy(), self._df)
        return pd.Series(p, index=self.index, name="p_value")

    @property
    def _df(self):
        return self.df_resid if self.t_tests else None

    def conf_int(self, alpha: float = 0.05, method: str = "wald", terms=None,
                 progress: bool | None = None) -> pd.DataFrame:
        """Confidence intervals of ``terms`` (default all; names as ``"age"``,
        ``"sigma:age"`` or ``(parameter, term)``).

        ``method="wald"``: ``estimate -+ q * se`` (normal, or t on df_resid).
        ``method="profile"``: profile-likelihood intervals
        (:mod:`mlefit.inference.profile_likelihood`); ``progress`` shows a bar (tqdm) for
        many terms.
        """
        if method == "profile" and self._context.options.penalty is not None:
            from .inference.penalised import conf_int

            return conf_int(self, alpha, terms)
        if method == "profile":
            from .inference.profile_likelihood import conf_int

            return conf_int(self, alpha, terms, progress)
        if method != "wald":
            raise DataError(f"method={method!r} is not 'wald' or 'profile'.")
        from .inference.coefficients import positions
        from .inference.confidence import quantile

        q = quantile(self, alpha)
        chosen = positions(self, terms)
        se, coef = self.bse.to_numpy()[chosen], self.coef[chosen]
        return pd.DataFrame({"lower": coef - q * se, "upper": coef + q * se},
                            index=self.index[chosen])

    def natural_params(self, alpha: float = 0.05) -> pd.DataFrame:
        """Intercept-only parameters after the mean (sigma, theta, shape, pi, ...) on
        their natural scale: ``estimate``, ``std_error`` (delta method) and the
        ``1 - alpha`` interval ``lower``, ``upper`` (the link-scale Wald interval
        transformed back), one row per parameter (see
        :mod:`mlefit.inference.natural_scale`)."""
        from .inference.natural_scale import natural_params

        return natural_params(self, alpha)

    def profile(self, term, values=None, *, alpha: float = 0.01,
                points: int = 21) -> pd.DataFrame:
        """Profile log-likelihood of one coefficient: ``value``, ``llf``, ``signed_root``
        (see :func:`mlefit.inference.profile_likelihood.profile`; of a Firth fit the
        penalised profile, :func:`mlefit.inference.penalised.profile`)."""
        if self._context.options.penalty is not None:
            from .inference.penalised import profile as penalised

            return penalised(self, term, values, alpha=alpha, points=points)
        from .inference.profile_likelihood import profile

        return profile(self, term, values, alpha=alpha, points=points)

    def wald_test(self, constraints, q=None, *, use_f: bool | None = None):
        """Wald test of linear hypotheses, e.g. ``"age = 0, exang = oldpeak"`` or a matrix
        ``R`` with ``q`` (see :func:`mlefit.inference.wald.wald_test`)."""
        from .inference.wald import wald_test

        return wald_test(self, constraints, q, use_f=use_f)

    # information criteria ----------------------------------------------------------
    @property
    def k(self) -> int:
        """Number of estimated coefficients over all parameters (fixed ones and aliased
        ones, :attr:`aliased`, excluded)."""
        return int(self.coef.size - len(self.aliased))

    @property
    def aic(self) -> float:
        """Akaike's criterion ``-2 llf + 2 k`` (refused for a quasi-likelihood fit)."""
        self._needs_likelihood("AIC")
        return -2 * self.llf + 2 * self.k

    @property
    def bic(self) -> float:
        """Schwarz's criterion ``-2 llf + k log(nobs)`` (refused for a quasi-likelihood fit)."""
        self._needs_likelihood("BIC")
        return -2 * self.llf + self.k * np.log(self.nobs)

    def _needs_likelihood(self, what: str) -> None:
        reason = self.family.no_likelihood
        if reason:
            raise DataError(f"{what} needs a log-likelihood, and {reason}. Fix: use a family "
                            "with a likelihood for information criteria.")

    @property
    def aicc(self) -> float:
        """Small-sample AIC ``AIC + 2k(k + 1)/(nobs - k - 1)`` (inf when nobs <= k + 1)."""
        denom = self.nobs - self.k - 1
        return self.aic + (2 * self.k * (self.k + 1) / denom if denom > 0 else np.inf)

    @property
    def converged(self) -> bool:
        """Whether the optimiser met its convergence rule (see :attr:`diagnostics`)."""
        return self.diagnostics.converged

    @property
    def parameter_names(self) -> tuple[str, ...]:
        """The family's distribution parameters, the first modelled by the main formula."""
        return self.family.parameter_names

    # predictions -------------------------------------------------------------------
    def _thetas(self, newdata=None):
        """Linear predictors and natural-scale values of every parameter, and the index."""
        from .postestimation.prediction import designs, linear_predictors

        mats, index = designs(self, newdata)
        etas = linear_predictors(self, mats, len(index))
        with np.errstate(all="ignore"):
            thetas = {n: self.links[n].inverse(e) for n, e in etas.items()}
        return etas, thetas, index

    def predict(self, newdata: pd.DataFrame | None = None, which: str = "mean",
                interval: str | None = None, alpha: float = 0.05, k=None,
                **options):
        """Predictions on the fit's rows or on ``newdata`` (designs and offsets rebuilt).

        ``which``: ``"mean"`` (E[y]), ``"link"`` (the first parameter's linear
        predictor) or any parameter's name (natural scale); ``"prob"`` for a categorical
        family (ordinal, multinomial): a DataFrame of category probabilities, one column
        per level. ``interval="confidence"``
        returns a DataFrame with ``estimate``, ``se``, ``lower``, ``upper`` (delta
        method on the link scale, transformed back; see :mod:`mlefit.postestimation.prediction`).

        The predictive distribution (:mod:`mlefit.postestimation.predictive`):
        ``which="quantile"`` with ``q=`` (one column per ``q``; integers for a discrete
        family), ``interval="prediction"`` (``estimate``, ``lower``, ``upper``; R's
        ``predict.lm`` for the gaussian-identity fit under ``convention="R"``, with the
        new rows' ``weights=``), ``method="simulate"`` (with ``nsim=``, ``seed=``) to add
        the coefficients' uncertainty, and ``which="survival"``, ``"hazard"`` or
        ``"cumhazard"`` at ``times=``.

        A fit with ``truncation=`` predicts the conditional mean ``E[Y | lower <= Y <=
        upper]`` as ``which="mean"`` (its limits: numbers, or columns of ``newdata``;
        ``truncation=`` here sets others) and ``E[Y]`` as ``which="mean_untruncated"``
        (:mod:`mlefit.postestimation.truncated_mean`).

        A fit on a Dask frame (without ``newdata``), or ``newdata`` that is one, gives a
        lazy Dask Series or DataFrame (:mod:`mlefit.lazy_rows`).

        Count models also take pscl's ``type=``: ``"prob"`` (a DataFrame of ``P(Y = k)``,
        one column per count ``k``, ``0..max(y)`` unless ``k=`` is given), ``"zero"`` and
        ``"count"`` (zero-inflated and hurdle families; see
        :mod:`mlefit.postestimation.zero_modified`).
        """
        from .frames import as_pandas
        from .lazy_rows import lazy_predict, wants_lazy  # Dask data: a lazy collection
        from .postestimation.prediction import predict

        if wants_lazy(self, newdata):
            extra = options if k is None else {"k": k, **options}
            return lazy_predict(self, newdata, which, interval, alpha, **extra)
        return predict(self, as_pandas(newdata, "newdata"), which, interval, alpha, k,
                       **options)

    def marginal_effects(self, variables=None, at="average", type: str = "response",
                         parameter: str | None = None, contrast: str = "reference",
                         alpha: float = 0.05, newdata: pd.DataFrame | None = None):
        """Marginal effects of the formula's data columns on ``parameter`` (default the
        first, ``mu``): derivatives of numeric variables, discrete changes of 0/1
        variables and factors (``contrast="reference"`` or ``"pairwise"``), averaged over
        the fit's rows (``at="average"``, the AME), at a typical row (``at="mean"``), at
        given values (``at={"age": 50}``) or averaged over a DataFrame ``at``; on the
        natural scale (``type="response"``) or the link scale; delta-method SEs with the
        fit's covariance. A tidy DataFrame: term, contrast, estimate, std_error,
        statistic, p_value, conf_low, conf_high (see
        :mod:`mlefit.postestimation.marginal_effects`)."""
        from .postestimation.marginal_effects import marginal_effects

        return marginal_effects(self, variables, at, type, parameter, contrast, alpha,
                                newdata)

    @property
    def fittedvalues(self) -> pd.Series:
        """``E[y]`` on the rows used (``predict(which="mean")``)."""
        return self.predict(which="mean")

    def simulate(self, nsim: int = 1, seed=None, return_censoring: bool = False):
        """Responses drawn from the fitted model on the rows used: ``(n, nsim)``; a
        censored fit's are censored as its data were. ``return_censoring=True`` returns
        ``(values, kinds)``, ``kinds`` ``"exact"``, ``"right"`` or ``"left"`` per value
        (the event indicator is ``kinds == "exact"``). A fit on a Dask frame gives a lazy
        Dask DataFrame, columns ``sim_1`` ... (:mod:`mlefit.lazy_rows`)."""
        from .lazy_rows import lazy_simulate, wants_lazy  # a Dask fit: a lazy DataFrame
        from .postestimation.simulation import simulate

        if wants_lazy(self):
            return lazy_simulate(self, nsim, seed, return_censoring)
        return simulate(self, nsim, seed, return_censoring)

    def plot_diagnostics(self, nsim: int = 39, seed=None):
        """Residuals vs fitted, QQ with a simulation envelope, scale-location, leverage
        (needs matplotlib: the ``plot`` extra). Returns the Figure."""
        from .postestimation.plots import plot_diagnostics

        return plot_diagnostics(self, nsim, seed)

    def plot_profile(self, term, alpha: float = 0.05):
        """The profile of ``term`` with its interval (matplotlib). Returns the Figure."""
        from .postestimation.plots import plot_profile

        return plot_profile(self, term, alpha)

    # GLM quantities ---------------------------------------------------------------
    @cached_property
    def glm(self) -> GLMStatistics | None:
        """Deviance, null deviance (a refit, computed on first use) and Pearson X2."""
        fam = self.family
        if not (fam.has("unit_deviance") and fam.has("unit_variance")) or \
                getattr(self._context, "censoring", None) is not None:
            return None
        ctx = self._context
        vw = None if ctx.frame.var_weights is None else ctx.frame.var_weights[ctx.rows]
        coef = estimated_coef(self)
        if self.diagnostics.exact_fit:   # deviance 0; the dispersion (0) held at 1
            return exact_fit_statistics(ctx.objective, coef, vw, fam.dispersion.parameter)
        return statistics(ctx.objective, coef, vw)

    def _glm(self) -> GLMStatistics:
        censoring = getattr(self._context, "censoring", None)
        if censoring is not None:
            raise DataError(f"deviance and Pearson statistics are defined for an exactly "
                            f"observed response; this one is censored or truncated "
                            f"({censoring[0]}). Fix: use llf, aic/bic and mlefit.lrtest.")
        if self.glm is None:
            raise DataError(f"family {self.family.name!r} has no unit deviance, so deviance "
                            "and Pearson chi-square are not defined; use llf.")
        return self.glm

    @property
    def deviance(self) -> float:
        """Residual deviance ``sum w v d(y, mu)`` (families with a unit deviance)."""
        return self._glm().deviance

    @property
    def null_deviance(self) -> float:
        """Deviance of the intercept-only mean model with the same offsets (R's rule)."""
        return self._glm().null_deviance

    @property
    def df_null(self) -> float:
        """Residual degrees of freedom of the null model, R's ``df.null``: ``nobs - 1``
        with an intercept in the mean model, ``nobs`` without (families with a unit
        deviance; rows of a binomial response with no trials do not count)."""
        return self._glm().df_null

    @property
    def pearson_chi2(self) -> float:
        """Pearson's statistic ``sum w v (y - mu)^2 / V(mu)``."""
        return self._glm().pearson_chi2

    # residuals ---------------------------------------------------------------------
    def resid(self, kind: str = "response", seed=None) -> pd.Series:
        """Residuals of ``kind``: ``"response"``, ``"pearson"``, ``"deviance"``,
        ``"quantile"`` or ``"cox-snell"`` (quantile: randomized for discrete families and
        censored rows; ``seed`` makes them
        reproducible). See :mod:`mlefit.postestimation.residuals`. A fit on a Dask frame
        gives a lazy Dask Series (:mod:`mlefit.lazy_rows`)."""
        from .lazy_rows import lazy_resid, wants_lazy  # a Dask fit: a lazy Series
        from .postestimation.residuals import residuals

        if wants_lazy(self):
            return lazy_resid(self, kind, seed)
        return residuals(self, kind, seed)

    @property
    def resid_response(self) -> pd.Series:
        """``resid("response")``: ``y - E[y]``."""
        return self.resid("response")

    @property
    def resid_pearson(self) -> pd.Series:
        """``resid("pearson")``."""
        return self.resid("pearson")

    @property
    def resid_deviance(self) -> pd.Series:
        """``resid("deviance")``."""
        return self.resid("deviance")

    def influence(self):
        """Influence measures per row, a DataFrame on the model frame's index: ``hat``,
        ``cooks_distance``, ``rstandard_deviance``, ``rstandard_pearson``, ``rstudent``
        and ``dfbetas:<term>``, each as R defines it for a glm, for the GLM families; the
        generalized leverage ``hat`` for other models (see
        :mod:`mlefit.postestimation.influence`)."""
        from .postestimation.influence import influence

        return influence(self)

    # presentation ------------------------------------------------------------------
    def summary(self):
        """R-like text: one coefficient block per distribution parameter. A ``str``
        (:class:`mlefit.summary.Summary`) with ``as_html()`` and ``as_latex()``."""
        from .summary import format_summary

        return format_summary(self)

    def to_dict(self) -> dict:
        """The fit as plain data, the schema ``mlefit fit --json`` prints (documented in
        :mod:`mlefit.export`): family, formulas, coefficients, llf, k, AIC, BIC, ..."""
        from .export import result_dict

        return result_dict(self)

    def to_json(self, indent: int | None = 2) -> str:
        """:meth:`to_dict` as JSON text (NaN and infinities as null)."""
        from .export import result_json

        return result_json(self, indent)

    def tidy(self, conf_int: bool = False, alpha: float = 0.05) -> pd.DataFrame:
        """A coefficient table as broom's ``tidy()``: parameter, term, estimate,
        std_error, statistic, p_value and, with ``conf_int=True``, the Wald interval
        conf_low, conf_high (see :mod:`mlefit.export`)."""
        from .export import tidy

        return tidy(self, conf_int, alpha)

    def __repr__(self) -> str:
        return (f"<FitResult {self.family.name}: k={self.k}, llf={self.llf:.6g}, "
                f"nobs={self.nobs:g}, converged={self.converged}>")
