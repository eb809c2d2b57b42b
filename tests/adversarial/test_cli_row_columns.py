"""The command line takes the per-row columns the library takes: ``--weights``,
``--offset``, ``--exposure`` and ``--groups`` (with ``--cov-type``).

Oracles: statsmodels' Poisson GLM with ``exposure=`` / ``offset=`` and frequency weights
(the estimates), and the library's cluster fit for ``--groups`` (the CLI's own part is
only the wiring of the column names).
"""

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import mlefit
from mlefit.cli import main


@pytest.fixture(scope="module")
def counts_csv(tmp_path_factory):
    rng = np.random.default_rng(3)
    n = 120
    t = rng.uniform(0.5, 4, n)
    x = rng.normal(size=n)
    data = pd.DataFrame({"y": rng.poisson(t * np.exp(0.2 + 0.4 * x)), "x": x, "t": t,
                         "log_t": np.log(t), "w": rng.integers(1, 4, n).astype(float),
                         "g": rng.integers(0, 12, n)})
    path = tmp_path_factory.mktemp("cli") / "counts.csv"
    data.to_csv(path, index=False)
    return str(path), data


def _json_fit(capsys, *args) -> dict:
    assert main(["fit", *args, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    return {c["term"]: c for c in out["coefficients"]}


def _statsmodels(data, columns=("x",), **kwargs):
    # plain arrays: before 0.15 statsmodels' pandas wrapping of a fit with an exposure
    # Series reports NaN for the slope (its array fit is right in every version)
    X = sm.add_constant(data[list(columns)]) if columns else np.ones((len(data), 1))
    kwargs = {k: np.asarray(v, dtype=float) for k, v in kwargs.items()}
    return sm.GLM(data["y"].to_numpy(float), np.asarray(X, dtype=float),
                  family=sm.families.Poisson(), **kwargs).fit(tol=1e-12)


@pytest.mark.parametrize("option, column, oracle", [
    ("--exposure", "t", lambda d: _statsmodels(d, exposure=d["t"])),
    ("--offset", "log_t", lambda d: _statsmodels(d, offset=d["log_t"])),
    ("--weights", "w", lambda d: _statsmodels(d, freq_weights=d["w"])),
])
def test_per_row_columns_reach_the_fit(capsys, counts_csv, option, column, oracle):
    path, data = counts_csv
    coef = _json_fit(capsys, "y ~ x", "--data", path, "--family", "poisson", option, column)
    ref = oracle(data)
    # both maximise the same likelihood to a 1e-12 rule: agreement to 1e-8 is ample
    np.testing.assert_allclose([coef["Intercept"]["estimate"], coef["x"]["estimate"]],
                               np.asarray(ref.params), rtol=1e-8)


def test_groups_gives_the_cluster_covariance(capsys, counts_csv):
    path, data = counts_csv
    coef = _json_fit(capsys, "y ~ x", "--data", path, "--family", "poisson", "--groups", "g")
    ref = mlefit.fit("y ~ x", data, "poisson", cov_type="cluster", groups="g")
    np.testing.assert_allclose([coef["Intercept"]["std_error"], coef["x"]["std_error"]],
                               ref.bse["mu"].to_numpy(), rtol=1e-12)
    plain = mlefit.fit("y ~ x", data, "poisson")
    assert not np.allclose(ref.bse["mu"], plain.bse["mu"], rtol=1e-3)   # it did change
    explicit = _json_fit(capsys, "y ~ x", "--data", path, "--family", "poisson",
                         "--groups", "g", "--cov-type", "cluster")
    assert explicit == coef


def test_groups_with_another_cov_type_is_one_clean_error(capsys, counts_csv):
    path, _ = counts_csv
    assert main(["fit", "y ~ x", "--data", path, "--family", "poisson", "--groups", "g",
                 "--cov-type", "robust"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("mlefit: error:") and "\n" not in err and "cluster" in err


def test_compare_takes_the_same_columns(capsys, counts_csv):
    path, data = counts_csv
    assert main(["compare", "y ~ 1", "y ~ x", "--data", path, "--family", "poisson",
                 "--exposure", "t", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    small = _statsmodels(data, (), exposure=data["t"])
    big = _statsmodels(data, exposure=data["t"])
    lr = 2 * (big.llf - small.llf)
    assert out["lrtest"][-1]["statistic"] == pytest.approx(lr, rel=1e-8)


@pytest.mark.parametrize("command", ["fit", "compare"])
def test_the_help_lists_every_per_row_option(capsys, command):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    out = capsys.readouterr().out
    for option in ("--weights", "--offset", "--exposure", "--groups", "--cov-type"):
        assert option in out, f"{option} missing from 'mlefit {command} --help'"
