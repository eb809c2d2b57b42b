"""Out-of-core fits on one machine: mlefit on a Dask frame read from Parquet, against the
in-memory engine's throughput on a slice and against dask-glm.

    python bench/bench_out_of_core.py [--n 50000000] [--p 10] [--workers 2]
        [--memory-limit auto] [--dir /tmp/mlefit-ooc] [--families poisson gaussian]
        [--slice 2000000] [--no-dask-glm] [--mmap-threshold 67108864]

Data: ``n`` rows, ``p`` N(0, 0.3^2) covariates and two responses (a poisson count and a
gaussian), written once to Parquet in files of 2.5e5 rows (``--dir``; reused when the
files are there with the same ``n`` and ``p``). The design is ``n x (p + 1)`` float64:
4.4 GB at the default ``n = 5e7``, ``p = 10``.

Per family, on a ``LocalCluster`` of ``--workers`` worker processes (one thread each)
whose ``memory_limit`` adds up to less than the design (``auto``: half the design's
bytes over the workers, at least 1 GB each; the table says whether the total is below
the design):

* ``mlefit.fit("y ~ x1 + ... + xp", dd.read_parquet(dir), family, persist=False)``: each
  pass re-reads the Parquet files and rebuilds the designs on the workers; reported: the
  wall time (the whole fit: the structure pass, start values, Newton, the covariance),
  Newton iterations, time per iteration, passes over the data, time per pass, rows per second
  (``n x passes / time``) and the driver's peak memory (tracemalloc peak of the Python
  heap during the fit, and the process's peak RSS);
* the in-memory engine on the first ``--slice`` rows (a pandas frame; formula fit):
  rows per second the same way (``rows x passes / time``, the objective's pass count);
* dask-glm's ``newton`` (no standard errors, no formula) on the same Parquet data as a
  dask array with an intercept column: wall time, and the ratio mlefit / dask-glm.

``--mmap-threshold BYTES`` sets glibc's ``MALLOC_MMAP_THRESHOLD_`` in the workers'
environment (``distributed.nanny.pre-spawn-environ``). The nanny sets
``MALLOC_TRIM_THRESHOLD_=65536``, and setting any malloc tunable turns off glibc's
adaptive mmap threshold: every array above 128 KiB is then a fresh ``mmap`` whose pages
fault in on first touch. A partition's pass allocates a few hundred MB of such arrays
(Parquet columns, formulaic's model matrix, the design), and at n = 2e6 the workers spent
twice as long per pass as with a 64 MiB threshold (docs/dask.md, "Speed").

Times are single runs (a full-size fit takes minutes); the ratios compare runs on the
same cluster in the same process. Run at full size by the lead; the CI-sized check is
``--n 2000000``.
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from harness import machine, markdown, versions

import mlefit

ROWS_PER_FILE = 250_000


def write(directory: Path, n: int, p: int, seed: int = 0) -> None:
    """The Parquet files (skipped when they are there for this ``n`` and ``p``)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    stamp = directory / f"_n{n}_p{p}"
    if stamp.exists():
        return
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("*.parquet"):
        old.unlink()
    rng = np.random.default_rng(seed)
    beta = np.linspace(-0.5, 0.5, p)
    for i, start in enumerate(range(0, n, ROWS_PER_FILE)):
        m = min(ROWS_PER_FILE, n - start)
        X = rng.normal(scale=0.3, size=(m, p))
        eta = 0.5 + X @ beta
        cols = {f"x{j + 1}": X[:, j] for j in range(p)}
        cols["count"] = rng.poisson(np.exp(eta)).astype(float)
        cols["z"] = eta + rng.normal(scale=2.0, size=m)
        pq.write_table(pa.table(cols), directory / f"part-{i:05d}.parquet")
    stamp.touch()


def formula(response: str, p: int) -> str:
    return f"{response} ~ " + " + ".join(f"x{j + 1}" for j in range(p))


RESPONSE = {"poisson": "count", "gaussian": "z"}


def fit_dask(directory: Path, family: str, p: int) -> dict:
    import dask.dataframe as dd

    ddf = dd.read_parquet(str(directory))
    tracemalloc.start()
    start = time.perf_counter()
    res = mlefit.fit(formula(RESPONSE[family], p), ddf, family, persist=False,
                     progress=False)
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    passes = res._context.source.objective.passes
    return {"res": res, "seconds": seconds, "passes": passes, "heap": peak,
            "iterations": res.diagnostics.iterations}


def fit_memory(directory: Path, family: str, p: int, rows: int) -> dict:
    import pyarrow.parquet as pq

    files = sorted(directory.glob("*.parquet"))[: max(1, -(-rows // ROWS_PER_FILE))]
    frame = pd.concat([pq.read_table(f).to_pandas() for f in files]).head(rows)
    frame = frame.reset_index(drop=True)
    from mlefit.engine import Objective

    count, evaluate = [0], Objective.evaluate

    def counted(self, *args, **kwargs):     # every objective of the fit, frozen ones too
        count[0] += 1
        return evaluate(self, *args, **kwargs)

    Objective.evaluate = counted
    try:
        start = time.perf_counter()
        mlefit.fit(formula(RESPONSE[family], p), frame, family)
        seconds = time.perf_counter() - start
    finally:
        Objective.evaluate = evaluate
    return {"seconds": seconds, "passes": count[0], "rows": len(frame)}


def fit_dask_glm(directory: Path, family: str, p: int) -> float | None:
    try:
        from dask_glm.algorithms import newton
        from dask_glm.families import Normal, Poisson
    except ImportError:
        return None
    import dask.array as da
    import dask.dataframe as dd

    ddf = dd.read_parquet(str(directory))
    both = ddf[[f"x{j + 1}" for j in range(p)] + [RESPONSE[family]]].to_dask_array()
    both = both.compute_chunk_sizes()      # one pass: the partitions' lengths
    X, y = both[:, :p], both[:, p]
    X = da.concatenate([da.ones((X.shape[0], 1), chunks=(X.chunks[0], 1)), X], axis=1)
    start = time.perf_counter()
    newton(X, y, family=Poisson if family == "poisson" else Normal)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=float, default=5e7)
    ap.add_argument("--p", type=int, default=10)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--memory-limit", default="auto")
    ap.add_argument("--dir", default="/tmp/mlefit-ooc")
    ap.add_argument("--families", nargs="+", default=["poisson", "gaussian"])
    ap.add_argument("--slice", type=float, default=2e6)
    ap.add_argument("--no-dask-glm", action="store_true")
    ap.add_argument("--mmap-threshold", type=int, default=None,
                    help="glibc MALLOC_MMAP_THRESHOLD_ of the workers (default: unset)")
    args = ap.parse_args()
    import dask
    from distributed import Client, LocalCluster

    if args.mmap_threshold is not None:
        dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_MMAP_THRESHOLD_":
                         args.mmap_threshold})

    n, p = int(args.n), args.p
    directory = Path(args.dir)
    start = time.perf_counter()
    write(directory, n, p)
    print(f"data: {n} rows x {p} covariates in {directory} "
          f"({time.perf_counter() - start:.1f} s to write or find)")
    design = n * (p + 1) * 8
    limit = max(design // (2 * args.workers), 2**30) if args.memory_limit == "auto" \
        else int(float(args.memory_limit))
    dask_fits, glm = {}, {}
    with LocalCluster(n_workers=args.workers, threads_per_worker=1, memory_limit=limit,
                      dashboard_address=":0") as cluster, Client(cluster):
        for family in args.families:     # the Dask fits first: the driver's peak RSS
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", mlefit.MlefitWarning)
                dask_fits[family] = fit_dask(directory, family, p)
            dask_fits[family]["rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            print(f"{family}: Dask {dask_fits[family]['seconds']:.1f} s", flush=True)
        for family in args.families:
            glm[family] = None if args.no_dask_glm else fit_dask_glm(directory, family, p)
            print(f"{family}: dask-glm {glm[family]} s", flush=True)
    rows = []
    for family in args.families:
        got = dask_fits[family]
        mem = fit_memory(directory, family, p, int(min(args.slice, n)))
        rate = n * got["passes"] / got["seconds"]
        rate_mem = mem["rows"] * mem["passes"] / mem["seconds"]
        g = glm[family]
        rows.append({
            "family": family, "n": f"{n:.3g}", "time (s)": got["seconds"],
            "iterations": got["iterations"], "passes": got["passes"],
            "s / iteration": got["seconds"] / max(got["iterations"], 1),
            "s / pass": got["seconds"] / got["passes"], "rows/s (Dask)": rate,
            "rows/s (in memory, slice)": rate_mem, "Dask / in memory": rate / rate_mem,
            "driver heap peak (MB)": got["heap"] / 2**20,
            "driver RSS peak (MB)": got["rss"] * 1024 / 2**20,
            "dask-glm (s)": "absent" if g is None else f"{g:.3g}",
            "mlefit / dask-glm": "" if g is None else f"{got['seconds'] / g:.3g}"})
    print(f"\n{machine()}")
    print(versions("dask", "distributed", "dask-glm", "pyarrow"))
    print(f"{args.workers} workers x {limit / 2**20:.0f} MB = "
          f"{args.workers * limit / 2**20:.0f} MB; design {design / 2**20:.0f} MB "
          f"({'below' if args.workers * limit < design else 'NOT below: raise --n'}); "
          f"workers' MALLOC_MMAP_THRESHOLD_ {args.mmap_threshold or 'unset'}\n")
    print(markdown(rows, list(rows[0])))


if __name__ == "__main__":
    main()
