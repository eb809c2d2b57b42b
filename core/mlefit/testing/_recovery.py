"""Topic ``recovery``: simulate at the middle point, fit an intercept-only model with
``mlefit.fit``, and recover every coefficient within ``RECOVERY_SE`` standard errors.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..errors import ConvergenceWarning, HessianWarning
from ._case import Case
from ._check import Check, CheckFailure, require

#: how many standard errors an estimate may be from the truth
RECOVERY_SE = 4.0
#: draws the model is fitted to
N_RECOVERY = 2_000


def check_recovery(case: Case) -> str | None:
    """Simulate at the middle point, fit an intercept-only model, recover within 4 SE."""
    require(case, "sample")
    import pandas as pd

    from .. import fit

    fam, point = case.family, case.points[0]
    rows = point.rows(N_RECOVERY)
    # a parameter without an intercept of its own (an ordinal location) is 0 in an
    # intercept-only fit: draw with it there
    held = {p.name for p in fam.parameters if not p.intercept}
    rows.update({name: np.zeros(N_RECOVERY) for name in held})
    raw = np.asarray(fam.sample(case.rng("recovery"), N_RECOVERY, **rows), dtype=float)
    if raw.ndim == 1:
        data, formula = pd.DataFrame({"y": raw}), "y ~ 1"
    else:
        cols = [f"y{j}" for j in range(raw.shape[1])]
        data, formula = pd.DataFrame(raw, columns=cols), " + ".join(cols) + " ~ 1"
    # the standard errors of the family's own information when it has one (a family whose
    # observed information is singular, like the Laplace in mu, documents cov_type="expected")
    cov_type = "expected" if fam.has("expected_information") else "observed"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = fit(formula, data, family=fam, cov_type=cov_type)
    trouble = [str(w.message) for w in caught
               if issubclass(w.category, ConvergenceWarning | HessianWarning)]
    if trouble or not res.converged:
        raise CheckFailure(f"the fit to {N_RECOVERY} draws at {point} did not converge "
                           f"cleanly: {'; '.join(trouble) or res.diagnostics.message}")
    for p in fam.parameters:
        if p.name in held:
            continue
        truth = float(case.link(p.default_link).link(point.params[p.name]))
        # a labelled constant is named by its label (mlefit.binding.adjust_frame)
        term = p.label if p.label and not p.shares_formula else "Intercept"
        est, se = float(res.params[(p.name, term)]), float(res.bse[(p.name, term)])
        if not abs(est - truth) <= RECOVERY_SE * se:
            raise CheckFailure(f"{p.name}: estimate {est:.6g} (link scale) is "
                               f"{abs(est - truth) / se:.1f} SE from the truth {truth:.6g} "
                               f"with {N_RECOVERY} draws at {point}. Fix: logpdf and sample "
                               "must describe the same distribution")
    return f"{N_RECOVERY} draws at {point}, {cov_type} information"


#: this topic's checks, in the order they run
TOPIC_CHECKS = (
    Check("recovery", check_recovery),
)
