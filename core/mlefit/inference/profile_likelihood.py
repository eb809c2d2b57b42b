"""Profile-likelihood curves and intervals.

For a coefficient ``beta_j`` the profile log-likelihood is
``l_p(v) = max { l(beta) : beta_j = v }``, every other coefficient of every parameter
re-optimised (the engine's objective with column ``j`` moved into the offset, warm-started
from the nearest solution moved along the first-order path
``d beta_-j / d beta_j = C_-j,j / C_jj``), and its signed root is
``r(v) = sign(v - b_j) sqrt(2 (l(b) - l_p(v)))``. The ``1 - alpha`` interval is
``{v : r(v)^2 <= chi2_1(1 - alpha)}``: its ends solve ``|r(v)| = z = Phi^-1(1 - alpha/2)``,
bracketed by steps from the Wald guess and found by Brent's method to
:data:`ROOT_XTOL` standard errors.

``convention="R"`` with a dispersion family holds the dispersion at its Pearson estimate
while the other coefficients are profiled, as ``MASS::confint`` (``profile.glm``) does:
then ``r(v)^2 = (D(v) - D(b)) / phi_Pearson``, still referred to the normal quantile. The
coefficients of the dispersion parameter itself are profiled on the full likelihood. A
family without a dispersion parameter under ``dispersion="pearson"`` (the negative
binomial with theta fixed, as R's ``negative.binomial(theta)``) has the same
``r(v)^2 = (D(v) - D(b)) / phi_Pearson`` (:attr:`Profile.scale`).

A side on which ``|r|`` stays below ``z`` up to :data:`MAX_STEPS_SE` standard errors (the
profile flattens: a parameter whose likelihood levels off towards a limit) gives an
infinite end and an :class:`~mlefit.errors.InferenceWarning`; so does a side on which
``l_p`` stays above the cutoff until the held coefficient overflows its parameter (``log
nu`` past 709: ``nu = inf``). Where ``l_p`` instead stops existing at a finite value (the
data leave the support), that value is the end.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, stats

from .. import engine
from ..engine import Objective
from ..engine.linalg import NotPositiveDefinite, solve_psd
from ..errors import ConvergenceWarning, DataError, InferenceWarning, PassesWarning
from . import coefficients
from ._progress import progress_bar
from .confidence import check_alpha

__all__ = ["MANY_TERMS", "MAX_STEPS_SE", "PASSES_PER_END", "PASSES_PER_REFIT", "ROOT_XTOL",
           "R_CAP", "Profile", "conf_int", "interval", "profile", "setup", "warn_passes"]

#: tolerance of the interval ends, in standard errors
ROOT_XTOL = 1e-9
#: how far (in standard errors) a side is searched before its end is declared infinite
MAX_STEPS_SE = 1e4
#: a signed root larger than this is "beyond every cutoff" (keeps Brent's method finite)
R_CAP = 1e8
#: conf_int shows a progress bar (if tqdm is installed) from this many terms on
MANY_TERMS = 10


@dataclass
class Profile:
    """The profile of one coefficient of a fit (mutable cache of warm starts)."""

    obj: Objective
    beta: np.ndarray            # the maximiser of ``obj``
    llf: float                  # its log-likelihood
    pos: int                    # the profiled coefficient's position in ``obj``
    se: float
    slope: np.ndarray           # first-order path of the other coefficients
    options: object
    starts: list = field(default_factory=list)
    unconverged: int = 0
    higher: float = -np.inf
    #: the deviance is divided by this: the Pearson dispersion of a quasi fit (a family
    #: without a dispersion parameter under ``dispersion="pearson"``), else 1
    scale: float = 1.0
    #: +1 or -1 when the fit is separated and this coefficient runs to +inf or -inf there
    #: (the likelihood keeps rising on that side: that end is infinite at once); else 0
    unbounded_side: int = 0
    #: after separation, the other coefficients' direction towards infinity (unit max-norm)
    ray: np.ndarray | None = None

    @property
    def estimate(self) -> float:
        return float(self.beta[self.pos])

    def loglik(self, v: float) -> float:
        """``l_p(v)``: the other coefficients re-optimised with this one held at ``v``."""
        sub = self.obj.restrict(self.pos, v)
        if sub.p == 0:
            return sub.loglik(np.empty(0))
        v0, others = min(self.starts, key=lambda s: abs(s[0] - v))
        bound = self._ray_bound(sub, others)
        if bound >= self.llf - 1e-8 * max(1.0, abs(self.llf)):
            return bound    # l_p(v) >= bound: already at the top, nothing to refit
        # the nearest solution moved along the first-order path, or as it is (far from
        # the estimate the linear path can leave the region where Newton converges)
        starts = sorted((others + self.slope * (v - v0), others), key=sub.loglik, reverse=True)
        opts = self.options
        best = None
        for start in starts:
            try:
                sol = engine.maximize(sub, start, method=getattr(opts, "method", "newton"),
                                      maxiter=max(getattr(opts, "maxiter", 100), 100),
                                      tol=getattr(opts, "tol", 1e-12))
            except (np.linalg.LinAlgError, NotPositiveDefinite):
                continue    # a degenerate refit (separated data): try the next start
            if best is None or sol.llf > best.llf:
                best = sol
            if sol.converged:
                break
        if best is None:    # no refit got anywhere: a start's value bounds l_p from below
            self.unconverged += 1
            return float(max(bound, *(sub.loglik(s) for s in starts)))
        if not np.isfinite(best.llf):
            return -np.inf
        if best.converged:
            self.starts.append((v, best.beta))
        else:
            self.unconverged += 1
        self.higher = max(self.higher, best.llf)
        return float(best.llf)

    def _ray_bound(self, sub: Objective, others: np.ndarray) -> float:
        """After separation, the best log-likelihood at the warm start and along the ray
        on which the other coefficients run to infinity: a lower bound of ``l_p`` that
        needs no refit (refits of separated data stall); -inf for a fit not separated."""
        if self.ray is None:
            return -np.inf
        reach = max(1.0, float(np.max(np.abs(others), initial=0.0)))
        steps = range(20) if self.ray.any() else ()
        with np.errstate(all="ignore"):
            values = [sub.loglik(others)] + [sub.loglik(others + reach * 16.0**k * self.ray)
                                             for k in steps]
        finite = [x for x in values if np.isfinite(x)]
        return float(max(finite)) if finite else -np.inf

    def signed_root(self, v: float) -> tuple[float, float]:
        """``(r(v), l_p(v))``."""
        llf = self.loglik(v)
        dev = 2.0 * (self.llf - llf) / self.scale
        r = np.sqrt(dev) if dev > 0 else 0.0
        return float(np.sign(v - self.estimate) * min(r, R_CAP)), llf

    def _finite_edge(self, b: float, side: int, lo: float, hi: float) -> float:
        """The last ``t`` in ``[lo, hi]`` (to 1e-12 relative) where ``l_p`` is finite."""
        se = self.se
        while hi - lo > 1e-12 * hi:
            mid = 0.5 * (lo + hi)
            if np.isfinite(self.loglik(b + side * mid * se)):
                lo = mid
            else:
                hi = mid
        return lo

    def _overflows(self, v: float) -> bool:
        """Whether holding the coefficient at ``v`` makes a parameter's value non-finite
        (the link's inverse overflows: the profile runs to the parameter's limit)."""
        sub = self.obj.restrict(self.pos, v)
        others = min(self.starts, key=lambda s: abs(s[0] - v))[1]
        return any(not np.all(np.isfinite(t)) for t in sub.thetas(sub.etas(others)).values())

    def end(self, side: int, z: float) -> float:
        """The end of the interval on ``side`` (-1 or +1): ``|r(v)| = z``."""
        if side == self.unbounded_side:
            return side * np.inf
        b, se = self.estimate, self.se
        seen: dict[float, float] = {}

        def excess(t: float) -> float:
            if t not in seen:       # Brent re-evaluates the bracket's ends: reuse them
                seen[t] = abs(self.signed_root(b + side * t * se)[0]) - z
            return seen[t]

        t_prev, r_prev, t = 0.0, 0.0, z
        while t <= MAX_STEPS_SE:
            r = excess(t) + z
            if r >= z and not np.isfinite(self.loglik(b + side * t * se)):
                t = self._finite_edge(b, side, t_prev, t)
                if excess(t) < 0:   # below the cutoff up to where l_p stops existing
                    beyond = b + side * 2 * t * se
                    return side * np.inf if self._overflows(beyond) else b + side * t * se
            if r >= z:
                t_end = optimize.brentq(excess, t_prev, t, xtol=ROOT_XTOL)
                return b + side * t_end * se
            rate = (r - r_prev) / (t - t_prev)
            guess = t + 1.1 * (z - r) / rate if rate > 0 else 4 * t
            t_prev, r_prev, t = t, r, float(np.clip(guess, 1.1 * t, 4 * t))
        return side * np.inf


def setup(res, position: int) -> Profile:
    """The profile of the coefficient at ``position`` of ``res``'s stacked vector."""
    if res.diagnostics.exact_fit:
        raise DataError("this is an exact fit (every residual is zero, the log-likelihood is "
                        "infinite), so the likelihood has no profile to cut and there is no "
                        "profile interval. Fix: check the response (is it constant or an exact "
                        "function of the predictors?); the data carry no uncertainty to "
                        "report.")
    obj, beta = _objective(res), coefficients.ml_coef(res)
    pos = first = coefficients.objective_position(res, position)
    disp = res.dispersion
    scale = 1.0
    if res.convention.dispersion == "pearson" and disp is not None and disp.parameter is None:
        scale = disp.phi_pearson
    elif res.convention.dispersion == "pearson" and disp is not None:
        sl = obj.block_slice(disp.parameter)
        if not sl.start <= pos < sl.stop:
            keep = [obj.blocks[a].name for a in obj.active
                    if obj.blocks[a].name != disp.parameter]
            beta = coefficients.estimated_coef(res)
            obj = obj.freeze(beta, keep)
            beta = np.delete(beta, sl)
            pos = pos - (sl.stop - sl.start) if pos >= sl.stop else pos
    se, slope = _scale(obj, beta, pos, float(res.bse.iloc[position]))
    others = np.delete(beta, pos)
    unbounded = res._context.unbounded
    if unbounded is None or obj.p != unbounded.size:
        return Profile(obj, beta, obj.loglik(beta), pos, se, slope, res._context.options,
                       starts=[(float(beta[pos]), others)], scale=scale)
    ray = np.delete(unbounded, pos)
    ray = ray / np.max(np.abs(ray)) if ray.any() else ray
    # separated: the information is near 0 and its "standard error" huge (4.7e8 for a
    # slope of 6.8e3): step in units of the estimate instead, so the search brackets the
    # finite end in a few refits rather than from beyond where the likelihood underflows
    se = min(se, max(1.0, abs(float(beta[pos]))) / 8)
    return Profile(obj, beta, obj.loglik(beta), pos, se, slope, res._context.options,
                   starts=[(float(beta[pos]), others)], scale=scale,
                   unbounded_side=int(np.sign(unbounded[first])), ray=ray)


def _objective(res):
    """The fit's objective: in memory, or over a Dask frame's partitions."""
    source = getattr(res._context, "source", None)
    return res._context.objective if source is None else source.objective


#: expected passes over the data per end of a profile interval (a root search of several
#: warm-started refits; measured 28 to 29 on the Dask tests) and per profile point
PASSES_PER_END = 30
PASSES_PER_REFIT = 5


def warn_passes(res, passes: int, what: str) -> None:
    """Before a profile of a fit on a Dask frame: a :class:`PassesWarning` with the
    expected number of passes over its partitions."""
    if getattr(res._context, "source", None) is None:
        return
    warnings.warn(f"{what} of a fit on a Dask frame refits the model at each point: expect "
                  f"about {passes} passes over all partitions (about {PASSES_PER_END} per "
                  f"interval end, {PASSES_PER_REFIT} per profile point; the fit itself took "
                  f"{res.diagnostics.iterations} iterations). Ctrl-C stops it and leaves the "
                  "cluster usable.", PassesWarning, stacklevel=3)


def _scale(obj: Objective, beta: np.ndarray, pos: int, fallback: float):
    """Standard error and first-order path from the observed information at ``beta``."""
    info = obj.information_at(beta) if hasattr(obj, "information_at") else \
        obj.information(obj.observed(obj.rows(beta)))     # a Dask fit's: one pass
    unit = np.zeros(beta.size)
    unit[pos] = 1.0
    try:
        c = solve_psd(info, unit).x
    except NotPositiveDefinite:
        c = None
    if c is None or not c[pos] > 0:
        se = fallback if np.isfinite(fallback) and fallback > 0 else max(1.0, abs(beta[pos]))
        return se, np.zeros(beta.size - 1)
    return float(np.sqrt(c[pos])), np.delete(c, pos) / c[pos]


def _warn(prof: Profile, name: str, infinite: list[str], alpha: float) -> None:
    if prof.unbounded_side:
        warnings.warn(f"the fit is separated and {name} runs to "
                      f"{'+' if prof.unbounded_side > 0 else '-'}inf (the likelihood keeps "
                      "rising that way): that end of its interval is infinite. Fix: remove "
                      "the separating terms, or use a penalised fit.", InferenceWarning,
                      stacklevel=4)
        side = "upper" if prof.unbounded_side > 0 else "lower"
        infinite = [s for s in infinite if s != side]
    if infinite:
        why = ("the fit is separated: the likelihood stays at its supremum while the "
               "separating coefficients run off" if prof.ray is not None else
               "the likelihood levels off, e.g. a parameter approaching a limit")
        warnings.warn(f"the profile likelihood of {name} does not cross the {1 - alpha:.0%} "
                      f"cutoff on the {' and '.join(infinite)} side within "
                      f"{MAX_STEPS_SE:g} standard errors: that end is reported as infinite "
                      f"({why}).", InferenceWarning, stacklevel=4)
    if prof.unconverged:
        warnings.warn(f"{prof.unconverged} refit(s) of the profile of {name} did not converge;"
                      " the interval ends may be inaccurate.", ConvergenceWarning, stacklevel=4)
    tol = 1e-8 * max(1.0, abs(prof.llf))
    if prof.higher > prof.llf + tol:
        warnings.warn(f"profiling {name} found a log-likelihood {prof.higher:.10g} above the "
                      f"fit's {prof.llf:.10g}: the fit had not reached its maximum. Fix: refit "
                      "from better start values.", ConvergenceWarning, stacklevel=4)


def interval(res, position: int, alpha: float = 0.05) -> tuple[float, float]:
    """The ``1 - alpha`` profile-likelihood interval of one coefficient (NaN for an
    aliased one, which was not estimated: ``singular="drop"``)."""
    if not coefficients.estimated(res)[position]:
        return np.nan, np.nan
    prof = setup(res, position)
    z = float(stats.norm.isf(alpha / 2))
    lower, upper = prof.end(-1, z), prof.end(+1, z)
    infinite = [s for s, v in (("lower", lower), ("upper", upper)) if np.isinf(v)]
    _warn(prof, coefficients.names(res)[position], infinite, alpha)
    return lower, upper


def conf_int(res, alpha: float = 0.05, terms=None, progress: bool | None = None
             ) -> pd.DataFrame:
    """Profile-likelihood intervals of ``terms`` (default all) as ``lower``, ``upper``."""
    check_alpha(alpha)
    chosen = coefficients.positions(res, terms)
    warn_passes(res, 2 * len(chosen) * PASSES_PER_END, "a profile-likelihood interval")
    shown = progress_bar(chosen, len(chosen), progress, threshold=MANY_TERMS,
                         desc="profile intervals", unit="term")
    ends = [interval(res, j, alpha) for j in shown]
    return pd.DataFrame(ends, columns=["lower", "upper"], index=res.index[chosen])


def profile(res, term, values=None, *, alpha: float = 0.01, points: int = 21) -> pd.DataFrame:
    """The profile of one coefficient: ``value``, ``llf`` and ``signed_root`` per row.

    Parameters
    ----------
    term
        ``"age"``, ``"sigma:age"``, ``("sigma", "age")`` or a position.
    values : array, optional
        Where to evaluate; default ``points`` values evenly over the ``1 - alpha``
        profile interval (4 Wald half-widths on a side that never crosses), plus the
        estimate.
    """
    position = coefficients.position(res, term)
    warn_passes(res, 2 * PASSES_PER_END + points * PASSES_PER_REFIT if values is None
                else np.size(values) * PASSES_PER_REFIT, "a likelihood profile")
    prof = setup(res, position)
    b = prof.estimate
    if values is None:
        z = float(stats.norm.isf(alpha / 2))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", InferenceWarning)
            lo, hi = interval(res, position, alpha)
        lo = lo if np.isfinite(lo) else b - 4 * z * prof.se
        hi = hi if np.isfinite(hi) else b + 4 * z * prof.se
        values = np.linspace(lo, hi, points)
    grid = np.asarray(values, dtype=float).ravel()
    grid = np.unique(np.append(np.where(np.abs(grid - b) <= ROOT_XTOL * prof.se, b, grid), b))
    rows = {}
    for v in sorted(grid, key=lambda v: abs(v - b)):   # outwards: good warm starts
        rows[v] = prof.signed_root(v) if v != b else (0.0, prof.llf)
    _warn(prof, coefficients.names(res)[position], [], alpha)
    out = pd.DataFrame({"value": grid, "llf": [rows[v][1] for v in grid],
                        "signed_root": [rows[v][0] for v in grid]})
    out.attrs.update(term=coefficients.names(res)[position], estimate=b, llf_max=prof.llf)
    return out
