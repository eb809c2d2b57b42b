"""One frozen, validated fit request, built once and shared by every entry point.

A fit runs in four steps, in this order:

1. **The request.** :func:`build_request` resolves the family and checks every option
   against it: links, fixed values, the per-parameter options (formulas, designs, column
   names, offsets), weights, exposure, ``cov_type`` and ``groups``, the convention
   (:func:`mlefit.conventions.resolve`), ``missing``, ``method``, ``start``, ``maxiter``,
   ``tol``, ``singular`` and, for formulas, ``safe_formulas`` (its default read from the
   environment).
   It raises the first problem it meets and returns a :class:`FitRequest`.
   Two checks need the data and come later: ``start=`` values against the designs'
   columns (:mod:`mlefit.start`), and per-row arguments (weights, offsets, groups)
   against the rows (the model frame).
2. **The model frame.** Each entry point builds a :class:`~mlefit.formula.ModelFrame`
   from its own kind of data and nothing else: :func:`mlefit.fit` from formulas and a
   data frame (:func:`mlefit.formula.build`), :func:`mlefit.fit_arrays` from arrays
   (and, later, other entry points such as a Dask frame from theirs). The data checks
   (missing values, row counts, negative weights) happen here.
3. **The response.** :func:`bind_response` is where the family first sees the response:
   ``Family.prepare_response`` (optional), the number of response columns and the
   support. This is the slot for families whose parameters depend on the data (ordinal
   cutpoints, counted from the response's levels): such a family is bound to the data
   here, and the request it returns is final. The request is frozen after this step:
   nothing downstream changes it.
4. **The estimate.** :func:`mlefit.fitting.estimate` fits the request to the frame.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from numbers import Integral, Real

import numpy as np

from .cbind import is_cbind
from .collinearity import SINGULAR
from .contract import RESERVED_NAMES, validate_family
from .conventions import ROBUST_COV_TYPES, Convention, resolve
from .engine import METHODS
from .errors import DataError
from .family import Family
from .formula_safety import resolve as resolve_safe_formulas
from .links import Link, parse_power
from .registry import get_registry

__all__ = ["FitRequest", "Options", "bind_response", "build_request", "get_family"]

MISSING = ("drop", "raise")


@dataclass(frozen=True)
class Options:
    """How to estimate, and what a refit reuses: the convention in force and the
    optimiser's method, start values, iteration limit and tolerance; and what a
    rank-deficient design gets (``singular``: refused, or its aliased columns dropped)."""

    convention: Convention
    method: str = "newton"
    start: object = None
    maxiter: int = 100
    tol: float = 1e-12
    singular: str = "error"
    #: None, or "firth": Jeffreys-prior penalised likelihood (mlefit.engine.firth)
    penalty: str | None = None


@dataclass(frozen=True)
class FitRequest:
    """A validated fit request (see the module docstring for where it is built): a frozen
    dataclass, and its dicts are read-only by agreement: nothing after
    :func:`bind_response` changes the request.

    Per-row arguments (``weights``, ``offsets``, ``exposure``, ``groups``, the arrays'
    ``designs``) are kept as given, a column name or the user's values: the model frame
    turns them into arrays on the rows it keeps.
    """

    family: Family
    #: where the family came from, for error messages
    origin: str
    #: every parameter's link, the defaults filled in
    links: dict[str, Link]
    #: natural-scale values of the parameters held fixed
    fixed: dict[str, float]
    options: Options
    #: ``fit()``: ``{parameter: formula}``, the first with the response; None for arrays
    formulas: dict[str, str] | None = None
    #: ``fit_arrays()``: the other parameters' design matrices, and column names
    designs: dict[str, object] = field(default_factory=dict, repr=False)
    names: dict[str, object] = field(default_factory=dict)
    #: per-parameter offsets, ``offset=`` as the first parameter's
    offsets: dict[str, object] = field(default_factory=dict, repr=False)
    weights: object = field(default=None, repr=False)
    var_weights: object = field(default=None, repr=False)
    exposure: object = field(default=None, repr=False)
    groups: object = field(default=None, repr=False)
    missing: str = "drop"
    #: check every formula term against mlefit.formula_safety's whitelist before evaluating
    safe_formulas: bool = False


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


def build_request(family: str | Family, *, formula=None, parameter_formulas=None,
                  designs=None, names=None, link=None, links=None, weights=None,
                  var_weights=None, offset=None, offsets=None, exposure=None, fixed=None,
                  start=None, missing: str = "drop", cov_type: str = "observed",
                  dispersion: str = "ml", convention: str | None = None,
                  method: str = "newton", groups=None, maxiter: int = 100,
                  tol: float = 1e-12, safe_formulas: bool | None = None,
                  singular: str = "error", penalty: str | None = None) -> FitRequest:
    """Resolve and validate everything a fit is asked for (step 1 of the module docstring).

    ``formula`` and ``parameter_formulas`` (a dict, possibly empty) are those of
    :func:`mlefit.fit`; an array entry point passes neither and may pass ``designs`` and
    ``names``. Every other argument is as :func:`mlefit.fit` documents it.
    """
    fam, origin = get_family(family)
    if fixed and fam.has("quasi_variant"):   # e.g. the Tweedie at a power without likelihood
        fam = fam.quasi_variant(_mapping("fixed", fixed), convention) or fam
    links_ = _links(fam, link, links)
    fixed_ = _fixed(fam, fixed)
    options = _options(fam, cov_type=cov_type, dispersion=dispersion, convention=convention,
                       method=method, start=start, maxiter=maxiter, tol=tol, fixed=fixed_,
                       singular=singular)
    if penalty is not None:
        options = replace(options, penalty=_penalty(fam, links_, fixed_, penalty, options))
    forms = None
    if formula is not None or parameter_formulas is not None:
        if not isinstance(formula, str):
            raise DataError(f"formula must be a string like 'y ~ x', not "
                            f"{type(formula).__name__}.")
        forms = _formulas(fam, formula, parameter_formulas or {}, fixed_)
    first = fam.parameters[0].name
    if exposure is not None and links_[first].name != "log":
        raise DataError(f"exposure= adds log(exposure) to a log-link predictor, but {first!r} "
                        f"has link {links_[first].name!r}. Fix: use offset= instead.")
    _check_groups(cov_type, groups)
    _check_var_weights(fam, links_, var_weights)
    designs_ = _per_parameter(fam, "designs", designs, fixed_, first=False)
    names_ = _per_parameter(fam, "names", names, fixed_)
    offsets_ = _offsets(fam, offset, offsets, fixed_)
    if missing not in MISSING:
        raise DataError(f"missing={missing!r} is not one of 'drop', 'raise'.")
    return FitRequest(fam, origin, links_, fixed_, options, forms, designs_, names_, offsets_,
                      weights, var_weights, exposure, groups, missing,
                      safe_formulas=forms is not None and resolve_safe_formulas(safe_formulas))


def bind_response(request: FitRequest, y: np.ndarray) -> tuple[FitRequest, np.ndarray]:
    """Step 3: the family first sees the response ``y`` of the model frame.

    Returns the request to fit, final from here on (today the one given: the place where
    a family whose parameters depend on the data is bound to it), and ``y`` in the form
    the family's ``logpdf`` takes, checked against its column count and support.
    """
    family = request.family
    if family.has("prepare_response"):
        y = np.asarray(family.prepare_response(y), dtype=float)
    cols = 1 if y.ndim == 1 else y.shape[1]
    if cols != family.response_columns and is_cbind(
            next(iter((request.formulas or {}).values()), "")):
        raise DataError(f"cbind(...) gives a response of {cols} columns, but family "
                        f"{family.name!r} takes {family.response_columns}: cbind(successes, "
                        "failures) is the response of a family with a multi-column response "
                        "(binomial). Fix: write the response as one column (e.g. 'y ~ x'), "
                        "or use such a family (e.g. family='binomial').")
    if cols != family.response_columns:
        raise DataError(f"family {family.name!r} takes a response of {family.response_columns} "
                        f"column(s); the formula gives {cols}. Fix: write the left-hand side "
                        "with that many columns (e.g. 'successes + failures ~ x').")
    inside = _inside_support(family.support, y)
    if not inside.all():
        bad = np.flatnonzero(~inside)
        shown = ", ".join(f"{v!r}" for v in np.unique(y[bad])[:5].tolist())
        raise DataError(f"{bad.size} response value(s) lie outside the support {family.support} "
                        f"of family {family.name!r} (e.g. {shown}). Fix: choose a family whose "
                        "support contains the data, or remove/recode those rows.")
    return request, y


def _inside_support(support, y: np.ndarray, block: int = 1 << 16) -> np.ndarray:
    """Per row: every column of ``y`` in ``support`` (in row blocks: no temporaries the
    size of ``y``)."""
    out = np.empty(y.shape[0], dtype=bool)
    for start in range(0, y.shape[0], block):
        inside = support.contains(y[start:start + block])
        out[start:start + block] = inside.all(axis=1) if inside.ndim == 2 else inside
    return out


# the checks, in the order build_request makes them ---------------------------------------
def _mapping(label: str, value) -> dict:
    """A per-parameter option (``links=``, ``fixed=``, ``offsets=``, ...) as a dict."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise DataError(f"{label}= must be a dict keyed by parameter name (e.g. "
                        f"{label}={{'sigma': ...}}), not a {type(value).__name__}.")
    return dict(value)


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
        if canonical not in allowed and not (parse_power(canonical) is not None
                                             and "power" in allowed):
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


def _penalty(family, links, fixed, penalty, options) -> str:
    """``penalty="firth"``: the canonical binomial-logit and poisson-log models only."""
    from .engine.firth import CANONICAL

    if penalty != "firth":
        raise DataError(f"penalty={penalty!r} is not None or 'firth'.")
    first = family.parameters[0].name
    pair = (family.name, links[first].name)
    others = [p.name for p in family.parameters[1:] if p.name not in fixed]
    if pair not in CANONICAL or others:
        raise DataError(f"penalty='firth' is implemented for canonical links only "
                        f"(binomial with logit, poisson with log), not {family.name!r} with "
                        f"the {links[first].name} link. Fix: use one of those, or fit "
                        "without the penalty.")
    if options.method != "newton":
        raise DataError(f"penalty='firth' has its own maximiser; method={options.method!r} "
                        "does not apply. Fix: leave method at 'newton'.")
    if options.convention.cov_type in ROBUST_COV_TYPES:
        raise DataError(f"cov_type={options.convention.cov_type!r} is a sandwich of the "
                        "unpenalised scores, which do not vanish at Firth's estimate. Fix: "
                        "use cov_type='observed' or 'expected' (the inverse Fisher "
                        "information, as logistf), or fit without the penalty.")
    return penalty


def _options(family, *, cov_type, dispersion, convention, method, start, maxiter,
             tol, fixed=(), singular="error") -> Options:
    if method not in METHODS:
        raise DataError(f"method={method!r} is not one of {list(METHODS)}.")
    if isinstance(maxiter, bool) or not isinstance(maxiter, Integral) or maxiter < 1:
        raise DataError(f"maxiter={maxiter!r} must be a positive integer.")
    if not isinstance(tol, Real) or not 0 < tol < 1:
        raise DataError(f"tol={tol!r} must be a number in (0, 1) (default 1e-12).")
    _check_singular(singular)
    conv = resolve(family, convention, cov_type, dispersion, fixed)
    return Options(conv, method, start, maxiter, tol, singular)


def _check_singular(singular) -> None:
    if not isinstance(singular, str) or singular not in SINGULAR:
        raise DataError(f"singular={singular!r} is not one of {', '.join(map(repr, SINGULAR))}"
                        ": 'error' (the default) refuses a design whose columns are linearly "
                        "dependent, 'drop' drops the aliased columns (their estimates NaN, as "
                        "R's glm reports NA).")


def _formulas(family: Family, formula: str, extra: dict, fixed) -> dict[str, str]:
    """``{parameter: formula}``: the main formula, and a one-sided formula (default
    ``~ 1``, or the main formula's right-hand side for a parameter declared
    ``shares_formula``) for every other parameter not fixed."""
    names = family.parameter_names
    unknown = [k for k in extra if k not in names]
    if unknown:
        raise TypeError(f"fit() got unexpected keyword(s) {unknown}. Family {family.name!r} has "
                        f"parameters {list(names)} (a parameter's formula is passed as a "
                        f"keyword named after it, e.g. {names[-1]}='~ x'); options are "
                        f"{sorted(RESERVED_NAMES - {'y', 'X', 'names', 'designs'})}.")
    if names[0] in extra:
        raise DataError(f"{names[0]}= gives a formula to {family.name!r}'s first parameter "
                        f"{names[0]!r}, whose formula is the main one ({formula!r}). Fix: "
                        "write its terms in the main formula.")
    out = {names[0]: formula}
    for name in names[1:]:
        given = extra.get(name)
        if name in fixed:
            if given is not None:
                raise DataError(f"{name} is both fixed and given a formula. Fix: choose one.")
            continue
        if given is None:      # a parameter sharing the main formula's design gets its rhs
            given = "~ " + formula.partition("~")[2].strip() \
                if family.parameter(name).shares_formula else "~ 1"
        given = str(given).strip()
        _one_sided(name, given)
        if not given.startswith("~"):
            given = "~ " + given
        out[name] = given
    return out


def _one_sided(name: str, given: str) -> None:
    """Refuse a parameter formula with a left-hand side (``sigma="y ~ z"``): only the
    main formula carries the response."""
    lhs, tilde, rhs = given.partition("~")
    if tilde and lhs.strip():
        raise DataError(f"the formula of {name!r}, {given!r}, has a left-hand side "
                        f"({lhs.strip()!r}); a parameter's formula is one-sided, the response "
                        f"is the main formula's. Fix: {name}='~ {rhs.strip()}'.")


def _check_groups(cov_type: str, groups) -> None:
    if cov_type == "cluster" and groups is None:
        raise DataError("cov_type='cluster' needs groups= (a column name or labels per row).")
    if cov_type != "cluster" and groups is not None:
        raise DataError(f"groups= is used only by cov_type='cluster' (here {cov_type!r}); "
                        "its missing labels would drop rows for nothing. Fix: drop groups= "
                        "or set cov_type='cluster'.")


def _check_var_weights(fam: Family, links_, var_weights) -> None:
    if var_weights is None:
        return
    if fam.dispersion is None:
        raise DataError(f"var_weights are precision weights of an exponential-dispersion "
                        f"family; {fam.name!r} has no dispersion parameter. Fix: use "
                        "weights= (frequency weights).")
    name = fam.dispersion.parameter
    if links_[name].name != "log":
        raise DataError(f"var_weights need the log link on {name!r}. Fix: drop links= for it.")


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
