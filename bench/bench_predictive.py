"""The predictive distribution's numerics against scipy on the same arrays.

    python bench/bench_predictive.py [--n 1000000] [--repeat 3]

Per row parameters (n rows), medians of ``repeat`` runs, ratio mlefit / scipy:

* the generic quantile function (the cdf inverted by bisection on the log scale,
  ``mlefit.postestimation.predictive.ppf``) on the gamma, which has no ``ppf`` of its
  own, against ``scipy.stats.gamma.ppf`` (Boost's inverse incomplete gamma);
* the discrete inversion on the negative binomial against ``scipy.stats.nbinom.ppf``;
* the negative binomial's ``logsf`` (incomplete beta, tail sums, Poisson limit) against
  ``scipy.stats.nbinom.logsf``, at theta = 5 (the incomplete beta regime) and theta =
  1e6 (the summed tail).
"""

from __future__ import annotations

import argparse

import numpy as np
from harness import machine, markdown, median_seconds
from scipy import stats

from mlefit.postestimation.predictive import ppf
from mlefit.registry import get_registry


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    n, rng = args.n, np.random.default_rng(0)
    q = rng.uniform(0.001, 0.999, n)
    mu = np.exp(rng.normal(size=n))
    gamma, nb = get_registry().family("gamma"), get_registry().family("negative_binomial")
    shape = np.full(n, 2.5)
    y = rng.poisson(mu * 3).astype(float)
    rows = []
    cases = [
        ("gamma quantile (cdf inverted)",
         lambda: ppf(gamma, q, {"mu": mu, "shape": shape}),
         lambda: stats.gamma.ppf(q, shape, scale=mu / shape)),
        ("NB quantile (integer bisection)",
         lambda: ppf(nb, q, {"mu": mu, "theta": np.full(n, 5.0)}),
         lambda: stats.nbinom.ppf(q, 5.0, 5.0 / (5.0 + mu))),
    ]
    for theta in (5.0, 1e6):
        th = np.full(n, theta)
        cases.append((f"NB logsf, theta = {theta:g}",
                      lambda th=th: nb.logsf(y, mu, th),
                      lambda th=th: stats.nbinom.logsf(y, th, th / (th + mu))))
    for name, ours, theirs in cases:
        a, b = median_seconds(ours, args.repeat), median_seconds(theirs, args.repeat)
        rows.append({"quantity": name, "mlefit s": a, "scipy s": b, "ratio": a / b})
    print(f"n = {n}, median of {args.repeat}; {machine()}")
    print(markdown(rows, ["quantity", "mlefit s", "scipy s", "ratio"]))


if __name__ == "__main__":
    main()
