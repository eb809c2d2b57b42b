"""Start values: the family's ``start`` when it has one, otherwise an intercept-only fit.

A family without ``start`` gets a derivative-free warm-up before its intercept-only fit
(:func:`warm_up`): coordinate-wise grid searches of the intercept-only log-likelihood on
at most :data:`WARM_UP_ROWS` evenly spaced rows, widest first, then a Nelder-Mead simplex
from the best grid point (it follows ridges a grid cannot). The generic constants
(``typical`` ranges) know nothing of the data's scale, and Newton from them may stop at a
poor local optimum or diverge (a skew-normal's scale 1 for data of spread 23, its shape on
the wrong side of 0).

Constants on the natural scale become coefficients through the link: the intercept gets
``link(value)``, slopes start at zero. A design without an intercept gets the least-squares
projection of the constant linear predictor. ``start=`` overrides any of it; after
``singular="drop"`` it may also be given for every column of the designs, as R's ``glm``
takes it (:func:`without_aliased` drops the entries of the aliased columns).
"""

from __future__ import annotations

import numpy as np
from scipy import optimize

from .engine import Block, Objective, linalg, newton
from .errors import DataError
from .family import constant

__all__ = ["WARM_UP_ROWS", "coefficients", "constants", "first_guess", "generic_constants",
           "start_vector", "warm_up", "without_aliased"]

#: the warm-up of a family without ``start`` reads at most this many rows
WARM_UP_ROWS = 20_000
#: grid points per coordinate and the half-widths (link units, times each coordinate's
#: scale) of the warm-up's successive sweeps
WARM_UP_POINTS = 33
WARM_UP_WIDTHS = (8.0, 2.0, 0.5, 0.125)
#: the simplex polish after the grid: at most this many iterations per coordinate
WARM_UP_SIMPLEX = 200


def generic_constants(family, y: np.ndarray, w: np.ndarray) -> dict[str, float]:
    """The first parameter at the weighted mean of y (if in its domain), others typical."""
    out = {}
    for i, p in enumerate(family.parameters):
        low, high = p.typical_range
        value = np.sqrt(low * high) if low > 0 else 0.5 * (low + high)
        if i == 0 and y.ndim == 1:
            mean = float(np.average(y, weights=w))
            if p.domain.contains(mean):
                value = mean
        out[p.name] = value
    return out


def _family_units(obj: Objective, family):
    """``y`` as the family sees it in the kernel, and the map from constants in those units
    back to the caller's (the identity without a response scale)."""
    r = obj.response
    if r is None:
        return obj.y, lambda values: values
    index = {b.name: i for i, b in enumerate(obj.blocks)}

    def natural(values):
        return {k: float(r.natural(index[k], v)) if k in index else v for k, v in values.items()}
    return r.y(obj.y), natural


def _start_constants(obj: Objective, family) -> dict[str, float]:
    """The family's start (over generic constants), in the caller's units."""
    y, natural = _family_units(obj, family)
    values = generic_constants(family, y, obj.weights)
    if family.has("start"):
        values.update(family.start(y, obj.weights))
    return natural(values)


def first_guess(obj: Objective, family) -> np.ndarray:
    """Coefficients from the family's start (else generic constants), before any fitting."""
    values = _start_constants(obj, family)
    return np.concatenate([coefficients(b, values[b.name]) for b in obj.blocks if b.size])


def constants(obj: Objective, family) -> dict[str, float]:
    """Natural-scale constants for every parameter (family start, else intercept-only ML)."""
    y, w = obj.y, obj.weights
    values = _start_constants(obj, family)
    if family.has("start"):
        return values
    active = [b for b in obj.blocks if b.size]
    blocks = tuple(b if not b.size else Block(b.name, b.link, constant(1.0, (obj.n, 1)),
                                              constant(0.0, obj.n), b.domain)
                   for b in obj.blocks)
    intercepts = Objective(family, y, blocks, w, obj.derivatives)
    beta0 = np.array([float(b.link.link(values[b.name])) for b in active])
    beta0 = warm_up(family, y, w, blocks, beta0)
    sol = newton(intercepts, beta0, maxiter=200, tol=1e-10)
    if np.isfinite(sol.llf):
        for b, coef in zip(active, sol.beta, strict=True):
            values[b.name] = float(b.link.inverse(coef))
    return values


def warm_up(family, y: np.ndarray, w: np.ndarray, blocks: tuple[Block, ...],
            beta0: np.ndarray) -> np.ndarray:
    """Intercept-only linear predictors improved by coordinate-wise grid search.

    ``blocks`` are intercept-only (the estimated ones) and ``beta0`` their intercepts. On
    at most :data:`WARM_UP_ROWS` evenly spaced rows, each sweep moves every coordinate in
    turn to the best of :data:`WARM_UP_POINTS` points within ``width * scale`` of its
    current value, for the widths :data:`WARM_UP_WIDTHS`; the first parameter's scale is
    the spread of the response on its link scale, the others' 1. It only ever raises the
    (subsample's) log-likelihood: where no grid point is finite the value stays.
    """
    n = y.shape[0]
    take = slice(None) if n <= WARM_UP_ROWS else slice(None, None, -(-n // WARM_UP_ROWS))
    ys, ws = y[take], w[take]
    sub = tuple(Block(b.name, b.link, b.X[take], np.asarray(b.offset)[take], b.domain)
                for b in blocks)
    obj = Objective(family, ys, sub, ws)
    beta = np.array(beta0, dtype=float)
    scales = np.ones(beta.size)
    if blocks[0].size:
        scales[0] = _link_spread(blocks[0], ys)
    with np.errstate(all="ignore"):
        best = obj.loglik(beta)
        grid = np.linspace(-1.0, 1.0, WARM_UP_POINTS)
        for width in WARM_UP_WIDTHS:
            for j in [*range(1, beta.size), 0]:
                for value in beta[j] + width * scales[j] * grid:
                    trial = beta.copy()
                    trial[j] = value
                    llf = obj.loglik(trial)
                    if np.isfinite(llf) and (not np.isfinite(best) or llf > best):
                        best, beta = llf, trial
        # a grid moves one coordinate at a time and stalls on a ridge where parameters
        # trade off (the skew-normal's location and shape), or on the side of a
        # stationary point that is not the maximum (its shape at 0); a simplex follows
        # the ridge (scipy's Nelder-Mead on the same subsample, kept only if better)
        polished = optimize.minimize(lambda b: _negated(obj.loglik(b)), beta,
                                     method="Nelder-Mead",
                                     options={"maxiter": WARM_UP_SIMPLEX * beta.size,
                                              "xatol": 1e-6, "fatol": 1e-8})
        if np.isfinite(polished.fun) and (not np.isfinite(best) or -polished.fun > best):
            beta = np.asarray(polished.x, dtype=float)
    return beta


def _negated(llf: float) -> float:
    return -llf if np.isfinite(llf) else np.inf


def _link_spread(block: Block, y: np.ndarray) -> float:
    """The standard deviation of a one-column response on ``block``'s link scale (1 where
    that is not finite or 0)."""
    if y.ndim != 1:
        return 1.0
    with np.errstate(all="ignore"):
        eta = np.asarray(block.link.link(y), dtype=float)
    eta = eta[np.isfinite(eta)]
    spread = float(np.std(eta)) if eta.size > 1 else 0.0
    return spread if np.isfinite(spread) and spread > 0 else 1.0


def coefficients(block: Block, value: float) -> np.ndarray:
    """Coefficients whose linear predictor is the constant ``link(value)`` (offset aside)."""
    c = float(block.link.link(value))
    X = block.X
    ones = np.flatnonzero(np.all(X[: min(len(X), 4096)] == 1.0, axis=0))
    beta = np.zeros(X.shape[1])
    if ones.size and np.all(X[:, ones[0]] == 1.0):
        beta[ones[0]] = c
        return beta
    G = linalg.gram(X, constant(1.0, X.shape[0]))
    try:
        return linalg.solve_psd(G, c * X.sum(axis=0)).x
    except linalg.NotPositiveDefinite:
        return beta


def start_vector(obj: Objective, family, columns: dict[str, tuple[str, ...]],
                 user=None) -> np.ndarray:
    """Stacked start coefficients for the active blocks, ``user`` overrides applied."""
    if user is not None and not isinstance(user, dict):
        beta = _floats("start", user)
        if beta.size != obj.p:
            raise DataError(f"start has {beta.size} values but the model has {obj.p} "
                            "coefficients. Fix: give one per coefficient, or a dict "
                            "{parameter: value}.")
        return beta
    user = user or {}
    estimated = [b.name for b in obj.blocks if b.size]
    unknown = set(user) - set(estimated)
    if unknown:
        raise DataError(f"start names {sorted(unknown)}, which are not estimated parameters "
                        f"of {family.name!r}. Fix: use {estimated}.")
    base: dict[str, float] = {}
    parts = []
    for b in obj.blocks:
        if not b.size:
            continue
        given = user.get(b.name)
        if given is not None and np.isscalar(given):
            value = float(_floats(f"start for {b.name!r}", given)[0])
            parts.append(coefficients(b, _inside(b, value)))
            continue
        if given is None or isinstance(given, dict):
            base = base or constants(obj, family)
            coef = coefficients(b, base[b.name])
            for term, value in (given or {}).items():
                if term not in columns[b.name]:
                    raise DataError(f"start for {b.name!r} names {term!r}, not a term of its "
                                    f"design {list(columns[b.name])}.")
                coef[columns[b.name].index(term)] = _floats(f"start for {term!r}", value)[0]
            parts.append(coef)
            continue
        coef = _floats(f"start for {b.name!r}", given)
        if coef.size != b.size:
            raise DataError(f"start for {b.name!r} has {coef.size} values for {b.size} "
                            "coefficients.")
        parts.append(coef)
    return np.concatenate(parts)


def _inside(block: Block, value: float) -> float:
    """A natural-scale start value, refused (as ``fixed=`` refuses one) outside the
    parameter's domain or where its link is infinite."""
    if not block.domain.contains(value):
        raise DataError(f"start {block.name}={value!r} is outside its domain {block.domain}. "
                        "Fix: give a natural-scale start value inside the domain.")
    with np.errstate(all="ignore"):
        eta = float(block.link.link(value))
    if not np.isfinite(eta):
        raise DataError(f"start {block.name}={value!r} is where the {block.link.name} link "
                        "is infinite. Fix: give a start value inside the domain.")
    return value


def _floats(label: str, value) -> np.ndarray:
    try:
        return np.asarray(value, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        raise DataError(f"{label} is {value!r}, not numbers. Fix: give numeric start values "
                        "(natural scale for a parameter, link scale for coefficients).") from None


def without_aliased(user, columns: dict[str, tuple[str, ...]], kept: dict[str, np.ndarray]):
    """``start=`` without the entries of the columns ``singular="drop"`` dropped: a vector
    with one value per column of every design, a parameter's vector of its design's
    length, or a ``{term: value}`` naming aliased terms. ``columns`` are the designs'
    columns (all of them), ``kept`` the positions kept where some were dropped. Anything
    else is returned as given, for :func:`start_vector` to read or refuse."""
    if not kept or user is None:
        return user
    if isinstance(user, dict):
        out = dict(user)
        for name, keep in kept.items():
            given, names = out.get(name), columns[name]
            if isinstance(given, dict):
                dropped = {names[j] for j in range(len(names)) if j not in set(keep)}
                out[name] = {t: v for t, v in given.items() if t not in dropped}
            elif given is not None and not np.isscalar(given) and np.size(given) == len(names):
                out[name] = np.asarray(given, dtype=float).reshape(-1)[keep]
        return out
    try:
        flat = np.asarray(user, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        return user
    if flat.size != sum(len(c) for c in columns.values()):
        return user
    mask = np.concatenate([np.isin(np.arange(len(c)), kept[n]) if n in kept
                           else np.ones(len(c), dtype=bool) for n, c in columns.items()])
    return flat[mask]
