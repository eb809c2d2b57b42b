"""The command line: summaries, JSON, families, and one-line errors with exit status 2."""

import json
import subprocess
import sys

import pytest

import mlefit
from mlefit.cli import main

HEART_CSV = str(mlefit.datasets.path("heart"))
HEART = ["--data", HEART_CSV, "--no-header", "--names",
         ",".join(mlefit.datasets.HEART_COLUMNS), "--na-values", "?"]


def test_fit_prints_the_summary(capsys, heart):
    import mlefit

    assert main(["fit", "thalach ~ age + exang", *HEART, "--sigma", "~ age"]) == 0
    out = capsys.readouterr().out
    expected = mlefit.fit("thalach ~ age + exang", heart, "gaussian", sigma="~ age")
    assert out.strip() == expected.summary().strip()


def test_fit_json(capsys, heart):
    import mlefit

    assert main(["fit", "thalach ~ age", *HEART, "--convention", "R", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    ref = mlefit.fit("thalach ~ age", heart, "gaussian", convention="R")
    assert out["llf"] == pytest.approx(ref.llf, rel=1e-12)
    assert out["k"] == 3 and out["family"] == "gaussian"
    coef = {(c["parameter"], c["term"]): c for c in out["coefficients"]}
    assert coef[("mu", "age")]["std_error"] == pytest.approx(ref.bse[("mu", "age")])


def test_families_lists_the_gaussian(capsys):
    assert main(["families"]) == 0
    assert "gaussian" in capsys.readouterr().out
    assert main(["families", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    gauss = next(f for f in out["families"] if f["name"] == "gaussian")
    assert gauss["distribution"] == "mlefit" and "failed" in out


@pytest.mark.parametrize("args, message", [
    (["fit", "thalach ~ nosuch", *HEART], "not in the data"),
    (["fit", "y ~ x", "--data", "/no/such/file.csv"], "cannot read"),
    (["fit", "thalach ~ age", *HEART, "--family", "nosuch"], "no family named 'nosuch'"),
    (["fit", "thalach ~ age", *HEART, "--tau", "~ age"], "unexpected keyword"),
    (["fit", "thalach ~ age", *HEART, "--sigma"], "needs a formula"),
    (["fit", "thalach ~ age", "--data", HEART_CSV, "--no-header"],
     "--names"),
])
def test_user_errors_are_one_line_with_status_2(capsys, args, message):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("mlefit: error:") and message in err
    assert "Traceback" not in err and err.count("\n") == 1


def test_console_script_runs():
    proc = subprocess.run([sys.executable, "-m", "mlefit.cli", "fit", "thalach ~ age", *HEART],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "mu (link: identity)" in proc.stdout


def test_compare_prints_aic_table_and_lrt_sequence(capsys, heart):
    import mlefit

    formulas = ["thalach ~ age", "thalach ~ age + exang", "thalach ~ age + exang + oldpeak"]
    assert main(["compare", *HEART, *formulas]) == 0
    out = capsys.readouterr().out
    assert "dAIC" in out and "Likelihood-ratio tests" in out
    assert main(["compare", *HEART, *formulas, "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    fits = [mlefit.fit(f, heart, "gaussian") for f in formulas]
    ref = mlefit.lrtest(*fits)
    assert [r["model"] for r in got["compare"]] == formulas[::-1]  # best AIC first
    stats = [r["statistic"] for r in got["lrtest"]]
    assert stats[0] is None
    assert stats[1:] == pytest.approx(list(ref.statistic), rel=1e-12)
    assert got["lrtest_refused"] is None


def test_compare_non_nested_gives_the_table_and_says_why(capsys):
    assert main(["compare", *HEART, "thalach ~ age", "thalach ~ exang"]) == 0
    out = capsys.readouterr().out
    assert "dAIC" in out and "No likelihood-ratio test" in out
