"""Timing helpers shared by the benchmarks: medians of repeated runs, ratio tables.

Every competitor runs in the same process on the same arrays; the numbers reported are
medians of ``repeat`` wall-clock runs, and ratios are mlefit / competitor.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
import tracemalloc
from collections.abc import Callable
from datetime import date

import numpy as np


def median_seconds(fn: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``repeat`` calls (one untimed warm-up call first)."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def peak_memory(fn: Callable[[], object]) -> int:
    """Peak bytes allocated by ``fn`` (tracemalloc; inputs allocated before are excluded)."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    base, _ = tracemalloc.get_traced_memory()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak - base


def machine() -> str:
    try:
        from threadpoolctl import threadpool_info

        blas = ", ".join(" ".join(str(i[k]) for k in ("internal_api", "version",
                                                      "architecture") if i.get(k))
                         + f" ({i.get('num_threads')} threads)" for i in threadpool_info())
    except ImportError:  # optional
        blas = "unknown BLAS"
    return (f"{date.today().isoformat()}, {platform.processor() or platform.machine()}, "
            f"{os.cpu_count()} cores, Python {platform.python_version()}, numpy "
            f"{np.__version__}, {blas}")


def versions(*packages: str) -> str:
    """``"name version, ..."`` of the installed packages (``absent`` when not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    def one(name):
        try:
            return version(name)
        except PackageNotFoundError:
            return "absent"

    return ", ".join(f"{name} {one(name)}" for name in packages)


def markdown(rows: list[dict], columns: list[str]) -> str:
    head = "| " + " | ".join(columns) + " |"
    rule = "|" + "|".join("---" for _ in columns) + "|"
    body = ["| " + " | ".join(_cell(r.get(c, "")) for c in columns) + " |" for r in rows]
    return "\n".join([head, rule, *body])


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)
