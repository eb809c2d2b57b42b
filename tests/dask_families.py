"""A logpdf-only family for the Dask tests: a module of its own, so that the worker
processes of a LocalCluster can import it (tests/ is on their path through pytest's
rootdir; the family pickles by reference to this module)."""

import numpy as np

from mlefit import Family, Parameter
from mlefit.domains import Positive, Real

__all__ = ["LogisticLogpdf"]


class LogisticLogpdf(Family):
    """The logistic distribution with only a logpdf: numeric derivatives in the kernel."""

    name = "logistic_logpdf_dask_test"
    parameters = (Parameter("mu", Real(), "identity"), Parameter("s", Positive(), "log"))
    support = Real()

    def logpdf(self, y, mu, s):
        z = (y - mu) / s
        return -np.log(s) - z - 2.0 * np.logaddexp(0.0, -z)
