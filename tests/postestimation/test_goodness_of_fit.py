"""``res.df_null``, R's ``df.null`` (issue 19, item 9): ``n - 1`` with an intercept, ``n``
without, ``n`` counting frequency weights and leaving out binomial rows with no trials
(R's ``n.ok``). Oracles: statsmodels GLM's ``df_resid + df_model`` (its residual degrees
of freedom of the null model with a constant), and the rule written out by hand.
"""

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from statsmodels.genmod import families

import mlefit
from mlefit.errors import DataError


def test_with_and_without_intercept(heart):
    for formula, expected in (("num ~ age + sex", 302), ("num ~ 0 + age + sex", 303)):
        res = mlefit.fit(formula, heart, "poisson")
        glm = smf.glm(formula, heart, family=families.Poisson()).fit()
        assert res.df_null == expected
        if "0 +" not in formula:
            assert res.df_null == glm.df_resid + glm.df_model


def test_frequency_weights_count(heart):
    w = np.tile([1.0, 2.0, 3.0], 101)
    res = mlefit.fit("chol ~ age", heart, "gaussian", weights=w, convention="R")
    glm = smf.glm("chol ~ age", heart, freq_weights=w).fit()
    assert res.df_null == w.sum() - 1 == glm.df_resid + glm.df_model


def test_binomial_rows_without_trials_do_not_count():
    d = pd.DataFrame({"s": [1, 0, 3, 2, 0, 4, 1, 5.0], "f": [2, 0, 1, 2, 0, 1, 3, 1.0],
                      "x": np.arange(8.0)})
    res = mlefit.fit("s + f ~ x", d, "binomial")
    assert res.df_null == 8 - 2 - 1 and res.df_resid == 8 - 2 - 2


def test_families_without_a_deviance_have_none(heart):
    with pytest.raises(DataError, match="no unit deviance"):
        _ = mlefit.fit("chol ~ age", heart, "lognormal").df_null
