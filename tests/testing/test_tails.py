"""The conformance kit's ``tails`` topic: logcdf / logsf against the density, their
derivatives against differences, and the upper-tail accuracy report.

A reference Poisson with every tail method from scipy (independent of the built-in
family's code) passes; mutants with one defect each fail the check named beside them.
The built-in families run the topic in test_conformance.py (every check, every family).
"""

import re

import numpy as np
import pytest
from scipy import special, stats

from mlefit import Family, Parameter
from mlefit.domains import NonNegativeIntegers, Positive, Real
from mlefit.testing import check_family, family_checks

TOPIC = ["cdf", "log_cdf", "log_cdf_derivatives", "tail_accuracy"]


class TailCounts(Family):
    """Poisson with scipy's cdf, logcdf, logsf and their mu-derivatives."""

    name = "kit_tail_counts"
    support = NonNegativeIntegers()
    parameters = (Parameter("mu", Positive(), typical=(0.5, 8.0)),)

    def logpdf(self, y, mu):
        value = special.xlogy(y, mu) - mu - special.gammaln(y + 1.0)
        return np.where(self.support.contains(y), value, -np.inf)

    def cdf(self, y, mu):
        return stats.poisson.cdf(y, mu)

    def logcdf(self, y, mu):
        return np.log(special.pdtr(y, mu))

    def logsf(self, y, mu):
        return np.log(special.pdtrc(y, mu))   # P(k + 1, mu): accurate far out

    def dlogcdf(self, y, mu):
        return {"mu": -stats.poisson.pmf(y, mu) / stats.poisson.cdf(y, mu)}

    def dlogsf(self, y, mu):
        return {"mu": stats.poisson.pmf(y, mu) / stats.poisson.sf(y, mu)}

    def sample(self, rng, size, mu):
        return rng.poisson(mu, size=size).astype(float)


class CdfOnlyNormal(Family):
    name = "kit_cdf_only_normal"
    support = Real()
    parameters = (Parameter("mu", Real()), Parameter("sigma", Positive()))

    def logpdf(self, y, mu, sigma):
        return stats.norm.logpdf(y, mu, sigma)

    def cdf(self, y, mu, sigma):
        return special.ndtr((y - mu) / sigma)


def mutant(base, **methods):
    return type(f"Mutant{base.__name__}", (base,), methods)()


def test_reference_passes_the_topic():
    report = check_family(TailCounts(), TOPIC)
    assert report.passed == tuple(TOPIC)
    note = report["tail_accuracy"].message
    assert "from logsf" in note


def test_cdf_only_family_gets_the_tail_report():
    """log1p(-cdf) at S = 1e-6 is off by ~eps / S = 2e-10, at S = 1e-12 by ~1e-4; the
    report gives those orders (the reference tail integrated to 1e-12)."""
    report = family_checks(CdfOnlyNormal(), TOPIC)
    assert report["log_cdf"].status == "skipped"
    msg = report["tail_accuracy"].message
    assert report["tail_accuracy"].status == "passed"
    errors = [float(v) for v in re.findall(r"off by ([0-9.e+-]+) at", msg)
              + re.findall(r", ([0-9.e+-]+) at S=1e-12", msg)]
    assert 1e-12 < errors[0] < 1e-8          # S = 1e-6
    assert 1e-6 < errors[1] < 1e-2           # S = 1e-12


@pytest.mark.parametrize(("defect", "check", "message"), [
    ({"logsf": lambda self, y, mu: np.log(special.pdtr(y, mu))}, "log_cdf", "exp\\(logsf\\)"),
    ({"logcdf": lambda self, y, mu: np.log(special.pdtr(y - 1, mu))}, "log_cdf",
     "exp\\(logcdf\\)"),
    ({"dlogsf": lambda self, y, mu: {"mu": -stats.poisson.pmf(y, mu) / stats.poisson.sf(y, mu)}},
     "log_cdf_derivatives", "dlogsf"),
    ({"dlogcdf": lambda self, y, mu: {}}, "log_cdf_derivatives", "no entry"),
    ({"logsf": lambda self, y, mu: np.log1p(-stats.poisson.cdf(y, mu))}, "tail_accuracy",
     "logsf = "),
])
def test_mutants_fail(defect, check, message):
    report = family_checks(mutant(TailCounts, **defect), [check])
    result = report[check]
    assert result.status == "failed", result.message
    assert re.search(message, result.message)
