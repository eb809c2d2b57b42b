"""The log-likelihood on the linear-predictor scale, read through the per-block kernel.

For each distribution parameter ``j``: ``eta_j = X_j beta_j + offset_j`` and
``theta_j = h_j(eta_j)``; ``loglik = sum_i w_i logpdf(y_i; theta_1i, ..., theta_ki)``.
A parameter with no columns is held at its offset (fixed, or frozen by a staged fit).

An :class:`Objective` holds the rows in memory and cuts them into blocks that stay in
cache; :meth:`Objective.evaluate` runs :func:`mlefit.engine.kernel.accumulate` over the
blocks and adds their :class:`~mlefit.engine.kernel.Sums`: one pass over the rows gives
the log-likelihood, the score and the information. Diagnostics and post-estimation that
need per-row values (:meth:`Objective.rows`) get them from the kernel's same per-row
function on all rows at once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy import linalg as sla
from scipy.linalg import lapack

from ..domains import Domain
from ..family import Family
from ..links import Link
from . import censored, kernel, linalg, response_scale, threads
from .kernel import LOGLIK, Chunk, Model, Slot, Sums, Want

__all__ = ["Block", "BlockLayout", "Objective", "Rows"]

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


class BlockLayout:
    """Where each parameter's coefficients sit in the stacked vector: from ``blocks``,
    ``active`` (the blocks with columns) and ``edges`` (their offsets), which every
    objective (in memory or partitioned) sets."""

    def split(self, beta: np.ndarray) -> list[np.ndarray]:
        """Coefficient vector -> one piece per active block."""
        return [beta[self.edges[a]:self.edges[a + 1]] for a in range(len(self.active))]

    def block_slice(self, name: str) -> slice:
        a = self.active.index(self.index(name))
        return slice(int(self.edges[a]), int(self.edges[a + 1]))

    def index(self, name: str) -> int:
        return [b.name for b in self.blocks].index(name)


class Objective(BlockLayout):
    """Weighted log-likelihood of ``family`` as a function of the stacked coefficients."""

    def __init__(self, family: Family, y: np.ndarray, blocks: tuple[Block, ...],
                 weights: np.ndarray, derivatives: str = "auto", *,
                 scales: tuple | None = None, steps: tuple[float, ...] | None = None,
                 var_weights: np.ndarray | None = None,
                 limits: censored.Limits | None = None):
        self.family = family
        #: censored and truncated rows (:class:`.censored.Limits`), None when there are none
        self.limits = limits if limits is not None and limits.any else None
        #: precision weights of the rows (Pearson sums; the likelihood has them in the
        #: dispersion's offset)
        self.var_weights = var_weights
        # a multi-column response is read column by column: keep each column contiguous
        self.y = np.asfortranarray(y) if y.ndim == 2 else y
        self.blocks = tuple(blocks)
        self.weights = weights
        self.active = [i for i, b in enumerate(self.blocks) if b.size]
        sizes = [self.blocks[i].size for i in self.active]
        self.edges = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
        self.derivatives = self._choose(derivatives)
        slots = tuple(Slot(b.name, b.link, b.domain, b.size) for b in self.blocks)
        self.model = Model(family, slots, self.derivatives,
                           scales if scales is not None else (None,) * len(self.active),
                           steps if self.derivatives == "numeric" else None,
                           response_scale.choose(family, slots, self.y, linalg.SCALE_RANGE))
        #: rows per kernel block
        self.block = linalg.block_rows(self.p)
        #: kernel passes over the rows since creation (for tests and benchmarks)
        self.passes = 0
        #: per block of rows, its rows sorted by kind (:class:`.censored.Plan`), built on
        #: the first pass: the limits do not change (shared with restricted and frozen
        #: objectives on the same rows)
        self._plans: dict = {}

    # structure -------------------------------------------------------------------
    def _choose(self, requested: str) -> str:
        has_nat = self.family.has("dlogpdf") and self.family.has("d2logpdf") and (
            self.limits is None or censored.has_analytic(self.family))
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

    @property
    def scale(self) -> np.ndarray:
        """The power-of-two column multipliers ``d`` of the kernel's scaled coordinates."""
        return self.model.scale_vector()

    def _like(self, blocks) -> Objective:
        """An objective on other blocks with this one's family, rows and numeric steps."""
        by_name = dict(zip([self.blocks[a].name for a in self.active],
                           self.model.scales, strict=True))
        steps = dict(zip([self.blocks[a].name for a in self.active], self.model.steps or (),
                         strict=False))
        active = [b for b in blocks if b.size]
        same = all(by_name.get(b.name) is None or by_name[b.name].size == b.size
                   for b in active)
        scales = tuple(by_name.get(b.name) for b in active) if same else None
        kept = tuple(steps[b.name] for b in active) if self.model.steps and all(
            b.name in steps for b in active) else None
        like = Objective(self.family, self.y, tuple(blocks), self.weights, self.derivatives,
                         scales=scales, steps=kept, var_weights=self.var_weights,
                         limits=self.limits)
        like._plans = self._plans
        return like

    def freeze(self, beta: np.ndarray, keep: list[str]) -> Objective:
        """The objective in the blocks ``keep`` only; the others held at ``beta``."""
        pieces = dict(zip(self.active, self.split(beta), strict=True))
        blocks = []
        for i, b in enumerate(self.blocks):
            if b.size and b.name not in keep:
                b = replace(b, X=np.empty((self.n, 0)), offset=b.eta(pieces[i]))
            blocks.append(b)
        return self._like(blocks)

    def restrict(self, position: int, value: float) -> Objective:
        """The objective with coefficient ``position`` (of the stacked vector) held at
        ``value``: its column moves into the offset (profile likelihood, score tests)."""
        a = int(np.searchsorted(self.edges, position, side="right") - 1)
        i, col = self.active[a], position - int(self.edges[a])
        b = self.blocks[i]
        X = np.delete(b.X, col, axis=1)
        blocks = list(self.blocks)
        blocks[i] = replace(b, X=X, offset=b.offset + value * b.X[:, col])
        scales = list(self.model.scales)
        if scales[a] is not None:
            scales[a] = np.delete(scales[a], col)
        if X.shape[1] == 0:
            del scales[a]
        restricted = Objective(self.family, self.y, tuple(blocks), self.weights,
                               self.derivatives, scales=tuple(scales),
                               var_weights=self.var_weights, limits=self.limits)
        restricted._plans = self._plans
        if self.model.steps is not None:
            steps = list(self.model.steps)
            if X.shape[1] == 0:
                del steps[a]
            restricted.model = replace(restricted.model, steps=tuple(steps))
        return restricted

    # the kernel --------------------------------------------------------------------
    def chunks(self, groups: np.ndarray | None = None, var_weights: np.ndarray | None = None):
        """The rows in blocks of :attr:`block` rows: views, no copies."""
        var_weights = self.var_weights if var_weights is None else var_weights
        for start in range(0, self.n, self.block):
            sl = slice(start, min(start + self.block, self.n))
            yield self._chunk(sl, groups, var_weights)

    def _chunk(self, sl, groups=None, var_weights=None) -> Chunk:
        def cut(v):
            return None if v is None else v[sl]
        lim = self.limits
        chunk = Chunk(self.y[sl], self.weights[sl],
                      tuple(b.X[sl] for b in self.blocks if b.size),
                      tuple(b.offset[sl] for b in self.blocks), groups=cut(groups),
                      var_weights=cut(var_weights),
                      kinds=None if lim is None else lim.kinds[sl],
                      bounds=None if lim is None else lim.bounds[sl])
        if lim is None:
            return chunk
        r = self.model.response
        key = (sl.start, sl.stop, 0 if r is None else r.exponent)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = kernel.plan(self.model, chunk)
        return replace(chunk, plan=plan)

    @property
    def final_want(self) -> Want:
        """What the last pass of a fit accumulates: score, observed information, the rows
        on a boundary, and the Pearson sum when the family has a variance function."""
        return Want(gradient=True, information="observed", edges=True,
                    pearson=self.family.has("unit_variance") and self.limits is None)

    def evaluate(self, beta: np.ndarray, want: Want = LOGLIK,
                 groups: np.ndarray | None = None,
                 var_weights: np.ndarray | None = None) -> Sums:
        """One pass of the kernel over every block: the sums ``want`` asks for at
        ``beta`` (score and information in the scaled coordinates of :attr:`scale`);
        ``groups`` are cluster codes, ``var_weights`` the precision weights of the rows
        (Pearson sums)."""
        beta = np.asarray(beta, dtype=float)
        self._ensure_steps(beta, want.derivatives)
        self.passes += 1
        model = self.model

        def one(chunk):
            return kernel.accumulate(model, chunk, beta, want)

        total = Sums()
        for part in threads.run(one, self.chunks(groups, var_weights), -(-self.n // self.block)):
            if not part.finite:   # a row left its domain: nothing else matters
                return Sums(llf=-np.inf, rows=self.n)
            total = total + part     # in block order: the same sums with any thread count
        return total

    def _ensure_steps(self, beta, needed: bool) -> None:
        """Numeric derivatives: the global step scales from a pilot pass, once."""
        if self.derivatives != "numeric" or self.model.steps is not None or not needed:
            return
        model = self.model
        total = Sums()
        for part in threads.run(lambda chunk: kernel.pilot(model, chunk, beta), self.chunks(),
                                -(-self.n // self.block)):
            total = total + part
        self.model = kernel.with_steps(model, total)

    # values ------------------------------------------------------------------------
    def etas(self, beta: np.ndarray) -> list[np.ndarray]:
        pieces = dict(zip(self.active, self.split(beta), strict=True))
        return [b.eta(pieces[i]) if b.size else b.offset for i, b in enumerate(self.blocks)]

    def thetas(self, etas: list[np.ndarray]) -> dict[str, np.ndarray]:
        with np.errstate(all="ignore"):
            return {b.name: b.link.inverse(e) for b, e in zip(self.blocks, etas, strict=True)}

    @property
    def response(self) -> response_scale.ResponseScale | None:
        """The response's power-of-two scale, when the kernel fits ``y / 2^e``."""
        return self.model.response

    def family_view(self, beta: np.ndarray, rows: slice):
        """``(y, parameters)`` of a block of rows as the family sees them in the kernel
        (under a response scale: ``y / 2^e`` and the parameters in those units)."""
        pieces = dict(zip(self.active, self.split(beta), strict=True))
        r, y = self.response, self.y[rows]
        params = {}
        with np.errstate(all="ignore"):
            for i, b in enumerate(self.blocks):
                eta = b.offset[rows] + b.X[rows] @ pieces[i] if b.size else b.offset[rows]
                params[b.name] = b.link.inverse(eta if r is None else r.tilde(i, eta))
        return (y if r is None else r.y(y)), params

    def row_logpdf(self, thetas) -> np.ndarray:
        return censored.row_loglik(self.family, self.y, thetas, self.limits)

    def loglik(self, beta: np.ndarray) -> float:
        """Weighted log-likelihood; ``-inf`` where a parameter leaves its domain."""
        return self.evaluate(beta).llf

    # per-row values ----------------------------------------------------------------
    def rows(self, beta: np.ndarray, second: bool = True) -> Rows:
        """Per-row first (and second) derivatives on the linear-predictor scales, all rows
        at once (the kernel's per-row function; the accurate numeric scheme)."""
        beta = np.asarray(beta, dtype=float)
        self._ensure_steps(beta, True)
        got = kernel.row_values(self.model, self._chunk(slice(None)), beta, second)
        return Rows(beta, got.llf, got.etas, got.thetas, got.d1, got.d2)

    def expected(self, rows: Rows) -> dict | None:
        """Per-row expected information on the linear-predictor scales, if the family has it."""
        return kernel.expected_at(self.model, self._chunk(slice(None)), rows.beta)

    def leverage_factor(self, beta: np.ndarray):
        """``(R, d)`` with ``R' R = D I D``, ``I`` the first parameter's expected information
        at ``beta`` in the kernel's coordinates and ``d`` its correlation scaling: what the
        leverage pass needs (Cholesky when well conditioned, else the blockwise QR). None
        when the family gives no expected information or the first parameter is not
        estimated."""
        if not self.active or self.active[0] != 0 or \
                not self.family.has("expected_information"):
            return None
        mean = self if len(self.active) == 1 else self.freeze(beta, keep=[self.blocks[0].name])
        b0 = beta[: self.blocks[0].size]
        info = mean.evaluate(b0, Want(information="expected")).information
        S, d = linalg.scaled(info)
        try:
            c = sla.cholesky(S, lower=False, check_finite=False)
            rcond, _ = lapack.dpocon(c, np.linalg.norm(S, 1), uplo="U")
            if rcond * linalg.QR_CONDITION >= 1.0:
                return c, d
        except np.linalg.LinAlgError:
            pass
        got = mean.evaluate(b0, Want(information="expected", qr=("expected", d)))
        p = d.size
        return got.qr[:p, :p], d

    # assembled from per-row values -------------------------------------------------
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
