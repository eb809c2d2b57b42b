"""The careful-user cases that already held when the adversarial pass was made (issue 19,
item 13), kept here so that they keep holding: inputs are never mutated, fits in threads
equal serial fits bit for bit, missing values of every pandas dtype are dropped and
counted, and the command line answers bad input with one line and exit status 2.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

import mlefit
from mlefit.cli import main


def test_inputs_are_never_mutated(heart):
    data = heart.assign(cp=heart["cp"].astype("category"), w=1.0 + (heart["sex"] > 0))
    before = data.copy(deep=True)
    y, X = data["thalach"].to_numpy().copy(), np.column_stack([np.ones(len(data)),
                                                               data["age"].to_numpy()])
    y0, X0 = y.copy(), X.copy()
    res = mlefit.fit("thalach ~ age + cp + oldpeak", data, "gaussian", weights="w",
                     sigma="~ sex")
    res.predict(data.iloc[:10], interval="confidence")
    res.conf_int(method="profile", terms=["age"])
    mlefit.fit_arrays(y, X, "gaussian")
    pd.testing.assert_frame_equal(data, before)
    np.testing.assert_array_equal(y, y0)
    np.testing.assert_array_equal(X, X0)


def test_fits_in_threads_equal_serial_fits(heart):
    specs = [("thalach ~ age", "gaussian"), ("chol ~ age + sex", "gamma"),
             ("I(num > 0) ~ age + thalach", "binomial"), ("num ~ age", "poisson")] * 2
    serial = [mlefit.fit(f, heart, fam) for f, fam in specs]
    start = threading.Barrier(2)

    def fit(spec):
        if spec is specs[0] or spec is specs[1]:
            start.wait(timeout=10)      # make the first two overlap for certain
        return mlefit.fit(spec[0], heart, spec[1])

    with ThreadPoolExecutor(max_workers=2) as pool:
        threaded = list(pool.map(fit, specs))
    for a, b in zip(serial, threaded, strict=True):
        np.testing.assert_array_equal(a.coef, b.coef)
        np.testing.assert_array_equal(a.cov, b.cov)


@pytest.mark.parametrize("dtype, missing", [
    ("float64", np.nan), ("Int64", pd.NA), ("Float64", pd.NA), ("object", None),
    ("string", pd.NA), ("category", np.nan), ("boolean", pd.NA),
])
def test_missing_values_of_every_dtype_are_dropped_and_counted(dtype, missing):
    rng = np.random.default_rng(3)
    n = 60
    x = rng.integers(0, 2, n) if dtype == "boolean" else rng.integers(0, 3, n)
    if dtype in ("object", "string"):   # real text (numbers as text get a DataWarning)
        x = np.array(["low", "mid", "high"])[x]
    column = pd.Series(x).astype({"boolean": "boolean", "category": "category",
                                  "object": "object", "string": "string"}.get(dtype, dtype))
    column = column.astype(object).where(np.arange(n) % 7 != 0, missing).astype(
        column.dtype)
    data = pd.DataFrame({"y": rng.normal(size=n), "x": column})
    res = mlefit.fit("y ~ x", data)
    assert res.n_dropped == int(column.isna().sum()) == len(range(0, n, 7))
    assert res.nobs == n - res.n_dropped and res.dropped_by == {"x": res.n_dropped}


@pytest.mark.parametrize("args, message", [
    (["fit", "y ~ x", "--data", "nowhere.csv"], "nowhere.csv"),
    (["fit", "thalach ~ nothing", "--data", "HEART", "--no-header", "--names", "NAMES"],
     "nothing"),
    (["fit", "thalach ~ age", "--data", "HEART", "--no-header", "--names", "NAMES",
      "--family", "gausian"], "gaussian"),
    (["fit", "thalach ~ age", "--data", "HEART", "--no-header", "--names", "NAMES",
      "--cov-type", "HC9"], "HC9"),
])
def test_the_command_line_answers_bad_input_with_one_line_and_status_2(args, message, capsys):
    heart_csv = str(mlefit.datasets.path("heart"))
    names = ",".join(mlefit.datasets.HEART_COLUMNS)
    args = [{"HEART": heart_csv, "NAMES": names}.get(a, a) for a in args]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err


def test_the_command_line_passes_no_fit_option_as_a_parameter_formula(capsys):
    """``--NAME "~ formula"`` gives a parameter's formula; an option of fit() that the
    command does not offer (``--missing``, ``--safe-formulas``) is refused, not passed."""
    heart_csv = str(mlefit.datasets.path("heart"))
    names = ",".join(mlefit.datasets.HEART_COLUMNS)
    for option in (["--missing", "raise"], ["--safe-formulas", "0"], ["--fixed", "1"]):
        code = main(["fit", "thalach ~ age", "--data", heart_csv, "--no-header", "--names",
                     names, "--na-values", "?", *option])
        assert code == 2
        assert f"{option[0]} is not an option" in capsys.readouterr().err
