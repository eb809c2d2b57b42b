"""Export: to_dict / to_json share the CLI's --json schema, tidy() against statsmodels'
coefficient table, and the summary as HTML and LaTeX carrying the table's values."""

import json
import pickle
from html.parser import HTMLParser

import numpy as np
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

import mlefit
from mlefit.cli import main

HEART_CSV = str(mlefit.datasets.path("heart"))
HEART = ["--data", HEART_CSV, "--no-header", "--names",
         ",".join(mlefit.datasets.HEART_COLUMNS), "--na-values", "?"]


@pytest.mark.parametrize("argv,kwargs", [
    (["thalach ~ age + exang", "--sigma", "~ age"], {"sigma": "~ age"}),
    (["thalach ~ age + oldpeak", "--convention", "R"], {"convention": "R"}),
])
def test_to_json_round_trip_equals_the_cli_json(capsys, heart, argv, kwargs):
    assert main(["fit", *argv[:1], *HEART, *argv[1:], "--json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    res = mlefit.fit(argv[0], heart, "gaussian", **kwargs)
    assert json.loads(res.to_json()) == cli
    assert res.to_dict() == cli
    assert set(cli) == {"family", "formulas", "coefficients", "llf", "k", "aic", "bic",
                        "nobs", "n_dropped", "converged", "aliased", "convention"}


def test_json_writes_nan_as_null(heart):
    """An aliased coefficient (singular="drop") has NaN estimates: null in JSON."""
    data = heart.assign(age2=2 * heart["age"])
    with pytest.warns(mlefit.CollinearityWarning, match="age2"):
        res = mlefit.fit("thalach ~ age + age2", data, "gaussian", singular="drop")
    out = json.loads(res.to_json(indent=None))
    row = next(c for c in out["coefficients"] if c["term"] == "age2")
    assert row["estimate"] is None and row["std_error"] is None
    assert out["aliased"] == [["mu", "age2"]]


def test_tidy_matches_statsmodels_coefficient_table(heart):
    """Binomial logit: statsmodels GLM's params, bse, z, p and Wald interval (the same
    normal quantile); agreement 1e-6 from the optimisers' tolerances."""
    data = heart.assign(disease=(heart["num"] > 0).astype(int))
    formula = "disease ~ age + sex + oldpeak"
    res = mlefit.fit(formula, data, "binomial")
    glm = smf.glm(formula, data, family=sm.families.Binomial()).fit(tol=1e-13)
    tidy = res.tidy(conf_int=True)
    assert list(tidy.columns) == ["parameter", "term", "estimate", "std_error", "statistic",
                                  "p_value", "conf_low", "conf_high"]
    assert tidy["term"].tolist() == ["Intercept", "age", "sex", "oldpeak"]
    assert set(tidy["parameter"]) == {"mu"}
    np.testing.assert_allclose(tidy["estimate"], glm.params, rtol=1e-7)
    np.testing.assert_allclose(tidy["std_error"], glm.bse, rtol=1e-6)
    np.testing.assert_allclose(tidy["statistic"], glm.tvalues, rtol=1e-6)
    np.testing.assert_allclose(tidy["p_value"], glm.pvalues, rtol=1e-5)
    ci = glm.conf_int()
    np.testing.assert_allclose(tidy["conf_low"], ci[0], rtol=1e-6)
    np.testing.assert_allclose(tidy["conf_high"], ci[1], rtol=1e-6)
    assert list(res.tidy().columns) == ["parameter", "term", "estimate", "std_error",
                                        "statistic", "p_value"]


class _Cells(HTMLParser):
    """The text of every table cell, per table."""

    def __init__(self):
        super().__init__()
        self.tables, self._cell = [], None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag in ("td", "th"):
            self._cell = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1].append(self._cell)
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data


def test_summary_as_html_and_latex_carry_the_table(heart):
    data = heart.assign(max_hr=heart["thalach"])
    res = mlefit.fit("max_hr ~ age + exang", data, "gaussian", sigma="~ age")
    summary = res.summary()
    assert isinstance(summary, str) and summary == summary.as_text()
    assert type(pickle.loads(pickle.dumps(summary))) is str
    page = summary.as_html()
    parser = _Cells()
    parser.feed(page)
    assert len(parser.tables) == 2        # mu and sigma
    for table, name in zip(parser.tables, ["mu", "sigma"], strict=True):
        for term, est in res.params[name].items():
            assert term in table and f"{est:.6g}" in table
            assert f"{res.bse[(name, term)]:.6g}" in table
    assert "Log-likelihood: " in page and "max_hr ~ age + exang" in page
    tex = summary.as_latex()
    assert tex.count(r"\begin{tabular}") == 2
    assert r"max\_hr \textasciitilde{} age + exang" in tex
    for (name, term), est in res.params.items():
        line = f"{term} & {est:.6g} & {res.bse[(name, term)]:.6g} &"
        assert line in tex
    assert r"Pr(\textgreater{}\textbar{}z\textbar{})" in tex


def test_summary_of_a_fixed_parameter_renders(heart):
    res = mlefit.fit("thalach ~ age", heart, "gaussian", fixed={"sigma": 20.0})
    assert "sigma fixed at 20" in res.summary().as_html()
    assert "sigma fixed at 20" in res.summary().as_latex()
