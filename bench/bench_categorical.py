"""Ordinal (K = 5) and multinomial (K = 4) fits: mlefit against a fused one-pass Newton
bound and statsmodels (issue 18's targets).

    python bench/bench_categorical.py --n 1000000 --p 10 --repeat 5 [--json PATH]

The data: ``p`` covariates N(0, 0.3^2) (the multinomial's first column is the
intercept, as bench_families.py builds designs); the ordinal response from a latent
logistic model with slopes 0.5 and cutpoints -1.5, -0.5, 0.5, 1.5; the multinomial one
with category coefficients 0.3 j (intercepts 0.2 j). Every competitor runs in this
process on the same arrays; times are medians of ``--repeat`` runs after one warm-up
(bench/harness.py), ratios mlefit / competitor. Each timed fit includes the SEs.

The fused bound is the numpy-only Newton iteration that the engine issue defines for the
GLMs (bench_engine.py), written for these likelihoods: for every block of ``--block``
rows one pass forms the linear predictors, the category probabilities and the per-row
first and second derivatives on the linear-predictor scale, and accumulates the score,
the log-likelihood and the information (the location's Gram ``X' diag(h) X``, its
products with the cutpoints, and the small cutpoint block; for the multinomial one Gram
per pair of categories), then solves one system. It starts where mlefit starts (the
marginal cutpoints, or the marginal log odds) and stops when the Newton decrement is
below 1e-12, mlefit's rule; its final pass gives the SEs. Its estimates are asserted
equal to mlefit's (1e-6 relative).

statsmodels: ``OrderedModel(distr="logit").fit(method="bfgs", gtol=1e-8, maxiter=10000)``
(its default Nelder-Mead with 500 iterations stops short) and
``MNLogit.fit(method="newton", tol=1e-10)``; their estimates are reported against
mlefit's (max relative difference), not asserted.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
from harness import machine, markdown, median_seconds, versions
from scipy import special

import mlefit

BLOCK = 16_384
CUTS = np.array([-1.5, -0.5, 0.5, 1.5])
COLUMNS = ["model", "n", "p", "K", "mlefit s", "fused s", "statsmodels s",
           "mlefit / fused", "mlefit / statsmodels", "target (fused)", "iter mlefit",
           "iter fused", "max rel diff fused", "max rel diff statsmodels"]


def ordinal_data(n: int, p: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(0.0, 0.3, size=(n, p))
    y = np.searchsorted(CUTS, X @ np.full(p, 0.5) + rng.logistic(size=n)).astype(float)
    return X, y


def multinomial_data(n: int, p: int, K: int = 4, seed: int = 1):
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.normal(0.0, 0.3, size=(n, p - 1))])
    B = np.column_stack([np.zeros(p)] + [np.full(p, 0.3 * j) for j in range(1, K)])
    B[0, 1:] = 0.2 * np.arange(1, K)
    P = special.softmax(X @ B, axis=1)
    y = (rng.random((n, 1)) > np.cumsum(P, axis=1)).sum(axis=1).astype(float)
    return X, np.minimum(y, K - 1)


# -- the fused bound: ordinal -----------------------------------------------------------

def _ordinal_pass(X, y, beta, cuts, block):
    """One pass: log-likelihood, score and information of (beta, cuts)."""
    n, p = X.shape
    m = cuts.size
    g = np.zeros(p + m)
    H = np.zeros((p + m, p + m))
    ll = 0.0
    edges = np.concatenate([[-np.inf], cuts, [np.inf]])
    for lo in range(0, n, block):
        Xb, k = X[lo:lo + block], y[lo:lo + block].astype(int)
        eta = Xb @ beta
        a, b = edges[k + 1] - eta, edges[k] - eta
        Fa, Fb = special.expit(a), special.expit(b)
        prob = Fa - Fb
        ll += float(np.log(prob).sum())
        fa, fb = Fa * (1 - Fa), Fb * (1 - Fb)
        A, B = fa / prob, fb / prob
        dA, dB = fa * (1 - 2 * Fa) / prob, fb * (1 - 2 * Fb) / prob
        # second derivatives in (a, b); eta enters both with sign -1
        haa, hbb, hab = dA - A * A, -dB - B * B, A * B
        g[:p] += (B - A) @ Xb
        w = haa + 2 * hab + hbb
        H[:p, :p] -= Xb.T @ (w[:, None] * Xb)
        up = np.zeros((k.size, m))
        low = np.zeros((k.size, m))
        rows = np.arange(k.size)
        inside_up, inside_low = k < m, k > 0
        up[rows[inside_up], k[inside_up]] = 1.0
        low[rows[inside_low], k[inside_low] - 1] = 1.0
        g[p:] += A @ up - B @ low
        cross = -(haa + hab)[:, None] * up - (hab + hbb)[:, None] * low
        H[:p, p:] -= Xb.T @ cross
        H[p:, p:] -= (up * haa[:, None]).T @ up + (low * hbb[:, None]).T @ low \
            + (up * hab[:, None]).T @ low + (low * hab[:, None]).T @ up
    H[p:, :p] = H[:p, p:].T
    return ll, g, H


def fused_ordinal(X, y, K: int = 5, block: int = BLOCK):
    n, p = X.shape
    counts = np.bincount(y.astype(int), minlength=K)
    cuts = special.logit(np.cumsum(counts)[:-1] / n)
    theta = np.concatenate([np.zeros(p), cuts])
    iterations = 0
    while True:
        ll, g, info = _ordinal_pass(X, y, theta[:p], theta[p:], block)
        step = np.linalg.solve(info, g)
        if g @ step < 1e-12 or iterations >= 100:
            break
        theta = theta + step
        iterations += 1
    return {"params": theta, "bse": np.sqrt(np.diag(np.linalg.inv(info))), "llf": ll,
            "iterations": iterations}


# -- the fused bound: multinomial -------------------------------------------------------

def _multinomial_pass(X, y, B, block):
    n, p = X.shape
    m = B.shape[1]                      # K - 1 categories besides the reference
    g = np.zeros(p * m)
    H = np.zeros((p * m, p * m))
    ll = 0.0
    for lo in range(0, n, block):
        Xb, k = X[lo:lo + block], y[lo:lo + block].astype(int)
        E = np.column_stack([np.zeros(len(k)), Xb @ B])
        lse = special.logsumexp(E, axis=1)
        ll += float((E[np.arange(len(k)), k] - lse).sum())
        P = np.exp(E[:, 1:] - lse[:, None])
        for j in range(m):
            g[j * p:(j + 1) * p] += ((k == j + 1) - P[:, j]) @ Xb
            for c in range(j, m):
                w = P[:, j] * ((j == c) - P[:, c])
                block_jc = Xb.T @ (w[:, None] * Xb)
                H[j * p:(j + 1) * p, c * p:(c + 1) * p] = \
                    H[j * p:(j + 1) * p, c * p:(c + 1) * p] + block_jc
                if c != j:
                    H[c * p:(c + 1) * p, j * p:(j + 1) * p] = \
                        H[c * p:(c + 1) * p, j * p:(j + 1) * p] + block_jc.T
    return ll, g, H


def fused_multinomial(X, y, K: int = 4, block: int = BLOCK):
    p = X.shape[1]
    counts = np.bincount(y.astype(int), minlength=K)
    B = np.zeros((p, K - 1))
    B[0] = np.log(counts[1:] / counts[0])
    iterations = 0
    while True:
        ll, g, info = _multinomial_pass(X, y, B, block)
        step = np.linalg.solve(info, g)
        if g @ step < 1e-12 or iterations >= 100:
            break
        B = B + step.reshape(K - 1, p).T
        iterations += 1
    return {"params": B.T.ravel(), "bse": np.sqrt(np.diag(np.linalg.inv(info))), "llf": ll,
            "iterations": iterations}


# -- competitors ------------------------------------------------------------------------

def mlefit_ordinal(X, y):
    res = mlefit.fit_arrays(y, X, "ordinal")
    res.bse  # noqa: B018  (SEs are part of the timed work)
    return res


def mlefit_multinomial(X, y):
    res = mlefit.fit_arrays(y, X, "multinomial")
    res.bse  # noqa: B018
    return res


def statsmodels_ordinal(X, y):
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = OrderedModel(y, X, distr="logit").fit(method="bfgs", gtol=1e-8, maxiter=10000,
                                                    disp=0)
    p = X.shape[1]
    raw = np.asarray(res.params)
    cuts = np.concatenate([[raw[p]], raw[p] + np.cumsum(np.exp(raw[p + 1:]))])
    return np.concatenate([raw[:p], cuts])


def statsmodels_multinomial(X, y):
    import statsmodels.api as sm

    res = sm.MNLogit(y, X).fit(method="newton", tol=1e-10, maxiter=100, disp=0)
    res.bse  # noqa: B018
    return np.asarray(res.params).T.ravel()


def _rel(a, b) -> float:
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-12)))


def compare(model: str, n: int, p: int, repeat: int, block: int, with_statsmodels: bool):
    X, y = (ordinal_data if model == "ordinal" else multinomial_data)(n, p)
    fit, fused, other = {
        "ordinal": (mlefit_ordinal, fused_ordinal, statsmodels_ordinal),
        "multinomial": (mlefit_multinomial, fused_multinomial, statsmodels_multinomial),
    }[model]
    res = fit(X, y)
    bound = fused(X, y, block=block)
    mine = res.params.to_numpy()
    diff = _rel(bound["params"], mine)
    assert diff < 1e-6, f"{model}: the fused bound's estimates differ from mlefit's ({diff})"
    t_mlefit = median_seconds(lambda: fit(X, y), repeat)
    t_fused = median_seconds(lambda: fused(X, y, block=block), repeat)
    row = {"model": model, "n": n, "p": p, "K": 5 if model == "ordinal" else 4,
           "mlefit s": t_mlefit, "fused s": t_fused, "mlefit / fused": t_mlefit / t_fused,
           "target (fused)": 2.0, "iter mlefit": res.diagnostics.iterations,
           "iter fused": bound["iterations"], "max rel diff fused": diff}
    if with_statsmodels:
        theirs = other(X, y)
        t_sm = median_seconds(lambda: other(X, y), repeat)
        row.update({"statsmodels s": t_sm, "mlefit / statsmodels": t_mlefit / t_sm,
                    "max rel diff statsmodels": _rel(theirs, mine)})
    return row


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--p", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--block", type=int, default=BLOCK)
    parser.add_argument("--models", nargs="+", default=["ordinal", "multinomial"],
                        choices=["ordinal", "multinomial"])
    parser.add_argument("--no-statsmodels", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    info = machine() + "; " + versions("statsmodels", "scipy")
    print(f"Machine: {info}\n\nn = {args.n}, p = {args.p}, repeat = {args.repeat} (medians)"
          f", blocks of {args.block} rows\n")
    rows = [compare(m, args.n, args.p, args.repeat, args.block, not args.no_statsmodels)
            for m in args.models]
    print(markdown(rows, COLUMNS))
    print(f"\n{time.perf_counter() - started:.0f} s in all")
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "rows": rows}, indent=1,
                                        default=float))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
