"""The canonical example: maximum heart rate against age, angina and ST depression.

The Cleveland heart-disease data ship with mlefit (``mlefit.datasets.load_heart()``; UCI
Machine Learning Repository, CC BY 4.0). Run it from anywhere once mlefit is installed:

    python examples/heart.py
"""

import mlefit

heart = mlefit.datasets.load_heart()
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
