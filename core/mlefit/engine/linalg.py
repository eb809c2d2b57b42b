"""Dense linear algebra of the engine: weighted Gram matrices, scaled solves, tall QR.

Nothing here forms an explicit inverse of an information matrix. Products over rows are
taken in chunks so that memory stays flat in the number of rows:

* ``X' diag(w) X`` by one product ``X' (w X)`` for narrow designs, by BLAS ``syrk`` on
  ``sqrt(w) X`` for wider ones (rows of negative weight apart);
* Newton steps by Cholesky of the correlation-scaled information with iterative
  refinement, or by a Householder QR of the stacked weighted design when the scaled
  condition number is large;
* the covariance from the pivoted QR of the same stacked design;
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg as sla
from scipy.linalg import blas, lapack

__all__ = ["BLOCK_BYTES", "EPS", "GEMM_COLUMNS", "QR_CHUNK", "QR_CONDITION", "RANK_TOL",
           "SCALE_RANGE", "CholeskySolve", "DesignCheck", "Factor", "NotPositiveDefinite",
           "PivotedR", "block_information", "block_rows", "cholesky_inverse", "column_max_abs",
           "condition", "cross", "design_rank", "factorize", "gram", "near_dependence", "pivoted",
           "power_of_two_scales", "psd_part", "row_factors", "scaled", "solve_psd", "stacked_r"]

#: up to this many columns a block's weighted Gram is one matrix product ``X' (w X)``
#: (measured faster than BLAS syrk on sqrt(w) X at p = 10, slower at p = 50)
GEMM_COLUMNS = 16
#: bytes of design per row block (rows = this / 8 p, a power of two in [2048, 16384])
BLOCK_BYTES = 1 << 20
EPS = np.finfo(float).eps
#: scaled condition number above which Newton steps switch from Cholesky to QR
QR_CONDITION = 1e7
#: pivoted-QR tolerance, relative to the largest diagonal of R, for rank deficiency
RANK_TOL = 1e-12


class NotPositiveDefinite(ArithmeticError):
    """The matrix is not numerically positive definite."""


def block_rows(p: int) -> int:
    """Rows per block for ``p`` columns: about :data:`BLOCK_BYTES` of design, a power of
    two between 2048 and 16384 (a block's per-row temporaries, a few dozen vectors of
    its length, stay small beside the data; its design stays in cache)."""
    rows = BLOCK_BYTES // (8 * max(p, 1))
    return int(min(1 << 14, max(1 << 11, 1 << int(np.log2(max(rows, 1))))))


def _chunks(n: int, p: int = 1):
    step = block_rows(p)
    for start in range(0, n, step):
        yield slice(start, min(start + step, n))


def _syrk(a: np.ndarray) -> np.ndarray:
    """``a.T @ a`` (full symmetric) by BLAS syrk without copying a C-ordered chunk."""
    c = blas.dsyrk(1.0, np.asarray(a.T, order="F"), trans=0, lower=0)
    return np.triu(c) + np.triu(c, 1).T


def gram(X: np.ndarray, w: np.ndarray, scale: np.ndarray | None = None) -> np.ndarray:
    """``D X' diag(w) X D`` (``D = diag(scale)``, default 1); rows of negative weight are
    handled apart (``w = w+ - w-``). The scale multiplies each chunk before any product."""
    p = X.shape[1]
    out = np.zeros((p, p))
    if p == 0:
        return out
    if p == 1 and scale is None:  # an intercept-only parameter: one dot product
        x = X[:, 0]
        return np.array([[float(np.dot(w * x, x))]])
    for sl in _chunks(*X.shape):
        wc, Xc = w[sl], X[sl]
        if scale is not None:
            Xc = Xc * scale
        if wc.size and wc[0] == wc.min() == wc.max():    # one weight for the block (a
            out += wc[0] * _syrk(Xc)                       # Gaussian's 1/sigma^2): X'X
        elif p <= GEMM_COLUMNS:      # narrow blocks: one weighted product beats syrk
            G = Xc.T @ (wc[:, None] * Xc)
            out += np.triu(G) + np.triu(G, 1).T     # exactly symmetric, as syrk's
        elif (wc >= 0).all():
            out += _syrk(np.sqrt(wc)[:, None] * Xc)
        else:
            out += _syrk(np.sqrt(np.maximum(wc, 0))[:, None] * Xc)
            out -= _syrk(np.sqrt(np.maximum(-wc, 0))[:, None] * Xc)
    return out


def cross(Xa: np.ndarray, w: np.ndarray, Xb: np.ndarray) -> np.ndarray:
    """``Xa' diag(w) Xb`` in row chunks."""
    out = np.zeros((Xa.shape[1], Xb.shape[1]))
    if out.size == 0:
        return out
    if Xb.shape[1] == 1:  # against an intercept-only parameter: one matrix-vector product
        return (Xa.T @ (w * Xb[:, 0]))[:, None]
    for sl in _chunks(Xa.shape[0], Xa.shape[1] + Xb.shape[1]):
        out += Xa[sl].T @ (w[sl, None] * Xb[sl])
    return out


def block_information(designs: list[np.ndarray], W: dict) -> np.ndarray:
    """Assemble ``sum_i X_i' W_i X_i`` from per-row blocks ``W[(j, l)]`` (``j <= l``)."""
    sizes = [X.shape[1] for X in designs]
    edges = np.concatenate([[0], np.cumsum(sizes)])
    out = np.zeros((edges[-1], edges[-1]))
    for j, Xj in enumerate(designs):
        sj = slice(edges[j], edges[j + 1])
        out[sj, sj] = gram(Xj, W[(j, j)])
        for m in range(j + 1, len(designs)):
            sm = slice(edges[m], edges[m + 1])
            out[sj, sm] = cross(Xj, W[(j, m)], designs[m])
            out[sm, sj] = out[sj, sm].T
    return out


def scaled(info: np.ndarray):
    """``(D info D, d)`` with ``D = diag(1/sqrt(diag(info)))``; raise if a diagonal is <= 0."""
    diag = np.diag(info)
    if not (np.all(np.isfinite(diag)) and np.all(diag > 0)):
        raise NotPositiveDefinite("information has a non-positive or non-finite diagonal")
    d = 1.0 / np.sqrt(diag)
    return info * d[:, None] * d[None, :], d


@dataclass(frozen=True)
class CholeskySolve:
    """Solution of ``info x = g`` with the reciprocal condition of the scaled system."""

    x: np.ndarray
    rcond: float


def solve_psd(info: np.ndarray, g: np.ndarray, refine: int = 2) -> CholeskySolve:
    """Solve ``info x = g`` by Cholesky of the correlation-scaled matrix, then refine.

    Raises :class:`NotPositiveDefinite` when the scaled matrix has no Cholesky factor.
    """
    S, d = scaled(info)
    c, lower = _cholesky(S)
    rhs = g * d
    z = sla.cho_solve((c, lower), rhs)
    for _ in range(refine):
        r = rhs - S @ z
        z = z + sla.cho_solve((c, lower), r)
    rcond, _ = lapack.dpocon(c, np.linalg.norm(S, 1), uplo="L" if lower else "U")
    return CholeskySolve(z * d, float(rcond))


def cholesky_inverse(info: np.ndarray, max_condition: float = QR_CONDITION) -> np.ndarray:
    """``info^-1`` from the Cholesky factor of the scaled matrix, if well conditioned.

    Raises :class:`NotPositiveDefinite` when the factor does not exist or the scaled
    reciprocal condition is below ``1 / max_condition`` (callers then use a QR factor).
    """
    S, d = scaled(info)
    c, lower = _cholesky(S)
    rcond, _ = lapack.dpocon(c, np.linalg.norm(S, 1), uplo="L" if lower else "U")
    if rcond * max_condition < 1.0:
        raise NotPositiveDefinite(f"scaled condition about {1 / max(rcond, 1e-300):.2g}")
    inv = sla.cho_solve((c, lower), np.eye(S.shape[0]))
    return 0.5 * (inv + inv.T) * d[:, None] * d[None, :]


def _cholesky(S):
    try:
        c, lower = sla.cho_factor(S, lower=True, check_finite=False)
    except np.linalg.LinAlgError as exc:
        raise NotPositiveDefinite(str(exc)) from exc
    if not np.all(np.isfinite(c)):
        raise NotPositiveDefinite("non-finite Cholesky factor")
    return c, lower


def condition(info: np.ndarray) -> float:
    """2-norm condition number of the correlation-scaled matrix (inf if not scalable)."""
    try:
        S, _ = scaled(info)
    except NotPositiveDefinite:
        return np.inf
    sv = np.linalg.svd(S, compute_uv=False)
    return float(sv[0] / sv[-1]) if sv[-1] > 0 else np.inf


def _symmetric(W: dict, k: int, n: int) -> np.ndarray:
    M = np.empty((n, k, k))
    for j in range(k):
        for m in range(j, k):
            M[:, j, m] = M[:, m, j] = W[(j, m)]
    return M


def row_factors(W: dict, k: int, n: int):
    """Per-row lower Cholesky factors ``L_i`` of the ``k x k`` blocks ``W_i``.

    Returns an ``(n, k, k)`` array, or ``None`` when some ``W_i`` is not positive
    semi-definite (the stacked-design QR then does not apply).
    """
    if k == 1:
        w = W[(0, 0)]
        if (w < 0).any():
            return None
        return np.sqrt(w)[:, None, None]
    try:
        return np.linalg.cholesky(_symmetric(W, k, n))
    except np.linalg.LinAlgError:
        return None


def psd_part(W: dict, k: int, n: int) -> dict:
    """``|W_i|`` per row (eigenvalues made non-negative): a PSD stand-in for ``W``."""
    if k == 1:
        return {(0, 0): np.abs(W[(0, 0)])}
    vals, vecs = np.linalg.eigh(_symmetric(W, k, n))
    M = (vecs * np.abs(vals)[:, None, :]) @ np.swapaxes(vecs, 1, 2)
    return {(j, m): M[:, j, m] for j in range(k) for m in range(j, k)}


def _stacked_rows(designs, L, sl, d):
    """Rows ``L_i' X_i D`` of the stacked design for the row chunk ``sl``."""
    k = len(designs)
    if k == 1:
        return np.asfortranarray(L[sl, 0, 0][:, None] * designs[0][sl] * d[None, :])
    sizes = [X.shape[1] for X in designs]
    edges = np.concatenate([[0], np.cumsum(sizes)])
    nc = sl.stop - sl.start
    A = np.zeros((nc * k, edges[-1]), order="F")
    for m in range(k):
        for j in range(m, k):
            A[m::k, edges[j]:edges[j + 1]] = L[sl, j, m][:, None] * designs[j][sl]
    return A * d[None, :]


QR_CHUNK = 4096


def stacked_r(designs, L, d, z=None) -> np.ndarray:
    """R factor (Householder, in row chunks) of the stacked design ``[L_i' X_i D | z_i]``."""
    n = designs[0].shape[0]
    R = None
    for start in range(0, n, QR_CHUNK):
        sl = slice(start, min(start + QR_CHUNK, n))
        A = _stacked_rows(designs, L, sl, d)
        if z is not None:
            A = np.column_stack([A, z[sl].reshape(-1)])
        block = A if R is None else np.vstack([R, A])
        qr = lapack.dgeqrf(np.asfortranarray(block), overwrite_a=1)[0]
        R = np.triu(qr[: min(qr.shape)])
    return R


@dataclass(frozen=True)
class PivotedR:
    """Pivoted QR ``A[:, perm] = Q R`` of a (scaled) design, and its numerical rank."""

    R: np.ndarray
    perm: np.ndarray
    rank: int

    @property
    def aliased(self) -> np.ndarray:
        """Original column indices found linearly dependent on the others."""
        return np.sort(self.perm[self.rank:])


def pivoted(R0: np.ndarray, tol: float = RANK_TOL) -> PivotedR:
    """Pivoted QR of a (small, square) R factor; rank by ``|r_kk| > tol * |r_11|``."""
    R, perm = sla.qr(R0, mode="r", pivoting=True)
    diag = np.abs(np.diag(R))
    if diag.size == 0 or diag[0] == 0:
        return PivotedR(R, perm, 0)
    rank = int(np.sum(diag > tol * diag[0]))
    return PivotedR(R, perm, rank)


def column_max_abs(X: np.ndarray) -> np.ndarray:
    """``max_i |X_ij|`` per column, in row chunks (no n-by-p temporary)."""
    out = np.zeros(X.shape[1])
    for sl in _chunks(*X.shape):
        np.maximum(out, np.abs(X[sl]).max(axis=0, initial=0.0), out=out)
    return out


#: columns whose largest absolute value lies outside [2^-SCALE_RANGE, 2^SCALE_RANGE] are
#: scaled by a power of two inside the engine (their squares would lose range)
SCALE_RANGE = 20


def power_of_two_scales(max_abs: np.ndarray) -> np.ndarray | None:
    """Column multipliers ``2^-e`` that bring each column's largest absolute value near 1
    (exact in floating point), for the columns outside ``2^+-SCALE_RANGE``; None when no
    column needs one."""
    with np.errstate(divide="ignore"):
        e = np.where(max_abs > 0, np.round(np.log2(np.where(max_abs > 0, max_abs, 1.0))), 0)
    e = np.where(np.abs(e) > SCALE_RANGE, e, 0.0)
    if not np.any(e):
        return None
    return np.ldexp(1.0, -e.astype(int))


@dataclass(frozen=True)
class DesignCheck:
    """What :func:`design_rank` found: the rank factor, the power-of-two column scales the
    engine will use (None: none needed) and the all-zero columns."""

    rank: PivotedR
    scales: np.ndarray | None
    zero: np.ndarray


def design_rank(X: np.ndarray, tol: float = RANK_TOL) -> DesignCheck:
    """Scaled pivoted QR of one design (columns scaled to unit length), in one pass over
    the rows in the common case.

    The Gram matrix ``X'X`` (one pass) gives the column norms on its diagonal. When a
    column's mean square lies outside ``2^+-(2 SCALE_RANGE)`` (its squares near the ends of
    float64, or a zero column), a second look takes each column's largest absolute value,
    the power-of-two scales that bring them near 1 (:func:`power_of_two_scales`) and the
    Gram of the scaled columns. A pivoted Cholesky of the unit-diagonal Gram settles clear
    cases: when its smallest pivot ratio is above ``sqrt(eps)``-level noise by a wide
    margin (1e-6), the design is of full rank; otherwise the Householder QR of the design
    itself decides at ``tol`` (NIST Filip has ratios near 1e-10).
    """
    n, p = X.shape
    ones = np.broadcast_to(1.0, (n,))
    G = gram(X, ones)
    mean_square = np.diag(G) / max(n, 1)
    bound = 2.0 ** (2 * SCALE_RANGE)
    scales, zero = None, np.empty(0, dtype=int)
    if not np.all(np.isfinite(mean_square) & (mean_square >= 1 / bound)
                  & (mean_square <= bound)):
        top = column_max_abs(X)
        zero = np.flatnonzero(top == 0)
        scales = power_of_two_scales(top)
        if scales is not None:
            G = gram(X, ones, scales)
    s = np.ones(p) if scales is None else scales
    norms = np.sqrt(np.diag(G))
    inv = np.where(norms > 0, 1.0 / np.where(norms > 0, norms, 1.0), 1.0)
    S = G * inv[:, None] * inv[None, :]
    c, piv, rank, _ = lapack.dpstrf(S, lower=0, tol=-1.0)
    diag = np.abs(np.diag(c))
    if rank == p and diag.size and diag[-1] > 1e-6 * diag[0]:
        return DesignCheck(PivotedR(np.triu(c), piv - 1, rank), scales, zero)
    qr = pivoted(stacked_r([X], np.broadcast_to(1.0, (n, 1, 1)), s * inv), tol)
    return DesignCheck(qr, scales, zero)


def near_dependence(pr: PivotedR) -> tuple[float, np.ndarray]:
    """The 2-norm condition number of the scaled design ``X D`` whose (pivoted) R factor
    is ``pr`` (``R`` has the singular values of ``X D``, not those of the Gram matrix,
    which are their squares), and the right singular vector of its smallest singular
    value in the original column order: the columns' weights in the nearest linear
    dependence (unit length)."""
    _, sv, vt = np.linalg.svd(pr.R)
    cond = float(sv[0] / sv[-1]) if sv[-1] > 0 else np.inf
    direction = np.empty(vt.shape[1])
    direction[pr.perm] = vt[-1]
    return cond, direction


@dataclass(frozen=True)
class Factor:
    """``info = D P' R' M R P D``: a pivoted, scaled QR factor of an information matrix.

    ``R`` comes from the stacked design of a per-row PSD information ``P_i`` (``= W_i``
    when every row's block is PSD); ``M = I + R^-T E R^-1`` corrects for ``E = W - P``.
    """

    pr: PivotedR
    d: np.ndarray
    M: np.ndarray | None

    @property
    def full_rank(self) -> bool:
        return self.pr.rank == self.d.size

    def inverse(self) -> np.ndarray:
        """``info^{-1}``; raises :class:`NotPositiveDefinite` if singular or indefinite."""
        p = self.d.size
        if not self.full_rank:
            raise NotPositiveDefinite(f"rank {self.pr.rank} < {p}")
        Rinv = sla.solve_triangular(self.pr.R, np.eye(p))
        if self.M is not None:
            vals, vecs = np.linalg.eigh(self.M)
            if vals[0] <= EPS * p * max(1.0, vals[-1]):
                raise NotPositiveDefinite(f"indefinite (smallest eigenvalue {vals[0]:.3g})")
            Rinv = Rinv @ vecs / np.sqrt(vals)
        C = Rinv @ Rinv.T
        cov = np.empty_like(C)
        cov[np.ix_(self.pr.perm, self.pr.perm)] = C
        return cov * self.d[:, None] * self.d[None, :]


def factorize(designs, weights, W: dict, P: dict | None = None) -> Factor:
    """Pivoted QR factor of ``sum w X' W X``, with ``P`` its PSD part (default ``W``)."""
    k, n = len(designs), designs[0].shape[0]
    P = W if P is None else P
    wP = {key: weights * v for key, v in P.items()}
    L = row_factors(wP, k, n)
    if L is None:
        raise NotPositiveDefinite("the per-row information stand-in is not PSD")
    diag = np.concatenate([np.einsum("ij,i,ij->j", X, wP[(j, j)], X)
                           for j, X in enumerate(designs)])
    if not np.all(diag > 0):
        raise NotPositiveDefinite("a column carries no information")
    d = 1.0 / np.sqrt(diag)
    pr = pivoted(stacked_r(designs, L, d))
    if P is W or pr.rank < d.size:
        return Factor(pr, d, None)
    E = block_information(designs, {key: weights * (W[key] - P[key]) for key in W})
    E = (E * d[:, None] * d[None, :])[np.ix_(pr.perm, pr.perm)]
    Rinv = sla.solve_triangular(pr.R, np.eye(d.size))
    M = np.eye(d.size) + Rinv.T @ E @ Rinv
    return Factor(pr, d, 0.5 * (M + M.T))
