"""Score (Rao, Lagrange-multiplier) tests of a smaller fit against a larger one.

The larger model's score ``U`` and information ``I`` are evaluated at the smaller model's
maximum-likelihood estimate, mapped into the larger model's coefficient space: per
distribution parameter, the smaller model's fitted values (on the larger model's link
scale; the reduced parameter of a family reduction at its declared value) are projected
onto the larger model's design by least squares, which is exact when the models are
nested. The statistic ``S = U' I^-1 U`` is referred to chi2(k1 - k0). Only the smaller
model is fitted, so the test is cheap when the larger model is hard to fit.

``I`` is the expected (Fisher) information when the family gives it (Rao's statistic),
else the observed information; ``information=`` chooses. For the Gaussian with expected
information, ``S`` is ``n R^2`` of the auxiliary regression of the smaller model's
residuals on the larger mean design (ML variance), and for added ``sigma`` terms the
Breusch-Pagan (1979) statistic.

A reduction on a boundary (poisson in the negative binomial at 1/theta = 0) is refused:
the score there is not defined on the larger model's link scale; use :func:`lrtest`.

Fits on a Dask frame: the embedding is a least squares over the partitions (each reduces
its rows to an R factor, merged in a tree) and ``U`` and ``I`` come from one pass of the
larger fit's objective (:func:`mlefit.partitioned.embed`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from ..engine.kernel import Want
from ..engine.linalg import NotPositiveDefinite, solve_psd
from ..errors import ComparisonError
from . import coefficients
from .comparability import check_finite, check_same_data
from .nesting import NESTING_TOL, Nesting, check_order, nesting

__all__ = ["ScoreTest", "check_embedded", "embed", "score_test"]


@dataclass(frozen=True)
class ScoreTest:
    """The result of :func:`score_test`."""

    statistic: float
    df: int
    pvalue: float
    #: ``"expected"`` or ``"observed"``
    information: str
    #: the smaller model's estimate in the larger model's coefficient space
    restricted: np.ndarray

    def summary(self) -> str:
        """The test in one line: statistic, degrees of freedom and p-value."""
        return (f"Score (Rao) test, {self.information} information: chi2({self.df}) = "
                f"{self.statistic:.6g}, p-value = {self.pvalue:.4g}")

    def __str__(self) -> str:
        return self.summary()


def embed(m0, m1, nest: Nesting) -> np.ndarray:
    """The smaller fit's ML estimate as a coefficient vector of the larger model."""
    obj0, obj1 = m0._context.objective, m1._context.objective
    etas0 = dict(zip([b.name for b in obj0.blocks], obj0.etas(coefficients.ml_coef(m0)),
                     strict=True))
    links0 = {b.name: b.link for b in obj0.blocks}
    red = nest.reduction
    pieces = []
    for a in obj1.active:
        b1 = obj1.blocks[a]
        if red is not None and b1.name == red.parameter:
            target = np.full(obj1.n, float(b1.link.link(np.float64(red.value))))
        elif links0[b1.name].name == b1.link.name:
            target = etas0[b1.name]
        else:
            target = b1.link.link(links0[b1.name].inverse(etas0[b1.name]))
        rhs = target - b1.offset
        c, *_ = np.linalg.lstsq(b1.X, rhs, rcond=None)
        check_embedded(m1, b1.name, np.linalg.norm(b1.X @ c - rhs), np.linalg.norm(rhs))
        pieces.append(c)
    return np.concatenate(pieces) if pieces else np.empty(0)


def check_embedded(m1, name: str, miss: float, norm: float) -> None:
    """Refuse an embedding whose least-squares residual ``miss`` (of a right-hand side of
    norm ``norm``) on parameter ``name``'s design is not zero: the models are not nested."""
    if miss > NESTING_TOL * max(norm, np.finfo(float).tiny):
        raise ComparisonError(
            f"the smaller model's fitted {name} is not a value of the larger model's "
            f"(relative residual {miss / norm:.2g} on {name}'s design {m1.formulas[name]}): "
            "the models are not nested, so the score test does not apply. Fix: check the "
            "nesting (drop nested=True).")


def score_test(m0, m1, *, nested: bool | None = None,
               information: str | None = None) -> ScoreTest:
    """Score test of ``m0`` (smaller, fitted) against ``m1`` (larger).

    Parameters
    ----------
    m0, m1 : FitResult
        Fits on the same data, ``m0`` nested in ``m1`` (checked as in :func:`lrtest`).
        Only ``m0``'s estimate is used; ``m1`` supplies the model (design, family, links).
    nested : bool, optional
        ``True`` asserts the nesting instead of checking it.
    information : {"expected", "observed"}, optional
        Default: expected when the family gives it, else observed.
    """
    check_same_data((m0, m1))
    if m0._context.options.penalty is not None:
        raise ComparisonError("the score test uses the unpenalised score, not that of a "
                              "Firth fit (penalty='firth'). Fix: use mlefit.lrtest, which "
                              "compares the penalised log-likelihoods.")
    check_finite((m0, m1), "score test")
    check_order(m0, m1)
    nest = nesting(m0, m1, nested)
    if nest.boundary:
        red = nest.reduction
        raise ComparisonError(
            f"{m0.family.name} is {m1.family.name} at {red.parameter} = {red.value:g}, a "
            "boundary of the parameter space where the score on the link scale is not "
            "defined. Fix: use mlefit.lrtest(m0, m1), which refers the statistic to the "
            "chi-bar-squared mixture.")
    source = getattr(m1._context, "source", None)     # a fit on a Dask frame
    family = m1.family
    if information is None:
        information = "expected" if family.has("expected_information") else "observed"
    if information not in ("expected", "observed"):
        raise ComparisonError(f"information={information!r} is not 'expected' or 'observed'.")
    if information == "expected" and not family.has("expected_information"):
        raise ComparisonError(f"family {family.name!r} gives no expected information. "
                              "Fix: pass information='observed'.")
    if source is not None:     # one least squares and one pass over the partitions
        beta = source.embed(m0, m1, nest)
        sums = source.objective.evaluate(beta, Want(gradient=True, information=information,
                                                    accurate=True))
        g, info = sums.gradient, sums.information
    else:
        obj = m1._context.objective
        beta = embed(m0, m1, nest)
        rows = obj.rows(beta)
        W = obj.expected(rows) if information == "expected" else obj.observed(rows)
        if W is None:
            raise ComparisonError(f"family {family.name!r} gives no expected information. "
                                  "Fix: pass information='observed'.")
        g = obj.gradient(rows)
        info = obj.information(W)
    try:
        step = solve_psd(info, g).x
    except NotPositiveDefinite as exc:
        raise ComparisonError(f"the {information} information of the larger model at the "
                              "smaller model's estimate is not positive definite. Fix: try "
                              "information='expected' or use mlefit.lrtest().") from exc
    stat = float(g @ step)
    df = m1.k - m0.k
    return ScoreTest(stat, df, float(stats.chi2.sf(stat, df)), information, beta)
