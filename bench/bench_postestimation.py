"""Marginal effects and marginal means beside the fit, and against statsmodels.

    python bench/bench_postestimation.py [--n 1000000] [--repeat 3]

Data: n rows, 8 N(0, 1) covariates and a 4-level text column g, a binary response;
``disease ~ x1 + ... + x8 + C(g)`` with the binomial family (p = 12 columns). On the same
data frame, in this process, interleaved one call of each per round after a warm-up
(medians of ``repeat`` rounds):

* ``mlefit.fit(...)`` (the formula path);
* ``res.marginal_effects()``: the AME of the 9 variables (8 derivatives: two passes each
  over the rows, the design rebuilt a block at a time; the factor: one pass per level);
* ``mlefit.emmeans(res, "g")`` and its Tukey ``pairs()`` (a 4-row reference grid);
* statsmodels: ``Logit(y, X).fit()`` and ``get_margeff(at="overall", dummy=True)`` on
  the design as one matrix (its effects are analytic in the coefficients; it allocates
  n-by-p arrays).

Memory: the peak that ``marginal_effects()`` allocates (tracemalloc) beside the design's
``n p 8`` bytes: the blocks keep it at a fixed size (``reference_data.BLOCK_BYTES`` of
design per block, plus the block's copy of the data columns).
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np
import pandas as pd
from harness import machine, peak_memory, versions

import mlefit

K = 8
FORMULA = "disease ~ " + " + ".join(f"x{i}" for i in range(1, K + 1)) + " + C(g)"


def data(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.normal(size=(n, K)), columns=[f"x{i}" for i in range(1, K + 1)])
    frame["g"] = rng.choice(["a", "b", "c", "d"], size=n)
    eta = -0.2 + frame.iloc[:, :K].to_numpy() @ np.linspace(-0.4, 0.4, K) \
        + frame["g"].map({"a": 0.0, "b": 0.3, "c": -0.2, "d": 0.5}).to_numpy()
    frame["disease"] = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float)
    return frame


def interleaved(calls: dict, repeat: int) -> dict[str, float]:
    times: dict[str, list[float]] = {name: [] for name in calls}
    for fn in calls.values():
        fn()
    for _ in range(repeat):
        for name, fn in calls.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    import statsmodels.api as sm

    frame = data(args.n)
    res = mlefit.fit(FORMULA, frame, family="binomial")
    X = sm.add_constant(pd.get_dummies(frame.drop(columns="disease"), columns=["g"],
                                       drop_first=True, dtype=float)).to_numpy()
    y = frame["disease"].to_numpy()

    def sm_margeff():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = sm.Logit(y, X).fit(disp=0)
            return fit.get_margeff(at="overall", dummy=True).summary_frame()

    calls = {
        "mlefit fit": lambda: mlefit.fit(FORMULA, frame, family="binomial"),
        "mlefit marginal_effects": lambda: res.marginal_effects(),
        "mlefit emmeans + pairs": lambda: mlefit.emmeans(res, "g").pairs(),
        "statsmodels Logit fit + get_margeff": sm_margeff,
    }
    times = interleaved(calls, args.repeat)
    print(f"# bench_postestimation: n = {args.n}, p = {X.shape[1]}, binomial logit")
    print(f"# {machine()}")
    print(f"# {versions('mlefit', 'statsmodels', 'formulaic', 'pandas')}")
    fit = times["mlefit fit"]
    print("| call | median s | / mlefit fit |")
    print("|---|---|---|")
    for name, t in times.items():
        print(f"| {name} | {t:.3g} | {t / fit:.3g} |")
    ours = times["mlefit fit"] + times["mlefit marginal_effects"]
    print(f"\nfit + marginal effects, mlefit / statsmodels: "
          f"{ours / times['statsmodels Logit fit + get_margeff']:.3g}")
    peak = peak_memory(lambda: res.marginal_effects())
    design = X.size * 8
    print(f"peak allocated by marginal_effects(): {peak / 2**20:.1f} MiB; the design "
          f"(n p 8 bytes): {design / 2**20:.1f} MiB; ratio {peak / design:.2f}")


if __name__ == "__main__":
    main()
