"""The response's power-of-two scale: fitting ``y / 2^e`` and reporting for ``y``.

A family whose parameters move with the response's unit (``Family.response_scaling``:
``{parameter: k}`` when ``y -> c y`` maps ``theta -> c^k theta``; the Gaussian's mean and
sigma have ``k = 1``, the gamma's shape ``k = 0``) is fitted on the same footing whatever
that unit: when ``max |y|`` is far from 1 (outside ``2^+-SCALE_RANGE``), the kernel reads
``y~ = y / 2^e`` (exact), evaluates the family at ``theta~ = theta / 2^(e k)`` and adds the
Jacobian ``-e log 2`` per unit weight to the log-likelihood. On the linear-predictor
scale the change is exact as well:

* a link homogeneous of degree ``r`` (identity 1, inverse -1, inverse_squared -2, sqrt
  1/2) gives ``eta~ = eta / 2^(e k r)``: the parameter's coefficients are measured in units
  of ``2^(e k r)`` (a power-of-two column scale, :meth:`ResponseScale.factor`);
* the log link gives ``eta~ = eta - e k log 2`` (a shift: the coefficients do not move).

Every other link (logit, probit, ...) on a parameter with ``k != 0`` leaves the response
unscaled. Without the declaration nothing changes (counts, proportions).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["HOMOGENEOUS", "ResponseScale", "choose"]

#: links homogeneous in their parameter: ``link(c theta) = c^r link(theta)``
HOMOGENEOUS = {"identity": 1.0, "inverse": -1.0, "inverse_squared": -2.0, "sqrt": 0.5}
LN2 = float(np.log(2.0))


@dataclass(frozen=True)
class ResponseScale:
    """``y`` is divided by ``2^exponent``; per parameter, how its linear predictor moves:
    ``("scale", m)`` (``eta~ = eta * 2^-m``), ``("shift", s)`` (``eta~ = eta - s``) or None."""

    exponent: int
    moves: tuple[tuple[str, float] | None, ...]
    powers: tuple[float, ...]          # k per parameter

    def y(self, y: np.ndarray) -> np.ndarray:
        return np.ldexp(y, -self.exponent)

    def tilde(self, j: int, eta):
        move = self.moves[j]
        if move is None:
            return eta
        kind, value = move
        return np.ldexp(eta, -int(value)) if kind == "scale" else eta - value

    def untilde(self, j: int, eta):
        move = self.moves[j]
        if move is None:
            return eta
        kind, value = move
        return np.ldexp(eta, int(value)) if kind == "scale" else eta + value

    def factor(self, j: int) -> float:
        """``2^m`` for a parameter whose linear predictor scales (its coefficients' unit)."""
        move = self.moves[j]
        return float(2.0 ** move[1]) if move is not None and move[0] == "scale" else 1.0

    def natural(self, j: int, theta_tilde):
        """``theta = 2^(e k) theta~``."""
        return np.ldexp(theta_tilde, int(self.exponent * self.powers[j]))

    @property
    def log_jacobian(self) -> float:
        """Per unit weight, ``log f(y) - log f~(y~)``: ``-e log 2``."""
        return -self.exponent * LN2


def choose(family, slots, y: np.ndarray, scale_range: int) -> ResponseScale | None:
    """The response scale for ``y`` (None when the family declares none, ``y`` is near
    unit size, or a parameter that moves has a link that cannot follow)."""
    powers = getattr(family, "response_scaling", None)
    if not powers or y.ndim != 1 or y.size == 0:
        return None
    top = float(np.max(np.abs(y)))
    if not np.isfinite(top) or top == 0:
        return None
    e = int(np.round(np.log2(top)))
    if abs(e) <= scale_range:
        return None
    e -= e % 2                                  # sqrt links move by e k / 2: keep it whole
    moves, ks = [], []
    for s in slots:
        k = float(powers.get(s.name, 0.0))
        ks.append(k)
        if k == 0:
            moves.append(None)
        elif s.link.name == "log":
            moves.append(("shift", e * k * LN2))
        elif s.link.name in HOMOGENEOUS and float(e * k * HOMOGENEOUS[s.link.name]).is_integer():
            moves.append(("scale", e * k * HOMOGENEOUS[s.link.name]))
        else:
            return None
    return ResponseScale(e, tuple(moves), tuple(ks))
