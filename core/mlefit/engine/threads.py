"""How a pass over the rows uses the machine's cores.

The kernel's products are on cache-sized blocks (1 MiB of design), where a second BLAS
thread costs more than it gives: on the project's 2-core machine a Gaussian fit at
n = 1e6, p = 10 took 1.5 s with OpenBLAS's default two threads per product and 0.5 s
with one (``docs/benchmarks.md`` has the measurements). So during a pass BLAS is held to
one thread (by threadpoolctl, the ``threads`` extra; without it BLAS keeps its default),
and the blocks themselves are shared between :func:`workers` threads instead (numpy
releases the GIL inside its loops). The partial sums are added in block order whatever
the number of threads, so a fit is bit-for-bit the same with one thread or many.

``MLEFIT_THREADS`` sets the number of threads (default: the number of CPUs the process
may use, at most 8); ``MLEFIT_THREADS=1`` runs every pass in the calling thread.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

__all__ = ["MAX_WORKERS", "blas_single", "run", "workers"]

#: the most threads a pass uses by default
MAX_WORKERS = 8

_pool: ThreadPoolExecutor | None = None
_pool_size = 0


def workers() -> int:
    """Threads per pass: ``MLEFIT_THREADS``, else the CPUs available (at most 8)."""
    given = os.environ.get("MLEFIT_THREADS")
    if given:
        try:
            return max(1, int(given))
        except ValueError:
            return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:      # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(MAX_WORKERS, cpus))


_controller = None


def blas_single():
    """A context in which BLAS uses one thread (a no-op without threadpoolctl). The
    libraries are looked up once per process (threadpoolctl's controller)."""
    global _controller
    if _controller is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:
            _controller = False
        else:
            _controller = ThreadpoolController()
    if _controller is False:
        return contextlib.nullcontext()
    return _controller.limit(limits=1, user_api="blas")


def _executor(size: int) -> ThreadPoolExecutor:
    global _pool, _pool_size
    if _pool is None or _pool_size != size:
        _pool = ThreadPoolExecutor(max_workers=size, thread_name_prefix="mlefit-pass")
        _pool_size = size
    return _pool


def run(fn: Callable, items: Iterable, blocks: int) -> list:
    """``[fn(item) for item in items]``, the items shared between threads when there are
    several blocks and several workers; results in the items' order."""
    size = min(workers(), blocks)
    with blas_single():
        if size <= 1:
            return [fn(item) for item in items]
        return list(_executor(size).map(fn, items))
