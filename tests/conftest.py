"""Shared fixtures: the canonical heart data from ../shared/data (beside the checkout)."""

from pathlib import Path

import pandas as pd
import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
HEART_COLUMNS = ["age", "sex", "cp", "trestbps", "chol", "fbs", "restecg", "thalach",
                 "exang", "oldpeak", "slope", "ca", "thal", "num"]


def read_heart() -> pd.DataFrame:
    return pd.read_csv(SHARED / "heart.csv", header=None, names=HEART_COLUMNS, na_values="?")


@pytest.fixture(scope="session")
def heart() -> pd.DataFrame:
    return read_heart()


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    return SHARED / "reference"


@pytest.fixture(scope="session")
def cancer(reference_dir) -> pd.DataFrame:
    """Survival times of a drug trial (studytime, age, drug): a classic Gamma/Weibull set."""
    return pd.read_csv(reference_dir / "cancer.csv")


@pytest.fixture(scope="session")
def medpar(reference_dir) -> pd.DataFrame:
    """Hilbe's medpar1: length of hospital stay (a classic overdispersed count set)."""
    return pd.read_csv(reference_dir / "medpar1.csv")


@pytest.fixture(scope="session")
def randhie() -> pd.DataFrame:
    """The RAND health-insurance experiment as statsmodels ships it."""
    import statsmodels.api as sm

    return sm.datasets.randhie.load_pandas().data
