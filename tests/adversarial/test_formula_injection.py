"""A formula is Python code: with ``safe_formulas=True`` (the CLI's default) every injection
attempt is refused with a FormulaError naming what was refused, before anything runs.

The corpus: each payload tries to create a file in an empty trap directory (a sentinel).
``test_the_payload_is_live_without_the_check`` shows that every payload really does leave
that trace when formulas are evaluated unchecked (``safe_formulas=False``): the oracle that
the corpus attacks something real. Every other test asserts the refusal and that the trap
directory is still empty afterwards.
"""

import warnings

import numpy as np
import pandas as pd
import pytest

import mlefit
from mlefit import DataError, FormulaError
from mlefit.cli import main
from mlefit.formula_safety import SAFE_ENV

#: (name, formula, what the refusal must say). TRAP is replaced by a quoted path inside
#: the trap directory (named after the payload), EVIL by the path of a pickled .npy file
#: whose loading opens TRAP/np_load for writing.
CORPUS = [
    ("os_system", "y ~ I(x + 0*__import__('os').system('mkdir ' + TRAP))",
     r"calls \"__import__\('os'\).system\""),
    ("braces", "y ~ {x + 0*__import__('os').mkdir(TRAP)}", "calls \"__import__\\('os'\\)"),
    ("open", "y ~ I(x + 0*len(str(open(TRAP, 'w'))))", "calls 'len'"),
    ("open_first", "y ~ I(open(TRAP, 'w') and x)", "uses 'and'/'or'"),
    ("eval", "y ~ I(x + 0*eval(\"len(str(open(TRAP, 'w')))\"))", "calls 'eval'"),
    ("exec", "y ~ np.log(x + 0*exec(\"open(TRAP, 'w')\"))", "calls 'exec'"),
    ("compile", "y ~ np.log(x) + I(0*eval(compile(\"len(str(open(TRAP, 'w')))\", 's', "
     "'eval')))", "calls 'eval'"),
    ("getattr", "y ~ I(x + 0*len(str(getattr(__import__('os'), 'mkdir')(TRAP))))",
     "calls 'len'"),
    ("getattr_bare", "y ~ I(getattr(__import__('os'), 'mkdir')(TRAP))",
     r"calls \"getattr\(__import__"),
    ("subclasses", "y ~ I(x + 0*len(str([c for c in ().__class__.__base__.__subclasses__() "
     "if c.__name__ == 'catch_warnings'][0]()._module.__builtins__['open'](TRAP, 'w'))))",
     "calls 'len'"),
    ("attribute_chain", "y ~ np.log(x + 0*len(x.__class__.__init__.__globals__["
     "'__builtins__']['open'](TRAP, 'w').name))", "calls 'len'"),
    ("attribute_read", "y ~ I(x.__class__.__init__.__globals__['__builtins__']['open']"
     "(TRAP, 'w'))", r"calls \"x.__class__"),
    ("np_save", "y ~ x + np.save(TRAP, x)", r"calls 'np.save'"),
    ("np_save_nested", "y ~ I(x + 0*np.sum(np.save(TRAP, x)))", r"calls 'np.sum'"),
    ("np_savetxt", "y ~ x + np.savetxt(TRAP, x)", r"calls 'np.savetxt'"),
    ("np_load", "y ~ x + np.load(EVIL, allow_pickle=True)", r"calls 'np.load'"),
    ("lambda", "y ~ I(x + 0*np.log1p((lambda: len(str(open(TRAP, 'w'))))()))",
     r'calls "lambda:'),
    ("listcomp", "y ~ I(x + 0*np.abs([open(TRAP, 'w') for _ in [0]]).size)",
     r"reads the attribute"),
    ("listcomp_plain", "y ~ np.log(x + 0*np.square([len(str(open(TRAP, 'w'))) for _ in "
     "[0]]))", "uses a comprehension"),
    ("genexp", "y ~ np.log(x + 0*sum(len(str(open(TRAP, 'w'))) for _ in [0]))",
     "calls 'sum'"),
    ("genexp_plain", "y ~ C(g, levels=(v for v in ['a', 'b'] if open(TRAP, 'w')))",
     "uses a generator expression"),
    ("walrus", "y ~ np.log(x + 0*np.abs((f := len(str(open(TRAP, 'w'))))))",
     r"uses an assignment expression \(:=\)"),
    ("fstring", "y ~ C(g, Treatment(f\"{open(TRAP, 'w')}\"))", "uses an f-string"),
    ("nested_in_log", "y ~ np.log(x + 0*len(str(open(TRAP, 'w'))))", "calls 'len'"),
    ("nested_in_treatment", "y ~ C(g, Treatment(str(open(TRAP, 'w')) and 'a'))",
     "uses 'and'/'or'"),
    ("nested_in_keyword", "y ~ poly(x, degree=1 + 0*len(str(open(TRAP, 'w'))))",
     "calls 'len'"),
    ("contrasts_keyword", "y ~ C(g, contrasts=open(TRAP, 'w') and None)",
     "uses 'and'/'or'"),
    ("underscore_keyword", "y ~ center(x, _state=open(TRAP, 'w') and {})",
     "passes the keyword '_state'"),
    ("kwargs", "y ~ np.log(x, **{'where': open(TRAP, 'w') is not None})",
     r"passes \*\*-unpacked keywords"),
    ("starred", "y ~ I(*[x, open(TRAP, 'w')][:1])", r"uses \*-unpacking"),
    ("ifexp", "y ~ I(x if open(TRAP, 'w') else x)", "uses a conditional expression"),
    ("backtick", "y ~ I(`x` + 0*len(str(open(TRAP, 'w'))))", "calls 'len'"),
    ("backtick_dunder", "y ~ I(x + 0*`__import__`('os').mkdir(TRAP))",
     r"calls \"__import__\('os'\).mkdir\""),
    ("builtins_subscript", "y ~ I(x + 0*__builtins__['__import__']('os').mkdir(TRAP))",
     r"calls \"__builtins__\['__import__'\]"),
    ("dunder_value", "y ~ C(g, contrasts=__builtins__) + I(x + 0*len(str(open(TRAP, "
     "'w'))))", "names '__builtins__', a dunder name"),
    ("globals", "y ~ I(x + 0*len(str(globals()))) + np.log(x + 0*len(str(open(TRAP, 'w'))))",
     "calls 'len'"),
    ("pathlib", "y ~ I(x + 0*len(str(__import__('pathlib').Path(TRAP).touch())))",
     "calls 'len'"),
    ("subprocess", "y ~ I(x + 0*__import__('subprocess').call(['mkdir', TRAP]))",
     r"calls \"__import__\('subprocess'\).call\""),
    ("response", "I(y + 0*len(str(open(TRAP, 'w')))) ~ x", "calls 'len'"),
    ("surv_argument", "Surv(y, 1 + 0*len(str(open(TRAP, 'w')))) ~ x", "calls 'len'"),
    ("second_term", "y ~ x + g + I(x**2) + np.log(x + 0*len(str(open(TRAP, 'w'))))",
     "calls 'len'"),
]
IDS = [c[0] for c in CORPUS]
ONE_SIDED = [c for c in CORPUS if not c[1].startswith(("I(y", "Surv("))]


class _Evil:
    """Unpickling it opens a file for writing: what np.load(..., allow_pickle=True) runs."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


@pytest.fixture
def data():
    rng = np.random.default_rng(19)
    x = rng.uniform(1, 3, 40)
    return pd.DataFrame({"y": 1 + x + rng.normal(0, 0.3, 40), "x": x,
                         "g": np.tile(["a", "b"], 20)})


@pytest.fixture
def trap(tmp_path):
    """An empty directory the payloads write into, and a function that fills in a
    formula's TRAP and EVIL for one payload."""
    directory = tmp_path / "trap"
    directory.mkdir()
    evil = tmp_path / "evil.npy"
    np.save(evil, np.array([_Evil(str(directory / "np_load"))], dtype=object),
            allow_pickle=True)

    def arm(name: str, formula: str) -> str:
        target = repr((directory / name).as_posix())
        return formula.replace("TRAP", target).replace("EVIL", repr(evil.as_posix()))

    arm.directory = directory
    return arm


def traces(trap) -> list[str]:
    return sorted(p.name for p in trap.directory.iterdir())


@pytest.mark.parametrize(("name", "formula", "reason"), CORPUS, ids=IDS)
def test_the_payload_is_live_without_the_check(name, formula, reason, data, trap):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            mlefit.fit(trap(name, formula), data, safe_formulas=False)
        except Exception:  # only the trace matters here
            pass
    assert traces(trap), f"payload {name!r} left no trace even unchecked: not a real attack"


@pytest.mark.parametrize(("name", "formula", "reason"), CORPUS, ids=IDS)
def test_main_formula_is_refused_and_leaves_no_trace(name, formula, reason, data, trap):
    with pytest.raises(FormulaError, match=reason) as info:
        mlefit.fit(trap(name, formula), data, safe_formulas=True)
    assert "code, not data" in str(info.value) and "Fix:" in str(info.value)
    assert "of 'mu'" in str(info.value)
    assert traces(trap) == []


@pytest.mark.parametrize(("name", "formula", "reason"), ONE_SIDED,
                         ids=[c[0] for c in ONE_SIDED])
def test_parameter_formula_is_refused_and_leaves_no_trace(name, formula, reason, data, trap):
    sigma = "~ " + trap(name, formula).split("~", 1)[1]
    with pytest.raises(FormulaError, match=reason) as info:
        mlefit.fit("y ~ x", data, sigma=sigma, safe_formulas=True)
    assert "of 'sigma'" in str(info.value)
    assert traces(trap) == []


@pytest.fixture
def csv(data, tmp_path):
    path = tmp_path / "d.csv"
    data.to_csv(path, index=False)
    return str(path)


@pytest.mark.parametrize(("name", "formula", "reason"), CORPUS, ids=IDS)
def test_the_command_line_is_safe_by_default(name, formula, reason, csv, trap, capsys):
    assert main(["fit", trap(name, formula), "--data", csv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mlefit: error: the formula") and "code, not data" in err
    assert err.count("\n") == 1
    assert traces(trap) == []


def test_command_line_parameter_formulas_and_compare_are_checked(csv, trap, capsys):
    payload = trap("cli_sigma", "~ np.log(x + 0*len(str(open(TRAP, 'w'))))")
    assert main(["fit", "y ~ x", "--data", csv, "--sigma", payload]) == 2
    assert "of 'sigma'" in capsys.readouterr().err
    payload = trap("cli_compare", "y ~ x + I(0*len(str(open(TRAP, 'w'))))")
    assert main(["compare", "y ~ 1", payload, "--data", csv]) == 2
    assert "calls 'len'" in capsys.readouterr().err
    assert traces(trap) == []


def test_allow_code_opts_out_on_the_command_line(csv, trap, capsys):
    payload = trap("allowed", "y ~ I(x + 0*len(str(open(TRAP, 'w').close())))")
    assert main(["fit", payload, "--data", csv, "--allow-code"]) == 0
    assert traces(trap) == ["allowed"]


def test_the_environment_makes_safe_formulas_the_default(monkeypatch, data, trap):
    payload = trap("env", "y ~ I(x + 0*len(str(open(TRAP, 'w'))))")
    monkeypatch.setenv(SAFE_ENV, "1")          # read at call time, not at import
    with pytest.raises(FormulaError, match="calls 'len'"):
        mlefit.fit(payload, data)
    assert traces(trap) == []
    monkeypatch.setenv(SAFE_ENV, "yes-please")
    with pytest.raises(DataError, match=f"{SAFE_ENV}='yes-please'.*Fix: set it to 1 or 0"):
        mlefit.fit("y ~ x", data)
    monkeypatch.setenv(SAFE_ENV, "0")
    mlefit.fit(payload, data)                  # the opt-out is explicit
    assert traces(trap) == ["env"]


def test_a_refusal_is_a_data_error(data):
    """Existing ``except DataError`` handlers still catch it."""
    with pytest.raises(DataError):
        mlefit.fit("y ~ x[0]", data, safe_formulas=True)
    assert issubclass(FormulaError, DataError) and issubclass(FormulaError, ValueError)


def test_a_prediction_rebuilds_only_the_checked_terms(data):
    """A safe fit's predict() replays its stored terms, checked against the new data's
    columns: a name that was a column at fit time but is missing from newdata is not
    looked up among Python's builtins (here ``open``)."""
    shadow = data.assign(open=data["x"] ** 2)
    res = mlefit.fit("y ~ I(x + open)", shadow, safe_formulas=True)
    with pytest.raises(FormulaError, match="'open', which is neither a column"):
        res.predict(data.head(3))
    unsafe = mlefit.fit("y ~ I(x + open)", shadow, safe_formulas=False)
    with pytest.raises(DataError):             # formulaic met the builtin open
        unsafe.predict(data.head(3))
    new = shadow.head(5)
    beta = res.params["mu"].to_numpy()
    expected = beta[0] + beta[1] * (new["x"] + new["open"]).to_numpy()   # by hand
    np.testing.assert_allclose(np.asarray(res.predict(new)), expected, rtol=1e-12)


@pytest.mark.parametrize(("formula", "reason"), [
    ("y ~ I(x + 0*10**10**10)", r"a large or computed power \('10 \*\* 10 \*\* 10'\)"),
    ("y ~ I(x ** (9 ** 9 ** 9))", "a large or computed power"),
    ("y ~ I(x + 0*(10**100)**100)", "a large or computed power"),
    ("y ~ I(x + 0*2**1000000000)", "a large or computed power"),
    ("y ~ C(g, levels='ab' * 10**9)", "does arithmetic on 'ab'"),
    ("y ~ C(g, levels=['a', 'b'] * 10**9)", r"does arithmetic on \['a', 'b'\]"),
])
def test_arithmetic_that_would_never_end_is_refused(formula, reason, data):
    """Not code execution but a process that hangs or runs out of memory: refused before
    Python's integers start on it (the test would time out if it were evaluated)."""
    with pytest.raises(FormulaError, match=reason):
        mlefit.fit(formula, data, safe_formulas=True)
