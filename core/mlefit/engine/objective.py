"""The log-likelihood on the linear-predictor scale, and its per-row derivatives.

For each distribution parameter ``j``: ``eta_j = X_j beta_j + offset_j`` and
``theta_j = h_j(eta_j)``; ``loglik = sum_i w_i logpdf(y_i; theta_1i, ..., theta_ki)``.
A parameter with no columns is held at its offset (fixed, or frozen by a staged fit).

Derivatives go through each row's derivatives with respect to its linear predictors,
then the design: gradient block ``X_j' (w dl/deta_j)``, information block
``X_j' (w W_jl) X_l``. The per-row derivatives come from the family (on the natural scale,
with the chain rule; or on the linear-predictor scale for a (family, link) pair), or,
when the family gives none, from :mod:`.numeric`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial

import numpy as np

from ..domains import Domain
from ..family import Family
from ..links import Link
from . import linalg
from .numeric import NumericDerivatives

__all__ = ["Block", "Objective", "Rows"]


@dataclass(frozen=True)
class Block:
    """One distribution parameter: its link, design (possibly empty) and offset."""

    name: str
    link: Link
    X: np.ndarray
    offset: np.ndarray
    domain: Domain

    @property
    def size(self) -> int:
        return self.X.shape[1]

    def eta(self, beta: np.ndarray) -> np.ndarray:
        return self.offset + self.X @ beta if self.size else self.offset


@dataclass(frozen=True)
class Rows:
    """Per-row quantities at one coefficient vector (active blocks only)."""

    beta: np.ndarray
    llf: float
    etas: list[np.ndarray]
    thetas: dict[str, np.ndarray]
    d1: list[np.ndarray]            # dl/deta_j per active block
    d2: dict | None                 # d2l/deta_j deta_l, (j, l) with j <= l


class Objective:
    """Weighted log-likelihood of ``family`` as a function of the stacked coefficients."""

    def __init__(self, family: Family, y: np.ndarray, blocks: tuple[Block, ...],
                 weights: np.ndarray, derivatives: str = "auto"):
        self.family = family
        # a multi-column response is read column by column: keep each column contiguous
        self.y = np.asfortranarray(y) if y.ndim == 2 else y
        self.blocks = tuple(blocks)
        self.weights = weights
        self.active = [i for i, b in enumerate(self.blocks) if b.size]
        sizes = [self.blocks[i].size for i in self.active]
        self.edges = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
        self.derivatives = self._choose(derivatives)
        self._numeric = (NumericDerivatives(len(self.active))
                         if self.derivatives == "numeric" else None)

    # structure -------------------------------------------------------------------
    def _choose(self, requested: str) -> str:
        has_nat = self.family.has("dlogpdf") and self.family.has("d2logpdf")
        if requested == "auto":
            return "analytic" if has_nat else "numeric"
        if requested == "analytic" and not has_nat:
            raise ValueError(f"family {self.family.name!r} gives no analytic derivatives")
        return requested

    @property
    def n(self) -> int:
        return self.y.shape[0]

    @property
    def p(self) -> int:
        return int(self.edges[-1])

    @property
    def designs(self) -> list[np.ndarray]:
        return [self.blocks[i].X for i in self.active]

    def split(self, beta: np.ndarray) -> list[np.ndarray]:
        """Coefficient vector -> one piece per active block."""
        return [beta[self.edges[a]:self.edges[a + 1]] for a in range(len(self.active))]

    def block_slice(self, name: str) -> slice:
        a = self.active.index(self.index(name))
        return slice(int(self.edges[a]), int(self.edges[a + 1]))

    def index(self, name: str) -> int:
        return [b.name for b in self.blocks].index(name)

    def freeze(self, beta: np.ndarray, keep: list[str]) -> Objective:
        """The objective in the blocks ``keep`` only; the others held at ``beta``."""
        pieces = dict(zip(self.active, self.split(beta), strict=True))
        blocks = []
        for i, b in enumerate(self.blocks):
            if b.size and b.name not in keep:
                b = replace(b, X=np.empty((self.n, 0)), offset=b.eta(pieces[i]))
            blocks.append(b)
        return Objective(self.family, self.y, tuple(blocks), self.weights, self.derivatives)

    def restrict(self, position: int, value: float) -> Objective:
        """The objective with coefficient ``position`` (of the stacked vector) held at
        ``value``: its column moves into the offset (profile likelihood, score tests)."""
        a = int(np.searchsorted(self.edges, position, side="right") - 1)
        i, col = self.active[a], position - int(self.edges[a])
        b = self.blocks[i]
        X = np.delete(b.X, col, axis=1)
        blocks = list(self.blocks)
        blocks[i] = replace(b, X=X, offset=b.offset + value * b.X[:, col])
        return Objective(self.family, self.y, tuple(blocks), self.weights, self.derivatives)

    # values ------------------------------------------------------------------------
    def etas(self, beta: np.ndarray) -> list[np.ndarray]:
        pieces = dict(zip(self.active, self.split(beta), strict=True))
        return [b.eta(pieces[i]) if b.size else b.offset for i, b in enumerate(self.blocks)]

    def thetas(self, etas: list[np.ndarray]) -> dict[str, np.ndarray]:
        with np.errstate(all="ignore"):
            return {b.name: b.link.inverse(e) for b, e in zip(self.blocks, etas, strict=True)}

    @staticmethod
    def _inside(block: Block, theta: np.ndarray, eta: np.ndarray) -> np.ndarray:
        """Rows where the parameter is in its domain, or where its link has rounded a
        finite linear predictor onto the boundary (logit: mu = 1.0 once eta > 36.7)."""
        inside = block.domain.contains(theta)
        if block.link.saturates is not None and not inside.all():
            with np.errstate(invalid="ignore"):
                inside |= block.link.saturates(eta) & np.isfinite(eta)
        return inside

    def _valid(self, thetas, etas) -> bool:
        return all(np.all(self._inside(b, thetas[b.name], e))
                   for b, e in zip(self.blocks, etas, strict=True))

    def _logpdf_at(self, base: list[np.ndarray], base_thetas: dict,
                   active_etas: list[np.ndarray]) -> np.ndarray:
        """Per-row log density with the active linear predictors replaced (only the moved
        ones are transformed and checked again)."""
        thetas = dict(base_thetas)
        inside = None
        for a, e in zip(self.active, active_etas, strict=True):
            if e is base[a]:
                continue
            b = self.blocks[a]
            with np.errstate(all="ignore"):
                thetas[b.name] = b.link.inverse(e)
            ok = self._inside(b, thetas[b.name], e)
            inside = ok if inside is None else inside & ok
        values = np.asarray(self.family.logpdf(self.y, **thetas), dtype=float)
        if inside is None or inside.all():
            return values
        return np.where(inside, values, -np.inf)

    def row_logpdf(self, thetas) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.asarray(self.family.logpdf(self.y, **thetas), dtype=float)

    def loglik(self, beta: np.ndarray) -> float:
        """Weighted log-likelihood; ``-inf`` where a parameter leaves its domain."""
        etas = self.etas(beta)
        thetas = self.thetas(etas)
        if not self._valid(thetas, etas):
            return -np.inf
        value = float(self.weights @ self.row_logpdf(thetas))
        return value if not np.isnan(value) else -np.inf

    # derivatives -------------------------------------------------------------------
    def rows(self, beta: np.ndarray, second: bool = True) -> Rows:
        """Per-row first (and second) derivatives on the linear-predictor scales."""
        etas = self.etas(beta)
        thetas = self.thetas(etas)
        f0 = self.row_logpdf(thetas)
        llf = float(self.weights @ f0) if self._valid(thetas, etas) else -np.inf
        if not np.isfinite(llf):  # a rejected trial point: no derivatives needed
            return Rows(beta, -np.inf, etas, thetas, [], None)
        active = [self.blocks[a] for a in self.active]
        if self.derivatives == "numeric":
            f = partial(self._logpdf_at, etas, thetas)
            d1, d2 = self._numeric(f, [etas[a] for a in self.active], f0, second)
        else:
            with np.errstate(all="ignore"):  # overflow at trial points is judged by llf
                d1, d2 = self._analytic(active, etas, thetas, second)
        return Rows(beta, llf, etas, thetas, d1, d2)

    def _analytic(self, active, etas, thetas, second):
        fam = self.family
        if fam.has("eta_derivatives"):
            links = {b.name: b.link.name for b in self.blocks}
            got = fam.eta_derivatives(self.y, links, **{b.name: e for b, e in
                                                        zip(self.blocks, etas, strict=True)})
            if got is not None:
                g1, g2 = got
                d1 = [np.asarray(g1[b.name], dtype=float) for b in active]
                d2 = _pairs(g2, active) if second else None
                return d1, d2
        g1 = fam.dlogpdf(self.y, **thetas)
        hd1 = [b.link.inverse_deriv(etas[a]) for a, b in zip(self.active, active, strict=True)]
        d1 = [np.asarray(g1[b.name], dtype=float) * h for b, h in zip(active, hd1, strict=True)]
        if not second:
            return d1, None
        g2 = _pairs(fam.d2logpdf(self.y, **thetas), active)
        d2 = {}
        for (j, m), v in g2.items():
            d2[(j, m)] = v * hd1[j] * hd1[m]
            if j == m:
                b = active[j]
                d2[(j, m)] = d2[(j, m)] + np.asarray(g1[b.name]) * b.link.inverse_deriv2(
                    etas[self.active[j]])
        return d1, d2

    def expected(self, rows: Rows) -> dict | None:
        """Per-row expected information on the linear-predictor scales, if the family has it."""
        if not self.family.has("expected_information"):
            return None
        active = [self.blocks[a] for a in self.active]
        hd1 = [b.link.inverse_deriv(rows.etas[a]) for a, b in zip(self.active, active,
                                                                 strict=True)]
        # a row whose parameter underflowed onto its boundary (a poisson mean of 0 after
        # separation: 1/mu = inf) has d theta / d eta = 0 and carries no information on the
        # eta scale (its limit; the product would be inf * 0 = nan)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            info = _pairs(self.family.expected_information(self.y, **rows.thetas), active)
            out = {(j, m): v * hd1[j] * hd1[m] for (j, m), v in info.items()}
        for (j, m), v in out.items():
            flat = (np.asarray(hd1[j]) == 0) | (np.asarray(hd1[m]) == 0)
            if np.any(flat):
                out[(j, m)] = np.where(flat, 0.0, v)
        return out

    def leverages(self, rows: Rows) -> np.ndarray | None:
        """The leverage pass: the diagonal of the weighted hat matrix of the first
        parameter's design, ``w_i W_i x_i' (X' diag(w W) X)^-1 x_i``, with ``W_i`` its
        per-row expected information (a GLM's working weights up to the dispersion, which
        cancels): R's ``hatvalues``. None when the family gives no expected information
        or the first parameter is not estimated."""
        W = self.expected(rows)
        if W is None or not self.active or self.active[0] != 0:
            return None
        return linalg.hat_diagonal(self.designs[0], self.weights * W[(0, 0)])

    # assembled ---------------------------------------------------------------------
    def gradient(self, rows: Rows) -> np.ndarray:
        w = self.weights
        return np.concatenate([X.T @ (w * d) for X, d in zip(self.designs, rows.d1,
                                                              strict=True)])

    def information(self, W: dict) -> np.ndarray:
        """``sum_i w_i X_i' W_i X_i`` for per-row blocks ``W`` on the eta scale."""
        return linalg.block_information(self.designs, {key: self.weights * v
                                                       for key, v in W.items()})

    @staticmethod
    def observed(rows: Rows) -> dict:
        return {key: -v for key, v in rows.d2.items()}

    @staticmethod
    def bhhh(rows: Rows) -> dict:
        k = len(rows.d1)
        return {(j, m): rows.d1[j] * rows.d1[m] for j in range(k) for m in range(j, k)}

    def scores(self, rows: Rows) -> np.ndarray:
        """Per-row score in coefficient space, unweighted: ``(n, p)``."""
        return np.hstack([d[:, None] * X for X, d in zip(self.designs, rows.d1, strict=True)])


def _pairs(values: dict, active: list[Block]) -> dict:
    """Family's ``{(name_a, name_b): array}`` -> ``{(j, m): array}`` over active blocks."""
    names = [b.name for b in active]
    out = {}
    for j, a in enumerate(names):
        for m in range(j, len(names)):
            b = names[m]
            if (a, b) in values:
                v = values[(a, b)]
            elif (b, a) in values:
                v = values[(b, a)]
            else:
                raise KeyError(f"second derivative for the pair ({a!r}, {b!r}) is missing")
            out[(j, m)] = np.asarray(v, dtype=float)
    return out
