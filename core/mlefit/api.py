"""The public entry points: a fit request, a model frame, an estimate.

:func:`fit` and :func:`fit_arrays` build the same validated request
(:func:`mlefit.request.build_request`) and differ only in how they build the model frame:
from formulas and a data frame (:func:`mlefit.formula.build`) or from arrays.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from . import binding
from . import formula as formulas_
from .censoring import Surv, response_of, truncation_ends
from .columns import refuse_complex
from .errors import DataError
from .family import Family, FamilyInfo, constant
from .fitting import estimate
from .formula import Design, ModelFrame
from .frames import as_pandas
from .registry import get_registry
from .request import FitRequest, build_request, get_family
from .results import FitResult

__all__ = ["families", "fit", "fit_arrays"]


def families() -> list[FamilyInfo]:
    """Installed families: name, aliases, parameters, links, support, capabilities, source."""
    return get_registry().infos()


def fit(formula: str, data, family: str | Family = "gaussian", *, link=None, links=None,
        weights=None, var_weights=None, offset=None, offsets=None, exposure=None,
        fixed=None, start=None, missing: str = "drop", cov_type: str = "observed",
        dispersion: str = "ml", convention: str | None = None, method: str = "newton",
        groups=None, maxiter: int = 100, tol: float = 1e-12, safe_formulas: bool | None = None,
        singular: str = "error", persist: bool = True, penalty: str | None = None,
        progress: bool | None = None, censoring=None, truncation=None,
        **parameter_formulas: str) -> FitResult:
    """Fit a distributional regression by maximum likelihood.

    Parameters
    ----------
    formula : str
        ``"y ~ x1 + x2"``: the response and the design of the family's first parameter.
    data : pandas.DataFrame, dask.dataframe.DataFrame, polars.DataFrame or pyarrow.Table
        A Dask frame is fitted partition by partition (:mod:`mlefit.partitioned`; see
        "Data bigger than memory" in the docs for what it supports today).
    family : str or Family
        A registered name (``"gaussian"``) or a Family instance.
    **parameter_formulas
        A one-sided formula for any other parameter, e.g. ``sigma="~ age"``. Parameters
        without one are constant (intercept-only) unless ``fixed``.
    link, links
        The first parameter's link; ``{"sigma": "log"}`` for the others.
    weights, var_weights
        Frequency weights (nobs = their sum) and precision weights (R glm ``weights`` for
        dispersion families); a column name or one value per row.
    offset, offsets, exposure
        Offset of the first parameter, ``{"sigma": ...}`` for others, and an exposure
        whose log joins the first parameter's offset (log link only).
    fixed : dict
        Parameters held at a natural-scale value, not estimated and not counted in k.
    start : dict or array
        Start values: ``{param: natural-scale constant | {term: coef} | coefs}``.
    missing : {"drop", "raise"}
    cov_type : {"observed", "expected", "robust", "HC0", "HC1", "HC2", "HC3", "cluster"}
        Information or sandwich; HC2/HC3 for GLM-type families. Under ``convention="R"``
        the sandwiches are R's ``sandwich::vcovHC`` / ``vcovCL(type="HC1")`` on a glm.
    dispersion : {"ml", "pearson"}
    convention : {None, "ML", "R"}
        ``"R"`` reproduces R's glm summary for the GLM families.
    method : str
        ``"newton"`` (default) or a scipy.optimize method (``"bfgs"``, ...).
    groups
        Cluster labels for ``cov_type="cluster"``.
    safe_formulas : bool or None
        True: every formula term is checked against a whitelist (column names, numbers,
        strings, arithmetic, comparisons and listed functions such as ``C``, ``I``,
        ``np.log``) before anything is evaluated, and a term that is code raises
        :class:`~mlefit.errors.FormulaError` (see :mod:`mlefit.formula_safety`). False:
        formulas are Python code, as in formulaic; use only formulas you trust. None
        (default): True when the environment variable ``MLEFIT_SAFE_FORMULAS=1``.
    singular : {"error", "drop"}
        What a design whose columns are linearly dependent (or all zero on the rows used)
        gets. ``"error"`` (default): a :class:`~mlefit.errors.DataError` naming the
        aliased columns. ``"drop"``: as R's ``glm``, those columns are dropped (of two
        identical columns the later one; see :mod:`mlefit.collinearity`) and the model
        is fitted on the others, with a :class:`~mlefit.errors.CollinearityWarning`
        naming them; ``params``, ``bse`` and their tests are NaN in their places (NA in
        the summary), ``res.aliased`` lists them, and ``k``, ``df_resid``, AIC and BIC
        count only the estimated coefficients.
    persist : bool
        Dask frames only: keep each partition's designs in the workers' memory between
        Newton passes (default), or rebuild them from the source in every pass (False:
        data larger than the cluster's memory).
    penalty : {None, "firth"}
        ``"firth"``: Firth's bias-reduced estimate, the maximum of the Jeffreys-prior
        penalised log-likelihood ``l + 1/2 log|I|`` (binomial with the logit link and
        poisson with the log link only; finite under separation). ``llf`` is then the
        penalised log-likelihood, the covariance the inverse Fisher information at the
        estimate, ``conf_int(method="profile")`` the penalised profile-likelihood
        intervals and ``lrtest`` between Firth fits logistf's nested rule, as R's
        logistf (see :mod:`mlefit.engine.firth` and :mod:`mlefit.inference.penalised`).
    progress : bool or None
        Dask frames only: per-iteration progress (iteration, log-likelihood, step) on a
        tqdm bar (the ``progress`` extra). None (default): shown when stderr is a
        terminal; False: never; True: always.
    censoring : (lo, hi) or None
        Fixed censoring limits (one may be None): a response at or below ``lo`` is
        left-censored there, at or above ``hi`` right-censored (the Tobit model). A
        ``Surv(...)`` left-hand side gives per-row censoring instead (see
        :class:`mlefit.Surv` and "Survival and censored data" in the docs).
    truncation : (lower, upper) or None
        Each row is known to lie in ``[lower, upper]`` (numbers, column names or one value
        per row; None for an open end); inclusive ends for a discrete family, so
        ``truncation=(1, None)`` is a zero-truncated count model.

    Returns
    -------
    FitResult
    """
    if not _is_dask(data):
        data = as_pandas(data)     # polars, pyarrow, ...: converted once, here
    family, data, parameter_formulas = _bound(family, formula, data, parameter_formulas,
                                              link)
    request = build_request(
        family, formula=formula, parameter_formulas=parameter_formulas, link=link,
        links=links, weights=weights, var_weights=var_weights, offset=offset,
        offsets=offsets, exposure=exposure, fixed=fixed, start=start, missing=missing,
        cov_type=cov_type, dispersion=dispersion, convention=convention, method=method,
        groups=groups, maxiter=maxiter, tol=tol, safe_formulas=safe_formulas,
        singular=singular, penalty=penalty)
    if _is_dask(data) and penalty is not None:
        raise DataError("penalty='firth' needs the rows in memory (each iteration reads "
                        "the leverages). Fix: fit a pandas frame, e.g. data.compute().")
    if _is_dask(data):
        from .partitioned import fit_partitioned
        return fit_partitioned(request, data, persist=persist, progress=progress,
                               censoring=censoring, truncation=truncation)
    frame = formulas_.build(request.formulas, data, weights=request.weights,
                            var_weights=request.var_weights, offsets=request.offsets,
                            exposure=request.exposure, groups=request.groups,
                            missing=request.missing, safe=request.safe_formulas,
                            censoring=censoring, truncation=truncation)
    return estimate(request, binding.adjust_frame(request.family, frame))


def _bound(family, formula, data, parameter_formulas, link=None):
    """A family whose parameters depend on the data, bound to its response
    (:mod:`mlefit.binding`); any other family as given."""
    fam = get_family(family)[0] if isinstance(family, str) else family
    if not binding.needs_binding(fam):
        return family, data, parameter_formulas
    if link is not None:
        kind = type(fam)
        raise DataError(f"link={link!r}: the {fam.name!r} family's parameters are bound to "
                        "its response, each on the identity scale; a link of the family "
                        f"itself is an argument of its class. Fix: family={kind.__module__}."
                        f"{kind.__name__}(link={link!r}) where the family has one (ordinal).")
    return binding.bind_data(fam, formula, data, parameter_formulas)


def _is_dask(data) -> bool:
    """Whether ``data`` is a Dask DataFrame (dask itself is imported only then)."""
    return type(data).__module__.split(".")[0] in ("dask", "dask_expr") and \
        hasattr(data, "npartitions")


def fit_arrays(y, X, family: str | Family = "gaussian", *, designs: dict | None = None,
               names: dict | None = None, link=None, links=None, weights=None,
               var_weights=None, offset=None, offsets=None, fixed=None, start=None,
               cov_type: str = "observed", dispersion: str = "ml",
               convention: str | None = None, method: str = "newton", groups=None,
               maxiter: int = 100, tol: float = 1e-12, singular: str = "error",
               penalty: str | None = None, censoring=None,
               truncation=None) -> FitResult:
    """Fit from arrays: ``y`` and the first parameter's design ``X`` (no formula).

    ``designs={"sigma": X_sigma}`` gives other parameters their own design (default: an
    intercept column). ``names={"mu": [...]}`` names the columns (default: a DataFrame's
    column names, else ``x0, x1, ...``). Rows with a missing value are refused (clean them
    first); everything else is as :func:`fit` (``singular="drop"`` and ``penalty``
    included).

    A censored response is ``y=mlefit.Surv(...)`` (any of its forms); ``censoring=(lo,
    hi)`` takes fixed limits and ``truncation=(lower, upper)`` numbers or one value per
    row (None: an open end), as in :func:`fit`.
    """
    fam = get_family(family)[0] if isinstance(family, str) else family
    if binding.needs_binding(fam):
        family, y, designs, names = binding.bind_arrays(fam, y, X, designs, names)
    request = build_request(
        family, designs=designs, names=names, link=link, links=links, weights=weights,
        var_weights=var_weights, offset=offset, offsets=offsets, fixed=fixed, start=start,
        cov_type=cov_type, dispersion=dispersion, convention=convention, method=method,
        groups=groups, maxiter=maxiter, tol=tol, singular=singular, penalty=penalty)
    frame = _array_frame(request, y.time if isinstance(y, Surv) else y, as_pandas(X, "X"))
    frame = _censored_arrays(frame, y, censoring, truncation)
    return estimate(request, binding.adjust_frame(request.family, frame))


def _censored_arrays(frame: ModelFrame, y, censoring, truncation) -> ModelFrame:
    """The array frame with its censoring (a Surv ``y``, fixed limits, truncation)."""
    ends = [None, None]
    if truncation is not None:
        for i, end in enumerate(truncation_ends(truncation)):
            if end is not None:
                values = np.broadcast_to(formulas_.numeric("truncation", np.atleast_1d(end)),
                                         (frame.n,))
                if np.isnan(values).any():
                    raise DataError("truncation has missing values. Fix: clean them first.")
                ends[i] = np.array(values, dtype=float)
    yy, resp = response_of(frame.y, y if isinstance(y, Surv) else None, censoring, *ends,
                           truncation)
    if resp is None:
        return frame
    return replace(frame, y=yy, censoring=resp,
                   response=(repr(y),) if isinstance(y, Surv) else frame.response)


def _all_finite(M: np.ndarray, block: int = 1 << 14) -> bool:
    """Whether every value is finite (in row blocks: no n-by-p temporary)."""
    return all(np.isfinite(M[s:s + block]).all() for s in range(0, M.shape[0], block))


def _column(name, value, n):
    if value is None:
        return None
    arr = formulas_.numeric(name, value)
    if arr.shape[0] != n:
        raise DataError(f"{name} has {arr.shape[0]} values for {n} rows.")
    if not np.all(np.isfinite(arr)):
        raise DataError(f"{name} has missing or non-finite values. Fix: clean them first.")
    return arr


def _all_finite(values: np.ndarray) -> bool:
    """Whether every value is finite, in one pass over them (their sum) and no temporary
    the size of ``values``, unless the sum overflows or is not finite."""
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(np.add.reduce(values, axis=None)):
            return True
    return bool(np.isfinite(values).all())


def _matrix(name: str, value) -> np.ndarray:
    """A dense 1-D or 2-D float array, or a DataError naming ``name``."""
    if hasattr(value, "toarray") and not isinstance(value, np.ndarray):
        raise DataError(f"{name} is a sparse matrix. Fix: pass a dense array (.toarray()).")
    refuse_complex(name, value)
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name} is not numeric ({exc}). Fix: pass a numeric array.") from exc
    if arr.ndim not in (1, 2):
        raise DataError(f"{name} has {arr.ndim} dimensions. Fix: pass a vector or a matrix.")
    return arr


def _labels(value) -> tuple[str, ...] | None:
    """The column names of a pandas design (a DataFrame's columns, a named Series), which
    ``fit_arrays`` keeps as the terms' names when ``names=`` does not give them."""
    if isinstance(value, pd.DataFrame):
        return tuple(str(c) for c in value.columns)
    if isinstance(value, pd.Series) and value.name is not None:
        return (str(value.name),)
    return None


def _array_frame(request: FitRequest, y, X) -> ModelFrame:
    """The model frame of ``fit_arrays``: every row, as given."""
    fam, designs, names, fixed = request.family, request.designs, request.names, request.fixed
    all_offsets, groups = request.offsets, request.groups
    y = _matrix("y", y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    n = y.shape[0]
    if n == 0:
        raise DataError("y is empty.")
    if not _all_finite(y):
        raise DataError("y has missing or non-finite values. Fix: drop those rows first.")
    first = fam.parameters[0].name
    mats = {first: X, **designs}
    out = {}
    for p in fam.parameter_names:
        if p in fixed:
            continue
        M = constant(1.0, (n, 1)) if p not in mats else _matrix(f"the design of {p!r}", mats[p])
        if M.ndim == 1:
            M = M[:, None]
        if M.shape[0] != n:
            raise DataError(f"the design of {p!r} has {M.shape[0]} rows; y has {n}.")
        if not _all_finite(M):
            raise DataError(f"the design of {p!r} has missing or non-finite values.")
        cols = tuple(names.get(p) or (("Intercept",) if p not in mats else
                                      _labels(mats[p]) or
                                      tuple(f"x{i}" for i in range(M.shape[1]))))
        if len(cols) != M.shape[1]:
            raise DataError(f"names for {p!r} has {len(cols)} entries for {M.shape[1]} columns.")
        off = _column(f"offset of {p!r}", all_offsets.get(p), n)
        out[p] = Design(p, "(arrays)" if p in mats else "~ 1", cols, M,
                        constant(0.0, n) if off is None else off)
    w = _column("weights", request.weights, n)
    vw = _column("var_weights", request.var_weights, n)
    for label, values in (("weights", w), ("var_weights", vw)):
        if values is not None and (values < 0).any():
            raise DataError(f"{label} has negative values. Fix: weights must be >= 0.")
    g = None if groups is None else np.asarray(groups, dtype=object).reshape(-1)
    if g is not None and g.shape[0] != n:
        raise DataError(f"groups has {g.shape[0]} labels for {n} rows. Fix: one label per row.")
    return ModelFrame(y, ("y",), out, constant(1.0, n) if w is None else w, vw,
                      pd.RangeIndex(n), 0, {}, g)
