"""Careless and hostile cbind(...) responses: a one-column family, repeated or empty
arguments, cbind as a term, code in an argument under safe formulas (mlefit.cbind)."""

import pytest
import statsmodels.api as sm

import mlefit
from mlefit import DataError, FormulaError


@pytest.fixture(scope="module")
def star98():
    return sm.datasets.star98.load_pandas().data


def test_one_column_family_is_refused_naming_cbind(star98):
    with pytest.raises(DataError, match=r"cbind\(\.\.\.\) gives a response of 2 columns, "
                                        r"but family 'poisson' takes 1.*Fix"):
        mlefit.fit("cbind(NABOVE, NBELOW) ~ LOWINC", star98, "poisson")


@pytest.mark.parametrize("formula, match", [
    ("cbind(NABOVE, NABOVE) ~ LOWINC", r"repeats the column\(s\) \['NABOVE'\].*Fix"),
    ("cbind(NABOVE, NBELOW) + LOWINC ~ 1", r"not one cbind\(\.\.\.\) call.*Fix"),
    ("cbind() ~ LOWINC", r"has no columns.*Fix"),
    ("cbind(NABOVE, , NBELOW) ~ LOWINC", r"empty argument.*Fix"),
    ("NABOVE ~ cbind(LOWINC, PERASIAN)", r"whole left-hand side.*Fix: move it there"),
])
def test_misuse_is_refused(star98, formula, match):
    # safe_formulas=False: the messages of the formula's own reading (CI also runs the
    # suite with safe formulas as the default, where cbind as a term is refused earlier,
    # as code: test_safe_formulas_stay_safe)
    with pytest.raises(DataError, match=match):
        mlefit.fit(formula, star98, "binomial", safe_formulas=False)


def test_safe_formulas_stay_safe(star98, tmp_path):
    """The rewrite evaluates nothing; its result is checked like any formula: code in an
    argument of cbind is refused before anything runs, and so is cbind as a term."""
    marker = tmp_path / "ran"
    code = f"cbind(NABOVE, NBELOW + 0 * len(open({str(marker)!r}, 'w').name)) ~ LOWINC"
    with pytest.raises(FormulaError, match="not an allowed function"):
        mlefit.fit(code, star98, "binomial", safe_formulas=True)
    assert not marker.exists()
    with pytest.raises(FormulaError, match="calls 'cbind'"):
        mlefit.fit("NABOVE ~ cbind(LOWINC, PERASIAN)", star98, "binomial",
                   safe_formulas=True)
