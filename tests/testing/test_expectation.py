"""The kit's expectations over the response (mlefit.testing._expectation): the adaptive
quadrature that the normalisation, information, moments and cdf checks rely on.
"""

import itertools

import numpy as np
import pytest
from scipy import integrate, stats

from mlefit.testing._expectation import integrate_pieces


@pytest.mark.parametrize("name, g, edges, expected", [
    # closed forms; scipy.integrate.quad agrees with each to 1e-10 (checked below)
    ("endpoint singularity", lambda y: y**-0.5, [0.0, 1.0], 2.0),
    ("exponential tail", lambda y: np.exp(-y), [0.0, 1.0, np.inf], 1.0),
    ("normal both tails", lambda y: stats.norm.pdf(y, 3.0, 0.2), [-np.inf, 3.0, np.inf], 1.0),
    ("cauchy-like tail", lambda y: stats.t.pdf(y, 1.5), [-np.inf, -1, 0, 1, np.inf], 1.0),
    ("log singularity", lambda y: -np.log(y), [0.0, 0.5, 1.0], 1.0),
])
def test_kit_quadrature_matches_closed_forms_and_scipy(name, g, edges, expected):
    with np.errstate(all="ignore"):
        pieces = integrate_pieces(lambda y: g(y)[:, None], np.array(edges), 1.0)
    assert pieces.sum() == pytest.approx(expected, rel=1e-9), name
    reference = sum(integrate.quad(g, a, b, epsabs=1e-13, epsrel=1e-12, limit=500)[0]
                    for a, b in itertools.pairwise(edges))
    assert pieces.sum() == pytest.approx(reference, rel=1e-9), name
