"""The case the kit's checks share (mlefit.testing._case): responses on the mean scale."""

import numpy as np

from mlefit import Family, Parameter
from mlefit.domains import NonNegativeIntegers, UnitInterval
from mlefit.family import mean_scale
from mlefit.registry import get_registry
from mlefit.testing._case import mean_scale_or_none


class TwoCounts(Family):
    """A two-column count response without glm_response."""

    name = "kit_two_counts"
    support = NonNegativeIntegers()
    response_columns = 2
    parameters = (Parameter("mu", UnitInterval()),)

    def logpdf(self, y, mu):
        return np.zeros(len(y))


def test_a_one_column_response_is_its_own_mean_with_one_trial():
    y = np.array([0.5, 1.5, -2.0])
    ybar, trials = mean_scale_or_none(get_registry().family("gaussian"), y)
    assert ybar is y
    np.testing.assert_array_equal(trials, np.ones(3))


def test_a_trials_response_goes_through_glm_response_like_the_glm_statistics():
    binomial = get_registry().family("binomial")
    y = np.array([[1.0, 3.0], [0.0, 0.0], [5.0, 0.0]])
    ybar, trials = mean_scale_or_none(binomial, y)
    np.testing.assert_array_equal(ybar, [0.25, 0.0, 1.0])   # successes / trials
    np.testing.assert_array_equal(trials, [4.0, 0.0, 5.0])  # successes + failures
    ref_ybar, ref_trials = mean_scale(binomial, y)          # what the GLM statistics use
    np.testing.assert_array_equal(ybar, ref_ybar)
    np.testing.assert_array_equal(trials, ref_trials)


def test_a_multi_column_response_without_glm_response_has_no_mean_scale():
    assert mean_scale_or_none(TwoCounts(), np.ones((4, 2))) is None
