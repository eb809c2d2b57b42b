"""Estimated marginal means and their pairs against closed forms (a one-way gaussian
model), statsmodels' predictions on a hand-built reference grid, statsmodels'
pairwise_tukeyhsd and multipletests."""

import itertools

import numpy as np
import pandas as pd
import patsy
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from statsmodels.stats.multicomp import pairwise_tukeyhsd
from statsmodels.stats.multitest import multipletests

import mlefit
from mlefit import DataError

LOGIT_FORMULA = "disease ~ C(cp) + C(slope) + age + sex"


@pytest.fixture(scope="module")
def oneway():
    """Unbalanced one-way layout (group sizes 12, 15, 9, 20)."""
    rng = np.random.default_rng(3)
    sizes = {"a": 12, "b": 15, "c": 9, "d": 20}
    g = np.repeat(list(sizes), list(sizes.values()))
    shift = pd.Series({"a": 0.0, "b": 0.4, "c": 1.1, "d": 0.2})[g].to_numpy()
    return pd.DataFrame({"g": g, "y": 5 + shift + rng.normal(size=g.size)})


@pytest.fixture(scope="module")
def logit(heart):
    data = heart.assign(disease=(heart["num"] > 0).astype(int))
    res = mlefit.fit(LOGIT_FORMULA, data, family="binomial")
    glm = smf.glm(LOGIT_FORMULA, data, family=sm.families.Binomial()).fit(tol=1e-13)
    return data, res, glm


def test_one_way_means_are_the_cell_means_and_tukey_matches_statsmodels(oneway):
    """Closed form: the mean of each group, SE s / sqrt(n_j) with s^2 = RSS / (n - k)
    under convention="R" (t on n - k df). Tukey-Kramer pairs equal pairwise_tukeyhsd's
    (which reports later minus earlier: the sign flips); its p-values come from the same
    studentized range (agreement 1e-6 after rounding in its table: we read the raw
    arrays)."""
    res = mlefit.fit("y ~ g", oneway, family="gaussian", convention="R")
    emm = mlefit.emmeans(res, "g")
    cells = oneway.groupby("g")["y"].agg(["mean", "size"])
    rss = ((oneway["y"] - oneway.groupby("g")["y"].transform("mean")) ** 2).sum()
    s = np.sqrt(rss / (len(oneway) - 4))
    np.testing.assert_allclose(emm.table["emmean"], cells["mean"], rtol=1e-10)
    np.testing.assert_allclose(emm.table["std_error"], s / np.sqrt(cells["size"]), rtol=1e-8)
    pairs = emm.pairs(adjust="tukey")
    assert pairs["contrast"].tolist() == ["a - b", "a - c", "a - d", "b - c", "b - d", "c - d"]
    hsd = pairwise_tukeyhsd(oneway["y"], oneway["g"], alpha=0.05)
    np.testing.assert_allclose(pairs["estimate"], -hsd.meandiffs, rtol=1e-9)
    np.testing.assert_allclose(pairs["p_value"], hsd.pvalues, rtol=1e-6, atol=1e-10)
    np.testing.assert_allclose(pairs["conf_low"], -hsd.confint[:, 1], rtol=1e-6)
    np.testing.assert_allclose(pairs["conf_high"], -hsd.confint[:, 0], rtol=1e-6)


def _grid_rows(glm, values):
    """The grid (every combination of values) and statsmodels' design of its rows."""
    grid = pd.DataFrame(list(itertools.product(*values.values())), columns=list(values))
    data = glm.model.data   # statsmodels 0.15 names patsy's DesignInfo model_spec, 0.14
    spec = getattr(data, "model_spec", None) or data.design_info   # design_info
    return grid, np.asarray(patsy.build_design_matrices([spec], grid)[0])


def test_logit_means_on_a_hand_built_grid(logit):
    """Reference grid cp x slope (equal weights), age and sex at their means: the mean of
    cp is the average of the grid's design rows, and statsmodels' get_prediction on that
    averaged row gives the link-scale mean and SE, and the response-scale mean, SE (delta
    method) and back-transformed interval."""
    data, res, glm = logit
    values = {"cp": [1.0, 2.0, 3.0, 4.0], "slope": [1.0, 2.0, 3.0],
              "age": [data["age"].mean()], "sex": [data["sex"].mean()]}
    grid, X = _grid_rows(glm, values)
    L = np.array([X[(grid["cp"] == c).to_numpy()].mean(axis=0) for c in values["cp"]])
    link = glm.get_prediction(L, transform=False, which="linear").summary_frame()
    resp = glm.get_prediction(L, transform=False).summary_frame()
    on_link = mlefit.emmeans(res, "cp", type="link")
    np.testing.assert_allclose(on_link.table["emmean"], link["predicted"], rtol=1e-7)
    np.testing.assert_allclose(on_link.table["std_error"], link["se"], rtol=1e-5)
    emm = mlefit.emmeans(res, "cp")
    np.testing.assert_allclose(emm.table["emmean"], resp["mean"], rtol=1e-7)
    np.testing.assert_allclose(emm.table["std_error"], resp["mean_se"], rtol=1e-5)
    np.testing.assert_allclose(emm.table["conf_low"], resp["mean_ci_lower"], rtol=1e-5)
    np.testing.assert_allclose(emm.table["conf_high"], resp["mean_ci_upper"], rtol=1e-5)
    assert emm.table["cp"].tolist() == values["cp"]


def test_odds_ratios_and_holm_against_statsmodels_contrasts(logit):
    """pairs() on the response scale of a logit: odds ratios exp(L_i - L_j) b, SE exp(d)
    se(d), z on the log scale; statsmodels' t_test of the same contrasts gives d and
    se(d) (observed = expected information for the canonical link: agreement 1e-5 from
    the two optimisers' tolerances); Holm's p-values equal multipletests(method="holm")
    on the raw ones."""
    data, res, glm = logit
    values = {"cp": [1.0, 2.0, 3.0, 4.0], "slope": [1.0, 2.0, 3.0],
              "age": [data["age"].mean()], "sex": [data["sex"].mean()]}
    grid, X = _grid_rows(glm, values)
    L = np.array([X[(grid["cp"] == c).to_numpy()].mean(axis=0) for c in values["cp"]])
    A = np.array([L[i] - L[j] for i in range(4) for j in range(i + 1, 4)])
    test = glm.t_test(A)
    d, se = np.ravel(test.effect), np.ravel(test.sd)
    emm = mlefit.emmeans(res, "cp")
    none = emm.pairs(adjust="none")
    assert none["contrast"].iloc[0] == "1 / 2"
    np.testing.assert_allclose(none["estimate"], np.exp(d), rtol=1e-6)
    np.testing.assert_allclose(none["std_error"], np.exp(d) * se, rtol=1e-5)
    np.testing.assert_allclose(none["p_value"], np.ravel(test.pvalue), rtol=1e-5)
    holm = emm.pairs(adjust="holm")
    expected = multipletests(none["p_value"], method="holm")[1]
    np.testing.assert_allclose(holm["p_value"], expected, rtol=1e-12)
    diffs = mlefit.emmeans(res, "cp", type="link").pairs(adjust="none")
    assert diffs["contrast"].iloc[0] == "1 - 2"
    np.testing.assert_allclose(diffs["estimate"], d, rtol=1e-6)


def test_by_and_at(logit):
    """Means of cp within each level of slope are the grid's linear predictors; at fixes
    age at 50 (the means move with b_age (50 - mean(age)) on the link scale)."""
    data, res, _ = logit
    by = mlefit.emmeans(res, "cp", by="slope", type="link")
    assert len(by.table) == 12
    assert by.table[["cp", "slope"]].iloc[4].tolist() == [1.0, 2.0]
    base = mlefit.emmeans(res, "cp", type="link").table["emmean"].to_numpy()
    moved = mlefit.emmeans(res, "cp", type="link", at={"age": 50}).table["emmean"].to_numpy()
    shift = res.params[("mu", "age")] * (50 - data["age"].mean())
    np.testing.assert_allclose(moved - base, shift, rtol=1e-9)
    pairs = by.pairs(adjust="none")
    assert len(pairs) == 18 and set(pairs["slope"]) == {1.0, 2.0, 3.0}
    # an additive model: the cp differences are the same in every slope group
    np.testing.assert_allclose(pairs["estimate"].iloc[:6], pairs["estimate"].iloc[6:12])


def test_poisson_rate_ratios(heart):
    """log link: pairs on the response scale are rate ratios exp(b_level - b_other) of
    the factor's coefficients (the other terms cancel)."""
    res = mlefit.fit("ca ~ C(cp) + age", heart, family="poisson")
    pairs = mlefit.emmeans(res, "cp").pairs(adjust="none")
    b = res.params["mu"]
    assert pairs["contrast"].iloc[0] == "1 / 2"
    assert pairs["estimate"].iloc[0] == pytest.approx(np.exp(-b["C(cp)[T.2.0]"]), rel=1e-9)
    assert pairs["statistic"].iloc[0] == pytest.approx(-res.tvalues[("mu", "C(cp)[T.2.0]")],
                                                       rel=1e-9)


@pytest.mark.parametrize("kwargs,match", [
    ({"specs": "zz"}, r"\['zz'\] are not variables"),
    ({"specs": "cp", "type": "odds"}, "type='odds'"),
    ({"specs": "cp", "at": {"zz": 1}}, "at names 'zz'"),
    ({"specs": "cp", "at": {"cp": [9.0]}}, r"levels \[9.0\]"),
    ({"specs": "cp", "at": 3}, "at must be a dict"),
    ({"specs": []}, "must name one or more variables"),
])
def test_bad_arguments_are_refused(logit, kwargs, match):
    _, res, _ = logit
    with pytest.raises(DataError, match=match):
        mlefit.emmeans(res, **kwargs)


def test_bad_adjustment_is_refused(logit):
    _, res, _ = logit
    with pytest.raises(DataError, match="adjust='scheffe'"):
        mlefit.emmeans(res, "cp").pairs(adjust="scheffe")


def test_interaction_with_an_averaged_variable_warns(heart):
    """R's emmeans notes that means averaged over a variable they interact with may
    mislead; by= that variable is the remedy (and no warning). exang is numeric (0/1),
    so as in R its grid is its mean unless at= gives values."""
    res = mlefit.fit("thalach ~ C(cp) * exang", heart, family="gaussian")
    with pytest.warns(mlefit.InferenceWarning, match="interact"):
        mlefit.emmeans(res, "cp")
    by = mlefit.emmeans(res, "cp", by="exang", at={"exang": [0.0, 1.0]}, type="link")
    cells = heart.groupby(["exang", "cp"])["thalach"].mean().to_numpy()
    # a saturated two-way model: the means are the cell means
    np.testing.assert_allclose(by.table["emmean"], cells, rtol=1e-9)
