"""The per-block kernel: a block of rows in, partial sums out.

:func:`accumulate` is a pure function of a :class:`Model` (the family, each parameter's
link and domain, the column scales and numeric step sizes: no rows), a :class:`Chunk` of
rows (each estimated parameter's design rows, the response, weights, offsets, and
optionally per-row response kinds and cluster codes), the stacked coefficients and a
:class:`Want` that says what to accumulate. It returns :class:`Sums`, which add: the sums
over any partition of the rows are the sums over all of them (to rounding), so the same
function serves the in-memory loop (row blocks sized to stay in cache) and any
out-of-core or distributed backend (one block per partition, a tree reduction).

In one call, for its rows, the kernel computes every parameter's linear predictor, the
per-row derivatives on the linear-predictor scale (the family's analytic ones, or central
differences of ``logpdf`` in one batched call), and accumulates what was asked:

* the log-likelihood (``-inf`` once a row leaves a parameter's domain);
* the score ``X_j' (w dl/deta_j)`` and the information blocks ``X_j' (w W_jm) X_m`` for
  ``W`` the observed, expected or outer-product (BHHH) per-row information;
* the sandwich meat ``sum m_i s_i s_i'`` (``m_i = w_i`` or ``w_i^2``, divided by
  ``(1 - h_i)`` or ``(1 - h_i)^2`` for HC2/HC3) and the cluster sums of scores
  (a clusters-by-p accumulator);
* leverages ``h_i`` from a fixed triangular factor of the mean model's information (the
  second pass of HC2/HC3, influence measures and Firth's penalty);
* the R factor of the stacked weighted design ``[L_i' X_i D | z_i]`` (a blockwise QR,
  TSQR): Newton steps and covariances where the Gram matrix is too ill-conditioned;
* the Pearson sum ``sum w v (y - mu)^2 / V(mu)`` of a family with a variance function.

Columns may carry power-of-two scales (:attr:`Model.scales`): the kernel multiplies a
block's rows by them before any product, so the score and information come out in scaled
coordinates (``D g`` and ``D I D``) without a scaled copy of the design and without
rounding (a power of two multiplies exactly). Numeric derivative steps are
``H * S_j`` on the grid of each row's linear predictor, with ``S_j`` a global step scale
per parameter (:func:`pilot`, from all rows before the fit), never a statistic of a block.

Per-row response kinds (:data:`EXACT` and the censored kinds of :mod:`.censored`) come
with the rows' limits (``Chunk.bounds``: censoring and truncation intervals): a censored
row contributes ``log P(lo < Y <= hi)``, a truncated one subtracts ``log P(tlo < Y <= thi)``
(:func:`mlefit.engine.censored.row_loglik`, in log space from the family's ``logcdf`` and
``logsf``). Analytic derivatives on such rows come from the family's ``dlogcdf``,
``dlogsf``, ``d2logcdf`` and ``d2logsf``; numeric ones difference the same per-row
function. Under a response scale the limits are divided by ``2^e`` like ``y`` and only
exact rows carry the Jacobian.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
from scipy import linalg as sla

from ..domains import Domain
from ..family import Family, mean_scale
from ..links import Link
from . import censored, linalg
from .response_scale import ResponseScale

__all__ = ["EXACT", "H1", "H2", "LEVERAGE_LIMIT", "LOGLIK", "Chunk", "Model", "RowValues", "Slot",
           "Sums", "Want", "accumulate", "at_edge", "expected_at", "expected_rows", "pilot",
           "plan", "row_values", "with_steps"]

EPS = np.finfo(float).eps
#: numeric step factors: first differences (and Newton's shared step), second differences,
#: the accurate scheme's fourth-order first differences
H1, H2, H4 = EPS ** (1 / 3), EPS ** (1 / 4), EPS ** (1 / 5)
#: the response kind of an exactly observed row (censoring and truncation add others)
EXACT = 0
#: a leverage above this (a row the mean model fits exactly) leaves HC2/HC3 undefined
LEVERAGE_LIMIT = 1.0 - 1e-8


@dataclass(frozen=True)
class Slot:
    """One distribution parameter as the kernel sees it: no rows, only how to read them."""

    name: str
    link: Link
    domain: Domain
    size: int            # number of columns; 0 = held at its offset


@dataclass(frozen=True)
class Model:
    """Everything but the rows: the family, its parameters, scales and numeric steps."""

    family: Family
    slots: tuple[Slot, ...]
    derivatives: str                        # "analytic" or "numeric"
    #: per estimated parameter, power-of-two column multipliers (None: all 1)
    scales: tuple[np.ndarray | None, ...] = ()
    #: per estimated parameter, the global numeric step scale (None until the pilot)
    steps: tuple[float, ...] | None = None
    #: the response's power-of-two scale (:mod:`.response_scale`), or None
    response: ResponseScale | None = None

    @property
    def active(self) -> list[int]:
        return [i for i, s in enumerate(self.slots) if s.size]

    @property
    def edges(self) -> np.ndarray:
        return np.concatenate([[0], np.cumsum([s.size for s in self.slots if s.size])]
                              ).astype(int)

    @property
    def p(self) -> int:
        return int(sum(s.size for s in self.slots))

    def scale_vector(self) -> np.ndarray:
        """The stacked coordinates' units ``d`` (``beta = d * beta_scaled``): the column
        multipliers (ones where a parameter has none) times the response scale's unit of
        each parameter's coefficients."""
        parts = []
        for a, s in zip(self.active, self.scales or [None] * len(self.active), strict=True):
            part = np.ones(self.slots[a].size) if s is None else s
            if self.response is not None:
                part = part * self.response.factor(a)
            parts.append(part)
        return np.concatenate(parts) if parts else np.empty(0)


@dataclass(frozen=True)
class Chunk:
    """A block of rows: views of the caller's arrays, never copies."""

    y: np.ndarray
    weights: np.ndarray
    designs: tuple[np.ndarray, ...]     # per estimated parameter (rows x its columns)
    offsets: tuple[np.ndarray, ...]     # per parameter (all of them)
    kinds: np.ndarray | None = None     # per-row response kinds (None: all exact)
    #: per-row ``[lo, hi, tlo, thi]`` (:class:`.censored.Limits`); with ``kinds``
    bounds: np.ndarray | None = None
    var_weights: np.ndarray | None = None   # precision weights (Pearson sums only)
    groups: np.ndarray | None = None    # per-row cluster codes 0..G-1 (cluster sums)
    #: the rows sorted by kind (:class:`.censored.Plan`, from :func:`plan`): a caller
    #: that passes the same rows again keeps it; None: built in each call
    plan: censored.Plan | None = None

    @property
    def n(self) -> int:
        return self.y.shape[0]

    @cached_property
    def limits(self) -> censored.Limits | None:
        """The rows' kinds and limits, None when every row is exact and untruncated."""
        if self.kinds is None or self.bounds is None:
            return None
        return censored.Limits(self.kinds, self.bounds)


@dataclass(frozen=True)
class Want:
    """What one pass accumulates besides the log-likelihood."""

    gradient: bool = False
    #: "observed", "expected" or "bhhh" per-row information, or None
    information: str | None = None
    #: numeric derivatives: the accurate scheme (separate second-difference steps)
    accurate: bool = False
    #: sandwich meat: "frequency" (m = w) or "prior" (m = w^2), or None
    meat: str | None = None
    #: HC2 (1) or HC3 (2): the meat's mass divided by (1 - h)^hc (needs ``leverage``)
    hc: int = 0
    #: number of clusters G for the clusters-by-p score sums (needs ``Chunk.groups``)
    clusters: int = 0
    #: ``(R, d, per_copy)`` with ``R' R = D I D`` for the first parameter's expected
    #: information (scaled by ``d``): the leverage pass; ``per_copy`` divides each row's
    #: leverage by its frequency weight
    leverage: tuple[np.ndarray, np.ndarray, bool] | None = None
    #: return the per-row leverages (else they only weight the meat)
    leverages_out: bool = False
    #: ``(kind, d)``: the R factor of the stacked design of information ``kind``, columns
    #: scaled by ``d``, with the working response as a last column
    qr: tuple[str, np.ndarray] | None = None
    #: the Pearson sum ``sum w v (y - mu)^2 / V(mu)`` of a family with a variance
    #: function (``v``: the chunk's variance weights)
    pearson: bool = False
    #: count, per estimated parameter, the rows whose fitted value is numerically on the
    #: boundary of its domain (or saturates its link) by the coefficients' doing
    edges: bool = False
    #: False: the log-likelihood even where a parameter is outside its open domain (a
    #: family's boundary value, for reductions)
    domain_check: bool = True

    @property
    def derivatives(self) -> bool:
        """Whether the pass needs per-row derivatives."""
        return self.gradient or self.information is not None or self.meat is not None \
            or self.clusters > 0 or self.qr is not None


#: a pass for the log-likelihood alone
LOGLIK = Want()


@dataclass
class Sums:
    """Partial sums over a block of rows; ``a + b`` is their sum over both blocks.

    The score, information, meat and cluster sums are in the model's scaled coordinates
    (``D g``, ``D I D``); ``None`` where not asked for (or, for ``information``, where the
    family cannot give that kind).
    """

    llf: float = 0.0
    rows: int = 0
    gradient: np.ndarray | None = None
    information: np.ndarray | None = None
    meat: np.ndarray | None = None
    clusters: np.ndarray | None = None
    qr: np.ndarray | None = None
    #: False when the QR was asked for and some row's information block is not PSD
    qr_ok: bool = True
    pearson: float | None = None
    pearson_scale: float | None = None
    leverages: np.ndarray | None = None
    #: rows whose leverage exceeds :data:`LEVERAGE_LIMIT`
    high_leverage: int = 0
    #: per estimated parameter, rows on the boundary of its domain (``Want.edges``)
    edges: np.ndarray | None = None
    #: pilot: per estimated parameter, sum of log curvature scales and their count
    log_scale: np.ndarray | None = None
    scale_count: np.ndarray | None = None

    def __add__(self, other: Sums) -> Sums:
        return Sums(
            llf=self.llf + other.llf, rows=self.rows + other.rows,
            gradient=_add(self.gradient, other.gradient),
            information=_add(self.information, other.information),
            meat=_add(self.meat, other.meat), clusters=_add(self.clusters, other.clusters),
            qr=_merge_r(self.qr, other.qr), qr_ok=self.qr_ok and other.qr_ok,
            pearson=_add(self.pearson, other.pearson),
            pearson_scale=_add(self.pearson_scale, other.pearson_scale),
            leverages=_concat(self.leverages, other.leverages),
            high_leverage=self.high_leverage + other.high_leverage,
            edges=_add(self.edges, other.edges),
            log_scale=_add(self.log_scale, other.log_scale),
            scale_count=_add(self.scale_count, other.scale_count))

    @property
    def finite(self) -> bool:
        return bool(np.isfinite(self.llf))


def _add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return a + b


def _concat(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return np.concatenate([a, b])


def _merge_r(a, b):
    """The R factor of two stacked R factors (the reduction step of a TSQR)."""
    if a is None:
        return b
    if b is None:
        return a
    return np.triu(sla.qr(np.vstack([a, b]), mode="r", check_finite=False)[0][: a.shape[1]])


@dataclass(frozen=True)
class RowValues:
    """Per-row values of a block at one coefficient vector (for callers that need rows)."""

    llf: float
    etas: list[np.ndarray]
    thetas: dict[str, np.ndarray]
    d1: list[np.ndarray]
    d2: dict | None


# ---------------------------------------------------------------------------------------
# the pass


def accumulate(model: Model, chunk: Chunk, beta: np.ndarray, want: Want) -> Sums:
    """Partial sums of ``want`` over the rows of ``chunk`` at coefficients ``beta``."""
    _check_kinds(chunk)
    chunk = _planned(model, chunk)
    etas, thetas, f0, llf = _centre(model, chunk, beta, want.domain_check)
    chunk = _tilde_chunk(model, chunk)
    out = Sums(llf=llf, rows=chunk.n)
    if want.pearson and np.isfinite(llf):
        out.pearson, out.pearson_scale = _pearson(model, chunk, thetas)
    if want.edges and np.isfinite(llf):
        out.edges = _edges(model, chunk, etas, thetas)
    if not np.isfinite(llf) or not (want.derivatives or want.leverage is not None):
        return out
    A = _scaled_designs(model, chunk)
    h = None
    if want.leverage is not None:
        h = _leverages(model, chunk, etas, thetas, A[0], want.leverage)
        out.high_leverage = int(np.count_nonzero(h > LEVERAGE_LIMIT))
        if want.leverages_out:
            out.leverages = h
    if not want.derivatives:
        return out
    order = 2 if want.information == "observed" else 1
    d1, d2 = _derivatives(model, chunk, etas, thetas, f0, order, want.accurate)
    # a trial point far out may overflow its products: Newton judges it by the
    # log-likelihood and refuses a non-finite score, so no warning leaks from here
    with np.errstate(over="ignore", invalid="ignore"):
        _products(out, model, chunk, etas, thetas, d1, d2, A, h, want)
    return out


def _products(out, model, chunk, etas, thetas, d1, d2, A, h, want) -> None:
    """The score, information, stacked-design R, meat and cluster sums of a block."""
    w = chunk.weights
    if want.gradient:
        out.gradient = np.concatenate([Aj.T @ (w * dj) for Aj, dj in zip(A, d1, strict=True)])
    if want.information is not None:
        W = _per_row_information(model, chunk, etas, thetas, d1, d2, want.information)
        if W is not None:
            out.information = linalg.block_information(A, {k: w * v for k, v in W.items()})
        if want.qr is not None:
            out.qr, out.qr_ok = _qr(A, w, W, d1, want.qr[1])
    if want.meat is not None:
        mass = w * w if want.meat == "prior" else w
        if want.hc:   # rows of leverage 1 are counted (the caller refuses), not summed
            with np.errstate(all="ignore"):
                mass = np.where(h > LEVERAGE_LIMIT, 0.0, mass / (1.0 - h) ** want.hc)
        k = len(d1)
        out.meat = linalg.block_information(
            A, {(j, m): mass * d1[j] * d1[m] for j in range(k) for m in range(j, k)})
    if want.clusters:
        out.clusters = _cluster_sums(A, w, d1, chunk.groups, want.clusters)


def row_values(model: Model, chunk: Chunk, beta: np.ndarray, second: bool = True,
               accurate: bool = True) -> RowValues:
    """The per-row linear predictors, parameters and derivatives of ``chunk`` (the rows
    themselves, for diagnostics and post-estimation; the fit itself only needs sums)."""
    _check_kinds(chunk)
    chunk = _planned(model, chunk)
    etas, thetas, f0, llf = _centre(model, chunk, beta)
    tilde = _tilde_chunk(model, chunk)
    d1, d2 = ([], None) if not np.isfinite(llf) else \
        _derivatives(model, tilde, etas, thetas, f0, 2 if second else 1, accurate)
    r = model.response
    if r is None:
        return RowValues(llf, etas, thetas, d1, d2)
    # the caller's units: the linear predictors as the design gives them
    etas = [r.untilde(a, e) for a, e in enumerate(etas)]
    with np.errstate(all="ignore"):
        thetas = {s.name: s.link.inverse(e) for s, e in zip(model.slots, etas, strict=True)}
    f = [r.factor(a) for a in model.active]
    d1 = [d / f[j] for j, d in enumerate(d1)]
    d2 = None if d2 is None else {(j, m): v / (f[j] * f[m]) for (j, m), v in d2.items()}
    return RowValues(llf, etas, thetas, d1, d2)


def expected_at(model: Model, chunk: Chunk, beta: np.ndarray) -> dict | None:
    """Per-row expected information of ``chunk`` at ``beta`` on the linear-predictor scales
    as the design gives them (see :func:`row_values`); None if the family has none."""
    etas, thetas, _, _ = _centre(model, chunk, beta)
    W = expected_rows(model, _tilde_chunk(model, chunk), etas, thetas)
    if W is None or model.response is None:
        return W
    f = [model.response.factor(a) for a in model.active]
    return {(j, m): v / (f[j] * f[m]) for (j, m), v in W.items()}


def pilot(model: Model, chunk: Chunk, beta: np.ndarray) -> Sums:
    """Sums of the log curvature scales ``log(1/sqrt|d2l/deta_j^2|)`` over the rows where
    they are finite: ``exp(sum / count)`` is parameter ``j``'s global numeric step scale
    (the geometric mean over all rows; each row's pilot step is its own,
    ``H2 (1 + |eta|)``)."""
    etas, thetas, f0, llf = _centre(model, chunk, beta)
    chunk = _tilde_chunk(model, chunk)
    k = len(model.active)
    out = Sums(llf=llf, rows=chunk.n, log_scale=np.zeros(k), scale_count=np.zeros(k))
    ok = np.isfinite(f0)
    for j, a in enumerate(model.active):
        with np.errstate(all="ignore"):
            hs = [None] * k
            hs[j] = _on_grid(etas[a], H2 * (1.0 + np.abs(etas[a])))
            h = hs[j]
            fp, fm = _moved(model, chunk, etas, thetas, hs, [((j, 1),), ((j, -1),)])
            curv = np.abs(fp - 2 * f0 + fm) / h**2
            log_s = -0.5 * np.log(curv)
        good = ok & np.isfinite(log_s)
        out.log_scale[j] = float(np.sum(log_s[good]))
        out.scale_count[j] = float(np.count_nonzero(good))
    return out


# ---------------------------------------------------------------------------------------
# pieces


def plan(model: Model, chunk: Chunk) -> censored.Plan | None:
    """The rows of ``chunk`` sorted by kind (:class:`.censored.Plan`) as the family sees
    them (limits divided by the model's response scale); None when all are exact."""
    limits = chunk.limits
    if limits is None:
        return None
    e = 0 if model.response is None else model.response.exponent
    return censored.Plan.of(limits if e == 0 else limits.scaled(e), e)


def _planned(model: Model, chunk: Chunk) -> Chunk:
    """``chunk`` with its plan (the caller's if it fits the model's response scale)."""
    if chunk.limits is None:
        return chunk
    e = 0 if model.response is None else model.response.exponent
    if chunk.plan is not None and chunk.plan.exponent == e:
        return chunk
    return replace(chunk, plan=plan(model, chunk))


def _check_kinds(chunk: Chunk) -> None:
    if chunk.kinds is not None and chunk.bounds is None and np.any(chunk.kinds != EXACT):
        raise ValueError("censored rows need their limits: pass Chunk.bounds "
                         "([lo, hi, tlo, thi] per row) with Chunk.kinds")


def _centre(model, chunk, beta, domain_check=True):
    """Linear predictors, parameters, per-row log density and the weighted sum."""
    pieces = iter(np.split(beta, model.edges[1:-1]) if model.p else [])
    designs = iter(chunk.designs)
    etas = []
    for slot, off in zip(model.slots, chunk.offsets, strict=True):
        if slot.size:
            etas.append(off + next(designs) @ next(pieces))
        else:
            etas.append(off)
    r, y, limits = model.response, chunk.y, chunk.limits
    rows_plan = None if limits is None else _planned(model, chunk).plan
    if r is not None:    # the family sees y / 2^e and its parameters in those units
        etas = [r.tilde(a, e) for a, e in enumerate(etas)]
        y = r.y(y)
    with np.errstate(all="ignore"):
        thetas = {s.name: s.link.inverse(e) for s, e in zip(model.slots, etas, strict=True)}
    inside = not domain_check or all(np.all(_inside(s, thetas[s.name], e))
                                     for s, e in zip(model.slots, etas, strict=True))
    with np.errstate(all="ignore"):
        f0 = censored.row_loglik(model.family, y, thetas, limits, rows_plan)
    llf = float(chunk.weights @ f0) if inside else -np.inf
    if np.isnan(llf):
        llf = -np.inf
    elif r is not None:   # a density has the Jacobian, a probability (censored row) none
        w = chunk.weights if limits is None else chunk.weights[rows_plan.exact.rows]
        llf += float(np.sum(w)) * r.log_jacobian
    return etas, thetas, f0, llf


def _tilde_chunk(model, chunk) -> Chunk:
    """The chunk as the family sees it under a response scale: ``y / 2^e`` and the offsets
    moved like the linear predictors."""
    r = model.response
    if r is None:
        return chunk
    return replace(chunk, y=r.y(chunk.y),
                   bounds=None if chunk.bounds is None else np.ldexp(chunk.bounds, -r.exponent),
                   offsets=tuple(r.tilde(a, o) for a, o in enumerate(chunk.offsets)))


def _inside(slot: Slot, theta, eta) -> np.ndarray:
    """Rows where the parameter is in its domain, or where its link rounded a finite
    linear predictor onto the boundary (logit: mu = 1.0 once eta > 36.7)."""
    inside = slot.domain.contains(theta)
    if slot.link.saturates is not None and not np.all(inside):
        with np.errstate(invalid="ignore"):
            inside |= slot.link.saturates(eta) & np.isfinite(eta)
    return inside


def _scaled_designs(model, chunk) -> list[np.ndarray]:
    scales = model.scales or [None] * len(chunk.designs)
    return [X if d is None else X * d for X, d in zip(chunk.designs, scales, strict=True)]


def _derivatives(model, chunk, etas, thetas, f0, order, accurate):
    if model.derivatives == "numeric":
        return _numeric(model, chunk, etas, thetas, f0, order, accurate)
    with np.errstate(all="ignore"):   # overflow at trial points is judged by llf
        return _analytic(model, chunk, etas, thetas, order)


def _active_slots(model):
    return [model.slots[a] for a in model.active]


def _analytic(model, chunk, etas, thetas, order):
    fam, active = model.family, _active_slots(model)
    if chunk.limits is not None:   # the exact rows' derivatives, then the censored rows'
        rows_plan = _planned(model, chunk).plan
        ex = rows_plan.exact
        d1 = d2 = None
        if ex.size:
            sub = _rows_of(ex.rows, chunk.n)
            d1, d2 = _analytic(model, replace(chunk, y=chunk.y[ex.rows], kinds=None,
                                              bounds=None, plan=None),
                               [sub(e) for e in etas], {k: sub(v) for k, v in thetas.items()},
                               order)
        return _with_censored(model, etas, thetas, rows_plan, d1, d2, order)
    if fam.has("eta_derivatives"):
        links = {s.name: s.link.name for s in model.slots}
        got = fam.eta_derivatives(chunk.y, links, **{s.name: e for s, e in
                                                     zip(model.slots, etas, strict=True)})
        if got is not None:
            g1, g2 = got
            d1 = [np.asarray(g1[s.name], dtype=float) for s in active]
            return d1, (_pairs(g2, active) if order == 2 else None)
    g1 = fam.dlogpdf(chunk.y, **thetas)
    return _chained(model, etas, g1, fam.d2logpdf(chunk.y, **thetas) if order == 2 else None,
                    order)


def _rows_of(rows, n):
    """Take ``rows`` of a per-row array or a scalar (broadcast to ``n`` rows first)."""
    if isinstance(rows, slice) and rows == slice(0, n):
        return lambda v: v if np.ndim(v) else np.broadcast_to(v, (n,))
    return lambda v: censored._take_one(v, rows, n)


def _with_censored(model, etas, thetas, rows_plan, d1, d2, order):
    """The exact rows' ``d1``, ``d2`` (None when the block has none) put in place, the
    censored rows' derivatives put in and the truncated rows' truncation probability
    taken out (on the linear-predictor scales, from :func:`.censored.pieces`)."""
    active = _active_slots(model)
    n = rows_plan.n
    ex = rows_plan.exact
    keys = [(j, m) for j in range(len(active)) for m in range(j, len(active))]

    def spread(v):
        out = np.zeros(n)
        out[ex.rows] = v
        return out
    if d1 is None:
        d1 = [np.zeros(n) for _ in active]
        d2 = None if order < 2 else {key: np.zeros(n) for key in keys}
    elif rows_plan.all_exact:
        d1 = [np.array(np.broadcast_to(v, (n,)), dtype=float) for v in d1]
        d2 = None if d2 is None else {k: np.array(np.broadcast_to(v, (n,)), dtype=float)
                                      for k, v in d2.items()}
    else:
        d1 = [spread(v) for v in d1]
        d2 = None if d2 is None else {k: spread(v) for k, v in d2.items()}
    parts = censored.pieces(model.family, thetas, rows_plan, [s.name for s in active], order)
    for rows, replace_rows, g, H in parts:
        sub = _rows_of(rows, n)
        c1, c2 = _chained(model, [sub(e) for e in etas], g, H, order)
        for j, v in enumerate(c1):
            if replace_rows:
                d1[j][rows] = v
            else:
                d1[j][rows] -= v
        if d2 is not None:
            for key, v in c2.items():
                if replace_rows:
                    d2[key][rows] = v
                else:
                    d2[key][rows] -= v
    return d1, d2


def _chained(model, etas, g1, g2, order):
    """Natural-scale derivatives ``g1`` (and ``g2``) to the linear-predictor scales."""
    active = _active_slots(model)
    hd1 = [s.link.inverse_deriv(etas[a]) for a, s in zip(model.active, active, strict=True)]
    d1 = [np.asarray(g1[s.name], dtype=float) * h for s, h in zip(active, hd1, strict=True)]
    if order < 2:
        return d1, None
    d2 = {}
    for (j, m), v in _pairs(g2, active).items():
        d2[(j, m)] = v * hd1[j] * hd1[m]
        if j == m:
            s = active[j]
            d2[(j, m)] = d2[(j, m)] + np.asarray(g1[s.name]) * s.link.inverse_deriv2(
                etas[model.active[j]])
    return d1, d2


def expected_rows(model, chunk, etas, thetas) -> dict | None:
    """Per-row expected information on the linear-predictor scales, if the family has it.

    A row whose parameter underflowed onto its boundary (a poisson mean of 0 after
    separation: 1/mu = inf) has d theta / d eta = 0 and carries no information on the eta
    scale (its limit; the product would be inf * 0 = nan)."""
    if not model.family.has("expected_information"):
        return None
    active = _active_slots(model)
    hd1 = [s.link.inverse_deriv(etas[a]) for a, s in zip(model.active, active, strict=True)]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        info = _pairs(model.family.expected_information(chunk.y, **thetas), active)
        out = {(j, m): v * hd1[j] * hd1[m] for (j, m), v in info.items()}
    for (j, m), v in out.items():
        flat = (np.asarray(hd1[j]) == 0) | (np.asarray(hd1[m]) == 0)
        if np.any(flat):
            out[(j, m)] = np.where(flat, 0.0, v)
    return out


def _per_row_information(model, chunk, etas, thetas, d1, d2, kind):
    if kind == "observed":
        return {key: -v for key, v in d2.items()}
    if kind == "expected":
        return expected_rows(model, chunk, etas, thetas)
    k = len(d1)
    return {(j, m): d1[j] * d1[m] for j in range(k) for m in range(j, k)}


def _pearson(model, chunk, thetas) -> tuple[float, float]:
    """``sum w v m (ybar - mu)^2 / V(mu)`` (a row fitted exactly on the boundary, ``mu = y``
    where ``V = 0``, e.g. under separation, adds 0) and ``sum w v m ybar^2 / V(mu)``, the
    scale below which the first is rounding (an exact fit)."""
    ybar, m = mean_scale(model.family, chunk.y)
    v = 1.0 if chunk.var_weights is None else chunk.var_weights
    wt = chunk.weights * v * m
    num = wt * (ybar - thetas[model.slots[0].name]) ** 2
    V = model.family.unit_variance(**thetas)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return (float(np.sum(np.where(num == 0, 0.0, num / V))),
                float(np.sum(wt * ybar**2 / V)))


def at_edge(slot: Slot, theta, eta) -> np.ndarray:
    """Rows whose parameter is numerically on an end of its domain or saturates its link."""
    edge = slot.domain.near_boundary(theta)
    if slot.link.saturates is not None:
        edge |= slot.link.saturates(eta)
    return edge


def _edges(model, chunk, etas, thetas) -> np.ndarray:
    """Per estimated parameter: rows on the boundary, not counting those that are there by
    their offset alone."""
    out = np.zeros(len(model.active))
    for j, a in enumerate(model.active):
        s = model.slots[a]
        edge = at_edge(s, thetas[s.name], etas[a])
        if edge.any():
            off = np.broadcast_to(chunk.offsets[a], edge.shape)
            with np.errstate(all="ignore"):
                edge &= ~at_edge(s, s.link.inverse(off), off)
            out[j] = np.count_nonzero(edge)
    return out


def _leverages(model, chunk, etas, thetas, A0, factor):
    """``h_i = w_i E_i |R^-T (d * x_i)|^2`` for the first parameter's rows (divided by
    ``w_i`` per copy)."""
    R, d, per_copy = factor
    E = expected_rows(model, chunk, etas, thetas)
    sw = np.sqrt(chunk.weights * E[(0, 0)])
    B = sla.solve_triangular(R, (sw[:, None] * A0 * d).T, trans="T", check_finite=False)
    h = np.einsum("ij,ij->j", B, B)
    return h / chunk.weights if per_copy else h


def _cluster_sums(A, w, d1, groups, G):
    out = []
    for Aj, dj in zip(A, d1, strict=True):
        s = w * dj
        out.extend(np.bincount(groups, weights=s * Aj[:, c], minlength=G)
                   for c in range(Aj.shape[1]))
    return np.column_stack(out)


def _qr(A, w, W, d1, d):
    """R of the stacked rows ``[L_i' A_i D | z_i]`` with ``L_i L_i' = w_i W_i`` and the
    working response ``z_i = L_i^-1 (w_i s_i)``; (None, False) when some ``W_i`` is not
    PSD."""
    k, n = len(A), A[0].shape[0]
    if W is None:
        return None, False
    L = linalg.row_factors({key: w * v for key, v in W.items()}, k, n)
    if L is None:
        return None, False
    S = np.stack([w * s for s in d1], axis=1)
    if k == 1:
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(L[:, 0, 0] > 0, S[:, 0] / L[:, 0, 0], 0.0)[:, None]
    else:
        z = np.linalg.solve(L, S[..., None])[..., 0]
    return linalg.stacked_r(A, L, d, z), True


# ---------------------------------------------------------------------------------------
# numeric derivatives


def _on_grid(eta, h):
    """``h`` rounded so that ``eta + h`` is exactly representable: ``(eta + h) - eta``
    (``h`` itself where that is 0 or not finite: an infinite linear predictor)."""
    with np.errstate(all="ignore"):
        g = (eta + h) - eta
    return np.where((g != 0) & np.isfinite(g), g, h)


def _moved(model, chunk, etas, thetas, h, moves, rows=None):
    """Per-row log densities with the linear predictors moved, one batched ``logpdf`` call
    over all ``moves`` (each a tuple of ``(j, sign)``: parameter ``j`` moved by
    ``sign * h[j]``); ``-inf`` where a moved parameter leaves its domain. Returns an
    array ``(len(moves), rows)``."""
    m = len(moves)
    take = (lambda v: v) if rows is None else (lambda v: v[rows])
    y = take(chunk.y)
    n = y.shape[0]
    limits = chunk.limits
    limits = None if limits is None else (limits if rows is None else limits[rows]).tile(m)
    slot_of = {a: j for j, a in enumerate(model.active)}
    stacked = {}
    inside = np.ones(m * n, dtype=bool)
    with np.errstate(all="ignore"):
        for a, s in enumerate(model.slots):
            j = slot_of.get(a)
            if j is None or not any(jj == j for mv in moves for jj, _ in mv):
                stacked[s.name] = np.tile(take(np.broadcast_to(thetas[s.name], (chunk.n,))), m)
                continue
            base, step = take(etas[a]), take(h[j])
            parts = []
            for mv in moves:
                sign = dict(mv).get(j, 0)
                parts.append(base if sign == 0 else base + sign * step)
            e = np.concatenate(parts)
            theta = s.link.inverse(e)
            inside &= _inside(s, theta, e)
            stacked[s.name] = theta
        ys = np.tile(y, m) if y.ndim == 1 else np.tile(y, (m, 1))
        values = censored.row_loglik(model.family, ys, stacked, limits)
    values = np.where(inside, values, -np.inf)
    return values.reshape(m, n)


def _steps(model, etas, H):
    return [_on_grid(etas[a], H * S) for a, S in zip(model.active, model.steps, strict=True)]


def _numeric(model, chunk, etas, thetas, f0, order, accurate):
    """Central differences in each of the ``k`` linear predictors.

    Newton's scheme (``accurate=False``): one step ``h_j = H1 S_j`` per parameter and the
    fewest evaluations a full Hessian needs, ``(k+1)(k+2)/2 - 1`` besides the centre, in
    one batched call: ``eta_j +- h_j`` (gradient and diagonal) and ``(eta_j + h_j,
    eta_m + h_m)`` (cross terms). The accurate scheme (the last pass of a fit: the
    covariance and the final step) takes the gradient by the fourth-order stencil at
    ``+-H4 S_j`` and ``+-2 H4 S_j`` (error about ``eps^(4/5)``, 1e-13, instead of
    ``eps^(2/3)``: the estimate is then the root of a score whose noise is far below
    1e-10 SE, whatever the path of the iterates or the order of the sums) and the second
    derivatives at ``H2 S_j`` (rounding error ``eps^(1/2)`` instead of ``eps^(1/3)``)
    with central cross differences. Rows where a moved point is not finite retry with
    steps an eighth as large, row by row.
    """
    k = len(model.active)
    single = [((j, 1),) for j in range(k)] + [((j, -1),) for j in range(k)]
    pairs = [(j, m) for j in range(k) for m in range(j + 1, k)]
    if order < 2 or not accurate:
        h = _steps(model, etas, H1)
        moves = single + ([((j, 1), (m, 1)) for j, m in pairs] if order == 2 else [])
        F = _retry(model, chunk, etas, thetas, f0, h, moves)
        d1 = [(F[j] - F[k + j]) / (2 * h[j]) for j in range(k)]
        if order < 2:
            return d1, None
        d2 = {(j, j): (F[j] - 2 * f0 + F[k + j]) / h[j] ** 2 for j in range(k)}
        for c, (j, m) in enumerate(pairs):
            d2[(j, m)] = (F[2 * k + c] - F[j] - F[m] + f0) / (h[j] * h[m])
        return d1, d2
    h = _steps(model, etas, H4)
    F = _retry(model, chunk, etas, thetas, f0, h, single + [((j, 2),) for j in range(k)]
               + [((j, -2),) for j in range(k)])
    d1 = [(8 * (F[j] - F[k + j]) - (F[2 * k + j] - F[3 * k + j])) / (12 * h[j])
          for j in range(k)]
    h = _steps(model, etas, H2)
    moves = single + [((j, 1), (m, 1)) for j, m in pairs] + \
        [((j, -1), (m, -1)) for j, m in pairs]
    F = _retry(model, chunk, etas, thetas, f0, h, moves)
    d2 = {(j, j): (F[j] - 2 * f0 + F[k + j]) / h[j] ** 2 for j in range(k)}
    q = len(pairs)
    for c, (j, m) in enumerate(pairs):
        num = F[2 * k + c] + F[2 * k + q + c] - F[j] - F[k + j] - F[m] - F[k + m] + 2 * f0
        d2[(j, m)] = num / (2 * h[j] * h[m])
    return d1, d2


def _retry(model, chunk, etas, thetas, f0, h, moves):
    """Evaluate ``moves``; on rows where one is not finite (while the centre is), divide
    that row's steps ``h`` (in place) by 8 and evaluate again, up to 30 times."""
    F = _moved(model, chunk, etas, thetas, h, moves)
    for _ in range(30):
        bad = ~np.all(np.isfinite(F), axis=0) & np.isfinite(f0)
        if not bad.any():
            break
        rows = np.flatnonzero(bad)
        for j, a in enumerate(model.active):
            h[j][rows] = _on_grid(etas[a][rows], h[j][rows] / 8)
        F[:, rows] = _moved(model, chunk, etas, thetas, h, moves, rows)
    return F


def _pairs(values: dict, active) -> dict:
    """Family's ``{(name_a, name_b): array}`` -> ``{(j, m): array}`` over active slots."""
    names = [s.name for s in active]
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


def with_steps(model: Model, total: Sums) -> Model:
    """``model`` with its global numeric steps from a pilot's sums (1 where no row had a
    finite curvature)."""
    steps = tuple(float(np.exp(s / c)) if c > 0 else 1.0
                  for s, c in zip(total.log_scale, total.scale_count, strict=True))
    return replace(model, steps=steps)
