"""Censored Weibull regression (issue 17): mlefit against lifelines' WeibullAFTFitter.

    python bench/bench_survival.py --n 100000 1000000 --p 10 --repeat 3 [--json PATH]

For each n: ``p`` columns (an intercept and ``p - 1`` N(0, 0.3^2) covariates), Weibull
times with shape 1.5 and log-scale ``X beta``, and exponential censoring times whose rate
is set (by bisection on the sample) so that 30% of the rows are right-censored.

Timed in this process on the same arrays, medians of ``--repeat`` rounds after one warm-up;
each round runs the three fits below in turn, so a load that comes and goes on a shared
machine weighs on each alike, and the censored / uncensored ratios are medians of the
rounds' ratios (fits timed seconds apart):

* mlefit: ``fit_arrays(Surv(t, e), X, family="weibull")`` (estimates, observed-information
  standard errors, log-likelihood);
* lifelines: ``WeibullAFTFitter().fit(df, "T", "E")`` with the same columns (it computes
  its standard errors in ``fit``); the ratio mlefit / lifelines is the target (<= 0.1);
* mlefit on the uncensored times (every row exact) of the same design: the time per
  Newton iteration and per kernel pass censored / uncensored is the second target
  (<= 1.5).

Equal work: both programs maximise the same log-likelihood; the table gives the largest
coefficient difference in units of mlefit's standard errors and the log-likelihood
difference (lifelines stops at its default tolerance).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from harness import machine, markdown, versions

import mlefit

SHAPE = 1.5
CENSORED = 0.3


def simulate(n: int, p: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.normal(scale=0.3, size=(n, p - 1))])
    beta = np.r_[1.0, rng.uniform(-0.5, 0.5, p - 1)]
    t = np.exp(X @ beta) * rng.weibull(SHAPE, n)
    u = rng.standard_exponential(n)
    lo, hi = 1e-6, 1e3     # bisection on the censoring rate: 30% censored
    for _ in range(60):
        rate = np.sqrt(lo * hi)
        share = np.mean(u / rate < t)
        lo, hi = (lo, rate) if share > CENSORED else (rate, hi)
    c = u / np.sqrt(lo * hi)
    time_ = np.minimum(t, c)
    event = (t <= c).astype(float)
    return X, t, time_, event


def rounds(fns, repeat: int) -> list[list[float]]:
    """Wall times of ``repeat`` rounds, each calling every one of ``fns`` in turn (the
    caller has warmed them up): one list of times per function."""
    times = [[] for _ in fns]
    for _ in range(repeat):
        for got, fn in zip(times, fns, strict=True):
            start = time.perf_counter()
            fn()
            got.append(time.perf_counter() - start)
    return times


def one(n: int, p: int, repeat: int) -> dict:
    X, latent, t, e = simulate(n, p)
    surv = mlefit.Surv(t, e)

    def ours():
        return mlefit.fit_arrays(surv, X, family="weibull")

    def exact():
        return mlefit.fit_arrays(latent, X, family="weibull")

    from lifelines import WeibullAFTFitter
    df = pd.DataFrame(X[:, 1:], columns=[f"x{i}" for i in range(1, p)])
    df["T"], df["E"] = t, e

    def theirs():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return WeibullAFTFitter().fit(df, "T", "E")

    res, res_exact, aft = ours(), exact(), theirs()
    times = rounds([ours, exact, theirs], repeat)
    t_ours, t_exact, t_theirs = (statistics.median(t) for t in times)
    names = [f"x{i}" for i in range(1, p)] + ["Intercept"]
    lam = aft.params_["lambda_"][names].to_numpy()
    mine = np.r_[res.params["mu"].to_numpy()[1:], res.params["mu"].to_numpy()[0]]
    se = np.r_[res.bse["mu"].to_numpy()[1:], res.bse["mu"].to_numpy()[0]]
    passes = res._context.objective.passes
    passes_exact = res_exact._context.objective.passes
    it, it_exact = res.diagnostics.iterations, res_exact.diagnostics.iterations
    return {
        "n": n, "p": p, "censored": float(np.mean(e == 0)),
        "mlefit s": t_ours, "lifelines s": t_theirs,
        "mlefit / lifelines": statistics.median(a / b for a, b in zip(times[0], times[2],
                                                                      strict=True)),
        "uncensored s": t_exact, "iterations": f"{it} / {it_exact}",
        "per iteration censored / uncensored": statistics.median(
            (a / max(it, 1)) / (b / max(it_exact, 1))
            for a, b in zip(times[0], times[1], strict=True)),
        "per pass censored / uncensored": statistics.median(
            (a / passes) / (b / passes_exact) for a, b in zip(times[0], times[1], strict=True)),
        "max |coef diff| / SE": float(np.max(np.abs(mine - lam) / se)),
        "llf mlefit - lifelines": res.llf - aft.log_likelihood_,
    }


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--p", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    rows = []
    for n in args.n:
        start = time.perf_counter()
        rows.append(one(n, args.p, args.repeat))
        print(f"n = {n}: {time.perf_counter() - start:.1f} s", file=sys.stderr)
    print(machine())
    print(versions("mlefit", "lifelines", "numpy", "scipy", "autograd"))
    print(f"medians of {args.repeat} interleaved rounds after a warm-up (ratios: medians of "
          "the rounds' ratios); 30% right-censored Weibull\n")
    print(markdown(rows, list(rows[0])))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
