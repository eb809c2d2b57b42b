"""The bundled datasets (mlefit.datasets) and the test-only files (tests/data) are what their
provenance says they are.

Oracles: the SHA-256 digests recorded when the files were copied from their sources; the
copies statsmodels ships in its test results (byte for byte, where the installed statsmodels
has them); the class distribution that UCI's ``heart-disease.names`` publishes for the
Cleveland file (num 0: 164, 1: 55, 2: 36, 3: 35, 4: 13; 303 instances, 14 attributes used).
"""

import doctest
import hashlib
import re
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

import mlefit
from mlefit import datasets

TEST_DATA = Path(__file__).resolve().parents[1] / "data"

#: bundled file -> (statsmodels' file in statsmodels/genmod/tests/results, lines compared)
STATSMODELS_COPIES = {
    "cancer": ("stata_cancer_glm.csv", None),
    "medpar1": ("stata_medpar1_glm.csv", None),
    "inv_gaussian": ("inv_gaussian.csv", 5001),   # header + the first 5,000 rows
}


@pytest.mark.parametrize("name", sorted(datasets.DATASETS))
def test_bundled_file_has_the_recorded_digest(name):
    digest = hashlib.sha256(datasets.path(name).read_bytes()).hexdigest()
    assert digest == datasets.DATASETS[name].sha256
    assert datasets.sha256(name) == digest


@pytest.mark.parametrize("name", sorted(STATSMODELS_COPIES))
def test_bundled_file_is_statsmodels_copy_byte_for_byte(name):
    filename, lines = STATSMODELS_COPIES[name]
    try:
        theirs = resources.files("statsmodels.genmod.tests.results").joinpath(filename)
        theirs = theirs.read_bytes()
    except (ModuleNotFoundError, FileNotFoundError):
        pytest.skip(f"this statsmodels installation does not ship {filename}")
    if lines is not None:
        theirs = b"".join(theirs.splitlines(keepends=True)[:lines])
    assert datasets.path(name).read_bytes() == theirs


def test_rossi_is_lifelines_copy_byte_for_byte():
    try:
        theirs = resources.files("lifelines.datasets").joinpath("rossi.csv").read_bytes()
    except (ModuleNotFoundError, FileNotFoundError):
        pytest.skip("lifelines is not installed")
    assert datasets.path("rossi").read_bytes() == theirs


def test_every_bundled_file_is_described_beside_it():
    readme = resources.files("mlefit.datasets").joinpath("data", "README.md").read_text()
    shipped = {p.name for p in resources.files("mlefit.datasets").joinpath("data").iterdir()
               if p.name.endswith(".csv")}
    assert shipped == {info.filename for info in datasets.DATASETS.values()}
    for info in datasets.DATASETS.values():
        row = next(line for line in readme.splitlines() if line.startswith(f"| `{info.filename}`"))
        assert info.sha256 in row


def test_heart_matches_uci_description():
    heart = datasets.load_heart()
    assert heart.shape == (303, 14)
    assert tuple(heart.columns) == datasets.HEART_COLUMNS
    assert heart["num"].value_counts().sort_index().to_dict() == {0: 164, 1: 55, 2: 36,
                                                                  3: 35, 4: 13}
    assert heart["num"].dtype == np.int64
    assert all(heart[c].dtype == np.float64 for c in datasets.HEART_COLUMNS[:-1])
    # '?' marks missing values in UCI's file: 4 in ca, 2 in thal, nowhere else
    assert heart.isna().sum()[lambda s: s > 0].to_dict() == {"ca": 4, "thal": 2}


def test_loaders_return_fresh_frames():
    first = datasets.load_heart()
    first.loc[0, "age"] = -1.0
    assert datasets.load_heart().loc[0, "age"] == 63.0


def test_reference_datasets_load_with_their_columns():
    assert list(datasets.load_cancer().columns) == ["studytime", "age", "drug"]
    assert list(datasets.load_medpar1().columns) == ["los", "admitype", "codes"]
    assert datasets.load_medpar1().shape == (3676, 3)
    assert list(datasets.load_inv_gaussian().columns) == ["xig", "x1", "x2"]
    bio = datasets.load_biochemists()
    assert list(bio.columns) == ["art", "fem", "mar", "kid5", "phd", "ment"]
    assert bio.shape == (915, 6) and bio["art"].max() == 19


def test_unknown_dataset_names_the_ones_there_are():
    with pytest.raises(KeyError, match="no bundled dataset 'hearts'; the datasets are "
                                       "biochemists, cancer, heart, inv_gaussian, medpar1, "
                                       "rossi"):
        datasets.path("hearts")


def test_every_dataset_states_source_licence_and_citation():
    for info in datasets.DATASETS.values():
        assert info.source and info.licence and info.citation
    assert "CC BY 4.0" in datasets.DATASETS["heart"].licence
    assert "10.24432/C52P4X" in datasets.DATASETS["heart"].citation
    assert "GPL" in datasets.DATASETS["medpar1"].licence
    assert "CC BY 4.0" in datasets.load_heart.__doc__


def test_module_examples_run():
    failures, tried = doctest.testmod(datasets, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert tried > 0 and failures == 0


def test_package_exposes_the_datasets():
    assert mlefit.datasets is datasets and "datasets" in mlefit.__all__


def test_test_only_files_have_the_digests_their_readme_records():
    rows = re.findall(r"^\| `([^`]+\.csv)` \|.*\| `([0-9a-f]{64})` \|$",
                      (TEST_DATA / "README.md").read_text(), flags=re.M)
    recorded = dict(rows)
    assert set(recorded) == {p.name for p in TEST_DATA.glob("*.csv")}
    for name, digest in recorded.items():
        assert hashlib.sha256((TEST_DATA / name).read_bytes()).hexdigest() == digest, name
