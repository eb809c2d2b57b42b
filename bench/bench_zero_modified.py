"""Zero-inflated negative binomial (issue 18): mlefit against its fused one-pass bound and
statsmodels' ``ZeroInflatedNegativeBinomialP``.

    python bench/bench_zero_modified.py --n 1000000 --p 10 --repeat 5 [--json PATH]
        [--no-statsmodels]

Data: ``X`` = intercept and ``p - 1`` columns N(0, 0.3^2) (as bench_families.py), used
for both ``mu`` (log link) and ``pi`` (logit): ``mu = exp(X b)``, ``b`` from 0.5 to -0.5,
``pi = expit(-1 + X c)``, ``c`` from 0.3 to -0.3 beyond the intercept, ``theta = 2``.
The model is pscl's ``y ~ . | .``: ``2 p + 1`` coefficients (``log theta``
intercept-only). Times are medians of ``--repeat`` runs after one warm-up, ratios
mlefit / competitor, every competitor in this process on the same arrays.

The fused bound is a numpy-only Newton that reads ``X`` once per iteration: for every
block of ``--block`` rows it forms both linear predictors, the per-row first and second
derivatives of the ZINB log-likelihood on the linear-predictor scales (digamma and
trigamma of ``y + theta`` looked up in a table over ``0..max(y)``, since ``theta`` is one
value) and accumulates the gradient and the full ``(2p + 1)``-square Hessian
(``X' D X`` for the three pairs of blocks, the ``theta`` row by ``D' X``), then solves
one system, with step halving on the log-likelihood (a Levenberg-Marquardt ridge where
``-H`` is not positive definite; every trial point is one pass, whose derivatives the next
iteration reuses). It starts where mlefit starts (the family's ``start`` constants as the
intercepts, ``mlefit.start.start_vector``'s rule) and
runs until its Newton decrement is below mlefit's tolerance (1e-12) (the last pass gives
the covariance); its estimates are asserted equal to mlefit's (1e-6 relative), its
log-likelihood to 1e-10 and its SEs to 1e-6.

statsmodels is fitted as the tests fit it to convergence (its default stops after 35
iterations): BFGS with ``gtol=1e-8``, ``maxiter=5000``, from its own start values (a
Poisson/NB fit), with SEs; its analytic Hessian and ``newton`` take a numerical Hessian
per iteration at this size. "grad x SE" (max |d loglik / d beta_j| x SE_j at each
solver's estimate, from the fused pass, with mlefit's SEs) shows they stopped at the same
precision.
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
TARGET = 2.0          # mlefit / fused bound


def simulate(n: int, p: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.normal(scale=0.3, size=(n, p - 1))])
    mu = np.exp(X @ np.linspace(0.5, -0.5, p))
    pi = special.expit(X @ np.r_[-1.0, np.linspace(0.3, -0.3, p - 1)])
    theta = 2.0
    counts = rng.poisson(rng.gamma(theta, mu / theta)).astype(float)
    y = np.where(rng.random(n) < pi, 0.0, counts)
    return y, np.ascontiguousarray(X)


def _tables(y, theta):
    k = np.arange(int(y.max()) + 1, dtype=float)
    return special.digamma(k + theta), special.polygamma(1, k + theta), \
        special.gammaln(k + theta) - special.gammaln(k + 1.0)


def fused_pass(X, y, beta, block=BLOCK):
    """One pass: (loglik, gradient, Hessian) of ``(b_mu, log theta, b_pi)``."""
    n, p = X.shape
    bm, tau, bp = beta[:p], beta[p], beta[p + 1:]
    theta = np.exp(tau)
    dg, tg, lg = _tables(y, theta)
    dg0, tg0 = special.digamma(theta), special.polygamma(1, theta)
    lg0 = special.gammaln(theta)
    k = 2 * p + 1
    H, g, ll = np.zeros((k, k)), np.zeros(k), 0.0
    for lo in range(0, n, block):
        Xb, yb = X[lo:lo + block], y[lo:lo + block]
        idx = yb.astype(np.intp)
        em, ep = Xb @ bm, Xb @ bp
        m = np.exp(em)
        pi = special.expit(ep)
        tm = theta + m
        lt = np.log(theta / tm)
        # the negative binomial at y and at 0, on (eta_mu, tau)
        lnb = lg[idx] - lg0 + theta * lt + yb * (em - np.log(tm))
        d_m = theta * (yb - m) / tm
        d_t = theta * (dg[idx] - dg0 + lt + 1.0 - (theta + yb) / tm)
        h_mm = -m * theta * (theta + yb) / (tm * tm)
        h_mt = theta * (yb - m) * m / (tm * tm)
        h_tt = theta * theta * (tg[idx] - tg0 + 1.0 / theta - 2.0 / tm
                                + (theta + yb) / (tm * tm)) + d_t
        l0 = theta * lt
        f0 = np.exp(l0)
        g0_m = -theta * m / tm
        g0_t = theta * (lt + 1.0 - theta / tm)
        h0_mm = -m * theta * theta / (tm * tm)
        h0_mt = -theta * m * m / (tm * tm)
        h0_tt = theta * theta * (1.0 / theta - 2.0 / tm + theta / (tm * tm)) + g0_t
        zero = yb == 0
        p0 = pi + (1.0 - pi) * f0
        q = (1.0 - pi) * f0 / p0
        ll += float(np.sum(np.where(zero, np.log(p0), np.log1p(-pi) + lnb)))
        w = pi * (1.0 - pi)
        D = {"m": np.where(zero, q * g0_m, d_m), "t": np.where(zero, q * g0_t, d_t),
             "p": np.where(zero, w * (1.0 - f0) / p0, -pi)}
        dpp0 = (1.0 - f0) / p0
        S = {("m", "m"): np.where(zero, q * h0_mm + q * (1 - q) * g0_m * g0_m, h_mm),
             ("m", "t"): np.where(zero, q * h0_mt + q * (1 - q) * g0_m * g0_t, h_mt),
             ("t", "t"): np.where(zero, q * h0_tt + q * (1 - q) * g0_t * g0_t, h_tt),
             ("m", "p"): np.where(zero, -f0 * g0_m / (p0 * p0) * w, 0.0),
             ("t", "p"): np.where(zero, -f0 * g0_t / (p0 * p0) * w, 0.0),
             ("p", "p"): np.where(zero, -(dpp0 * w) ** 2 + dpp0 * w * (1.0 - 2.0 * pi), -w)}
        sl = {"m": slice(0, p), "t": slice(p, p + 1), "p": slice(p + 1, k)}
        g[sl["m"]] += D["m"] @ Xb
        g[p] += D["t"].sum()
        g[sl["p"]] += D["p"] @ Xb
        for (a, b), v in S.items():
            if a == "t" and b == "t":
                H[p, p] += v.sum()
            elif b == "t":
                H[sl[a], p] += v @ Xb
            elif a == "t":
                H[p, sl[b]] += v @ Xb
            else:
                H[sl[a], sl[b]] += Xb.T @ (v[:, None] * Xb)
    H = np.triu(H) + np.triu(H, 1).T
    return ll, g, H


def _direction(g, H):
    """Newton's direction; a ridge on ``-H`` until it is positive definite (LM)."""
    A, ridge = -H, 0.0
    while True:
        try:
            L = np.linalg.cholesky(A + ridge * np.eye(len(g)))
            return np.linalg.solve(L.T, np.linalg.solve(L, g))
        except np.linalg.LinAlgError:
            ridge = max(2 * ridge, 1e-6 * float(np.max(np.abs(np.diag(A)))))


def fused_fit(X, y, start, tol=1e-12, maxiter=100):
    """Newton with step halving on the log-likelihood (each trial point is one pass whose
    derivatives the next iteration reuses), until the decrement is below ``tol``."""
    beta = np.asarray(start, dtype=float).copy()
    ll, g, H = fused_pass(X, y, beta)
    passes, iterations = 1, 0
    while iterations < maxiter:
        step = _direction(g, H)
        if float(g @ step) < tol:
            break
        iterations += 1
        t = 1.0
        while True:
            with np.errstate(all="ignore"):
                trial = fused_pass(X, y, beta + t * step)
            passes += 1
            if np.isfinite(trial[0]) and trial[0] >= ll - 1e-12 * abs(ll):
                break
            t /= 2
        beta = beta + t * step
        ll, g, H = trial
    return {"params": beta, "bse": np.sqrt(np.diag(np.linalg.inv(-H))), "llf": ll,
            "iterations": iterations, "passes": passes, "score": g}


def mlefit_fit(y, X):
    res = mlefit.fit_arrays(y, X, "zero_inflated_negative_binomial", designs={"pi": X})
    res.bse  # noqa: B018  (SEs are part of the timed work)
    return res


def statsmodels_fit(y, X):
    from statsmodels.discrete.count_model import ZeroInflatedNegativeBinomialP

    model = ZeroInflatedNegativeBinomialP(y, X, exog_infl=X, p=2)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        res = model.fit(method="bfgs", maxiter=5000, gtol=1e-8, disp=False)
        res.bse  # noqa: B018
    return res


def from_statsmodels(params, p):
    params = np.asarray(params)
    return np.r_[params[p:2 * p], -np.log(params[2 * p]), params[:p]]


def run(args) -> dict:
    y, X = simulate(args.n, args.p)
    p = args.p
    res = mlefit_fit(y, X)
    beta = res.params.to_numpy()
    s = res.family.start(y, None)       # mlefit's start: the family's constants as intercepts
    start = np.zeros(2 * p + 1)
    start[0], start[p], start[p + 1] = np.log(s["mu"]), np.log(s["theta"]), special.logit(s["pi"])
    fused = fused_fit(X, y, start)
    np.testing.assert_allclose(fused["params"], beta, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(fused["llf"], res.llf, rtol=1e-10)
    np.testing.assert_allclose(fused["bse"], res.bse.to_numpy(), rtol=1e-6)
    t_mlefit = median_seconds(lambda: mlefit_fit(y, X), args.repeat)
    t_fused = median_seconds(lambda: fused_fit(X, y, start), args.repeat)
    se = res.bse.to_numpy()
    row = {"n": args.n, "p": p, "coefficients": 2 * p + 1,
           "mlefit s": t_mlefit, "fused s": t_fused, "mlefit / fused": t_mlefit / t_fused,
           "target": f"<= {TARGET:g}", "iter mlefit": res.diagnostics.iterations,
           "iter fused": fused["iterations"], "passes fused": fused["passes"],
           "grad x SE mlefit": float(np.max(np.abs(fused_pass(X, y, beta)[1]) * se)),
           "grad x SE fused": float(np.max(np.abs(fused_pass(X, y, fused["params"])[1]) * se))}
    if args.statsmodels:
        sm_res = statsmodels_fit(y, X)
        sm_beta = from_statsmodels(sm_res.params, p)
        t_sm = median_seconds(lambda: statsmodels_fit(y, X), args.repeat)
        row.update({"statsmodels s": t_sm, "mlefit / statsmodels": t_mlefit / t_sm,
                    "iter statsmodels": sm_res.mle_retvals.get("iterations"),
                    "grad x SE statsmodels": float(np.max(np.abs(
                        fused_pass(X, y, sm_beta)[1]) * se)),
                    "llf mlefit - statsmodels": res.llf - sm_res.llf})
    return row


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--p", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-statsmodels", dest="statsmodels", action="store_false")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    info = machine() + "; " + versions("statsmodels", "scipy")
    print(f"Machine: {info}\n\nn = {args.n}, p = {args.p}, repeat = {args.repeat} (medians)\n")
    row = run(args)
    columns = list(row)
    print(markdown([row], columns))
    print(f"\n(total {time.perf_counter() - started:.0f} s)")
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "rows": [row]}, indent=2,
                                        default=float))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
