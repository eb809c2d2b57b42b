"""Per-observation numeric derivatives on the linear-predictor scale.

For families that give only ``logpdf``. The log-likelihood is separable over rows, so the
derivatives of each row's log density with respect to its ``k`` linear predictors are
taken all at once, vectorised over rows: ``2k`` calls for the gradient (central
differences, step ``eps^(1/3) s``) and ``k^2 + k + 1`` for the Hessian (step
``eps^(1/4) s``), whatever the number of coefficients. The per-row scale ``s`` is the
curvature scale ``1 / sqrt|d2l/deta2|`` of that row, kept within [1e-4, 10] times the
median over rows (a row whose curvature passes through zero is flat there, not wide),
so a response shifted by 1e6 or a parameter in the thousands is differenced on its own
scale.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["EPS", "H1", "H2", "NumericDerivatives"]

EPS = np.finfo(float).eps
H1 = EPS ** (1 / 3)
H2 = EPS ** (1 / 4)
#: how far (as factors of the median) one row's scale may stray from the others
SCALE_BELOW, SCALE_ABOVE = 1e-4, 10.0


class NumericDerivatives:
    """Central differences of ``f(etas) -> (n,)`` in each of ``k`` linear predictors.

    The object keeps the per-row curvature scales between calls (they only set step
    sizes, never values), so later evaluations need no pilot.
    """

    def __init__(self, k: int):
        self.k = k
        self.scales: list[np.ndarray] | None = None
        self.calls = 0
        self.f: Callable[[list[np.ndarray]], np.ndarray] | None = None

    def _eval(self, etas, steps):
        moved = [e if h is None else e + h for e, h in zip(etas, steps, strict=True)]
        self.calls += 1
        with np.errstate(all="ignore"):
            return np.asarray(self.f(moved), dtype=float)

    def _shift(self, j, h):
        return [h if m == j else None for m in range(self.k)]

    def _pilot(self, etas, f0):
        scales = []
        for j, e in enumerate(etas):
            h = H2 * (1.0 + np.abs(e))
            fp = self._eval(etas, self._shift(j, h))
            fm = self._eval(etas, self._shift(j, -h))
            curv = np.abs(fp - 2 * f0 + fm) / h**2
            scales.append(self._scale(curv, 1.0 + np.abs(e)))
        return scales

    @staticmethod
    def _scale(curv, fallback):
        with np.errstate(divide="ignore", invalid="ignore"):
            s = 1.0 / np.sqrt(curv)
        good = np.isfinite(s) & (s > 0)
        if not good.any():
            return np.asarray(fallback, dtype=float)
        med = np.median(s[good])
        s = np.where(good, s, med)
        return np.clip(s, med * SCALE_BELOW, med * SCALE_ABOVE)

    def _central(self, etas, j, h, f0):
        """``(f(+h), f(-h))``, halving the step on rows where either is not finite."""
        h = h.copy()
        fp = self._eval(etas, self._shift(j, h))
        fm = self._eval(etas, self._shift(j, -h))
        for _ in range(30):
            bad = ~(np.isfinite(fp) & np.isfinite(fm)) & np.isfinite(f0)
            if not bad.any():
                break
            h = np.where(bad, h / 8, h)
            fp = np.where(bad, self._eval(etas, self._shift(j, h)), fp)
            fm = np.where(bad, self._eval(etas, self._shift(j, -h)), fm)
        return fp, fm, h

    def __call__(self, f, etas: list[np.ndarray], f0: np.ndarray, second: bool = True):
        """First derivatives (list) and, if asked, second derivatives ``{(j, l): ...}``.

        ``f`` maps the list of ``k`` linear predictors to the per-row log densities.
        """
        self.f = f
        with np.errstate(all="ignore"):  # rows outside the domain give -inf: NaN here
            return self._derivatives(etas, f0, second)

    def _derivatives(self, etas, f0, second):
        if self.scales is None:
            self.scales = self._pilot(etas, f0)
        d1 = []
        for j in range(self.k):
            fp, fm, h = self._central(etas, j, H1 * self.scales[j], f0)
            d1.append((fp - fm) / (2 * h))
        if not second:
            return d1, None
        d2, plus, minus, steps = {}, [], [], []
        for j in range(self.k):
            fp, fm, h = self._central(etas, j, H2 * self.scales[j], f0)
            plus.append(fp)
            minus.append(fm)
            steps.append(h)
            d2[(j, j)] = (fp - 2 * f0 + fm) / h**2
        for j in range(self.k):
            for m in range(j + 1, self.k):
                hj, hm = steps[j], steps[m]
                both = [None] * self.k
                both[j], both[m] = hj, hm
                fpp = self._eval(etas, both)
                both[j], both[m] = -hj, -hm
                fmm = self._eval(etas, both)
                num = fpp + fmm - plus[j] - minus[j] - plus[m] - minus[m] + 2 * f0
                d2[(j, m)] = num / (2 * hj * hm)
        self.scales = [self._scale(np.abs(d2[(j, j)]), self.scales[j]) for j in range(self.k)]
        return d1, d2
