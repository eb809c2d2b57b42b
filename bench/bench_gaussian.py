"""Gaussian regression: mlefit against what a user would pick instead.

    python bench/bench_gaussian.py [--sizes 10000 100000 1000000] [--repeat 5]

Competitors, all in this process on the same data (p = 10 columns incl. intercept):
statsmodels GLM (arrays and formula), statsmodels GenericLikelihoodModel (hand-written
loglike, BFGS, numerical score and Hessian: what the docs show), scipy.optimize BFGS on a
hand-written likelihood with its analytic gradient, glum (gradient_tol=1e-8, SEs computed)
if installed. Also: a logpdf-only Gaussian per Newton iteration against the analytic
family on the same engine path, and mlefit's peak memory during a fit from arrays.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from harness import machine, markdown, median_seconds, peak_memory
from scipy import optimize

import mlefit
from mlefit import Family, Parameter
from mlefit.domains import Positive, Real
from mlefit.engine import Block, Objective
from mlefit.engine.newton import newton

P = 10


def data(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.normal(size=(n, P - 1))])
    beta = np.linspace(-1, 1, P)
    y = X @ beta + rng.normal(scale=2.0, size=n)
    frame = pd.DataFrame(X[:, 1:], columns=[f"x{i}" for i in range(1, P)]).assign(y=y)
    return y, X, frame


FORMULA = "y ~ " + " + ".join(f"x{i}" for i in range(1, P))


class PlainNormal(Family):
    name = "plain_normal"
    support = Real()
    parameters = (Parameter("mu", Real()), Parameter("sigma", Positive()))

    def logpdf(self, y, mu, sigma):
        return -0.5 * np.log(2 * np.pi) - np.log(sigma) - 0.5 * ((y - mu) / sigma) ** 2


def mlefit_arrays(y, X):
    res = mlefit.fit_arrays(y, X, "gaussian")
    return res.bse


def mlefit_formula(frame):
    return mlefit.fit(FORMULA, frame, "gaussian").bse


def statsmodels_glm(y, X):
    import statsmodels.api as sm

    return sm.GLM(y, X).fit().bse


def statsmodels_formula(frame):
    import statsmodels.formula.api as smf

    return smf.glm(FORMULA, frame).fit().bse


def statsmodels_generic(y, X):
    from statsmodels.base.model import GenericLikelihoodModel

    class Normal(GenericLikelihoodModel):
        def loglike(self, params):
            mu = self.exog @ params[:-1]
            s = np.exp(params[-1])
            return np.sum(-0.5 * np.log(2 * np.pi) - np.log(s) - 0.5 * ((self.endog - mu) / s) ** 2)

    model = Normal(y, X, extra_params_names=["log_sigma"])
    start = np.r_[np.zeros(X.shape[1]), np.log(np.std(y))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(start_params=start, method="bfgs", maxiter=2000, disp=False).bse


def scipy_bfgs(y, X):
    n = len(y)

    def nll(b):
        r = y - X @ b[:-1]
        s2 = np.exp(2 * b[-1])
        return n * b[-1] + 0.5 * r @ r / s2

    def grad(b):
        r = y - X @ b[:-1]
        s2 = np.exp(2 * b[-1])
        return np.r_[-(X.T @ r) / s2, n - r @ r / s2]

    b0 = np.r_[np.zeros(X.shape[1]), np.log(np.std(y))]
    res = optimize.minimize(nll, b0, jac=grad, method="BFGS", options={"gtol": 1e-8})
    return np.sqrt(np.diag(res.hess_inv))


def glum_fit(y, X):
    from glum import GeneralizedLinearRegressor

    model = GeneralizedLinearRegressor(family="normal", alpha=0, fit_intercept=False,
                                       gradient_tol=1e-8)
    model.fit(X, y)
    return np.sqrt(np.diag(model.covariance_matrix(X, y)))


def per_iteration(y, X, family, iterations: int = 5, repeat: int = 3) -> float:
    """Seconds per Newton iteration (derivatives, information, step) on the joint path."""
    n = len(y)
    links = mlefit.registry.get_registry()
    blocks = (Block("mu", links.link("identity"), X, np.zeros(n), Real()),
              Block("sigma", links.link("log"), np.ones((n, 1)), np.zeros(n), Positive()))
    beta0 = np.r_[np.zeros(X.shape[1]), np.log(np.std(y))]

    def run():
        newton(Objective(family, y, blocks, np.ones(n)), beta0, maxiter=iterations, tol=0.0)

    return median_seconds(run, repeat) / iterations


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the rows as JSON here")
    args = parser.parse_args(argv)
    competitors = {"statsmodels GLM (arrays)": ("arrays", statsmodels_glm),
                   "statsmodels GLM (formula)": ("formula", statsmodels_formula),
                   "statsmodels GenericLikelihoodModel": ("arrays", statsmodels_generic),
                   "scipy BFGS (hand-written)": ("arrays", scipy_bfgs)}
    try:
        import glum  # noqa: F401

        competitors["glum"] = ("arrays", glum_fit)
    except ImportError:
        print("glum not installed: skipped", file=sys.stderr)
    rows = []
    for n in args.sizes:
        y, X, frame = data(n)
        repeat = args.repeat if n < 1_000_000 else max(3, args.repeat // 2)
        ours = {"arrays": median_seconds(lambda: mlefit_arrays(y, X), repeat),
                "formula": median_seconds(lambda: mlefit_formula(frame), repeat)}
        for name, (kind, fn) in competitors.items():
            reps = 1 if "Generic" in name and n >= 1_000_000 else repeat
            theirs = median_seconds(lambda fn=fn, kind=kind: fn(y, X) if kind == "arrays"
                                    else fn(frame), reps)
            rows.append({"n": n, "competitor": name, "path": kind, "mlefit s": ours[kind],
                         "competitor s": theirs, "ratio": ours[kind] / theirs})
        analytic = per_iteration(y, X, mlefit.get_family("gaussian")[0])
        numeric = per_iteration(y, X, PlainNormal())
        rows.append({"n": n, "competitor": "analytic gaussian, per Newton iteration",
                     "path": "engine", "mlefit s": numeric, "competitor s": analytic,
                     "ratio": numeric / analytic})
        peak = peak_memory(lambda: mlefit_arrays(y, X))
        rows.append({"n": n, "competitor": "peak memory / design size", "path": "arrays",
                     "mlefit s": peak / 2**20, "competitor s": X.nbytes / 2**20,
                     "ratio": peak / X.nbytes})
        print(f"n = {n} done", file=sys.stderr)
    print(f"Machine: {machine()}\n")
    print(markdown(rows, ["n", "competitor", "path", "mlefit s", "competitor s", "ratio"]))
    print("\n(logpdf-only row: 'mlefit s' is the logpdf-only family, 'competitor s' the "
          "analytic one; memory row: MiB of peak allocation and of the design matrix.)")
    if args.json:
        args.json.write_text(json.dumps({"machine": machine(), "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
