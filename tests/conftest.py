"""Shared fixtures: the bundled datasets (mlefit.datasets) and the test-only data (tests/data)."""

from pathlib import Path

import pandas as pd
import pytest

from mlefit import datasets

#: test-only reference files; their sources, licences and digests: tests/data/README.md
TEST_DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def heart() -> pd.DataFrame:
    return datasets.load_heart()


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """tests/data: the test-only reference files (NIST StRD, statsmodels' generated data)."""
    return TEST_DATA


@pytest.fixture(scope="session")
def cancer() -> pd.DataFrame:
    """Survival times of a drug trial (studytime, age, drug): a classic Gamma/Weibull set."""
    return datasets.load_cancer()


@pytest.fixture(scope="session")
def medpar() -> pd.DataFrame:
    """Hilbe's medpar1: length of hospital stay (a classic overdispersed count set)."""
    return datasets.load_medpar1()


@pytest.fixture(scope="session")
def randhie() -> pd.DataFrame:
    """The RAND health-insurance experiment as statsmodels ships it."""
    import statsmodels.api as sm

    return sm.datasets.randhie.load_pandas().data
