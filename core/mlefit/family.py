"""The family contract: what a plugin author writes.

A family is a class with a ``name``, a ``support`` for the response, a tuple of
:class:`Parameter` and a vectorised ``logpdf(y, **params)``. Everything else is optional
and detected by presence (see :data:`OPTIONAL_METHODS`); each buys speed, exactness or a
feature, never correctness.

Example
-------
>>> import numpy as np
>>> from mlefit import Family, Parameter
>>> from mlefit.domains import Real, Positive
>>> class Normal(Family):
...     name = "my_normal"
...     support = Real()
...     parameters = (Parameter("mu", Real()), Parameter("sigma", Positive()))
...     def logpdf(self, y, mu, sigma):
...         return -0.5 * np.log(2 * np.pi) - np.log(sigma) - 0.5 * ((y - mu) / sigma) ** 2
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from .domains import Domain

__all__ = ["OPTIONAL_METHODS", "Dispersion", "Family", "FamilyInfo", "Parameter", "Reduction",
           "Source", "as_array", "constant", "mean_scale"]

#: Optional methods a family may define, and what each one buys.
OPTIONAL_METHODS: dict[str, str] = {
    "dlogpdf": "analytic first derivatives {param: dl/dparam} (speed)",
    "d2logpdf": "analytic second derivatives {(a, b): d2l/da db} (speed, exact Hessian)",
    "expected_information": "per-row Fisher information {(a, b): -E d2l/da db} "
    "(Fisher scoring, cov_type='expected', convention='R')",
    "eta_derivatives": "derivatives on the linear-predictor scale for some links (stability)",
    "start": "start values {param: value} from the response (robustness)",
    "mean": "E[y] from the parameters (predictions on the response scale)",
    "variance": "Var[y] from the parameters (Pearson residuals)",
    "cdf": "P(Y <= y) (quantile residuals; the minimum for censored and truncated data)",
    "logcdf": "log P(Y <= y) (censored and truncated data: accuracy in the lower tail)",
    "logsf": "log P(Y > y) (censored and truncated data: accuracy in the upper tail; "
    "discrete families: P(Y >= c) = exp(logsf(c - 1)))",
    "dlogcdf": "analytic {param: d log F(y) / d param} (exact Newton on censored rows)",
    "dlogsf": "analytic {param: d log S(y) / d param} (exact Newton on censored rows)",
    "d2logcdf": "analytic {(a, b): d2 log F(y) / da db} (exact Newton on censored rows)",
    "d2logsf": "analytic {(a, b): d2 log S(y) / da db} (exact Newton on censored rows)",
    "ppf": "quantile function ppf(q, **params) (predictive quantiles and intervals; "
    "otherwise the cdf is inverted)",
    "sample": "random draws (simulate, parametric bootstrap)",
    "unit_deviance": "GLM unit deviance d(ybar, mu, **others) (deviance, R conventions)",
    "unit_variance": "GLM variance function V(mu, **others) (Pearson residuals, dispersion)",
    "prepare_response": "converts the raw response columns to what logpdf takes",
    "glm_response": "(ybar, trials) of a multi-column response, for deviance and Pearson "
    "residuals on the mean scale (binomial)",
    "zero_part": "pscl's predict(type='zero') of a zero-modified count family: the "
    "inflation probability, or P(y > 0) over the count model's P(y > 0) (hurdle)",
    "count_mean": "mean of the count component of a zero-modified family "
    "(predict(which='count'))",
    "quasi_variant": "quasi_variant(fixed, convention) -> Family | None: the family to "
    "fit when fixed= values leave the likelihood (R's quasi-likelihood GLM under "
    "convention='R'; raise a DataError otherwise)",
    "loglik_r": "R's logLik rule for convention='R' when it differs from the ML value: "
    "loglik_r(y, mu, weights, var_weights) -> float",
    "summarize_response": "a family whose parameters depend on the data: a summary of the "
    "raw response column (e.g. its levels), mergeable over partitions",
    "merge_summaries": "merges two summarize_response results (a Dask frame: the union of "
    "the partitions' levels)",
    "probabilities": "per-row category probabilities (n x K) of a categorical response, "
    "one column per level of family.levels: predict(which='prob')",
    "bind": "bind(summary) -> the concrete Family for this response, whose parameters are "
    "known (ordinal cutpoints, multinomial categories); its encode_response(column) maps the "
    "raw response to what its logpdf takes",
}


@dataclass(frozen=True)
class Parameter:
    """One distribution parameter.

    Parameters
    ----------
    name : str
        A Python identifier; becomes the keyword of ``logpdf`` and of ``fit``.
    domain : Domain
        Where the parameter lives on its natural scale.
    link : str, optional
        Default link; by default the domain's (identity, log, logit).
    links : tuple of str, optional
        Links the parameter allows; by default the domain's standard set.
    typical : (low, high), optional
        An ordinary range on the natural scale, for tests and generic start values.
    description : str
        One line for the summary and the docs.
    label : str
        A display label that need not be an identifier (the cutpoint ``Low|Medium``, a
        category ``"Ind"``): the summary shows it beside the name; the coefficient of an
        intercept-only parameter that does not ``shares_formula`` is named by it
        (``("cut1", "Low|Medium")``). Empty: none.
    intercept : bool
        False when the parameter's design must have no intercept of its own (the location
        of an ordinal model, whose intercepts are the cutpoints): the formula is written
        with its intercept, which fixes the coding of factors, and the intercept column is
        dropped (R's ``polr``).
    shares_formula : bool
        True when the parameter's design is by default the main formula's right-hand side
        (each category of a multinomial logit), not ``~ 1``.
    """

    name: str
    domain: Domain
    link: str | None = None
    links: tuple[str, ...] | None = None
    typical: tuple[float, float] | None = None
    description: str = ""
    label: str = ""
    intercept: bool = True
    shares_formula: bool = False

    @property
    def default_link(self) -> str:
        """``link`` if given, else the domain's default (identity, log, logit)."""
        return self.link or self.domain.default_link

    @property
    def allowed_links(self) -> tuple[str, ...]:
        """``links`` if given, else the domain's standard set; the default link first
        when it is not in that set."""
        allowed = self.links or self.domain.standard_links
        if self.default_link not in allowed:
            allowed = (self.default_link, *allowed)
        return tuple(allowed)

    @property
    def typical_range(self) -> tuple[float, float]:
        """``typical`` if given, else the domain's typical range."""
        return self.typical or self.domain.typical


@dataclass(frozen=True)
class Dispersion:
    """Declares an exponential-dispersion parameter: ``phi = value ** power``.

    Gaussian ``sigma``: power 2 (phi = sigma^2). Gamma ``shape``: power -1. The engine
    then solves the mean coefficients without the dispersion, takes ``var_weights`` as
    the offset ``-log(v) / power`` on the dispersion's log link, and offers the Pearson
    estimate ``phi = sum w v (y - mu)^2 / V(mu) / (n - p)``.
    """

    parameter: str
    power: float = 1.0


@dataclass(frozen=True)
class Reduction:
    """This family equals family ``family`` when ``parameter`` equals ``value``.

    ``boundary=True`` when ``value`` is an end of the parameter's domain (poisson inside
    negative_binomial at 1/theta = 0): likelihood-ratio tests then use the chi-bar-squared
    mixture.
    """

    family: str
    parameter: str
    value: float
    boundary: bool = False


class Family:
    """Base class of every distribution family (built-in or third-party).

    Subclasses set the class attributes below and define ``logpdf``. Optional methods
    (see :data:`OPTIONAL_METHODS`) are detected by presence.

    **Families whose parameters depend on the data** (ordinal cutpoints, multinomial
    categories) are registered *unbound* and define three methods:
    ``summarize_response(column)`` (the raw response column of one data frame or
    partition: a pandas Series or an array) returns a summary such as the set of levels
    present; ``merge_summaries(a, b)`` merges two of them (associative: a Dask frame's
    summaries are merged over its partitions); ``bind(summary)`` returns a concrete
    ``Family`` instance whose ``parameters`` are known and which defines
    ``encode_response(column)``, the response as its ``logpdf`` takes it (NaN where it is
    missing). :func:`mlefit.fit` binds the family before anything else (module
    :mod:`mlefit.binding`), so the parameters' formulas, links and ``fixed=`` are those of
    the bound family. A bound family must pickle (Dask workers receive it): keep its state
    in plain attributes. The unbound family's own ``parameters`` are a placeholder for the
    registry; it also defines ``example_response(rng, n)``, a response the conformance kit
    binds it to.
    """

    name: ClassVar[str]
    aliases: ClassVar[tuple[str, ...]] = ()
    support: ClassVar[Domain]
    parameters: ClassVar[tuple[Parameter, ...]]
    api_version: ClassVar[int] = 1
    #: number of response columns ``logpdf`` takes (binomial: successes, failures)
    response_columns: ClassVar[int] = 1
    dispersion: ClassVar[Dispersion | None] = None
    reductions: ClassVar[tuple[Reduction, ...]] = ()
    #: how the parameters move when the response is multiplied by ``c > 0``:
    #: ``{name: k}`` for ``theta -> c^k theta`` (the Gaussian's ``{"mu": 1, "sigma": 1}``,
    #: the gamma's ``{"mu": 1}``); parameters not named do not move. With it the engine
    #: fits a response of any size (1e-150 or 1e150) on the same footing as one near 1
    #: (``mlefit.engine.response_scale``). None: the family is not scale-equivariant
    #: (counts, proportions)
    response_scaling: ClassVar[dict[str, float] | None] = None
    #: False when ``expected_information`` is costly (e.g. summed over the support): the
    #: optimiser's fallback from a non-PD observed information is then BHHH, not Fisher
    #: scoring; ``cov_type="expected"`` still uses it
    expected_in_optimiser: ClassVar[bool] = True
    #: responses that carry probability mass in an otherwise continuous support (the
    #: Tweedie's ``0``): ``logpdf`` there is the log probability, and the conformance
    #: kit adds these masses to its integrals over the support
    atoms: ClassVar[tuple[float, ...]] = ()
    #: non-empty for a quasi-likelihood family: why it has no log-likelihood (the result's
    #: ``llf`` is nan, and AIC, BIC, ``lrtest`` and ``compare`` refuse it with this reason)
    no_likelihood: ClassVar[str] = ""

    def logpdf(self, y, **params):  # pragma: no cover - the contract
        """Log density (or mass) per row; ``-inf`` outside the support."""
        raise NotImplementedError

    # helpers the engine and the results use -------------------------------------
    @property
    def parameter_names(self) -> tuple[str, ...]:
        """The parameters' names, in declaration order."""
        return tuple(p.name for p in self.parameters)

    def parameter(self, name: str) -> Parameter:
        """The :class:`Parameter` called ``name`` (``KeyError`` if there is none)."""
        for p in self.parameters:
            if p.name == name:
                return p
        raise KeyError(name)

    def has(self, method: str) -> bool:
        """Whether the family defines the optional ``method``."""
        return callable(getattr(self, method, None))

    @property
    def capabilities(self) -> tuple[str, ...]:
        """The optional methods (:data:`OPTIONAL_METHODS`) this family defines."""
        return tuple(m for m in OPTIONAL_METHODS if self.has(m))

    def __repr__(self) -> str:
        return f"<family {self.name}: {', '.join(self.parameter_names)}>"


@dataclass(frozen=True)
class Source:
    """Where a family came from: the plugin and its distribution."""

    plugin: str
    distribution: str
    version: str

    def __str__(self) -> str:
        return f"{self.distribution} {self.version} ({self.plugin})"


@dataclass(frozen=True)
class FamilyInfo:
    """What ``mlefit.families()`` reports for one installed family."""

    name: str
    aliases: tuple[str, ...]
    parameters: tuple[str, ...]
    links: dict[str, tuple[str, ...]]
    support: str
    capabilities: tuple[str, ...]
    source: Source
    family: Family = field(repr=False, compare=False)

    @classmethod
    def of(cls, family: Family, source: Source) -> FamilyInfo:
        return cls(
            name=family.name,
            aliases=tuple(family.aliases),
            parameters=family.parameter_names,
            links={p.name: p.allowed_links for p in family.parameters},
            support=str(family.support),
            capabilities=family.capabilities,
            source=source,
            family=family,
        )


def as_array(x) -> np.ndarray:
    """Float array view of ``x`` (the engine's one conversion)."""
    return np.asarray(x, dtype=float)


def constant(value: float, shape) -> np.ndarray:
    """A read-only float array of one value that takes no memory (``np.broadcast_to``):
    the default weights, offsets and intercept-only designs of the engine's inputs."""
    return np.broadcast_to(np.float64(value), shape)


def mean_scale(family: Family, y: np.ndarray):
    """``(ybar, trials)`` of a response: on the mean scale with its binomial-style trials
    (the family's ``glm_response`` for a multi-column one), else ``y`` with one trial a
    row."""
    if family.has("glm_response"):
        ybar, m = family.glm_response(y)
        return np.asarray(ybar, dtype=float), np.asarray(m, dtype=float)
    return y, np.ones(y.shape[0])
