"""mlefit's formula path: its time outside formulaic, and the ratio to smf.glm.

    python bench/bench_formula_overhead.py [--n 300000] [--repeat 5] [--families ...]

Data: n rows, 8 N(0, 1) covariates (N(0, 0.3^2) for poisson) and one 4-level text column
g; formula ``y ~ x1 + ... + x8 + C(g)`` (12 columns). Per family, on the same data frame:

* ``mlefit.fit(formula, frame, family).bse`` (the formula path);
* ``formulaic.model_matrix(formula, frame)`` alone (formulaic's own time);
* ``mlefit.fit_arrays(y, X, family).bse`` on that design as one C-contiguous float64
  matrix (the arrays path: the engine's time);
* ``mlefit.formula.build`` alone (the model frame: formulaic plus mlefit's checks,
  missing-value mask and design layout);
* ``smf.glm(formula, frame, family=...).fit().bse``.

The calls are interleaved, one of each per round, ``repeat`` rounds after a warm-up, and
the medians reported (interleaving spreads a busy machine's load over all of them).
``--clock cpu`` times with ``time.process_time`` (this process's CPU time, all threads)
instead of the wall clock: robust to other processes for the single-threaded model frame,
not for fits whose BLAS threads wait or spin.
Overhead = formula fit - model_matrix - fit_arrays, also as a share of model_matrix; the
frame overhead (build - model_matrix) is the part of it that does not depend on the
engine, and the less noisy number.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from harness import machine

import mlefit
from mlefit import formula as formulas_

K = 8
FORMULA = "y ~ " + " + ".join(f"x{i}" for i in range(1, K + 1)) + " + C(g)"


def data(n: int, family: str, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.normal(size=(n, K)) * (0.3 if family == "poisson" else 1.0),
                         columns=[f"x{i}" for i in range(1, K + 1)])
    frame["g"] = rng.choice(["a", "b", "c", "d"], size=n)
    eta = 0.5 + frame.iloc[:, :K].to_numpy() @ np.linspace(-0.5, 0.5, K) \
        + frame["g"].map({"a": 0.0, "b": 0.2, "c": -0.1, "d": 0.3}).to_numpy()
    frame["y"] = rng.poisson(np.exp(eta)) if family == "poisson" \
        else eta + rng.normal(scale=2.0, size=n)
    return frame


def interleaved(calls: dict, repeat: int, clock=time.perf_counter) -> dict[str, float]:
    """Median time of each call, one call of each per round (after a warm-up)."""
    times: dict[str, list[float]] = {name: [] for name in calls}
    for fn in calls.values():
        fn()
    for _ in range(repeat):
        for name, fn in calls.items():
            start = clock()
            fn()
            times[name].append(clock() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def main(argv=None) -> int:
    import formulaic
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--families", nargs="+", default=["gaussian", "poisson"])
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall")
    args = parser.parse_args(argv)
    clock = time.perf_counter if args.clock == "wall" else time.process_time
    print(machine())
    print(f"load average before: {os.getloadavg()[0]:.2f} (1 min), clock: {args.clock}")
    print(f"mlefit from {Path(mlefit.__file__).parent}")
    print(f"n = {args.n}, formula {FORMULA!r}, medians of {args.repeat} interleaved rounds\n")
    print("| family | formula fit s | model_matrix s | fit_arrays s | overhead s | "
          "overhead / model_matrix | build s | build - model_matrix s | smf.glm s | "
          "formula fit / smf.glm |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for family in args.families:
        frame = data(args.n, family)
        sm_family = sm.families.Poisson() if family == "poisson" else sm.families.Gaussian()
        mm = formulaic.model_matrix(FORMULA, frame)
        y = mm.lhs.to_numpy(dtype=float)[:, 0]
        X = np.ascontiguousarray(mm.rhs.to_numpy(dtype=float))
        ref = mlefit.fit(FORMULA, frame, family)
        np.testing.assert_allclose(mlefit.fit_arrays(y, X, family).params.to_numpy(),
                                   ref.params.to_numpy(), rtol=1e-9, atol=1e-12)
        params = mlefit.get_family(family)[0].parameter_names
        formulas = {params[0]: FORMULA, **{p: "~ 1" for p in params[1:]}}

        def glm():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return smf.glm(FORMULA, frame, family=sm_family).fit().bse

        t = interleaved({
            "formula": lambda: mlefit.fit(FORMULA, frame, family).bse,
            "model_matrix": lambda: formulaic.model_matrix(FORMULA, frame),
            "arrays": lambda: mlefit.fit_arrays(y, X, family).bse,
            "build": lambda: formulas_.build(formulas, frame),
            "glm": glm}, args.repeat, clock)
        over = t["formula"] - t["model_matrix"] - t["arrays"]
        print(f"| {family} | {t['formula']:.3f} | {t['model_matrix']:.4f} | "
              f"{t['arrays']:.3f} | {over:.4f} | {over / t['model_matrix']:.0%} | "
              f"{t['build']:.4f} | {t['build'] - t['model_matrix']:.4f} | {t['glm']:.3f} | "
              f"{t['formula'] / t['glm']:.2f} |", flush=True)
    print(f"\nload average after: {os.getloadavg()[0]:.2f} (1 min)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
