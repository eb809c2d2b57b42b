"""The R-like text summary of a :class:`~mlefit.results.FitResult`.

The coefficients that ``singular="drop"`` did not estimate show ``NA`` in every column,
under a line ``Coefficients: (1 not defined because of singularities)`` as R prints.
"""

from __future__ import annotations

import numpy as np

__all__ = ["format_summary"]


def _stars(p: float) -> str:
    if not np.isfinite(p):
        return ""
    for cut, mark in ((0.001, "***"), (0.01, "**"), (0.05, "*"), (0.1, ".")):
        if p < cut:
            return mark
    return ""


def _num(x: float, width: int = 11) -> str:
    if not np.isfinite(x):
        return f"{'NaN' if np.isnan(x) else ('Inf' if x > 0 else '-Inf'):>{width}}"
    return f"{x:>{width}.6g}"


def _pvalue(p: float) -> str:
    if not np.isfinite(p):
        return f"{'NaN':>10}"
    return f"{'<2e-16':>10}" if p < 2e-16 else f"{p:>10.4g}"


def _block(res, name: str) -> list[str]:
    params, bse = res.params[name], res.bse[name]
    stat, pval = res.tvalues[name], res.pvalues[name]
    link = res.links[name].name
    head = f"{name} (link: {link})   formula: {res.formulas[name]}"
    width = max(12, *(len(str(t)) for t in params.index))
    label = "t value" if res.t_tests else "z value"
    pcol = "Pr(>|t|)" if res.t_tests else "Pr(>|z|)"
    lines = [head, f"{'':<{width}} {'Estimate':>11} {'Std. Error':>11} {label:>9} {pcol:>10}"]
    aliased = set(res.aliased)
    for term in params.index:
        p = pval[term]
        if (name, term) in aliased:
            lines.append(f"{term!s:<{width}} {'NA':>11} {'NA':>11} {'NA':>9} {'NA':>10}")
            continue
        lines.append(f"{term!s:<{width}} {_num(params[term])} {_num(bse[term])} "
                     f"{_num(stat[term], 9)} {_pvalue(p)} {_stars(p)}")
    from .inference.natural_scale import intercept_only, natural_value

    if name in intercept_only(res):
        value, se = natural_value(res.links[name], float(params.iloc[0]), float(bse.iloc[0]))
        lines.append(f"  {name} = {value:.6g} (SE {se:.4g}, delta method) on its natural "
                     "scale")
    return lines


def _dispersion_line(res, disp) -> str:
    pearson = f"Pearson X2 / (n - p) = {disp.phi_pearson:.6g}, n - p = {disp.df_resid:g}"
    if disp.parameter is not None:
        return (f"Dispersion phi: {disp.phi_ml:.6g} (ML); {disp.phi_pearson:.6g} (Pearson "
                f"X2 / (n - p), n - p = {disp.df_resid:g}; R's glm dispersion)")
    if res.convention.dispersion == "pearson":
        return f"Dispersion phi: {disp.phi:.6g} (the standard errors use {pearson})"
    return f"Dispersion phi: taken to be 1 by the {res.family.name} family ({pearson})"


def format_summary(res) -> str:
    diag = res.diagnostics
    first = res.family.parameters[0].name
    lines = [f"mlefit: {res.family.name} family, maximum-likelihood fit",
             f"Response: {' + '.join(res._context.response)}   Formula: {res.formulas[first]}",
             f"Observations: {res._context.n_rows} rows used ({res.n_dropped} dropped), "
             f"nobs = {res.nobs:g}",
             f"Convention: {res.convention.describe()}; covariance: {res.covariance_kind}",
             ""]
    if res.aliased:
        lines[-1:] = [f"Coefficients: ({len(res.aliased)} not defined because of "
                      "singularities)", ""]
    for p in res.family.parameters:
        if p.name in res.fixed:
            lines.append(f"{p.name} fixed at {res.fixed[p.name]:.6g} (not estimated)")
        else:
            lines.extend(_block(res, p.name))
        lines.append("")
    lines.append("Signif. codes: 0 '***' 0.001 '**' 0.01 '*' 0.05 '.' 0.1 ' ' 1")
    disp = res.dispersion
    if disp is not None:
        lines.append(_dispersion_line(res, disp))
    if res.family.no_likelihood:
        lines.append("Log-likelihood: none (quasi-likelihood fit; no AIC, BIC or LR test)")
    else:
        lines.append(f"Log-likelihood: {res.llf:.8g} (k = {res.k})   AIC: {res.aic:.8g}   "
                     f"BIC: {res.bic:.8g}   AICc: {res.aicc:.8g}")
    status = "converged" if diag.converged else "DID NOT CONVERGE"
    lines.append(f"Optimiser: {diag.method}, {status} in {diag.iterations} iterations "
                 f"({diag.message}); max |gradient| x SE = {diag.gradient_se:.2g}; "
                 f"condition (scaled) = {diag.condition:.3g}; derivatives: {diag.derivatives}"
                 + (f"; fallbacks: {', '.join(diag.fallbacks)}" if diag.fallbacks else ""))
    if diag.exact_fit:
        lines.append("Exact fit: every residual is zero to rounding; the dispersion and the "
                     "log-likelihood are degenerate.")
    return "\n".join(lines)
