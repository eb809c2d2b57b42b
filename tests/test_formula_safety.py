"""mlefit.formula_safety: every formula a user of the docs and tests writes is still data.

Three oracles, none of them the checker: (1) each formula of a representative list is
fitted with and without the check, and the two fits must be identical (the unchecked fit
is formulaic's own evaluation; the check only reads); (2) every formula-like string in the
docs, the examples and the tests (collected with ``ast`` and a regular expression, not by
hand) is accepted; (3) the whitelists are checked against numpy's and formulaic's own
tables. ``MLEFIT_SAFE_FORMULAS=1 python -m pytest`` runs the whole suite, the docs'
examples included, with every fit checked. The refusals are in
tests/adversarial/test_formula_injection.py.
"""

import ast
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from formulaic import Formula
from formulaic.transforms import TRANSFORMS

import mlefit
from mlefit import DataError, FormulaError
from mlefit.cbind import rewrite
from mlefit.formula import CONTEXT
from mlefit.formula_safety import (
    ALLOWED_CONTRASTS,
    ALLOWED_FUNCTIONS,
    ALLOWED_NUMPY,
    SAFE_ENV,
    check_formula,
    resolve,
)

ROOT = Path(__file__).resolve().parents[1]

#: (family, formula, keyword arguments) on the heart data; from the docs, the tests and
#: formulaic's documented transforms
HEART = [
    ("gaussian", "thalach ~ age + exang + oldpeak", {}),
    ("gaussian", "thalach ~ 1", {}),
    ("gaussian", "thalach ~ age + I(age ** 2) + age:sex", {}),
    ("gaussian", "thalach ~ age - 1", {}),
    ("gaussian", "thalach ~ 0 + age + exang", {}),
    ("gaussian", "thalach ~ age + C(cp)", {}),
    ("gaussian", "thalach ~ age + C(cp, contr.treatment(base=4))", {}),
    ("gaussian", "thalach ~ age + C(cp, Treatment(4.0))", {}),
    ("gaussian", "thalach ~ C(cp, Treatment(reference=2.0))", {}),
    ("gaussian", "thalach ~ C(cp, Sum)", {}),
    ("gaussian", "thalach ~ C(cp, contr.sum)", {}),
    ("gaussian", "thalach ~ C(cp, Helmert) + C(sex, contr.helmert)", {}),
    ("gaussian", "thalach ~ C(cp, contr.poly) + C(slope, Poly)", {}),
    ("gaussian", "thalach ~ C(cp, Diff) + C(slope, contr.diff)", {}),
    ("gaussian", "thalach ~ C(cp, contr.SAS)", {}),
    ("gaussian", "thalach ~ C(cp, levels=[4.0, 1.0, 2.0, 3.0])", {}),
    ("gaussian", "thalach ~ age * sex + C(cp)", {}),
    ("gaussian", "thalach ~ (age + sex + exang) ** 2", {}),
    ("gaussian", "thalach ~ np.log(age) + exang", {}),
    ("gaussian", "np.log(thalach) ~ age + exang", {}),
    ("gaussian", "thalach ~ age + offset(np.log(trestbps))", {}),
    ("gaussian", "thalach ~ age + offset(0.5 * oldpeak)", {}),
    ("gaussian", "thalach ~ I(1000 * age + 5) + exang", {}),
    ("gaussian", "thalach ~ I(chol / 10**2) + I(age * 2**-3) + I(2 ** (age / 50))", {}),
    ("gaussian", "thalach ~ I(age ** 2 / 100) - 1", {}),
    ("gaussian", "thalach ~ I(-age) + I(oldpeak // 1) + I(chol % 7)", {}),
    ("gaussian", "thalach ~ I(age > 50) + I(sex == 1) + I(chol != 200)", {}),
    ("gaussian", "thalach ~ I((age >= 50) & (sex == 1)) + I((age < 40) | (oldpeak <= 0))",
     {}),
    ("gaussian", "thalach ~ {age / 10} + exang", {}),
    ("gaussian", "thalach ~ poly(age, 2)", {}),
    ("gaussian", "thalach ~ poly(age, degree=3, raw=True)", {}),
    ("gaussian", "thalach ~ bs(age, df=4)", {}),
    ("gaussian", "thalach ~ cr(age, df=4) - 1", {}),
    ("gaussian", "thalach ~ cc(age, df=4) - 1", {}),
    ("gaussian", "thalach ~ center(age) + scale(chol)", {}),
    ("gaussian", "thalach ~ standardize(age) + exang", {}),
    ("gaussian", "thalach ~ Q('age') + exang", {}),
    ("gaussian", "thalach ~ log(age) + exp(oldpeak / 10)", {}),
    ("gaussian", "thalach ~ sqrt(chol) + age", {}),
    ("gaussian", "thalach ~ np.sqrt(chol) + np.log1p(oldpeak) + np.expm1(oldpeak / 10)", {}),
    ("gaussian", "thalach ~ np.abs(age - 50) + np.power(age, 2)", {}),
    ("gaussian", "thalach ~ np.maximum(age, 40) + np.minimum(oldpeak, 2.5)", {}),
    ("gaussian", "thalach ~ age + exang", {"sigma": "~ age + C(sex)"}),
    ("gaussian", "thalach ~ age", {"sigma": "~ np.log(age) + I(oldpeak > 1)"}),
    ("binomial", "I(num > 0) ~ age + sex + thalach", {}),
    ("poisson", "num ~ age + C(cp, Treatment(4.0))", {}),
    ("gamma", "chol ~ age + sex", {"shape": "~ sex"}),
]

#: formulas with backtick-quoted names, two-column responses, offsets and string levels
SMALL = [
    ("gaussian", "y ~ `a b` + `x-1`", {}),
    ("gaussian", "y ~ I(`a b` * 2) + C(`the group`)", {}),
    ("gaussian", "y ~ x + C(g, Treatment('b'))", {}),
    ("gaussian", 'y ~ x + C(g, Treatment("b"))', {}),
    ("gaussian", "y ~ x + C(g, levels=['c', 'b', 'a'])", {}),
    ("gaussian", "y ~ x:C(g) + x", {}),
    ("gaussian", "y ~ x + I(g == 'a')", {}),
    ("poisson", "count ~ x + offset(np.log(t))", {}),
    ("binomial", "successes + failures ~ x", {}),
]


@pytest.fixture(scope="module")
def small():
    rng = np.random.default_rng(7)
    n = 90
    x = rng.uniform(0.5, 2, n)
    g = np.tile(["a", "b", "c"], n // 3)
    t = rng.uniform(1, 3, n)
    trials = rng.integers(5, 15, n)
    successes = rng.binomial(trials, 1 / (1 + np.exp(-(x - 1))))
    return pd.DataFrame({"y": 1 + x + (g == "b") + rng.normal(0, 0.5, n), "x": x,
                         "a b": rng.normal(size=n), "x-1": x - 1 + rng.normal(0, .2, n),
                         "the group": np.repeat(["p", "q", "r"], n // 3), "g": g, "t": t,
                         "count": rng.poisson(t * np.exp(0.3 * x)),
                         "successes": successes, "failures": trials - successes})


def _same_fit(family, formula, kwargs, data):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        safe = mlefit.fit(formula, data, family, safe_formulas=True, **kwargs)
        free = mlefit.fit(formula, data, family, safe_formulas=False, **kwargs)
    pd.testing.assert_series_equal(safe.params, free.params, rtol=0, atol=0)
    assert safe.llf == free.llf and safe.nobs == free.nobs


@pytest.mark.parametrize(("family", "formula", "kwargs"), HEART, ids=[f for _, f, _ in HEART])
def test_documented_formulas_fit_the_same_when_checked(family, formula, kwargs, heart):
    _same_fit(family, formula, kwargs, heart)


@pytest.mark.parametrize(("family", "formula", "kwargs"), SMALL, ids=[f for _, f, _ in SMALL])
def test_quoted_names_responses_and_levels_fit_the_same_when_checked(family, formula, kwargs,
                                                                      small):
    _same_fit(family, formula, kwargs, small)


def test_the_list_is_long_enough():
    assert len(HEART) + len(SMALL) >= 40


def test_a_checked_fit_predicts_what_the_formula_says(heart):
    """predict() replays the stored terms: numpy by hand gives the same numbers."""
    res = mlefit.fit("thalach ~ np.log(age) + I(age ** 2) + C(sex)", heart,
                     safe_formulas=True)
    new = pd.DataFrame({"age": [40.0, 55.0, 70.0], "sex": [0.0, 1.0, 1.0]})
    b = res.params["mu"]
    by_hand = (b["Intercept"] + b["C(sex)[T.1.0]"] * new["sex"]
               + b["np.log(age)"] * np.log(new["age"]) + b["I(age ** 2)"] * new["age"] ** 2)
    assert len(b) == 4
    np.testing.assert_allclose(np.asarray(res.predict(new)), by_hand, rtol=1e-12)


# every formula in the docs, the examples and the tests ----------------------------------
def _formula_strings() -> dict[str, str]:
    """String literals with a ``~`` in the Python files under tests/ and examples/, and
    quoted strings with a ``~`` in the Markdown pages, that formulaic parses (prose such as
    "sigma ~ age: compare ..." does not), with a ``cbind(...)`` response rewritten as
    ``mlefit.formula`` does before formulaic parses it. The adversarial tests are left out: their
    formulas are meant to be refused, and so is this file (its formulas are fitted above,
    its refusals below)."""
    found: dict[str, str] = {}
    for path in sorted([*ROOT.glob("tests/**/*.py"), *ROOT.glob("examples/**/*.py")]):
        if "adversarial" in path.parts or path.name == Path(__file__).name:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and "~" in node.value and "\n" not in node.value:
                found.setdefault(node.value, str(path.relative_to(ROOT)))
    quoted = re.compile(r'"([^"\n]*~[^"\n]*)"|\'([^\'\n]*~[^\'\n]*)\'')
    for path in sorted([*ROOT.glob("docs/**/*.md"), ROOT / "README.md"]):
        for match in quoted.finditer(path.read_text()):
            found.setdefault(match.group(1) or match.group(2), str(path.relative_to(ROOT)))
    parsed = {}
    for text, where in found.items():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                parsed[text] = (Formula(rewrite(text)), where)   # cbind(s, f) as fit reads it
        except Exception:  # prose with a tilde, not a formula
            continue
    return parsed


FORMULAS = _formula_strings()

#: the docs' examples of a refusal (docs/guide.md, "Formulas are code")
REFUSED_IN_DOCS = {"thalach ~ I(age + 0*len(open('notes.txt').read()))"}


def test_the_collection_finds_the_formulas():
    assert len(FORMULAS) >= 100
    assert {"thalach ~ age + C(cp, contr.treatment(base=4))", "np.log(y) ~ x",
            "claims ~ x + offset(np.log(years))"} | REFUSED_IN_DOCS <= set(FORMULAS)


def _check(text: str) -> None:
    """The data are not at hand here, so every name the formula mentions counts as a
    column: this checks the formula's structure (which functions, which syntax)."""
    formula, where = FORMULAS[text]
    columns = set(re.findall(r"[A-Za-z_]\w*", text)) | set(re.findall(r"`([^`]*)`", text))
    check_formula(formula, columns, parameter="mu", text=f"{text} ({where})")


@pytest.mark.parametrize("text", sorted(set(FORMULAS) - REFUSED_IN_DOCS))
def test_every_formula_in_the_docs_and_tests_is_accepted(text):
    _check(text)


@pytest.mark.parametrize("text", sorted(REFUSED_IN_DOCS))
def test_the_docs_example_of_a_refusal_is_refused(text):
    with pytest.raises(FormulaError, match="calls 'len'"):
        _check(text)


# the whitelists against numpy's and formulaic's tables --------------------------------------
def test_the_numpy_names_are_ufuncs_and_write_nothing():
    assert all(isinstance(getattr(np, name), np.ufunc) for name in ALLOWED_NUMPY)
    assert {"log", "exp", "sqrt", "log1p", "expm1", "abs", "power"} <= ALLOWED_NUMPY
    assert not {"load", "save", "savetxt", "fromfile", "loadtxt", "frompyfunc"} & ALLOWED_NUMPY


def test_the_functions_are_formulaic_transforms_or_mlefit_context():
    assert ALLOWED_FUNCTIONS <= set(TRANSFORMS) | set(CONTEXT)
    assert {"C", "I", "Q", "center", "scale", "standardize", "bs", "cr", "cc", "poly",
            "offset", "Treatment", "Sum", "Helmert", "Diff", "Poly", "log", "exp",
            "sqrt"} <= ALLOWED_FUNCTIONS
    assert not {"hashed", "lag", "contr", "np", "exp10"} & ALLOWED_FUNCTIONS
    contr = TRANSFORMS["contr"]
    assert all(isinstance(getattr(contr, name), type) for name in ALLOWED_CONTRASTS)


# the switch ------------------------------------------------------------------------------
@pytest.mark.parametrize(("value", "safe"), [("", False), ("0", False), ("false", False),
                                             ("OFF", False), ("no", False), ("1", True),
                                             ("true", True), (" Yes ", True), ("on", True)])
def test_the_environment_variable(value, safe, monkeypatch):
    monkeypatch.setenv(SAFE_ENV, value)
    assert resolve(None) is safe
    assert resolve(True) is True and resolve(False) is False   # an argument wins


def test_unset_environment_means_formulas_are_code(monkeypatch):
    monkeypatch.delenv(SAFE_ENV, raising=False)
    assert resolve(None) is False


@pytest.mark.parametrize("value", ["yes", 1, np.True_])
def test_safe_formulas_takes_a_bool(value, heart):
    with pytest.raises(DataError, match=r"safe_formulas=.* must be True, False or None"):
        mlefit.fit("thalach ~ age", heart, safe_formulas=value)


def test_arrays_have_no_formula_to_check(monkeypatch):
    monkeypatch.setenv(SAFE_ENV, "not a switch")   # read only when there are formulas
    res = mlefit.fit_arrays(np.array([1.0, 2.0, 4.0, 3.0]), np.ones((4, 1)))
    assert res.params[("mu", "x0")] == pytest.approx(2.5, rel=1e-12)   # the mean


def test_a_name_that_is_not_a_column_is_refused_by_name(heart):
    with pytest.raises(FormulaError, match="'agee', which is neither a column"):
        mlefit.fit("thalach ~ I(agee ** 2)", heart, safe_formulas=True)
    with pytest.raises(FormulaError, match="calls 'hashed', not an allowed function"):
        mlefit.fit("thalach ~ hashed(age)", heart, safe_formulas=True)


def test_what_the_checker_does_not_know_is_refused():
    """Fail closed: a formula part of an unknown shape, or a factor formulaic would
    evaluate by a method other than lookup, literal or Python, is refused."""
    with pytest.raises(FormulaError, match="shape mlefit does not know"):
        check_formula(["y"], {"y"}, parameter="mu")

    class Method:
        value = "future"

    class Factor:
        eval_method, expr = Method(), "x"

    class Term:
        factors = (Factor(),)

    with pytest.raises(FormulaError, match="formulaic's 'future' method"):
        check_formula([Term()], {"x"}, parameter="mu")
