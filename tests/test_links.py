"""Links: round trips and derivatives of the inverse, checked by property-based tests.

Oracle: the definitions themselves (g(h(eta)) = eta) and central differences of h.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlefit.links import BUILTIN_LINKS

#: where each link's inverse is defined and not saturated (beyond it h' underflows)
RANGES = {"identity": (-1e3, 1e3), "log": (-30, 30), "logit": (-30, 30),
          "probit": (-8, 8), "cloglog": (-20, 3), "cauchit": (-1e3, 1e3),
          "inverse": (1e-3, 1e3), "inverse_squared": (1e-3, 1e3), "sqrt": (1e-3, 1e3)}

LINKS = {link.name: link for link in BUILTIN_LINKS}


def test_every_builtin_link_has_a_range():
    assert set(RANGES) == set(LINKS)


@pytest.mark.parametrize("name", sorted(LINKS))
@settings(max_examples=60, deadline=None)
@given(u=st.floats(0.0, 1.0))
def test_round_trip_and_derivatives(name, u):
    link = LINKS[name]
    low, high = RANGES[name]
    eta = np.array([low + u * (high - low)])
    theta = link.inverse(eta)
    d1_true = np.abs(link.inverse_deriv(eta))
    # g(h(eta)) = eta up to the rounding of theta, carried back through h': eps |theta| / |h'|
    slack = 8 * np.finfo(float).eps * np.abs(theta) / np.maximum(d1_true, 1e-300)
    assert np.all(np.abs(link.link(theta) - eta) <= 1e-10 * (1 + np.abs(eta)) + slack)
    # central differences, the step a small fraction of the distance to a singularity at 0
    h = np.minimum(1e-6 * (1.0 + np.abs(eta)), 1e-4 * np.abs(eta) + 1e-8)
    d1 = (link.inverse(eta + h) - link.inverse(eta - h)) / (2 * h)
    d2 = (link.inverse_deriv(eta + h) - link.inverse_deriv(eta - h)) / (2 * h)
    rounding = np.finfo(float).eps * (np.abs(theta) + 1) / h
    assert np.all(np.abs(d1 - link.inverse_deriv(eta)) <= 1e-6 * d1_true + 10 * rounding)
    d2_true = np.abs(link.inverse_deriv2(eta))
    rounding2 = np.finfo(float).eps * (d1_true + 1) / h
    assert np.all(np.abs(d2 - link.inverse_deriv2(eta)) <= 1e-5 * (d2_true + d1_true)
                  + 10 * rounding2)


def test_power_links_statmod_link_power():
    """``power(q)``: statmod's link.power; the named powers are the built-in links, others
    one Link per q (pickled by name) whose derivatives match central differences."""
    import pickle

    from mlefit.links import parse_power, power_link
    from mlefit.registry import get_registry

    reg = get_registry()
    for q, name in [(0, "log"), (1, "identity"), (-1, "inverse"), (0.5, "sqrt"),
                    (-2, "inverse_squared")]:
        assert reg.link(f"power({q})").name == name
    link = reg.link("power(0.3)")
    assert link is reg.link("power(0.30)") and link.name == "power(0.3)"
    assert pickle.loads(pickle.dumps(link)) is link
    eta = np.array([0.4, 1.0, 2.5])
    np.testing.assert_allclose(link.link(link.inverse(eta)), eta, rtol=1e-14)
    np.testing.assert_allclose(link.inverse(eta), eta ** (1 / 0.3), rtol=1e-14)
    h = 1e-6
    np.testing.assert_allclose(link.inverse_deriv(eta),
                               (link.inverse(eta + h) - link.inverse(eta - h)) / (2 * h),
                               rtol=1e-7)
    np.testing.assert_allclose(link.inverse_deriv2(eta),
                               (link.inverse_deriv(eta + h) - link.inverse_deriv(eta - h))
                               / (2 * h), rtol=1e-7)
    assert parse_power("power(abc)") is None and parse_power("log") is None
    assert power_link(2.0).name == "power(2)"
