"""Influence measures beside a fit: mlefit's ``res.influence()`` and statsmodels'
``GLMInfluence`` on the same logistic regression, in this process.

    python bench/bench_influence.py [--sizes 100000 1000000] [--repeat 3]

Data: n rows, p = 10 columns (intercept and nine normal covariates), a binomial-logit
response. Reported per size: medians of ``repeat`` runs of mlefit's fit (from arrays),
``res.influence()`` (hat values, Cook's distance, standardized and studentized residuals
and dfbetas), statsmodels' GLM fit and its ``get_influence()`` with the same measures
(``hat_matrix_diag``, ``cooks_distance``, ``resid_studentized``, ``dfbetas``), the ratios
of medians mlefit / statsmodels, and mlefit's peak memory of ``influence()`` against the
design's size (the n-by-p dfbetas output is the one n-by-p array it allocates).
"""

from __future__ import annotations

import argparse
import json
import warnings

import numpy as np
import statsmodels.api as sm
from harness import machine, markdown, median_seconds, peak_memory

import mlefit

P = 10


def data(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.normal(size=(n, P - 1))])
    eta = X @ np.linspace(-0.5, 0.5, P)
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-eta))).astype(float)
    return y, X


def statsmodels_influence(res):
    infl = res.get_influence(observed=False)
    return (infl.hat_matrix_diag, infl.cooks_distance[0], infl.resid_studentized,
            infl.dfbetas)


def run(n: int, repeat: int) -> dict:
    y, X = data(n)
    fit = mlefit.fit_arrays(y, X, "binomial")
    ref = sm.GLM(y, X, family=sm.families.Binomial()).fit()
    row = {"n": n,
           "mlefit fit (s)": median_seconds(lambda: mlefit.fit_arrays(y, X, "binomial"),
                                            repeat),
           "mlefit influence (s)": median_seconds(fit.influence, repeat),
           "statsmodels fit (s)": median_seconds(
               lambda: sm.GLM(y, X, family=sm.families.Binomial()).fit(), repeat)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        row["statsmodels influence (s)"] = median_seconds(lambda: statsmodels_influence(ref),
                                                          repeat)
    row["influence ratio"] = row["mlefit influence (s)"] / row["statsmodels influence (s)"]
    row["influence / fit"] = row["mlefit influence (s)"] / row["mlefit fit (s)"]
    row["influence peak / design"] = peak_memory(fit.influence) / X.nbytes
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = [run(n, args.repeat) for n in args.sizes]
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(machine())
    print(markdown(rows, list(rows[0])))


if __name__ == "__main__":
    main()
