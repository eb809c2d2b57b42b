"""Topic: analytic derivatives against central differences, on the natural scale
(``dlogpdf``, ``d2logpdf``) and on the linear-predictor scale (``eta_derivatives``).
"""

from __future__ import annotations

import numpy as np

from ._case import N_DRAWS, Case, describe_row
from ._check import Check, CheckFailure, SkipCheck, require
from ._dicts import complete_dict, parameter_pairs
from ._numeric import H1, central, disagreement, steps


def check_derivatives(case: Case) -> str | None:
    """dlogpdf against central differences of logpdf; d2logpdf against those of dlogpdf."""
    require(case, "dlogpdf", "d2logpdf")
    fam, y, params, names = case.family, case.y, case.params, case.names
    h, scale = steps(fam, params)
    f0 = case.logpdf(y, params)
    d1 = complete_dict(fam.dlogpdf(y, **params), names, "dlogpdf", N_DRAWS)
    d2 = complete_dict(fam.d2logpdf(y, **params), parameter_pairs(names), "d2logpdf", N_DRAWS)
    num1 = central(lambda yy, **p: {"f": fam.logpdf(yy, **p)}, y, params, h, names)
    for a, diff in zip(names, num1, strict=True):
        bad = disagreement(d1[a], diff["f"], f0, scale[a])
        if bad is not None:
            raise CheckFailure(f"dlogpdf[{a!r}] = {d1[a][bad]:.8g} but central differences "
                               f"give {diff['f'][bad]:.8g} at {describe_row(case, bad)}. Fix: "
                               f"the derivative of logpdf with respect to {a}")
    num2 = central(lambda yy, **p: complete_dict(fam.dlogpdf(yy, **p), names, "dlogpdf",
                                                 len(yy)), y, params, h, names)
    by_name = dict(zip(names, num2, strict=True))
    for a, b in parameter_pairs(names):
        numeric = by_name[b][a]
        bad = disagreement(d2[(a, b)], numeric, d1[a], scale[b])
        if bad is not None:
            raise CheckFailure(f"d2logpdf[({a!r}, {b!r})] = {d2[(a, b)][bad]:.8g} but "
                               f"differences of dlogpdf give {numeric[bad]:.8g} at "
                               f"{describe_row(case, bad)}. Fix: the second derivative")
    return None


def check_eta_derivatives(case: Case) -> str | None:
    """eta_derivatives against central differences on the linear-predictor scale."""
    require(case, "eta_derivatives")
    fam, y, names = case.family, case.y, case.names
    combos = [{q.name: q.default_link for q in fam.parameters}]
    for p in fam.parameters:
        for name in p.allowed_links:
            if name != p.default_link:
                combos.append({**combos[0], p.name: name})
    covered = 0
    for links_by_name in combos:
        links = {k: case.link(v) for k, v in links_by_name.items()}
        etas = {k: np.asarray(links[k].link(case.params[k]), float) for k in names}
        if not all(np.isfinite(e).all() for e in etas.values()):
            continue
        got = fam.eta_derivatives(y, links_by_name, **etas)
        if got is None:
            continue
        covered += 1
        _compare_eta(case, links, links_by_name, etas, got)
    if not covered:
        raise SkipCheck("eta_derivatives returned None for every link combination tried")
    return f"{covered} link combination(s) covered"


def _compare_eta(case, links, links_by_name, etas, got):
    fam, y, names = case.family, case.y, case.names
    g1 = complete_dict(got[0], names, "eta_derivatives d1", N_DRAWS)
    g2 = complete_dict(got[1], parameter_pairs(names), "eta_derivatives d2", N_DRAWS)
    s = {k: np.maximum(np.abs(e), 1.0) for k, e in etas.items()}
    h = {k: H1 * v for k, v in s.items()}

    def on_eta(yy, **e):
        return {"f": fam.logpdf(yy, **{k: links[k].inverse(v) for k, v in e.items()})}

    def d1_on_eta(yy, **e):
        return complete_dict(fam.eta_derivatives(yy, links_by_name, **e)[0], names, "d1", len(yy))

    f0 = on_eta(y, **etas)["f"]
    where = f"links {links_by_name}"
    for a, diff in zip(names, central(on_eta, y, etas, h, names), strict=True):
        bad = disagreement(g1[a], diff["f"], f0, s[a])
        if bad is not None:
            raise CheckFailure(f"eta_derivatives d1[{a!r}] = {g1[a][bad]:.8g} but central "
                               f"differences give {diff['f'][bad]:.8g} ({where}, "
                               f"{describe_row(case, bad)})")
    by_name = dict(zip(names, central(d1_on_eta, y, etas, h, names), strict=True))
    for a, b in parameter_pairs(names):
        bad = disagreement(g2[(a, b)], by_name[b][a], g1[a], s[b])
        if bad is not None:
            raise CheckFailure(f"eta_derivatives d2[({a!r}, {b!r})] = {g2[(a, b)][bad]:.8g} "
                               f"but differences of d1 give {by_name[b][a][bad]:.8g} "
                               f"({where}, {describe_row(case, bad)})")


#: this topic's checks, in the order they run
TOPIC_CHECKS = (
    Check("derivatives", check_derivatives),
    Check("eta_derivatives", check_eta_derivatives),
)
