"""The canonical example: maximum heart rate against age, angina and ST depression.

Run from the repository root (the data live in ../shared/data/heart.csv):

    python examples/heart.py
"""

from pathlib import Path

import pandas as pd

import mlefit

COLUMNS = ["age", "sex", "cp", "trestbps", "chol", "fbs", "restecg", "thalach", "exang",
           "oldpeak", "slope", "ca", "thal", "num"]
HEART = Path(__file__).resolve().parents[2] / "shared" / "data" / "heart.csv"

heart = pd.read_csv(HEART, header=None, names=COLUMNS, na_values="?")
res = mlefit.fit("thalach ~ age + exang + oldpeak", heart, family="gaussian")
print(res.summary())
print()
print("R's glm convention (expected information, dispersion on n - p, t tests):")
print(mlefit.fit("thalach ~ age + exang + oldpeak", heart, family="gaussian",
                 convention="R").summary())
print()
small = mlefit.fit("thalach ~ age", heart, family="gaussian")
print(mlefit.compare(small, res).round(4).to_string())
print()
print(mlefit.lrtest(small, res))
