"""The rules a family must keep, checked once: at registration and at ``fit`` entry.

Static rules (:func:`validate_family`) look at the declaration. Runtime rules
(:func:`check_logpdf`) call ``logpdf`` once on the data at the start values, so that a
broken plugin fails with its name and the rule it broke, not deep inside the optimiser.
"""

from __future__ import annotations

import inspect
import keyword
import re

import numpy as np

from .domains import Domain
from .engine.censored import CENSORING_DERIVATIVES
from .errors import DataError, FamilyContractError
from .family import OPTIONAL_METHODS, Dispersion, Family, Parameter, Reduction
from .links import Link

#: the name a parameter lists in ``links`` to allow every power link ``"power(q)"``
POWER_LINKS = "power"

__all__ = ["RESERVED_NAMES", "SUPPORTED_API_VERSIONS", "check_logpdf", "validate_family",
           "validate_link"]

SUPPORTED_API_VERSIONS = frozenset({1})

#: Keywords of ``fit``; no family may name a parameter after one of them.
RESERVED_NAMES = frozenset({
    "formula", "data", "family", "link", "links", "weights", "var_weights", "offset",
    "offsets", "exposure", "fixed", "start", "missing", "cov_type", "dispersion",
    "convention", "method", "groups", "maxiter", "tol", "y", "X", "designs", "names",
    "safe_formulas", "singular", "persist", "penalty", "progress", "censoring",
    "truncation",
})

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def _fail(origin: str, rule: str, fix: str) -> FamilyContractError:
    return FamilyContractError(f"family plugin {origin}: {rule}. Fix: {fix}.")


def validate_family(family, origin: str, known_links=None) -> Family:
    """Check a family's declaration; raise :class:`FamilyContractError` naming ``origin``.

    ``known_links`` (a set of names) also checks that every allowed link exists.
    """
    if not isinstance(family, Family):
        raise _fail(origin, f"returned {type(family).__name__!r}, not an mlefit.Family instance",
                    "subclass mlefit.Family and return an instance from register_families()")
    label = f"{origin} ({type(family).__name__})"
    version = getattr(family, "api_version", 1)
    if version not in SUPPORTED_API_VERSIONS:
        raise _fail(label, f"declares api_version={version!r}, but this mlefit supports "
                    f"{sorted(SUPPORTED_API_VERSIONS)}",
                    "upgrade mlefit or the plugin so they agree")
    name = getattr(family, "name", None)
    if not isinstance(name, str) or not _NAME.match(name):
        raise _fail(label, f"name {name!r} is not a lower-case identifier",
                    'set a class attribute like name = "my_family"')
    label = f"{origin} (family {name!r})"
    aliases = getattr(family, "aliases", ())
    if not isinstance(aliases, tuple | list) or not all(isinstance(a, str) for a in aliases):
        raise _fail(label, "aliases must be a tuple of strings", 'use aliases = ("other_name",)')
    if not isinstance(getattr(family, "support", None), Domain):
        raise _fail(label, "support is not an mlefit.domains.Domain",
                    "set support = Real(), Positive(), NonNegativeIntegers(), ...")
    _validate_parameters(family, label, known_links)
    if not callable(getattr(family, "logpdf", None)) or type(family).logpdf is Family.logpdf:
        raise _fail(label, "defines no logpdf",
                    "define logpdf(self, y, <one keyword per parameter>)")
    _validate_logpdf_signature(family, label)
    for method in OPTIONAL_METHODS:
        if hasattr(family, method) and not callable(getattr(family, method)):
            raise _fail(label, f"{method} is not callable", f"make {method} a method or remove it")
    _validate_censoring_methods(family, label)
    columns = getattr(family, "response_columns", 1)
    if not isinstance(columns, int) or columns < 1:
        raise _fail(label, f"response_columns={columns!r} is not a positive integer",
                    "set response_columns to the number of columns logpdf's y has")
    names = set(family.parameter_names)
    disp = family.dispersion
    if disp is not None and (not isinstance(disp, Dispersion) or disp.parameter not in names
                             or disp.power == 0):
        raise _fail(label, f"dispersion {disp!r} does not name one of its parameters with a "
                    "non-zero power", 'use dispersion = Dispersion("sigma", power=2)')
    scaling = getattr(family, "response_scaling", None)
    if scaling is not None and (not isinstance(scaling, dict) or
                                set(scaling) - set(family.parameter_names) or
                                not all(isinstance(v, (int, float)) for v in scaling.values())):
        raise _fail(label, f"response_scaling {scaling!r} is not a dict from its parameter "
                    "names to powers", 'use response_scaling = {"mu": 1, "sigma": 1}')
    for red in family.reductions:
        if not isinstance(red, Reduction) or red.parameter not in names:
            raise _fail(label, f"reduction {red!r} does not name one of its parameters",
                        'use Reduction("poisson", "theta", np.inf, boundary=True)')
    return family


def _validate_censoring_methods(family, label) -> None:
    """The derivatives of ``logcdf``/``logsf`` come in pairs, with the two functions: the
    first derivatives alone (checked by the conformance kit; censored rows are then
    differentiated numerically) or all four (exact Newton on censored rows)."""
    first, second = CENSORING_DERIVATIVES[:2], CENSORING_DERIVATIVES[2:]
    given = [m for m in CENSORING_DERIVATIVES if family.has(m)]
    for pair in (first, second):
        if sum(family.has(m) for m in pair) == 1:
            raise _fail(label, f"defines {[m for m in pair if family.has(m)]} but not "
                        f"{[m for m in pair if not family.has(m)]}",
                        f"define both of {list(pair)}, or neither")
    if family.has(second[0]) and not family.has(first[0]):
        raise _fail(label, f"defines {list(second)} but not {list(first)}",
                    "define the first derivatives too, or none (numeric ones are used)")
    if given and not (family.has("logcdf") and family.has("logsf")):
        raise _fail(label, "defines derivatives of logcdf and logsf but not both functions",
                    "define logcdf(y, **params) and logsf(y, **params)")


def validate_link(link, origin: str) -> Link:
    """Check a link's declaration (name, callables, aliases); raise naming ``origin``.

    Its behaviour (round trip, derivatives) is checked by ``mlefit.testing.check_link``.
    """
    if not isinstance(link, Link):
        raise _fail(origin, f"returned {type(link).__name__!r}, not an mlefit.links.Link",
                    "return Link(name, link, inverse, inverse_deriv, inverse_deriv2) "
                    "instances from register_links()")
    label = f"{origin} (link {link.name!r})"
    if not isinstance(link.name, str) or not link.name or link.name != link.name.strip():
        raise _fail(label, "the link name is not a non-empty string",
                    'use a name like "softplus"')
    for part in ("link", "inverse", "inverse_deriv", "inverse_deriv2"):
        if not callable(getattr(link, part)):
            raise _fail(label, f"{part} is not callable", f"give {part} as a function")
    if link.saturates is not None and not callable(link.saturates):
        raise _fail(label, "saturates is not callable", "give a function or None")
    if not isinstance(link.aliases, tuple | list) or not all(
            isinstance(a, str) and a for a in link.aliases):
        raise _fail(label, "aliases must be a tuple of strings", 'use aliases=("other",)')
    return link


def _validate_parameters(family, label, known_links):
    params = getattr(family, "parameters", None)
    if not isinstance(params, tuple | list) or not params:
        raise _fail(label, "parameters is empty or not a tuple",
                    'set parameters = (Parameter("mu", Real()), ...)')
    seen = set()
    for p in params:
        if not isinstance(p, Parameter):
            raise _fail(label, f"parameter {p!r} is not an mlefit.Parameter",
                        'declare Parameter("name", Domain())')
        if not p.name.isidentifier() or keyword.iskeyword(p.name):
            raise _fail(label, f"parameter name {p.name!r} is not a Python identifier",
                        "rename it")
        if p.name in RESERVED_NAMES:
            raise _fail(label, f"parameter name {p.name!r} is a reserved fit() option",
                        "rename the parameter (e.g. add a suffix)")
        if p.name in seen:
            raise _fail(label, f"parameter {p.name!r} is declared twice", "rename one of them")
        seen.add(p.name)
        if not isinstance(p.domain, Domain):
            raise _fail(label, f"parameter {p.name!r} has no Domain",
                        "give it Real(), Positive(), ...")
        low, high = p.typical_range
        if not (low < high and p.domain.contains([low, high]).all()):
            raise _fail(label, f"typical range {p.typical_range} of {p.name!r} is not an "
                        f"increasing pair inside {p.domain}", "fix Parameter(typical=...)")
        if known_links is not None:
            unknown = [link for link in p.allowed_links
                       if link not in known_links and link != POWER_LINKS]
            if unknown:
                raise _fail(label, f"parameter {p.name!r} allows unknown link(s) {unknown}",
                            f"use installed links: {sorted(known_links)}")


def _validate_logpdf_signature(family, label):
    try:
        sig = inspect.signature(family.logpdf)
    except (TypeError, ValueError):  # builtins and C functions: trust them
        return
    accepts_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in sig.parameters.values())
    missing = [n for n in family.parameter_names if n not in sig.parameters]
    if missing and not accepts_any:
        raise _fail(label, f"logpdf does not accept the parameter(s) {missing} as keywords",
                    f"define logpdf(self, y, {', '.join(family.parameter_names)})")


def check_logpdf(family: Family, origin: str, y: np.ndarray, params: dict,
                 first_row: int = 0) -> np.ndarray:
    """Call ``logpdf`` once and check the runtime rules; return its values. ``first_row``
    is the index of ``y``'s first row in the data (when called on a block of rows)."""
    label = f"{origin} (family {family.name!r})"
    try:
        with np.errstate(all="ignore"):   # NaN is judged below, with its cause
            values = family.logpdf(y, **params)
    except Exception as exc:
        raise _fail(label, f"logpdf raised {type(exc).__name__}: {exc}",
                    "logpdf must evaluate on arrays of every row; return -inf outside the "
                    "support instead of raising") from exc
    values = np.asarray(values)
    n = y.shape[0]
    if values.shape != (n,):
        raise _fail(label, f"logpdf returned shape {values.shape} for {n} rows",
                    "return one log density per row (vectorise over y and the parameters)")
    if np.isnan(values).any():
        bad = int(np.flatnonzero(np.isnan(values))[0])
        off = [k for k, v in params.items()
               if not np.isfinite(np.broadcast_to(np.asarray(v), (n,))[bad])]
        bad += first_row
        if off:
            raise DataError(f"at the start values, {off} of row {bad} is not finite (an "
                            "offset or exposure too large for the link overflows it), so the "
                            "log-likelihood is NaN there. Fix: check the offset's scale "
                            "(e.g. log(exposure), not exposure).")
        raise _fail(label, f"logpdf returned NaN inside the support (first at row {bad})",
                    "return a finite value or -inf; check the formula for 0/0 or log of "
                    "a negative number")
    return values
