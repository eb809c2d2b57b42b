"""NIST StRD linear least-squares certified values, and loaders for the matching data.

Source: NIST/ITL Statistical Reference Datasets (StRD), Linear Least Squares Regression,
https://www.itl.nist.gov/div898/strd/lls/lls.shtml, and the per-dataset pages
https://www.itl.nist.gov/div898/strd/lls/data/<Name>.shtml (certified values at
https://www.itl.nist.gov/div898/strd/lls/data/LINKS/v-<Name>.shtml) for Norris, Pontius,
NoInt1, NoInt2, Filip, Longley and Wampler1-5. Values are transcribed with all 15 significant
digits NIST publishes and were checked against an exact (rational / 100-digit mpmath)
least-squares solution of the data in tests/data (nist_<name>.csv): every nonzero value agrees
to a relative error below 1e-14.

Per dataset: ``degree`` (polynomial degree in x; ``None`` for Longley, which regresses on
x1..x6), ``intercept``, ``params`` (B0, B1, ...; intercept first when present), ``bse``
(certified standard deviations of the estimates), ``residual_sd`` and ``r_squared``. For
NoInt1/NoInt2 R^2 is NIST's uncentered one, 1 - RSS / sum(y**2). Wampler1 and Wampler2
fit exactly: their residual SD and standard errors are exactly 0 and R^2 is exactly 1.
"""

from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).resolve().parent / "data"

CERTIFIED: dict[str, dict] = {
    "norris": {
        "degree": 1,
        "intercept": True,
        "params": [-0.262323073774029, 1.00211681802045],
        "bse": [0.232818234301152, 0.429796848199937e-03],
        "residual_sd": 0.884796396144373,
        "r_squared": 0.999993745883712,
    },
    "pontius": {
        "degree": 2,
        "intercept": True,
        "params": [0.673565789473684e-03, 0.732059160401003e-06, -0.316081871345029e-14],
        "bse": [0.107938612033077e-03, 0.157817399981659e-09, 0.486652849992036e-16],
        "residual_sd": 0.205177424076185e-03,
        "r_squared": 0.999999900178537,
    },
    "noint1": {
        "degree": 1,
        "intercept": False,
        "params": [2.07438016528926],
        "bse": [0.165289256198347e-01],
        "residual_sd": 3.56753034006338,
        "r_squared": 0.999365492298663,
    },
    "noint2": {
        "degree": 1,
        "intercept": False,
        "params": [0.727272727272727],
        "bse": [0.420827318078432e-01],
        "residual_sd": 0.369274472937998,
        "r_squared": 0.993348115299335,
    },
    "filip": {
        "degree": 10,
        "intercept": True,
        "params": [
            -1467.48961422980, -2772.17959193342, -2316.37108160893, -1127.97394098372,
            -354.478233703349, -75.1242017393757, -10.8753180355343, -1.06221498588947,
            -0.670191154593408e-01, -0.246781078275479e-02, -0.402962525080404e-04,
        ],
        "bse": [
            298.084530995537, 559.779865474950, 466.477572127796, 227.204274477751,
            71.6478660875927, 15.2897178747400, 2.23691159816033, 0.221624321934227,
            0.142363763154724e-01, 0.535617408889821e-03, 0.896632837373868e-05,
        ],
        "residual_sd": 0.334801051324544e-02,
        "r_squared": 0.996727416185620,
    },
    "longley": {
        "degree": None,
        "intercept": True,
        "columns": ["x1", "x2", "x3", "x4", "x5", "x6"],
        "params": [
            -3482258.63459582, 15.0618722713733, -0.358191792925910e-01, -2.02022980381683,
            -1.03322686717359, -0.511041056535807e-01, 1829.15146461355,
        ],
        "bse": [
            890420.383607373, 84.9149257747669, 0.334910077722432e-01, 0.488399681651699,
            0.214274163161675, 0.226073200069370, 455.478499142212,
        ],
        "residual_sd": 304.854073561965,
        "r_squared": 0.995479004577296,
    },
    "wampler1": {
        "degree": 5,
        "intercept": True,
        "params": [1.0] * 6,
        "bse": [0.0] * 6,
        "residual_sd": 0.0,
        "r_squared": 1.0,
    },
    "wampler2": {
        "degree": 5,
        "intercept": True,
        "params": [1.0, 0.1, 0.1e-01, 0.1e-02, 0.1e-03, 0.1e-04],
        "bse": [0.0] * 6,
        "residual_sd": 0.0,
        "r_squared": 1.0,
    },
    "wampler3": {
        "degree": 5,
        "intercept": True,
        "params": [1.0] * 6,
        "bse": [
            2152.32624678170, 2363.55173469681, 779.343524331583, 101.475507550350,
            5.64566512170752, 0.112324854679312,
        ],
        "residual_sd": 2360.14502379268,
        "r_squared": 0.999995559025820,
    },
    "wampler4": {
        "degree": 5,
        "intercept": True,
        "params": [1.0] * 6,
        "bse": [
            215232.624678170, 236355.173469681, 77934.3524331583, 10147.5507550350,
            564.566512170752, 11.2324854679312,
        ],
        "residual_sd": 236014.502379268,
        "r_squared": 0.957478440825662,
    },
    "wampler5": {
        "degree": 5,
        "intercept": True,
        "params": [1.0] * 6,
        "bse": [
            21523262.4678170, 23635517.3469681, 7793435.24331583, 1014755.07550350,
            56456.6512170752, 1123.24854679312,
        ],
        "residual_sd": 23601450.2379268,
        "r_squared": 0.224668921574940e-02,
    },
}


def term_names(name: str) -> list[str]:
    """Design-matrix column names, matching the formula terms ``y ~ x + I(x**2) + ...``."""
    spec = CERTIFIED[name]
    if spec["degree"] is None:
        terms = list(spec["columns"])
    else:
        terms = ["x"] + [f"I(x**{k})" for k in range(2, spec["degree"] + 1)]
    return ["Intercept", *terms] if spec["intercept"] else terms


def load(name: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Return ``(y, X, column_names)`` for NIST dataset ``name`` (a key of ``CERTIFIED``)."""
    spec = CERTIFIED[name]
    path = DATA_DIR / f"nist_{name}.csv"
    header = path.read_text().splitlines()[0].split(",")
    data = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    y = data[:, header.index("y")]
    if spec["degree"] is None:
        cols = [data[:, header.index(c)] for c in spec["columns"]]
    else:
        x = data[:, header.index("x")]
        cols = [x**k for k in range(1, spec["degree"] + 1)]
    if spec["intercept"]:
        cols.insert(0, np.ones_like(y))
    return y, np.column_stack(cols), term_names(name)
