"""Topic ``sample``: draws have the right shape, lie in the support, and their mean and
variance agree with the family's (or the density's) within ``Z_MAX`` standard errors.
"""

from __future__ import annotations

import numpy as np

from ._case import Case, inside, mean_scale_or_none, prepared
from ._check import Check, CheckFailure, require
from ._moments import declared_moments, density_moments

#: how many standard errors a sample moment may be from the truth
Z_MAX = 5.0
#: draws per parameter point
N_SAMPLE = 20_000


def check_sample(case: Case) -> str | None:
    """sample(): shape, support, and moments within 5 SE of mean/variance."""
    fam = require(case, "sample")
    npts = len(case.points)
    params = {k: np.repeat([p.params[k] for p in case.points], N_SAMPLE) for k in case.names}
    raw = fam.sample(case.rng("sample"), N_SAMPLE * npts, **params)
    y = prepared(fam, raw)
    if y.shape != case.shape(N_SAMPLE * npts):
        raise CheckFailure(f"sample(rng, size={N_SAMPLE * npts}, ...) gave shape "
                           f"{np.shape(raw)}. Fix: return one response per row")
    if not inside(fam, y).all():
        raise CheckFailure(f"sample() returned values outside the support {fam.support}")
    scale = mean_scale_or_none(fam, y)
    if scale is None:
        return "shape and support only (multi-column response without glm_response)"
    ybar, m = scale
    compared = 0
    for i, point in enumerate(case.points):
        sl = slice(i * N_SAMPLE, (i + 1) * N_SAMPLE)
        mean, var = (declared_moments(case, point) if fam.has("mean") and fam.has("variance")
                     else density_moments(case, point))
        if not (np.isfinite(mean) and np.isfinite(var) and var > 0):
            continue
        compared += 1
        x, mm = ybar[sl], m[sl]
        z = (x.mean() - mean) / (np.sqrt(np.sum(var / mm)) / N_SAMPLE)
        r = mm * (x - mean) ** 2
        se = r.std(ddof=1) / np.sqrt(N_SAMPLE)
        # a constant r (Bernoulli at mu = 1/2) leaves nothing to chance: compare exactly
        z2 = (r.mean() - var) / se if se > 0 else (0.0 if np.isclose(r.mean(), var) else np.inf)
        if not (abs(z) <= Z_MAX and abs(z2) <= Z_MAX):
            raise CheckFailure(f"sample() at {point}: mean {x.mean():.6g} vs {mean:.6g} "
                               f"(z={z:.2f}), variance {r.mean():.6g} vs {var:.6g} "
                               f"(z={z2:.2f}); |z| must be <= {Z_MAX:g} with {N_SAMPLE} draws. "
                               "Fix: sample must draw from the family's distribution")
    return f"{compared} points, {N_SAMPLE} draws each"


#: this topic's checks, in the order they run
TOPIC_CHECKS = (
    Check("sample", check_sample),
)
