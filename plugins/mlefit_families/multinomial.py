r"""The multinomial family: multinomial logit of an unordered categorical response.

With levels ``1 .. K`` and a reference level ``r`` (the first by default),

.. math::

    P(Y = k \mid x) = \frac{e^{\eta_k}}{\sum_m e^{\eta_m}}, \qquad \eta_r = 0,

one linear predictor ``eta_k = x' beta_k`` per other level (statsmodels ``MNLogit``,
R's ``nnet::multinom``). The family is registered unbound (``family="multinomial"``, or
``Multinomial(reference=..., levels=...)``) and bound to the response's levels when the fit
starts (:mod:`mlefit.binding`): the bound family has one parameter per non-reference level,
``eta<j>`` for the level in position ``j`` (1-based), labelled by the level, each with the
main formula's design by default (``eta3="~ x"`` gives that category its own). The
categories have no order, so the family has no ``cdf``: randomized quantile residuals are
not defined for it.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from mlefit import Family, Parameter, hookimpl
from mlefit.domains import NonNegativeIntegers, Real
from mlefit.errors import DataError

from . import _categorical

__all__ = ["BoundMultinomial", "Multinomial", "register_families"]


class Multinomial(_categorical.Unbound, Family):
    """Multinomial logit, unbound: ``Multinomial(reference=None, levels=None)``.
    ``reference`` is the level whose linear predictor is 0 (default: the first);
    ``levels`` the levels' order (default: a Categorical's categories, else sorted)."""

    name = "multinomial"
    aliases = ("mnlogit",)
    support = NonNegativeIntegers()
    parameters = (Parameter("eta2", Real(), link="identity", links=("identity",),
                            shares_formula=True, description="placeholder: bound to the "
                            "response's levels when the fit starts"),)

    def __init__(self, reference=None, levels=None):
        self.reference = reference
        self.levels = None if levels is None else tuple(levels)

    def logpdf(self, y, eta2):
        self._unbound("categories")

    def bind(self, summary):
        levels = _categorical.ordered_levels(summary, self.levels, family=self.name,
                                             need_order=False)
        ref = levels[0] if self.reference is None else self.reference
        if ref not in levels:
            raise DataError(f"reference={ref!r} is not a level of the response "
                            f"({list(levels)}). Fix: name one of them.")
        return BoundMultinomial(levels, levels.index(ref))

    def example_response(self, rng, n):
        """Three levels, for the conformance kit."""
        return rng.choice(np.array(["a", "b", "c"]), size=n)


class BoundMultinomial(_categorical.LastRows, _categorical.IdentityScale, Family):
    """The multinomial family bound to ``levels``, with ``levels[reference]`` the
    reference."""

    name = "multinomial"
    support = NonNegativeIntegers()

    def __init__(self, levels: tuple, reference: int = 0):
        self.levels = tuple(levels)
        self.reference = int(reference)
        self.K = len(self.levels)
        self.others = tuple(j for j in range(self.K) if j != self.reference)
        self.parameters = tuple(
            Parameter(f"eta{j + 1}", Real(), link="identity", links=("identity",),
                      label=str(self.levels[j]), shares_formula=True, typical=(-0.5, 0.5),
                      description=f"log odds of {self.levels[j]!s} against "
                      f"{self.levels[self.reference]!s}")
            for j in self.others)

    def __reduce__(self):
        return (BoundMultinomial, (self.levels, self.reference))

    def __repr__(self) -> str:
        return (f"<family multinomial, levels {list(self.levels)}, reference "
                f"{self.levels[self.reference]!r}>")

    def encode_response(self, column):
        return _categorical.encode(column, self.levels)

    def _etas(self, n, etas) -> np.ndarray:
        E = np.zeros((n, self.K))
        for j, p in zip(self.others, self.parameters, strict=True):
            E[:, j] = etas[p.name]
        return E

    def probabilities(self, **etas) -> np.ndarray:
        """Per row, the K category probabilities (n x K)."""
        n = np.broadcast_shapes(*(np.shape(v) for v in etas.values()))[0]
        return special.softmax(self._etas(n, etas), axis=1)

    def _rows(self, y, etas):
        """``(log P, P, inside)``: the rows' log probabilities and probabilities (n x K)
        and whether ``y`` is a level code."""
        y = np.asarray(y, dtype=float)
        n = y.shape[0]
        E = self._etas(n, {k: np.broadcast_to(v, (n,)) for k, v in etas.items()})
        logP = E - special.logsumexp(E, axis=1, keepdims=True)
        inside = (y == np.floor(y)) & (y >= 0) & (y <= self.K - 1)
        return logP, np.exp(logP), inside

    def logpdf(self, y, **etas):
        logP, _, inside = self._cached("_last_rows", self._rows, y, etas)
        k = np.where(inside, y, 0).astype(int)
        return np.where(inside, logP[np.arange(k.size), k], -np.inf)

    def _probs(self, y, etas):
        return self._cached("_last_rows", self._rows, y, etas)[1]

    def dlogpdf(self, y, **etas):
        P = self._probs(y, etas)
        y = np.asarray(y)
        return {p.name: (y == j) - P[:, j] for j, p in zip(self.others, self.parameters,
                                                          strict=True)}

    def expected_information(self, y, **etas):
        """``p_k (1[k = m] - p_m)``: the information does not depend on ``y``."""
        P = self._probs(y, etas)
        out = {}
        for i, (j, a) in enumerate(zip(self.others, self.parameters, strict=True)):
            for m, b in zip(self.others[i:], self.parameters[i:], strict=True):
                out[(a.name, b.name)] = P[:, j] * ((j == m) - P[:, m])
        return out

    def d2logpdf(self, y, **etas):
        return {k: -v for k, v in self.expected_information(y, **etas).items()}

    def start(self, y, weights):
        """Each category's log odds against the reference, from the proportions."""
        counts = np.bincount(np.asarray(y, dtype=int), weights=weights, minlength=self.K)
        logp = np.log(np.maximum(counts, 0.5))
        return {p.name: float(logp[j] - logp[self.reference])
                for j, p in zip(self.others, self.parameters, strict=True)}

    def sample(self, rng, size, **etas):
        shape = (size,) if np.ndim(size) == 0 else tuple(size)
        P = self.probabilities(**{k: np.broadcast_to(v, shape).ravel() for k, v in etas.items()})
        return _categorical.draw(rng, P).reshape(shape)


@hookimpl
def register_families():
    return [Multinomial()]
