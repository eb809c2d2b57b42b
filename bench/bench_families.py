"""GLM families at scale: mlefit against glum and statsmodels on the same arrays.

    python bench/bench_families.py [--n 1000000] [--repeat 3]

For each of poisson, binomial, gamma and negative_binomial (theta estimated): mlefit
``fit_arrays`` (with SEs), glum (``gradient_tol=1e-8``, SEs computed; for NB glum fixes
theta, so it is given mlefit's estimate: a lower bound on its cost), and statsmodels GLM
(for NB: discrete ``NegativeBinomial``, which also estimates alpha = 1/theta). Also a
distributional Gaussian (sigma ~ x) against the plain Gaussian fit. nb1 (alpha estimated)
against statsmodels ``NegativeBinomial(loglike_method="nb1")`` only: glum has no NB1.
p = 10 columns.
"""

from __future__ import annotations

import argparse
import sys
import warnings

import numpy as np
from harness import machine, markdown, median_seconds

import mlefit

P = 10


def design(n: int, rng, p: int = P) -> np.ndarray:
    return np.column_stack([np.ones(n), rng.normal(scale=0.3, size=(n, p - 1))])


def simulate(family: str, n: int, seed: int = 0, p: int = P):
    rng = np.random.default_rng(seed)
    X = design(n, rng, p)
    eta = X @ np.linspace(0.5, -0.5, p)
    if family == "gaussian":
        return eta + rng.normal(size=n), X
    if family == "poisson":
        return rng.poisson(np.exp(eta)).astype(float), X
    if family == "binomial":
        return (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float), X
    if family == "gamma":
        shape = 2.0
        return rng.gamma(shape, np.exp(eta) / shape), X
    if family == "negative_binomial":
        theta, mu = 2.0, np.exp(eta)
        return rng.poisson(rng.gamma(theta, mu / theta)).astype(float), X
    if family == "nb1":
        alpha, mu = 1.0, np.exp(eta)
        return rng.poisson(rng.gamma(mu / alpha, alpha)).astype(float), X
    if family == "inverse_gaussian":
        return rng.wald(np.exp(eta), 2.0), X
    raise ValueError(family)


GLUM = {"poisson": "poisson", "binomial": "binomial", "gamma": "gamma"}


def ours(family, y, X):
    return mlefit.fit_arrays(y, X, family, link="log" if family == "gamma" else None).bse


def glum_fit(family, y, X, theta=None):
    from glum import GeneralizedLinearRegressor, NegativeBinomialDistribution

    fam = NegativeBinomialDistribution(theta=1 / theta) if theta else GLUM[family]
    model = GeneralizedLinearRegressor(family=fam, link="log" if family != "binomial"
                                       else "logit", alpha=0, fit_intercept=False,
                                       gradient_tol=1e-8)
    model.fit(X, y)
    return np.sqrt(np.diag(model.covariance_matrix(X, y)))


def statsmodels_fit(family, y, X):
    import statsmodels.api as sm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if family in ("negative_binomial", "nb1"):
            method = "nb1" if family == "nb1" else "nb2"
            return sm.NegativeBinomial(y, X, loglike_method=method).fit(
                disp=False, maxiter=200).bse
        fam = {"poisson": sm.families.Poisson(), "binomial": sm.families.Binomial(),
               "gamma": sm.families.Gamma(sm.families.links.Log())}[family]
        return sm.GLM(y, X, family=fam).fit().bse


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    installed = {i.name for i in mlefit.families()}
    rows = []
    for family in ("poisson", "binomial", "gamma", "negative_binomial", "nb1"):
        if family not in installed:
            print(f"{family} not installed: skipped", file=sys.stderr)
            continue
        y, X = simulate(family, args.n)
        mine = median_seconds(lambda: ours(family, y, X), args.repeat)
        theta = None
        if family == "negative_binomial":
            res = mlefit.fit_arrays(y, X, family)
            theta = float(np.exp(res.params[("theta", "Intercept")]))
        competitors = [("glum", lambda: glum_fit(family, y, X, theta)),
                       ("statsmodels", lambda: statsmodels_fit(family, y, X))]
        for name, fn in competitors[family == "nb1":]:   # glum has no NB1
            theirs = median_seconds(fn, args.repeat)
            rows.append({"family": family, "competitor": name, "mlefit s": mine,
                         "competitor s": theirs, "ratio": mine / theirs})
        print(f"{family} done", file=sys.stderr)
    rng = np.random.default_rng(1)
    X = design(args.n, rng)
    y = X @ np.linspace(1, -1, P) + rng.normal(size=args.n) * np.exp(0.3 * X[:, 1])
    plain = median_seconds(lambda: mlefit.fit_arrays(y, X, "gaussian").bse, args.repeat)
    dist = median_seconds(lambda: mlefit.fit_arrays(y, X, "gaussian",
                                                    designs={"sigma": X[:, :2]}).bse,
                          args.repeat)
    rows.append({"family": "gaussian, sigma ~ x", "competitor": "plain gaussian (mlefit)",
                 "mlefit s": dist, "competitor s": plain, "ratio": dist / plain})
    print(f"Machine: {machine()}; n = {args.n}, p = {P}\n")
    print(markdown(rows, ["family", "competitor", "mlefit s", "competitor s", "ratio"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
