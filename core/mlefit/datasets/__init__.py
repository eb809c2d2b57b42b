"""Datasets that ship inside mlefit: the heart data of the README and the references the docs use.

Each loader reads a CSV file that is installed with the package (``mlefit/datasets/data/``,
package data of the wheel) and returns a new :class:`pandas.DataFrame`; nothing is
downloaded. The files are the published files byte for byte: :data:`DATASETS` records each
one's SHA-256 digest, source and licence, and the test suite checks the digests (and, where
statsmodels ships the same file, that the two are identical). ``data/README.md`` beside
the files says the same for anyone who opens the installed package.

>>> from mlefit import datasets
>>> heart = datasets.load_heart()
>>> heart.shape
(303, 14)
>>> sorted(datasets.DATASETS)
['biochemists', 'cancer', 'heart', 'inv_gaussian', 'medpar1', 'rossi']

Licences differ between datasets (one is CC BY 4.0, which asks you to cite it; one was
also distributed in a GPL-licensed R package): read a dataset's ``licence`` before you
redistribute it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources

import pandas as pd

__all__ = [
    "BIOCHEMISTS_LEVELS",
    "DATASETS",
    "HEART_COLUMNS",
    "DatasetInfo",
    "load_biochemists",
    "load_cancer",
    "load_heart",
    "load_inv_gaussian",
    "load_medpar1",
    "load_rossi",
    "path",
    "sha256",
]


@dataclass(frozen=True)
class DatasetInfo:
    """Where a bundled dataset comes from and under which terms it may be used."""

    name: str
    filename: str
    title: str
    source: str
    licence: str
    citation: str
    sha256: str


#: the factor levels of bioChemists in R's order (the first is the reference level)
BIOCHEMISTS_LEVELS = {"fem": ("Men", "Women"), "mar": ("Single", "Married")}

HEART_COLUMNS = ("age", "sex", "cp", "trestbps", "chol", "fbs", "restecg", "thalach",
                 "exang", "oldpeak", "slope", "ca", "thal", "num")

DATASETS: dict[str, DatasetInfo] = {
    "heart": DatasetInfo(
        name="heart",
        filename="heart.csv",
        title="Heart Disease, Cleveland Clinic Foundation (303 patients, 14 attributes)",
        source=("UCI Machine Learning Repository, Heart Disease, file "
                "processed.cleveland.data; https://archive.ics.uci.edu/dataset/45/heart+disease"),
        licence="CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/): cite it as below",
        citation=("Janosi, A., Steinbrunn, W., Pfisterer, M. and Detrano, R. (1989). Heart "
                  "Disease [Dataset]. UCI Machine Learning Repository. "
                  "https://doi.org/10.24432/C52P4X"),
        sha256="a74b7efa387bc9d108d7d0115d831fe9b414b29ae7124f331b622b4efa0427c8",
    ),
    "cancer": DatasetInfo(
        name="cancer",
        filename="cancer.csv",
        title="Patient survival in a drug trial (48 patients: studytime, age, drug)",
        source=("Stata's example dataset cancer.dta (StataCorp, Stata Reference Manual; "
                "https://www.stata-press.com/data/r10/rmain.html), in the three columns "
                "statsmodels ships as statsmodels/genmod/tests/results/stata_cancer_glm.csv"),
        licence=("statsmodels' copy is distributed under statsmodels' BSD-3-Clause licence; "
                 "StataCorp publishes its example data for use with its manuals and states "
                 "no licence of its own"),
        citation="StataCorp. Stata Reference Manual, example dataset 'cancer'.",
        sha256="a2f4510b45308201bf3be3cd82098153c96d0efa2e8d9bd75468ec436e076221",
    ),
    "medpar1": DatasetInfo(
        name="medpar1",
        filename="medpar1.csv",
        title=("Length of hospital stay, 1991 Arizona Medicare data, DRG 112 (3,676 "
               "admissions: los, admitype, codes)"),
        source=("Hardin and Hilbe's medpar1 (https://www.stata-press.com/data/hh2/medpar1), "
                "in the three columns statsmodels ships as "
                "statsmodels/genmod/tests/results/stata_medpar1_glm.csv"),
        licence=("statsmodels' copy is distributed under statsmodels' BSD-3-Clause licence; "
                 "the same data (as medpar) are also in Hilbe's R package COUNT, which is "
                 "licensed GPL-2: if that matters for your use, take the Stata Press file"),
        citation=("Hardin, J. W. and Hilbe, J. M. (2007). Generalized Linear Models and "
                  "Extensions, 2nd ed. Stata Press; Hilbe, J. M. (2011). Negative Binomial "
                  "Regression, 2nd ed. Cambridge University Press."),
        sha256="0cbfddfdad0a7d05a48e1e625a6b28748eb36eead51815c6d7c1908ec6708393",
    ),
    "inv_gaussian": DatasetInfo(
        name="inv_gaussian",
        filename="inv_gaussian.csv",
        title="Simulated inverse Gaussian responses (5,000 rows: xig, x1, x2)",
        source=("Simulated by Hardin and Hilbe in Stata; the first 5,000 rows of "
                "statsmodels/genmod/tests/results/inv_gaussian.csv (the rows statsmodels' "
                "R reference results use)"),
        licence="statsmodels' BSD-3-Clause licence",
        citation=("Hardin, J. W. and Hilbe, J. M. (2007). Generalized Linear Models and "
                  "Extensions, 2nd ed. Stata Press."),
        sha256="e6e948cb97a111cd31f5e23067528c5f9fd8183c07df8f27cc443f18ad42fa5c",
    ),
    "biochemists": DatasetInfo(
        name="biochemists",
        filename="biochemists.csv",
        title=("Articles of 915 biochemistry graduate students (art, fem, mar, kid5, phd, "
               "ment)"),
        source=("R package pscl's data set bioChemists, as Rdatasets publishes it: "
                "https://github.com/vincentarelbundock/Rdatasets, csv/pscl/bioChemists.csv "
                "(commit 1dcc2bf5f955cc1224a3e1307256e1fe86b68dae)"),
        licence=("distributed in the R package pscl (GPL-2) and by Rdatasets (GPL-3); the "
                 "data are Long's (1990) survey: if the GPL matters for your use, cite and "
                 "take them from the original study"),
        citation=("Long, J. S. (1990). The origins of sex differences in science. Social "
                  "Forces 68(3), 1297-1316; Long, J. S. (1997). Regression Models for "
                  "Categorical and Limited Dependent Variables. Sage."),
        sha256="cbb563e1191d757cfb0fca37d8f6f2d2b629a7ba1c262cd8085d7353515c9c02",
    ),
    "rossi": DatasetInfo(
        name="rossi",
        filename="rossi.csv",
        title=("Recidivism of 432 released prisoners followed for a year (right-censored "
               "weeks to arrest: week, arrest, fin, age, race, wexp, mar, paro, prio)"),
        source=("Rossi, Berk and Lenihan's experiment (1980), as lifelines 0.30 ships it: "
                "lifelines/datasets/rossi.csv (identical bytes); also R's carData::Rossi "
                "(the first nine columns) and Allison (1995)"),
        licence=("lifelines' copy is distributed under lifelines' MIT licence; the same data "
                 "are in John Fox's R package carData, licensed GPL (>= 2): if that matters "
                 "for your use, cite the original study"),
        citation=("Rossi, P. H., Berk, R. A. and Lenihan, K. J. (1980). Money, Work and "
                  "Crime: Some Experimental Results. New York: Academic Press."),
        sha256="0214400170e07f3015a285edca2014cac0dae8aac125fcbaad642490e05f892c",
    ),
}


def path(name: str):
    """The installed file of dataset ``name`` (an :mod:`importlib.resources` traversable)."""
    try:
        info = DATASETS[name]
    except KeyError:
        raise KeyError(f"no bundled dataset {name!r}; the datasets are "
                       f"{', '.join(sorted(DATASETS))}") from None
    return resources.files(__name__).joinpath("data", info.filename)


def sha256(name: str) -> str:
    """The SHA-256 digest of the installed file (compare with ``DATASETS[name].sha256``)."""
    return hashlib.sha256(path(name).read_bytes()).hexdigest()


def _load_csv(name: str, **read_csv) -> pd.DataFrame:
    with resources.as_file(path(name)) as file:
        return pd.read_csv(file, **read_csv)


def load_heart() -> pd.DataFrame:
    """The Cleveland heart-disease data: 303 patients, 14 attributes.

    The processed Cleveland file of the UCI Heart Disease dataset, as published (no header;
    ``?`` marks a missing value, read here as NaN: 4 in ``ca`` and 2 in ``thal``).

    Columns (all ``float64`` but ``num``, which is ``int64``; the codes are UCI's):

    ========  ================================================================
    age       age in years
    sex       1 = male, 0 = female
    cp        chest pain type: 1 typical angina, 2 atypical, 3 non-anginal, 4 none
    trestbps  resting blood pressure on admission (mm Hg)
    chol      serum cholesterol (mg/dl)
    fbs       fasting blood sugar > 120 mg/dl (1 = true)
    restecg   resting ECG: 0 normal, 1 ST-T abnormality, 2 left ventricular hypertrophy
    thalach   maximum heart rate achieved (beats per minute)
    exang     exercise-induced angina (1 = yes)
    oldpeak   ST depression induced by exercise relative to rest (mm)
    slope     slope of the peak exercise ST segment: 1 up, 2 flat, 3 down
    ca        number of major vessels (0-3) coloured by fluoroscopy
    thal      3 normal, 6 fixed defect, 7 reversible defect
    num       diagnosis of heart disease (angiographic): 0 none, 1-4 increasing
    ========  ================================================================

    Source: UCI Machine Learning Repository, Heart Disease (V.A. Medical Center, Long Beach,
    and Cleveland Clinic Foundation; principal investigator Robert Detrano).
    Licence: CC BY 4.0, which asks you to cite it: Janosi, A., Steinbrunn, W., Pfisterer,
    M. and Detrano, R. (1989). Heart Disease [Dataset]. UCI Machine Learning Repository.
    https://doi.org/10.24432/C52P4X

    >>> heart = load_heart()
    >>> list(heart.columns) == list(HEART_COLUMNS)
    True
    >>> int(heart["ca"].isna().sum()), int(heart["thal"].isna().sum())
    (4, 2)
    """
    return _load_csv("heart", header=None, names=list(HEART_COLUMNS), na_values="?")


def load_cancer() -> pd.DataFrame:
    """Survival of 48 patients in a drug trial: ``studytime``, ``age``, ``drug`` (int64).

    ``studytime`` is months to death or end of study, ``drug`` the treatment (1 placebo, 2
    and 3 two drugs); the censoring indicator of the original file is not included. The
    classic gamma/Weibull GLM example (R values for it are published in statsmodels' test
    results). Source: Stata's example dataset ``cancer`` as statsmodels ships it; see
    ``DATASETS["cancer"]`` for the licence.

    >>> load_cancer().shape
    (48, 3)
    """
    return _load_csv("cancer")


def load_medpar1() -> pd.DataFrame:
    """Hilbe's medpar1: length of stay of 3,676 Medicare admissions (overdispersed counts).

    ``los`` (days, int64), ``admitype`` (string: ``"type1|2"`` elective or urgent,
    ``"type3"`` emergency), ``codes`` (int64, the numeric code of Hardin and Hilbe's
    file, used as a covariate in statsmodels' reference fits). Source: Hardin and
    Hilbe's Stata Press data, as statsmodels ships it; the same data are in the GPL-2 R
    package COUNT: see ``DATASETS["medpar1"]``.

    >>> load_medpar1()["admitype"].value_counts().to_dict()
    {'type1|2': 2447, 'type3': 1229}
    """
    return _load_csv("medpar1")


def load_inv_gaussian() -> pd.DataFrame:
    """5,000 simulated inverse Gaussian responses ``xig`` with covariates ``x1``, ``x2``.

    The data of R's ``glm(xig ~ x1 + x2, family = inverse.gaussian)`` results that
    statsmodels publishes. Source: Hardin and Hilbe, via statsmodels (BSD-3-Clause).

    >>> load_inv_gaussian().shape
    (5000, 3)
    """
    return _load_csv("inv_gaussian")


def load_biochemists() -> pd.DataFrame:
    """Long's bioChemists (R's ``pscl::bioChemists``): articles of 915 biochemistry PhD
    students, the standard example of zero-inflated and hurdle count models.

    ``art`` (articles in the last three years of the PhD, int64), ``fem`` and ``mar``
    (categoricals with R's levels :data:`BIOCHEMISTS_LEVELS`: ``Men``/``Women``,
    ``Single``/``Married``, the first the reference level as in pscl's output), ``kid5``
    (children aged 5 or younger), ``phd`` (prestige of the PhD department), ``ment``
    (articles of the mentor in the last three years). The file's row-name column is the
    index. Source and licence (GPL, via pscl and Rdatasets): ``DATASETS["biochemists"]``.

    >>> bio = load_biochemists()
    >>> bio.shape, int((bio["art"] == 0).sum())
    ((915, 6), 275)
    >>> list(bio["mar"].cat.categories)
    ['Single', 'Married']
    """
    df = _load_csv("biochemists", index_col=0)
    for column, levels in BIOCHEMISTS_LEVELS.items():
        df[column] = pd.Categorical(df[column], categories=list(levels))
    return df


def load_rossi() -> pd.DataFrame:
    """Rossi's recidivism data: 432 prisoners released in Maryland in the 1970s.

    ``week`` (int64): week of the first arrest after release, or 52 (end of follow-up);
    ``arrest`` (int64): 1 arrested in that week, 0 not arrested during the year (censored);
    ``fin`` financial aid (1 yes, the randomised treatment), ``age`` at release, ``race``
    (1 black), ``wexp`` full-time work experience, ``mar`` married at release, ``paro``
    released on parole, ``prio`` number of prior convictions (all int64). The survival
    example of lifelines and of R's survival literature (Allison 1995; Fox). Source and
    licence: ``DATASETS["rossi"]``.

    >>> rossi = load_rossi()
    >>> rossi.shape, int(rossi["arrest"].sum())
    ((432, 9), 114)
    """
    return _load_csv("rossi")
