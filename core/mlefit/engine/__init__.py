"""The engine: maximise a log-likelihood on the linear-predictor scale.

It sees numpy arrays only (no pandas, no formulaic) and no particular family.
"""

from __future__ import annotations

import numpy as np

from .dispersion import DispersionSpec, applies, base_offset, maximize_split, pearson_unit
from .kernel import Sums, Want
from .newton import Point, Solution, newton
from .objective import Block, Objective, Rows
from .scipy_methods import METHODS as SCIPY_METHODS
from .scipy_methods import maximize_scipy

__all__ = ["Block", "DispersionSpec", "Objective", "Point", "Rows", "Solution", "Sums", "Want",
           "base_offset", "maximize", "pearson_unit"]

METHODS = ("newton", *SCIPY_METHODS)


def maximize(obj: Objective, beta0: np.ndarray, *, method: str = "newton",
             dispersion: DispersionSpec | None = None, maxiter: int = 100,
             tol: float = 1e-12) -> Solution:
    """Maximise ``obj`` from ``beta0`` by ``method`` (``"newton"`` or a scipy name)."""
    if method != "newton":
        return maximize_scipy(obj, beta0, method, maxiter=max(maxiter, 1000))
    if applies(obj, dispersion):
        return maximize_split(obj, beta0, dispersion, maxiter=maxiter, tol=tol)
    return newton(obj, beta0, maxiter=maxiter, tol=tol)
