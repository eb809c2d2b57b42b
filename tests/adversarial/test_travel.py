"""Results that travel (issue 19, item 3): every public object pickles and deep-copies.

A fit of every built-in family, a fit of a third-party (logpdf-only) family, the links,
the families and the comparison objects go through ``pickle`` and ``copy.deepcopy``; what
comes back gives the same numbers as the original: the same estimates, standard errors,
log-likelihood and predictions for new rows (bit for bit: nothing is recomputed), and a
refit-based method (a profile interval) still works on the copy.
"""

import copy
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from test_logpdf_only import PlainNormal

import mlefit
from mlefit.links import BUILTIN_LINKS

HEART = mlefit.datasets.load_heart().dropna()
MEDPAR = mlefit.datasets.load_medpar1()
BIO = mlefit.datasets.load_biochemists()
#: a model of every built-in family on a bundled dataset whose response lies in its support
MODELS = {
    "gaussian": ("chol ~ age + sex", HEART),
    "student_t": ("chol ~ age + sex", HEART),
    "logistic": ("chol ~ age + sex", HEART),
    "lognormal": ("chol ~ age + sex", HEART),
    "gamma": ("chol ~ age + sex", HEART),
    "inverse_gaussian": ("chol ~ age + sex", HEART),
    "weibull": ("chol ~ age + sex", HEART),
    "exponential": ("chol ~ age + sex", HEART),
    "beta": ("I((thalach - 60) / 150) ~ age + sex", HEART),
    "binomial": ("I(num > 0) ~ age + sex", HEART),
    "poisson": ("los ~ admitype + codes", MEDPAR),
    "negative_binomial": ("los ~ admitype + codes", MEDPAR),
    "nb1": ("los ~ admitype + codes", MEDPAR),
    "zero_inflated_poisson": ("num ~ age + sex", HEART),
    "zero_inflated_negative_binomial": ("art ~ fem + kid5 + ment", BIO),
    "hurdle_poisson": ("art ~ fem + kid5 + ment", BIO),
    "hurdle_negative_binomial": ("art ~ fem + kid5 + ment", BIO),
    "ordinal": ("num ~ age + sex", HEART),
    "multinomial": ("cp ~ age + sex", HEART),
    "loglogistic": ("chol ~ age + sex", HEART),
    "tweedie": ("oldpeak ~ age + sex", HEART),
}


def _fit(formula, data, family):
    with warnings.catch_warnings():     # the subject here is travel, not the fit's diagnoses
        warnings.simplefilter("ignore", mlefit.MlefitWarning)
        return mlefit.fit(formula, data, family)


def _same_numbers(a, b, newdata):
    pd.testing.assert_series_equal(a.params, b.params, check_exact=True)
    pd.testing.assert_series_equal(a.bse, b.bse, check_exact=True)
    assert a.llf == b.llf and a.aic == b.aic
    which = "mean" if a.family.has("mean") else a.family.parameter_names[0]
    np.testing.assert_array_equal(np.asarray(a.predict(newdata, which=which)),
                                  np.asarray(b.predict(newdata, which=which)))
    assert a.summary() == b.summary()


def test_every_built_in_family_is_covered():
    assert set(MODELS) == {info.name for info in mlefit.families()}


@pytest.mark.parametrize("family", sorted(MODELS))
@pytest.mark.parametrize("travel", [lambda r: pickle.loads(pickle.dumps(r)), copy.deepcopy],
                         ids=["pickle", "deepcopy"])
def test_a_fit_of_every_built_in_family_travels(family, travel):
    formula, data = MODELS[family]
    res = _fit(formula, data, family)
    back = travel(res)
    assert back is not res and type(back.family) is type(res.family)
    _same_numbers(res, back, data.iloc[:5])


def test_a_third_party_family_travels_and_can_still_refit(heart):
    res = mlefit.fit("thalach ~ age", heart, family=PlainNormal())
    back = pickle.loads(pickle.dumps(res))
    _same_numbers(res, back, heart.iloc[:5])
    pd.testing.assert_frame_equal(back.conf_int(method="profile", terms=["age"]),
                                  res.conf_int(method="profile", terms=["age"]))


@pytest.mark.parametrize("link", BUILTIN_LINKS, ids=lambda link: link.name)
def test_links_travel_to_the_registered_link(link):
    back = pickle.loads(pickle.dumps(link))
    x = np.linspace(0.05, 0.95, 7)
    np.testing.assert_array_equal(back.link(x), link.link(x))
    assert back.name == link.name and copy.deepcopy(link).name == link.name


def test_families_and_comparisons_travel(heart):
    small = mlefit.fit("thalach ~ age", heart)
    large = mlefit.fit("thalach ~ age + exang", heart)
    for fam in (mlefit.get_family(n)[0] for n in sorted(MODELS)):
        assert pickle.loads(pickle.dumps(fam)).name == fam.name
    table = mlefit.compare(small, large)
    pd.testing.assert_frame_equal(pickle.loads(pickle.dumps(table)), table)
    for test in (mlefit.lrtest(small, large), mlefit.score_test(small, large),
                 large.wald_test("exang = 0")):
        back = pickle.loads(pickle.dumps(test))
        assert (back.statistic, back.pvalue) == (test.statistic, test.pvalue)
