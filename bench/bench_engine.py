"""The engine's targets (issue 15): mlefit against glum and a numpy "fused bound".

    python bench/bench_engine.py --n 1000000 --p 10 --repeat 5 [--families ...]
        [--only arrays p50 logpdf formula memory threads] [--json PATH]

Every competitor runs in this process on the same arrays (intercept first, the other
columns N(0, 0.3^2), as bench_families.py simulates them); times are medians of
``--repeat`` runs after one warm-up, ratios are mlefit / competitor. Sections:

arrays   at ``--p`` (default 10): mlefit ``fit_arrays`` with SEs, glum
         (``alpha=0, fit_intercept=False, gradient_tol=1e-8`` + ``covariance_matrix``) and
         the fused bound, per family; iteration counts; max |gradient| x SE of each.
p50      the same at p = 50.
logpdf   logpdf-only Poisson and gamma (mu, shape) against the built-in families.
formula  ``mlefit.fit`` against ``smf.glm`` at n = min(--n, 3e5), with formulaic's own
         time and mlefit's arrays time on formulaic's matrices.
memory   peak bytes allocated during ``fit_arrays`` above the inputs, at p = --p and 50.
threads  one against two BLAS threads: fused bound, mlefit fits, per-block operations.

The fused bound is a numpy-only IRLS that reads X once per iteration: for every block
of ``--block`` rows it forms eta = X_b beta, mu, the IRLS weight w and working response
z and accumulates X_b' W X_b, X_b' W z and the log-likelihood, then solves one p x p
system. It runs as many iterations as statsmodels' IRLS takes on the same data (from the
same start, mu0 = (y + mean y) / 2, binomial (y + 1/2) / 2), plus one final pass for the
covariance (Pearson dispersion), the score and the full log-likelihood; its coefficients
are asserted equal to statsmodels' to 1e-6 relative (its log-likelihood to 1e-10, its SEs
to 1e-4). The Gram method (BLAS syrk on sqrt(w) X_b, numpy's ``A.T @ A``, or
``X_b.T @ (w X_b)``) is measured first and the fastest used. The bound's time is the
faster of the default BLAS threads and one thread ("fused threads" says which): its BLAS
calls are small and per block, and two threads on a busy 2-core machine slowed it 5-8x.

inverse_gaussian uses the log link everywhere (mlefit's default; the canonical 1/mu^2
link lets eta leave the domain). negative_binomial: mlefit estimates theta (Var = mu +
mu^2 / theta); glum, statsmodels and the fused bound get theta fixed at mlefit's
estimate. glum's ``NegativeBinomialDistribution(theta=a)`` means Var = mu + a mu^2, so
it is given a = 1 / theta (statsmodels: ``alpha = 1 / theta``).

Equal work: "grad x SE" is max_j |d loglik / d beta_j| x SE_j at each solver's estimate,
with the dispersion (and theta) held at mlefit's ML value and mlefit's SEs, the same
yardstick for all three. mlefit stops when the Newton decrement is below 1e-12 (then one
more step); glum when its max |gradient| of the mean half-deviance (weights normalised to
sum 1) is below 1e-8; the fused bound after statsmodels' count (deviance change < 1e-8).

Run benchmark commands with ``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE`` (see the
machine line for the BLAS kernel actually used).
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
import warnings
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
from bench_families import design, simulate
from harness import machine, markdown, median_seconds, peak_memory, versions
from scipy import special
from scipy.linalg import blas

import mlefit
from mlefit import Family, Parameter
from mlefit.domains import NonNegativeIntegers, Positive

FAMILIES = ("gaussian", "poisson", "binomial", "gamma", "inverse_gaussian",
            "negative_binomial")
LINK = {"gaussian": "identity", "binomial": "logit"}       # every other family: log
DISPERSION = {"gaussian": "sigma", "gamma": "shape", "inverse_gaussian": "shape"}
GLUM = {"gaussian": "normal", "poisson": "poisson", "binomial": "binomial",
        "gamma": "gamma", "inverse_gaussian": "inverse.gaussian"}
SECTIONS = ("arrays", "p50", "logpdf", "formula", "memory", "threads")
P50 = 50
FORMULA_N = 300_000
BLOCK = 16_384
TARGETS = {"gaussian": 0.5, "negative_binomial": 1.0}      # mlefit / glum; others 0.6


def link_of(family: str) -> str:
    return LINK.get(family, "log")


# -- the fused bound ------------------------------------------------------------------

def _gram_syrk(Xb, w):
    """X_b' W X_b by BLAS syrk (scipy) on sqrt(w) X_b: the upper triangle only."""
    A = Xb if w is None else np.sqrt(w)[:, None] * Xb
    return blas.dsyrk(1.0, A.T)


def _gram_numpy_syrk(Xb, w):
    """``A.T @ A`` with A = sqrt(w) X_b (numpy calls syrk for a product with its
    own transpose and fills both triangles)."""
    A = Xb if w is None else np.sqrt(w)[:, None] * Xb
    return A.T @ A


def _gram_weighted(Xb, w):
    """``X_b.T @ (w X_b)``: a general matrix product."""
    return Xb.T @ (Xb if w is None else w[:, None] * Xb)


GRAMS = {"syrk (scipy dsyrk)": _gram_syrk, "A.T @ A (numpy syrk)": _gram_numpy_syrk,
         "X.T @ (w X)": _gram_weighted}


def _mean(link: str, eta):
    if link == "identity":
        return eta
    if link == "log":
        return np.exp(eta)
    return special.expit(eta)


def _eta(link: str, mu):
    if link == "identity":
        return mu
    if link == "log":
        return np.log(mu)
    return special.logit(mu)


def _working(family: str, y, eta, mu, theta):
    """IRLS weight ``w = 1 / (g'(mu)^2 V(mu))`` (None when it is 1) and working response
    ``z = eta + (y - mu) g'(mu)``, as statsmodels forms them."""
    if family == "gaussian":
        return None, y
    if family == "binomial":
        v = mu * (1.0 - mu)
        return v, eta + (y - mu) / v
    z = eta + (y - mu) / mu                                  # log link: g' = 1 / mu
    if family == "poisson":
        return mu, z
    if family == "gamma":
        return None, z
    if family == "inverse_gaussian":
        return 1.0 / mu, z
    return mu / (1.0 + mu / theta), z                        # negative binomial


def _kernel(family: str, y, eta, mu, theta) -> float:
    """The part of the log-likelihood that depends on beta (dispersion 1)."""
    if family == "gaussian":
        r = y - mu
        return -0.5 * float(r @ r)
    if family == "poisson":
        return float(y @ eta - mu.sum())
    if family == "binomial":
        return float(y @ eta - np.logaddexp(0.0, eta).sum())
    if family == "gamma":
        return -float((y / mu).sum() + eta.sum())
    if family == "inverse_gaussian":
        r = (y - mu) / mu
        return -0.5 * float(r @ (r / y))
    return float(y @ eta - (y + theta) @ np.log(mu + theta))


def _constant(family: str, y, theta) -> float:
    """Sum of the per-row terms of the log-likelihood that do not depend on beta."""
    if family == "poisson":
        return -float(special.gammaln(y + 1.0).sum())
    if family in ("gamma", "inverse_gaussian"):
        return float(np.log(y).sum())
    if family == "negative_binomial":
        return float((special.gammaln(y + theta) - special.gammaln(y + 1.0)).sum())
    return 0.0


def fused_pass(X, y, family, beta, theta=None, gram=_gram_syrk, block=BLOCK,
               start: bool = False, final: bool = False):
    """One blocked pass over the rows: ``(X'WX, X'Wz, kernel loglik, pearson, constant)``.

    ``start``: eta from statsmodels' start values of mu instead of ``X beta``. ``final``:
    also the Pearson sum and the constant terms of the log-likelihood.
    """
    n, p = X.shape
    link = link_of(family)
    G, r = np.zeros((p, p)), np.zeros(p)
    ll = pearson = const = 0.0
    ybar = 0.5 if family == "binomial" else float(y.mean()) if start else 0.0
    for lo in range(0, n, block):
        Xb, yb = X[lo:lo + block], y[lo:lo + block]
        if start:
            mu = (yb + ybar) / 2.0
            eta = _eta(link, mu)
        else:
            eta = Xb @ beta
            mu = _mean(link, eta)
        w, z = _working(family, yb, eta, mu, theta)
        G += gram(Xb, w)
        r += (z if w is None else w * z) @ Xb
        ll += _kernel(family, yb, eta, mu, theta)
        if final:
            e = z - eta
            pearson += float(e @ e if w is None else (w * e) @ e)
            const += _constant(family, yb, theta)
    if gram is _gram_syrk:                   # dsyrk fills the upper triangle only
        G = np.triu(G) + np.triu(G, 1).T
    return G, r, ll, pearson, const


def _loglik(family: str, n: int, kernel: float, const: float, phi: float, theta) -> float:
    if family == "gaussian":
        return -0.5 * n * (np.log(2 * np.pi * (-2.0 * kernel / n)) + 1.0)   # ML sigma
    if family == "gamma":
        nu = 1.0 / phi
        return nu * kernel + n * (nu * np.log(nu) - special.gammaln(nu)) + (nu - 1) * const
    if family == "inverse_gaussian":
        lam = 1.0 / phi
        return lam * kernel + 0.5 * n * np.log(lam / (2 * np.pi)) - 1.5 * const
    if family == "negative_binomial":
        return kernel + const + n * (theta * np.log(theta) - special.gammaln(theta))
    return kernel + const


def fused_fit(X, y, family, iterations: int, theta=None, gram=_gram_syrk, block=BLOCK):
    """The fused bound: ``iterations`` IRLS passes and one final pass; a dict of the
    coefficients, SEs (Pearson dispersion), log-likelihood and score."""
    n, p = X.shape
    beta = np.zeros(p)
    for it in range(iterations):
        G, r, _, _, _ = fused_pass(X, y, family, beta, theta, gram, block, start=it == 0)
        beta = np.linalg.solve(G, r)
    G, r, kernel, pearson, const = fused_pass(X, y, family, beta, theta, gram, block,
                                              final=True)
    phi = pearson / (n - p) if family in DISPERSION else 1.0
    cov = phi * np.linalg.inv(G)
    return {"params": beta, "bse": np.sqrt(np.diag(cov)), "score": (r - G @ beta) / phi,
            "llf": _loglik(family, n, kernel, const, phi, theta)}


# -- competitors ----------------------------------------------------------------------

def mlefit_fit(family, y, X):
    res = mlefit.fit_arrays(y, X, family, link=link_of(family))
    res.bse  # noqa: B018  (SEs are part of the timed work)
    return res


def glum_model(family, theta=None):
    from glum import GeneralizedLinearRegressor, NegativeBinomialDistribution

    fam = (NegativeBinomialDistribution(theta=1.0 / theta) if family == "negative_binomial"
           else GLUM[family])
    return GeneralizedLinearRegressor(family=fam, link=link_of(family), alpha=0,
                                      fit_intercept=False, gradient_tol=1e-8)


def glum_fit(family, y, X, theta=None):
    model = glum_model(family, theta).fit(X, y)
    model.covariance_matrix(X, y)
    return model


def statsmodels_glm(family, y, X, theta=None):
    import statsmodels.api as sm

    links = sm.families.links
    fam = {"gaussian": lambda: sm.families.Gaussian(),
           "poisson": lambda: sm.families.Poisson(),
           "binomial": lambda: sm.families.Binomial(),
           "gamma": lambda: sm.families.Gamma(links.Log()),
           "inverse_gaussian": lambda: sm.families.InverseGaussian(links.Log()),
           "negative_binomial": lambda: sm.families.NegativeBinomial(alpha=1.0 / theta)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sm.GLM(y, X, family=fam[family]()).fit()


def mlefit_nuisance(family, res):
    """``(phi, theta)`` at mlefit's estimate: the dispersion of the mean score, NB theta."""
    params = res.params
    if family == "negative_binomial":
        return 1.0, float(np.exp(params[("theta", "Intercept")]))
    if family == "gaussian":
        return float(np.exp(2 * params[("sigma", "Intercept")])), None
    if family in DISPERSION:
        return float(np.exp(-params[("shape", "Intercept")])), None
    return 1.0, None


def gradient_se(family, y, X, beta, theta, phi, se) -> float:
    """max_j |d loglik / d beta_j| SE_j at ``beta`` (dispersion ``phi``, NB ``theta``)."""
    G, r, *_ = fused_pass(X, y, family, beta, theta)
    return float(np.max(np.abs((r - G @ beta) / phi) * se))


@cache
def data(family: str, n: int, p: int):
    y, X = simulate(family, n, p=p)
    return y, np.ascontiguousarray(X)


def fused_seconds(fn, repeat: int) -> tuple[float, str]:
    """The bound's time: the faster of the libraries' default threads and one thread
    (its BLAS calls are per block, small; see the threads section), and which it was."""
    from threadpoolctl import threadpool_info, threadpool_limits

    default = median_seconds(fn, repeat)
    if max(i["num_threads"] for i in threadpool_info()) <= 1:
        return default, "1"
    with threadpool_limits(limits=1):
        single = median_seconds(fn, repeat)
    return (single, "1") if single < default else (default, "default")


def choose_gram(n: int, p: int, repeat: int, block: int, log: list) -> str:
    """Time the fused bound (poisson, 5 iterations) with each Gram method; the fastest."""
    y, X = data("poisson", n, p)
    times = {}
    for name, gram in GRAMS.items():
        times[name], threads = fused_seconds(
            lambda: fused_fit(X, y, "poisson", 5, gram=gram, block=block), repeat)
        log.append({"p": p, "Gram method": name, "fused poisson s (5 iterations)":
                    times[name], "threads": threads})
    best = min(times, key=times.get)
    for row in log:
        if row["p"] == p:
            row["chosen"] = "yes" if row["Gram method"] == best else ""
    return best


def compare(families, n: int, p: int, repeat: int, block: int, grams: list) -> list[dict]:
    gram = GRAMS[choose_gram(n, p, repeat, block, grams)]
    rows = []
    for family in families:
        y, X = data(family, n, p)
        res = mlefit_fit(family, y, X)
        phi, theta = mlefit_nuisance(family, res)
        ref = statsmodels_glm(family, y, X, theta)
        iters = int(ref.fit_history["iteration"])
        bound = fused_fit(X, y, family, iters, theta, gram, block)
        np.testing.assert_allclose(bound["params"], ref.params, rtol=1e-6, atol=1e-12,
                                   err_msg=f"fused bound != statsmodels ({family})")
        # statsmodels' SEs use the weights of the last IRLS iterate, the bound's those at
        # the estimate: equal to the convergence level only
        np.testing.assert_allclose(bound["bse"], ref.bse, rtol=1e-4)
        np.testing.assert_allclose(bound["llf"], ref.llf, rtol=1e-10)
        model = glum_fit(family, y, X, theta)
        se = np.asarray(res.bse)[:p]
        ours = np.asarray(res.params)[:p]
        t_ours = median_seconds(lambda: mlefit_fit(family, y, X), repeat)
        t_glum = median_seconds(lambda: glum_fit(family, y, X, theta), repeat)
        t_fused, fused_threads = fused_seconds(
            lambda: fused_fit(X, y, family, iters, theta, gram, block), repeat)
        target = TARGETS.get(family, 0.6)
        rows.append({
            "family": family + (" (theta est.)" if family == "negative_binomial" else ""),
            "link": link_of(family), "mlefit s": t_ours, "glum s": t_glum,
            "fused s": t_fused, "fused threads": fused_threads,
            "mlefit/glum": t_ours / t_glum,
            "mlefit/fused": t_ours / t_fused,
            "target": f"<= {target} glum, <= 2 fused" if p < P50 else "<= 1.5 fused",
            "iter mlefit": res.diagnostics.iterations, "iter glum": int(model.n_iter_),
            "iter fused": iters,
            "grad x SE mlefit": gradient_se(family, y, X, ours, theta, phi, se),
            "grad x SE glum": gradient_se(family, y, X, model.coef_, theta, phi, se),
            "grad x SE fused": gradient_se(family, y, X, bound["params"], theta, phi, se),
            "glum |dcoef|/SE": float(np.max(np.abs(model.coef_ - ours) / se)),
            "mlefit own grad x SE": res.diagnostics.gradient_se,
            "fused SE / statsmodels SE - 1": float(np.max(np.abs(bound["bse"] / ref.bse
                                                                 - 1))),
            "theta": theta})
        print(f"  {family} (p = {p}) done: mlefit {t_ours:.3g} s, glum {t_glum:.3g} s, "
              f"fused {t_fused:.3g} s", file=sys.stderr)
    return rows


COMPARE_COLUMNS = ["family", "link", "mlefit s", "glum s", "fused s", "fused threads",
                   "mlefit/glum", "mlefit/fused", "target", "iter mlefit", "iter glum",
                   "iter fused"]
WORK_COLUMNS = ["family", "grad x SE mlefit", "grad x SE glum", "grad x SE fused",
                "glum |dcoef|/SE", "mlefit own grad x SE"]


# -- logpdf-only twins ----------------------------------------------------------------

class LogpdfPoisson(Family):
    """Poisson with ``logpdf`` only: every derivative numeric."""

    name = "bench_poisson_logpdf"
    support = NonNegativeIntegers()
    parameters = (Parameter("mu", Positive()),)

    def logpdf(self, y, mu):
        return special.xlogy(y, mu) - mu - special.gammaln(y + 1.0)


class LogpdfGamma(Family):
    """Gamma with mean ``mu`` and ``shape`` (Var = mu^2 / shape), ``logpdf`` only."""

    name = "bench_gamma_logpdf"
    support = Positive()
    parameters = (Parameter("mu", Positive()), Parameter("shape", Positive()))

    def logpdf(self, y, mu, shape):
        return (shape * np.log(shape / mu) - special.gammaln(shape)
                + (shape - 1.0) * np.log(y) - shape * y / mu)


def logpdf_twins(n: int, p: int, repeat: int) -> list[dict]:
    rows = []
    for builtin, twin, target in (("poisson", LogpdfPoisson(), 1.5),
                                  ("gamma", LogpdfGamma(), 2.5)):
        y, X = data(builtin, n, p)

        def fit(fam):
            res = mlefit.fit_arrays(y, X, fam, link="log")
            res.bse  # noqa: B018
            return res

        a, b = fit(builtin), fit(twin)
        diff = np.max(np.abs(np.asarray(a.params) - np.asarray(b.params)) / np.asarray(a.bse))
        t_builtin = median_seconds(lambda: fit(builtin), repeat)
        t_twin = median_seconds(lambda: fit(twin), repeat)
        rows.append({"family": f"{twin.name} vs {builtin} (log link)",
                     "logpdf-only s": t_twin, "built-in s": t_builtin,
                     "ratio": t_twin / t_builtin, "target": f"<= {target}",
                     "iter logpdf-only": b.diagnostics.iterations,
                     "iter built-in": a.diagnostics.iterations,
                     "derivatives": b.diagnostics.derivatives,
                     "max |dcoef|/SE": float(diff)})
        print(f"  logpdf twin of {builtin} done", file=sys.stderr)
    return rows


# -- formula path ---------------------------------------------------------------------

FORMULA_TERMS = "C(g) + " + " + ".join(f"x{i}" for i in range(1, 10))


def formula_frame(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    X = design(n, rng, 10)[:, 1:]
    g = rng.integers(0, 4, size=n)
    eta = 0.5 + X @ np.linspace(0.4, -0.4, 9) + np.array([0.0, 0.2, -0.2, 0.1])[g]
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(1, 10)])
    frame["g"] = pd.Categorical(np.array(list("abcd"))[g])
    frame["y_gaussian"] = eta + rng.normal(size=n)
    frame["y_poisson"] = rng.poisson(np.exp(eta)).astype(float)
    return frame


def formula_path(n: int, repeat: int) -> list[dict]:
    import formulaic
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    frame = formula_frame(n)
    rows = []
    for family, sm_family in (("gaussian", sm.families.Gaussian),
                              ("poisson", sm.families.Poisson)):
        formula = f"y_{family} ~ {FORMULA_TERMS}"
        y, F = formulaic.model_matrix(formula, frame)
        y, F = np.asarray(y, dtype=float).ravel(), np.asarray(F, dtype=float)
        X = np.ascontiguousarray(F)              # formulaic's matrix is column-major
        t_formula = median_seconds(lambda: mlefit.fit(formula, frame, family).bse, repeat)
        t_arrays = median_seconds(lambda: mlefit.fit_arrays(y, X, family).bse, repeat)
        t_fortran = median_seconds(lambda: mlefit.fit_arrays(y, F, family).bse, repeat)
        t_formulaic = median_seconds(lambda: formulaic.model_matrix(formula, frame), repeat)
        t_sm = median_seconds(lambda: smf.glm(formula, frame, family=sm_family()).fit().bse,
                              repeat)
        rows.append({"family": family, "n": n, "columns": X.shape[1],
                     "mlefit formula s": t_formula, "smf.glm s": t_sm,
                     "mlefit/smf": t_formula / t_sm, "target": "<= 0.3",
                     "mlefit arrays s": t_arrays, "arrays s (column-major)": t_fortran,
                     "formulaic s": t_formulaic,
                     "formula - arrays s": t_formula - t_arrays,
                     "(formula - arrays) / formulaic": (t_formula - t_arrays) / t_formulaic})
        print(f"  formula {family} done", file=sys.stderr)
    return rows


# -- memory ---------------------------------------------------------------------------

def memory(families, n: int, ps) -> list[dict]:
    rows = []
    for p in ps:
        for family in families:
            y, X = data(family, n, p)
            peak = peak_memory(lambda: mlefit_fit(family, y, X))
            rows.append({"family": family, "p": p, "n": n, "peak MiB": peak / 2**20,
                         "design MiB": X.nbytes / 2**20, "n-vectors": peak / (8 * n),
                         "x design": peak / X.nbytes, "target n-vectors": "<= 3"})
            print(f"  memory {family} (p = {p}) done", file=sys.stderr)
    return rows


# -- threads --------------------------------------------------------------------------

def block_ops(X, w, beta, block: int):
    """The per-block BLAS operations of one pass, each timed over all blocks."""
    def blocks(op):
        def run():
            for lo in range(0, len(X), block):
                op(X[lo:lo + block], w[lo:lo + block])
        return run
    return {"X_b @ beta": blocks(lambda Xb, wb: Xb @ beta),
            "(w z) @ X_b": blocks(lambda Xb, wb: wb @ Xb),
            **{f"Gram: {name}": blocks(gram) for name, gram in GRAMS.items()}}


def threads(n: int, ps, repeat: int, block: int) -> list[dict]:
    from threadpoolctl import threadpool_limits

    jobs = []
    for family in ("gaussian", "poisson"):
        y, X = data(family, n, ps[0])
        res = mlefit_fit(family, y, X)
        _, theta = mlefit_nuisance(family, res)
        iters = int(statsmodels_glm(family, y, X, theta).fit_history["iteration"])
        jobs.append((f"fused bound {family} ({iters} iterations)", ps[0],
                     lambda y=y, X=X, f=family, k=iters: fused_fit(X, y, f, k, block=block)))
        jobs.append((f"mlefit fit_arrays {family}", ps[0],
                     lambda y=y, X=X, f=family: mlefit_fit(f, y, X)))
    rng = np.random.default_rng(2)
    for p in ps:
        X = data("poisson", n, p)[1]
        w, beta = rng.random(n), rng.normal(size=p)
        for name, op in block_ops(X, w, beta, block).items():
            jobs.append((f"{name}, blocks of {block} rows, one pass", p, op))
    rows = []
    for name, p, fn in jobs:
        t = {}
        for k in (1, 2):
            with threadpool_limits(limits=k):
                t[k] = median_seconds(fn, repeat)
        rows.append({"operation": name, "p": p, "n": n, "1 thread s": t[1],
                     "2 threads s": t[2], "1 / 2 threads": t[1] / t[2]})
    print("  threads done", file=sys.stderr)
    return rows


# -- main -----------------------------------------------------------------------------

def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--p", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--families", nargs="+", default=list(FAMILIES), choices=FAMILIES)
    parser.add_argument("--only", nargs="+", choices=SECTIONS, default=list(SECTIONS))
    parser.add_argument("--block", type=int, default=BLOCK, help="rows per block")
    parser.add_argument("--blas-threads", type=int, help="run every section under "
                        "threadpool_limits(N) (BLAS and OpenMP; the threads section sets "
                        "its own); default: the libraries' defaults")
    parser.add_argument("--json", type=Path, help="also write the raw numbers as JSON here")
    args = parser.parse_args(argv)
    for name in ("glum", "statsmodels.api"):    # load their OpenMP/BLAS before any limit
        try:
            importlib.import_module(name)
        except ImportError:
            print(f"{name} not installed", file=sys.stderr)
    if args.blas_threads:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=args.blas_threads):
            return run(args)
    return run(args)


def run(args) -> int:
    started = time.perf_counter()
    info = machine() + "; " + versions("glum", "statsmodels", "scipy", "formulaic")
    threads_note = (f"BLAS/OpenMP threads limited to {args.blas_threads}"
                    if args.blas_threads else "default BLAS/OpenMP threads")
    print(f"Machine: {info}\n\nn = {args.n}, p = {args.p}, repeat = {args.repeat} "
          f"(medians), blocks of {args.block} rows, {threads_note}\n")
    out: dict = {"machine": info, "args": {k: str(v) for k, v in vars(args).items()}}

    def section(key, title, rows, columns, note=""):
        out[key] = rows
        print(f"## {title}\n\n{markdown(rows, columns)}\n", flush=True)
        if note:
            print(note + "\n")

    for key, p in (("arrays", args.p), ("p50", P50)):
        if key not in args.only or (key == "p50" and args.p == P50 and "arrays" in args.only):
            continue
        grams: list = []
        rows = compare(args.families, args.n, p, args.repeat, args.block, grams)
        section(f"{key}_gram", f"Fused bound: Gram method (p = {p})", grams,
                ["p", "Gram method", "fused poisson s (5 iterations)", "threads",
                 "chosen"])
        section(key, f"mlefit vs glum vs fused bound (n = {args.n}, p = {p}, SEs)", rows,
                COMPARE_COLUMNS)
        print(f"### Equal work (p = {p}): max |d loglik / d beta_j| x SE_j at each "
              "estimate (dispersion and theta at mlefit's values, mlefit's SEs)\n\n"
              f"{markdown(rows, WORK_COLUMNS)}\n", flush=True)
    if "logpdf" in args.only:
        section("logpdf", f"logpdf-only twins (n = {args.n}, p = {args.p}, whole fit "
                "with SEs)", logpdf_twins(args.n, args.p, args.repeat),
                ["family", "logpdf-only s", "built-in s", "ratio", "target",
                 "iter logpdf-only", "iter built-in", "derivatives", "max |dcoef|/SE"])
    if "formula" in args.only:
        rows = formula_path(min(args.n, FORMULA_N), args.repeat)
        section("formula", f"Formula path: y ~ {FORMULA_TERMS}", rows,
                ["family", "n", "columns", "mlefit formula s", "smf.glm s", "mlefit/smf",
                 "target", "mlefit arrays s", "arrays s (column-major)", "formulaic s",
                 "formula - arrays s", "(formula - arrays) / formulaic"],
                "(mlefit arrays s: fit_arrays on formulaic's matrix made row-major; "
                "column-major: on formulaic's matrix as it comes.)")
    if "memory" in args.only:
        section("memory", "Peak memory allocated during fit_arrays (tracemalloc, inputs "
                "excluded)", memory(args.families, args.n, sorted({args.p, P50})),
                ["family", "p", "n", "peak MiB", "design MiB", "n-vectors", "x design",
                 "target n-vectors"])
    if "threads" in args.only:
        section("threads", "One against two BLAS threads (threadpoolctl)",
                threads(args.n, sorted({args.p, P50}), args.repeat, args.block),
                ["operation", "p", "n", "1 thread s", "2 threads s", "1 / 2 threads"])
    print(f"(total {time.perf_counter() - started:.0f} s)")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
