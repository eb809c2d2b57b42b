"""The public entry points: thin wiring of registry, formula, fitting and results."""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Integral, Real

import numpy as np
import pandas as pd

from . import formula as formulas_
from .contract import RESERVED_NAMES, validate_family
from .conventions import resolve
from .engine import METHODS
from .errors import DataError
from .family import Family, FamilyInfo
from .fitting import Options, estimate
from .formula import Design, ModelFrame
from .links import Link
from .registry import get_registry
from .results import FitResult

__all__ = ["families", "fit", "fit_arrays", "get_family"]


def families() -> list[FamilyInfo]:
    """Installed families: name, aliases, parameters, links, support, capabilities, source."""
    return get_registry().infos()


def get_family(family: str | Family) -> tuple[Family, str]:
    """The family object and a label of where it came from (for error messages)."""
    registry = get_registry()
    if isinstance(family, Family):
        origin = f"{type(family).__module__}.{type(family).__qualname__} (instance)"
        return validate_family(family, origin, set(registry.links)), origin
    if isinstance(family, type) and issubclass(family, Family):
        raise DataError(f"family={family.__name__} is a class. Fix: pass an instance, "
                        f"family={family.__name__}().")
    if not isinstance(family, str):
        raise DataError(f"family={family!r} is neither a name nor an mlefit.Family instance.")
    fam = registry.family(family)
    infos = [i for i in registry.infos() if i.family is fam]
    return fam, f"{infos[0].source}" if infos else family


def _mapping(label: str, value) -> dict:
    """A per-parameter option (``links=``, ``fixed=``, ``offsets=``, ...) as a dict."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise DataError(f"{label}= must be a dict keyed by parameter name (e.g. "
                        f"{label}={{'sigma': ...}}), not a {type(value).__name__}.")
    return dict(value)


def _per_parameter(family: Family, label: str, value, fixed, *, first: bool = True) -> dict:
    """``value`` checked to name estimated parameters of ``family`` only."""
    out = _mapping(label, value)
    allowed = family.parameter_names if first else family.parameter_names[1:]
    for name in out:
        if name not in allowed:
            raise DataError(f"{label} names {name!r}, not a parameter of {family.name!r} "
                            f"({list(allowed)}).")
        if name in fixed:
            raise DataError(f"{label} names {name!r}, which is fixed (not estimated). Fix: "
                            f"drop it from {label}, or do not fix {name!r}.")
    return out


def _offsets(family: Family, offset, offsets, fixed) -> dict:
    """``offsets=`` with ``offset=`` as the first parameter's entry (not both)."""
    out = _per_parameter(family, "offsets", offsets, fixed)
    first = family.parameters[0].name
    if offset is not None:
        if first in out:
            raise DataError(f"offset= and offsets={{{first!r}: ...}} both give the offset of "
                            f"{first!r}. Fix: pass one of them (add the two if both apply).")
        out[first] = offset
    return out


def _links(family: Family, link, links) -> dict[str, Link]:
    registry = get_registry()
    chosen = {p.name: p.default_link for p in family.parameters}
    requested = _mapping("links", links)
    if link is not None:
        requested[family.parameters[0].name] = link
    for name, value in requested.items():
        if name not in chosen:
            raise DataError(f"links names {name!r}, not a parameter of {family.name!r} "
                            f"({list(chosen)}).")
        value = value.name if isinstance(value, Link) else str(value)
        canonical = registry.link(value).name
        allowed = family.parameter(name).allowed_links
        if canonical not in allowed:
            raise DataError(f"link {value!r} is not allowed for {family.name!r} parameter "
                            f"{name!r}. Allowed: {list(allowed)}.")
        chosen[name] = canonical
    return {name: registry.link(value) for name, value in chosen.items()}


def _fixed(family: Family, fixed) -> dict[str, float]:
    fixed = _mapping("fixed", fixed)
    first = family.parameters[0].name
    for name, value in fixed.items():
        if name not in family.parameter_names:
            raise DataError(f"fixed names {name!r}, not a parameter of {family.name!r} "
                            f"({list(family.parameter_names)}).")
        if name == first:
            raise DataError(f"the first parameter {first!r} carries the main formula and cannot "
                            "be fixed. Fix: use offset= for a known linear predictor.")
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise DataError(f"fixed {name}={value!r} is not a number. Fix: give one "
                            "natural-scale value per fixed parameter.") from None
        if not family.parameter(name).domain.contains(value):
            raise DataError(f"fixed {name}={value!r} is outside its domain "
                            f"{family.parameter(name).domain}.")
    return {k: float(v) for k, v in fixed.items()}


def _parameter_formulas(family: Family, formula: str, extra: dict, fixed) -> dict[str, str]:
    names = family.parameter_names
    unknown = [k for k in extra if k not in names]
    if unknown:
        raise TypeError(f"fit() got unexpected keyword(s) {unknown}. Family {family.name!r} has "
                        f"parameters {list(names)} (a parameter's formula is passed as a "
                        f"keyword named after it, e.g. {names[-1]}='~ x'); options are "
                        f"{sorted(RESERVED_NAMES - {'y', 'X', 'names', 'designs'})}.")
    out = {names[0]: formula}
    for name in names[1:]:
        given = extra.get(name)
        if name in fixed:
            if given is not None:
                raise DataError(f"{name} is both fixed and given a formula. Fix: choose one.")
            continue
        if given is None:
            given = "~ 1"
        given = str(given).strip()
        if not given.startswith("~"):
            given = "~ " + given
        out[name] = given
    return out


def _options(family, *, cov_type, dispersion, convention, method, start, maxiter, tol):
    if method not in METHODS:
        raise DataError(f"method={method!r} is not one of {list(METHODS)}.")
    if isinstance(maxiter, bool) or not isinstance(maxiter, Integral) or maxiter < 1:
        raise DataError(f"maxiter={maxiter!r} must be a positive integer.")
    if not isinstance(tol, Real) or not 0 < tol < 1:
        raise DataError(f"tol={tol!r} must be a number in (0, 1) (default 1e-12).")
    conv = resolve(family, convention, cov_type, dispersion)
    return Options(conv, method, start, maxiter, tol)


def fit(formula: str, data, family: str | Family = "gaussian", *, link=None, links=None,
        weights=None, var_weights=None, offset=None, offsets=None, exposure=None,
        fixed=None, start=None, missing: str = "drop", cov_type: str = "observed",
        dispersion: str = "ml", convention: str | None = None, method: str = "newton",
        groups=None, maxiter: int = 100, tol: float = 1e-12,
        **parameter_formulas: str) -> FitResult:
    """Fit a distributional regression by maximum likelihood.

    Parameters
    ----------
    formula : str
        ``"y ~ x1 + x2"``: the response and the design of the family's first parameter.
    data : pandas.DataFrame
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
    cov_type : {"observed", "expected", "robust", "HC0", "HC1", "cluster"}
    dispersion : {"ml", "pearson"}
    convention : {None, "ML", "R"}
        ``"R"`` reproduces R's glm summary for the GLM families.
    method : str
        ``"newton"`` (default) or a scipy.optimize method (``"bfgs"``, ...).
    groups
        Cluster labels for ``cov_type="cluster"``.

    Returns
    -------
    FitResult
    """
    fam, origin = get_family(family)
    links_ = _links(fam, link, links)
    fixed_ = _fixed(fam, fixed)
    opts = _options(fam, cov_type=cov_type, dispersion=dispersion, convention=convention,
                    method=method, start=start, maxiter=maxiter, tol=tol)
    if not isinstance(formula, str):
        raise DataError(f"formula must be a string like 'y ~ x', not {type(formula).__name__}.")
    forms = _parameter_formulas(fam, formula, parameter_formulas, fixed_)
    first = fam.parameters[0].name
    if exposure is not None and links_[first].name != "log":
        raise DataError(f"exposure= adds log(exposure) to a log-link predictor, but {first!r} "
                        f"has link {links_[first].name!r}. Fix: use offset= instead.")
    _check_groups(cov_type, groups)
    _check_var_weights(fam, links_, var_weights)
    all_offsets = _offsets(fam, offset, offsets, fixed_)
    frame = formulas_.build(forms, data, weights=weights, var_weights=var_weights,
                            offsets=all_offsets, exposure=exposure, groups=groups,
                            missing=missing)
    return estimate(fam, origin, frame, links_, fixed_, opts)


def _check_groups(cov_type: str, groups) -> None:
    if cov_type == "cluster" and groups is None:
        raise DataError("cov_type='cluster' needs groups= (a column name or labels per row).")
    if cov_type != "cluster" and groups is not None:
        raise DataError(f"groups= is used only by cov_type='cluster' (here {cov_type!r}); "
                        "its missing labels would drop rows for nothing. Fix: drop groups= "
                        "or set cov_type='cluster'.")


def _check_var_weights(fam: Family, links_, var_weights):
    if var_weights is None:
        return
    if fam.dispersion is None:
        raise DataError(f"var_weights are precision weights of an exponential-dispersion "
                        f"family; {fam.name!r} has no dispersion parameter. Fix: use "
                        "weights= (frequency weights).")
    name = fam.dispersion.parameter
    if links_[name].name != "log":
        raise DataError(f"var_weights need the log link on {name!r}. Fix: drop links= for it.")


def fit_arrays(y, X, family: str | Family = "gaussian", *, designs: dict | None = None,
               names: dict | None = None, link=None, links=None, weights=None,
               var_weights=None, offset=None, offsets=None, fixed=None, start=None,
               cov_type: str = "observed", dispersion: str = "ml",
               convention: str | None = None, method: str = "newton", groups=None,
               maxiter: int = 100, tol: float = 1e-12) -> FitResult:
    """Fit from arrays: ``y`` and the first parameter's design ``X`` (no formula).

    ``designs={"sigma": X_sigma}`` gives other parameters their own design (default: an
    intercept column). ``names={"mu": [...]}`` names the columns. Rows with a missing
    value are refused (clean them first); everything else is as :func:`fit`.
    """
    fam, origin = get_family(family)
    links_ = _links(fam, link, links)
    fixed_ = _fixed(fam, fixed)
    opts = _options(fam, cov_type=cov_type, dispersion=dispersion, convention=convention,
                    method=method, start=start, maxiter=maxiter, tol=tol)
    _check_groups(cov_type, groups)
    _check_var_weights(fam, links_, var_weights)
    designs_ = _per_parameter(fam, "designs", designs, fixed_, first=False)
    names_ = _per_parameter(fam, "names", names, fixed_)
    frame = _array_frame(fam, y, X, designs_, names_, weights, var_weights,
                         _offsets(fam, offset, offsets, fixed_), fixed_, groups)
    return estimate(fam, origin, frame, links_, fixed_, opts)


def _column(name, value, n):
    if value is None:
        return None
    arr = formulas_.numeric(name, value)
    if arr.shape[0] != n:
        raise DataError(f"{name} has {arr.shape[0]} values for {n} rows.")
    if not np.all(np.isfinite(arr)):
        raise DataError(f"{name} has missing or non-finite values. Fix: clean them first.")
    return arr


def _matrix(name: str, value) -> np.ndarray:
    """A dense 1-D or 2-D float array, or a DataError naming ``name``."""
    if hasattr(value, "toarray") and not isinstance(value, np.ndarray):
        raise DataError(f"{name} is a sparse matrix. Fix: pass a dense array (.toarray()).")
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name} is not numeric ({exc}). Fix: pass a numeric array.") from exc
    if arr.ndim not in (1, 2):
        raise DataError(f"{name} has {arr.ndim} dimensions. Fix: pass a vector or a matrix.")
    return arr


def _array_frame(fam, y, X, designs, names, weights, var_weights, all_offsets, fixed,
                 groups) -> ModelFrame:
    y = _matrix("y", y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    n = y.shape[0]
    if n == 0:
        raise DataError("y is empty.")
    if not np.all(np.isfinite(y)):
        raise DataError("y has missing or non-finite values. Fix: drop those rows first.")
    first = fam.parameters[0].name
    unknown = set(designs) - set(fam.parameter_names[1:])
    if unknown:
        raise DataError(f"designs names {sorted(unknown)}; {fam.name!r} has other parameters "
                        f"{list(fam.parameter_names[1:])}.")
    mats = {first: X, **designs}
    out = {}
    for p in fam.parameter_names:
        if p in fixed:
            continue
        M = np.ones((n, 1)) if p not in mats else _matrix(f"the design of {p!r}", mats[p])
        if M.ndim == 1:
            M = M[:, None]
        if M.shape[0] != n:
            raise DataError(f"the design of {p!r} has {M.shape[0]} rows; y has {n}.")
        if not np.all(np.isfinite(M)):
            raise DataError(f"the design of {p!r} has missing or non-finite values.")
        cols = tuple(names.get(p) or (("Intercept",) if p not in mats else
                                      tuple(f"x{i}" for i in range(M.shape[1]))))
        if len(cols) != M.shape[1]:
            raise DataError(f"names for {p!r} has {len(cols)} entries for {M.shape[1]} columns.")
        off = _column(f"offset of {p!r}", all_offsets.get(p), n)
        out[p] = Design(p, "(arrays)" if p in mats else "~ 1", cols, M,
                        np.zeros(n) if off is None else off)
    w = _column("weights", weights, n)
    vw = _column("var_weights", var_weights, n)
    for label, values in (("weights", w), ("var_weights", vw)):
        if values is not None and (values < 0).any():
            raise DataError(f"{label} has negative values. Fix: weights must be >= 0.")
    g = None if groups is None else np.asarray(groups, dtype=object).reshape(-1)
    if g is not None and g.shape[0] != n:
        raise DataError(f"groups has {g.shape[0]} labels for {n} rows. Fix: one label per row.")
    return ModelFrame(y, ("y",), out, np.ones(n) if w is None else w, vw,
                      pd.RangeIndex(n), 0, {}, g)
