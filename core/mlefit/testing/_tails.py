"""Topic ``tails``: the log cdf and log survival function, their derivatives, and the
accuracy of the upper tail.

* ``log_cdf``: ``logcdf`` and ``logsf`` against the integrated (or summed) density
  (``exp`` of each within 1e-7 of ``F`` and ``1 - F``, as the ``cdf`` check), and against
  ``log(cdf)`` and ``log1p(-cdf)`` where those are accurate (``cdf >= 1e-300``; ``cdf <=
  1/2`` for the survival side), within ``1e-10 + 1e-9 |value|``.
* ``log_cdf_derivatives``: ``dlogcdf`` / ``dlogsf`` against central differences of
  ``logcdf`` / ``logsf`` (and ``d2logcdf`` / ``d2logsf`` against those of the first
  derivatives), with the ``derivatives`` check's tolerance.
* ``tail_accuracy``: at the upper quantiles ``1 - 1e-6`` and ``1 - 1e-12`` of each
  parameter point, ``log S`` from ``log1p(-cdf)`` (what a family with only a cdf gets)
  and from ``logsf`` against the tail integrated (or summed) on its own. The check
  reports both errors; it fails only when ``logsf`` is off by more than 1e-6 (relative,
  in ``S``) there: ``log1p(-cdf)`` is off by about ``eps / S``, ~1e-10 at ``S = 1e-6``
  and ~1e-4 at ``S = 1e-12``, which is why censored likelihoods want ``logsf``.
"""

from __future__ import annotations

import numpy as np

from ._case import Case
from ._check import Check, CheckFailure, SkipCheck, require
from ._expectation import expect, integrate_pieces, trial_responses
from ._numeric import central, disagreement, steps

#: the upper quantiles at which the tail accuracy is reported
TAIL_LEVELS = (1e-6, 1e-12)
#: the largest error of ``S`` from ``logsf`` (relative) the tail check accepts
TAIL_TOL = 1e-6


def _methods(case: Case, *names) -> list[str]:
    present = [m for m in names if case.family.has(m)]
    if not present:
        raise SkipCheck(f"no {' / '.join(names)} (optional)")
    return present


def _layout(case: Case, point, e):
    fam = case.family
    y = trial_responses(fam, point.trials) if case.columns > 1 else e.at
    ref = e.cumulative[:len(y)] if case.columns > 1 else e.cumulative
    return y, ref


def check_log_cdf(case: Case) -> str | None:
    """logcdf and logsf against the integrated (or summed) density and log(cdf)."""
    fam = case.family
    methods = _methods(case, "logcdf", "logsf")
    for point in case.points:
        e = expect(case, point)
        if e.at.size == 0:
            continue
        y, ref = _layout(case, point, e)
        rows = point.rows(len(y))
        for m in methods:
            got = np.asarray(getattr(fam, m)(y, **rows), dtype=float)
            want = ref if m == "logcdf" else 1.0 - ref
            err = np.abs(np.exp(got) - want)
            err = np.where(np.isnan(err), np.inf, err)
            i = int(np.argmax(err))
            if not err[i] <= 1e-7:
                raise CheckFailure(f"exp({m}) = {np.exp(got[i]):.10g} but the density gives "
                                   f"{want[i]:.10g} at y={e.at[i]:.6g}, {point}. Fix: {m} must "
                                   f"be log P(Y {'<=' if m == 'logcdf' else '>'} y)")
            if not fam.has("cdf"):
                continue
            cdf = np.asarray(fam.cdf(y, **rows), dtype=float)
            with np.errstate(divide="ignore"):
                if m == "logcdf":
                    ok, base = cdf >= 1e-300, np.log(cdf)
                else:
                    ok, base = (cdf <= 0.5), np.log1p(-cdf)
            bad = ok & ~(np.abs(got - base) <= 1e-10 + 1e-9 * np.abs(base))
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise CheckFailure(f"{m} = {got[i]:.12g} but the cdf gives {base[i]:.12g} at "
                                   f"y={e.at[i]:.6g}, {point}. Fix: {m} and cdf must describe "
                                   "one distribution")
    return None


def check_log_cdf_derivatives(case: Case) -> str | None:
    """dlogcdf / dlogsf (and second derivatives) against central differences."""
    fam = case.family
    pairs = [(f, d) for f, d in (("logcdf", "dlogcdf"), ("logsf", "dlogsf"))
             if fam.has(f) and fam.has(d)]
    if not pairs:
        raise SkipCheck("no dlogcdf / dlogsf (optional)")
    y, params = case.y, case.params
    h, scale = steps(fam, params)
    names = fam.parameter_names
    for f, d in pairs:
        value = np.asarray(getattr(fam, f)(y, **params), dtype=float)
        keep = np.isfinite(value)
        diffs = central(lambda yy, fn=f, **p: {"f": getattr(fam, fn)(yy, **p)}, y, params, h,
                        names)
        got = getattr(fam, d)(y, **params)
        for a, diff in zip(names, diffs, strict=True):
            if a not in got:
                raise CheckFailure(f"{d} has no entry for {a!r}. Fix: return {{param: array}} "
                                   "for every parameter")
            num = np.where(keep, diff["f"], 0.0)
            ana = np.where(keep, np.broadcast_to(np.asarray(got[a], dtype=float), num.shape), 0.0)
            i = disagreement(ana, num, np.where(keep, value, 0.0), scale[a])
            if i is not None:
                raise CheckFailure(f"{d}[{a!r}] = {ana[i]:.8g} but central differences of {f} "
                                   f"give {num[i]:.8g} at row {i}. Fix: differentiate {f}")
        second = "d2" + f
        if fam.has(second):
            _check_second(fam, f, d, second, y, params, h, scale, keep)
    return None


def _check_second(fam, f, d, second, y, params, h, scale, keep):
    names = fam.parameter_names
    diffs = central(lambda yy, **p: dict(getattr(fam, d)(yy, **p)), y, params, h, names)
    got = getattr(fam, second)(y, **params)
    first = getattr(fam, d)(y, **params)
    for i, a in enumerate(names):
        for b in names[i:]:
            key = (a, b) if (a, b) in got else (b, a)
            if key not in got:
                raise CheckFailure(f"{second} has no entry for {(a, b)}. Fix: return "
                                   "{(a, b): array} for every pair a <= b")
            num = np.where(keep, diffs[i][b], 0.0)
            ana = np.where(keep, np.broadcast_to(np.asarray(got[key], float), num.shape), 0.0)
            j = disagreement(ana, num, np.where(keep, first[b], 0.0), scale[a])
            if j is not None:
                raise CheckFailure(f"{second}[{(a, b)}] = {ana[j]:.8g} but central differences "
                                   f"of {d} give {num[j]:.8g} at row {j}. Fix: differentiate {d}")


def _tail_reference(case: Case, point, yq: float) -> float:
    """``log P(Y > yq)`` from the density alone: the tail summed (counts) or integrated."""
    fam = case.family
    if fam.support.integer:
        size = 256
        while True:
            grid = yq + 1.0 + np.arange(size, dtype=float)
            lp = case.logpdf(grid, point.rows(size))
            top = lp.max()
            if np.exp(lp[size // 2:] - top).sum() < 1e-17 or size > 2 ** 22:
                return float(top + np.log(np.exp(lp - top).sum()))
            size *= 2
    upper = fam.support.upper
    e = expect(case, point)
    width = float(np.ptp(e.at)) if e.at.size > 1 else 1.0
    d = max(width / 50, 1e-8 * max(abs(yq), 1.0))
    if np.isfinite(upper):      # pieces shrinking towards the end (a density may be
        gap = upper - yq        # infinite there, as the beta's)
        d = gap / 4
        inner = [upper - gap * 4.0**-k for k in range(1, 30)]
    else:
        inner = [yq + d * 4.0**k for k in range(8)]
    edges = np.unique(np.array([yq, *[v for v in inner if yq < v < upper], upper]))
    pieces = integrate_pieces(lambda t: np.exp(case.logpdf(t, point.rows(len(t))))[:, None],
                              edges, d, rtol=1e-12, atol=1e-300)
    return float(np.log(pieces.sum()))


def check_tail_accuracy(case: Case) -> str | None:
    """Report the accuracy of log S in the upper tail from 1 - cdf and from logsf."""
    fam = require(case, "cdf")
    if case.columns > 1:
        raise SkipCheck("the tail report is for a response of one column")
    from ..postestimation.predictive import ppf

    worst = {"cdf": dict.fromkeys(TAIL_LEVELS, 0.0), "logsf": dict.fromkeys(TAIL_LEVELS, 0.0)}
    for point in case.points:
        for level in TAIL_LEVELS:
            yq = float(ppf(fam, np.array([1.0 - level]), point.rows(1))[0])
            upper = fam.support.upper
            if not np.isfinite(yq) or (np.isfinite(upper) and upper - yq < 1e-4 * max(
                    1.0, abs(upper))):
                # within 1e-4 of a finite end, y itself carries fewer digits of the distance
                # to the end (1 - y at y = 1 - 1e-11 has 5) than the tail needs
                continue
            ref = _tail_reference(case, point, yq)
            if not np.isfinite(ref) or ref < -700:
                continue
            rows = point.rows(1)
            with np.errstate(divide="ignore"):
                from_cdf = float(np.log1p(-np.asarray(fam.cdf(np.array([yq]), **rows))[0]))
            worst["cdf"][level] = max(worst["cdf"][level],
                                      abs(np.expm1(from_cdf - ref)) if np.isfinite(from_cdf)
                                      else 1.0)
            if fam.has("logsf"):
                got = float(np.asarray(fam.logsf(np.array([yq]), **rows))[0])
                err = abs(np.expm1(got - ref)) if np.isfinite(got) else np.inf
                worst["logsf"][level] = max(worst["logsf"][level], err)
                if not err <= TAIL_TOL:
                    raise CheckFailure(f"logsf = {got:.12g} at y={yq:.8g} (the 1 - {level:g} "
                                       f"quantile, {point}) but the tail of the density gives "
                                       f"{ref:.12g}. Fix: compute log S without 1 - cdf (log1p, "
                                       "a complementary special function)")
    text = ", ".join(f"{v:.1e} at S={k:g}" for k, v in worst["cdf"].items())
    note = f"S from 1 - cdf off by {text}"
    if fam.has("logsf"):
        note += "; from logsf by " + ", ".join(f"{v:.1e}" for v in worst["logsf"].values())
    return note


#: this topic's checks, in the order they run
TOPIC_CHECKS = (
    Check("log_cdf", check_log_cdf),
    Check("log_cdf_derivatives", check_log_cdf_derivatives),
    Check("tail_accuracy", check_tail_accuracy),
)
