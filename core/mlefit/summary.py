"""The R-like text summary of a :class:`~mlefit.results.FitResult`.

The coefficients that ``singular="drop"`` did not estimate show ``NA`` in every column,
under a line ``Coefficients: (1 not defined because of singularities)`` as R prints.
"""

from __future__ import annotations

import html

import numpy as np

__all__ = ["Summary", "format_summary"]


def _censored_rows(censoring) -> str:
    """How many rows of each kind, from the context's censoring signature (a Dask fit's
    carries the counts: :data:`mlefit.partitioned_response.PARTITIONS`)."""
    signature = censoring[1]
    if signature[0] == "partitions":
        counts = list(signature[2])
    else:
        kinds = np.frombuffer(signature[1], dtype=np.int8)
        counts = [int(np.count_nonzero(kinds == k)) for k in range(4)]
    names = ("exact", "right-censored", "left-censored", "interval-censored")
    return ", ".join(f"{counts[k]} {name}" for k, name in enumerate(names) if counts[k])


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
    label = res.family.parameter(name).label
    head = (f"{name}{f' [{label}]' if label else ''} (link: {link})   formula: "
            f"{res.formulas[name]}")
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


def _labelled_constant(res, p) -> bool:
    """A labelled constant on the identity link (an ordinal cutpoint): shown in one table
    with the others, one row each, named by its label (R's ``Intercepts:``)."""
    return bool(p.label) and p.name not in res.fixed and res.links[p.name].name == \
        "identity" and tuple(res.params[p.name].index) == (p.label,)


def _labelled_block(res, names: list[str]) -> list[str]:
    width = max(12, *(len(res.family.parameter(n).label) for n in names))
    label = "t value" if res.t_tests else "z value"
    lines = ["Intercepts (cutpoints):",
             f"{'':<{width}} {'Estimate':>11} {'Std. Error':>11} {label:>9}"]
    for n in names:
        term = res.family.parameter(n).label
        lines.append(f"{term:<{width}} {_num(res.params[(n, term)])} "
                     f"{_num(res.bse[(n, term)])} {_num(res.tvalues[(n, term)], 9)}")
    return lines


def _dispersion_line(res, disp) -> str:
    pearson = f"Pearson X2 / (n - p) = {disp.phi_pearson:.6g}, n - p = {disp.df_resid:g}"
    if disp.parameter is not None:
        return (f"Dispersion phi: {disp.phi_ml:.6g} (ML); {disp.phi_pearson:.6g} (Pearson "
                f"X2 / (n - p), n - p = {disp.df_resid:g}; R's glm dispersion)")
    if res.convention.dispersion == "pearson":
        return f"Dispersion phi: {disp.phi:.6g} (the standard errors use {pearson})"
    return f"Dispersion phi: taken to be 1 by the {res.family.name} family ({pearson})"


def format_summary(res) -> Summary:
    diag = res.diagnostics
    first = res.family.parameters[0].name
    lines = [f"mlefit: {res.family.name} family, maximum-likelihood fit",
             f"Response: {' + '.join(res._context.response)}   Formula: {res.formulas[first]}",
             f"Observations: {res._context.n_rows} rows used ({res.n_dropped} dropped), "
             f"nobs = {res.nobs:g}",
             f"Convention: {res.convention.describe()}; covariance: {res.covariance_kind}",
             ""]
    censoring = getattr(res._context, "censoring", None)
    if censoring is not None:
        lines.insert(3, f"Censored or truncated response: {censoring[0]} "
                        f"({_censored_rows(censoring)})")
    if res.aliased:
        lines[-1:] = [f"Coefficients: ({len(res.aliased)} not defined because of "
                      "singularities)", ""]
    cutpoints = [p.name for p in res.family.parameters if _labelled_constant(res, p)]
    for p in res.family.parameters:
        if p.name in res.fixed:
            lines.append(f"{p.name} fixed at {res.fixed[p.name]:.6g} (not estimated)")
        elif p.name in cutpoints:
            if p.name != cutpoints[0]:
                continue
            lines.extend(_labelled_block(res, cutpoints))
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
    if res._context.options.penalty == "firth":
        lines.append("Penalty: Firth (Jeffreys prior): the log-likelihood and the criteria "
                     "are penalised; the gradient below is the unpenalised score's")
    status = "converged" if diag.converged else "DID NOT CONVERGE"
    lines.append(f"Optimiser: {diag.method}, {status} in {diag.iterations} iterations "
                 f"({diag.message}); max |gradient| x SE = {diag.gradient_se:.2g}; "
                 f"condition (scaled) = {diag.condition:.3g}; derivatives: {diag.derivatives}"
                 + (f"; fallbacks: {', '.join(diag.fallbacks)}" if diag.fallbacks else ""))
    if diag.exact_fit:
        lines.append("Exact fit: every residual is zero to rounding; the dispersion and the "
                     "log-likelihood are degenerate.")
    return Summary("\n".join(lines), res)


#: characters LaTeX reads as commands, and what stands for each
_LATEX = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
          "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
          "^": r"\textasciicircum{}", "<": r"\textless{}", ">": r"\textgreater{}",
          "|": r"\textbar{}"}


def _latex(text: str) -> str:
    return "".join(_LATEX.get(c, c) for c in str(text))


def _cells(res, name: str) -> list[list[str]]:
    """The coefficient rows of ``name`` as text cells: term, estimate, SE, statistic,
    p-value, stars (NA for an aliased coefficient)."""
    params, bse, stat, pval = (res.params[name], res.bse[name], res.tvalues[name],
                               res.pvalues[name])
    aliased = set(res.aliased)
    rows = []
    for term in params.index:
        if (name, term) in aliased:
            rows.append([str(term), "NA", "NA", "NA", "NA", ""])
            continue
        rows.append([str(term), _num(params[term]).strip(), _num(bse[term]).strip(),
                     _num(stat[term], 9).strip(), _pvalue(pval[term]).strip(),
                     _stars(pval[term])])
    return rows


class Summary(str):
    """The summary of a fit: its text (this string, as R prints it), and the same content
    as HTML (:meth:`as_html`, for notebooks and reports) and LaTeX (:meth:`as_latex`):
    the header lines, one coefficient table per parameter, the footer lines."""

    def __new__(cls, text: str, res):
        obj = super().__new__(cls, text)
        obj._res = res
        return obj

    def __reduce__(self):
        return str, (str(self),)

    def _sections(self):
        """The header lines, per parameter (name, caption, rows or None if fixed, notes),
        the footer lines."""
        res = self._res
        text = str(self)
        header = text.split("\n\n", 1)[0].splitlines()
        lines = text.splitlines()
        footer = lines[next(i for i, line in enumerate(lines)
                            if line.startswith("Signif. codes")):]
        blocks = []
        for p in res.family.parameters:
            if p.name in res.fixed:
                blocks.append((p.name, f"{p.name} fixed at {res.fixed[p.name]:.6g} (not "
                               "estimated)", None, []))
                continue
            block = _block(res, p.name)
            notes = [line.strip() for line in block[2 + len(res.params[p.name]):]]
            blocks.append((p.name, block[0], _cells(res, p.name), notes))
        return header, blocks, footer

    def _columns(self) -> list[str]:
        res = self._res
        return ["", "Estimate", "Std. Error", "t value" if res.t_tests else "z value",
                "Pr(>|t|)" if res.t_tests else "Pr(>|z|)", ""]

    def as_text(self) -> str:
        """The plain text (``str(self)``)."""
        return str(self)

    def as_html(self) -> str:
        """The summary as an HTML fragment: paragraphs and one ``<table>`` per parameter."""
        header, blocks, footer = self._sections()
        esc = html.escape
        out = ['<div class="mlefit-summary">', "<p>" + "<br>\n".join(map(esc, header)) + "</p>"]
        head = "".join(f"<th>{esc(c)}</th>" for c in self._columns())
        for _, caption, rows, notes in blocks:
            if rows is None:
                out.append(f"<p>{esc(caption)}</p>")
                continue
            out.append(f"<table>\n<caption>{esc(caption)}</caption>\n<thead><tr>{head}</tr>"
                       "</thead>\n<tbody>")
            for row in rows:
                cells = f"<th>{esc(row[0])}</th>" + "".join(f"<td>{esc(c)}</td>"
                                                             for c in row[1:])
                out.append(f"<tr>{cells}</tr>")
            out.append("</tbody>\n</table>")
            out += [f"<p>{esc(n)}</p>" for n in notes]
        out.append("<p>" + "<br>\n".join(map(esc, footer)) + "</p>")
        out.append("</div>")
        return "\n".join(out)

    def as_latex(self) -> str:
        """The summary as LaTeX: one ``tabular`` per parameter between the header and
        footer lines (needs no package beyond LaTeX's own)."""
        header, blocks, footer = self._sections()
        out = [_latex(line) + r"\\" for line in header]
        cols = " & ".join(_latex(c) for c in self._columns()) + r" \\"
        for _, caption, rows, notes in blocks:
            out.append("")
            out.append(_latex(caption) + r"\\")
            if rows is None:
                continue
            out += [r"\begin{tabular}{lrrrrl}", r"\hline", cols, r"\hline"]
            out += [" & ".join(_latex(c) for c in row) + r" \\" for row in rows]
            out += [r"\hline", r"\end{tabular}\\"]
            out += [_latex(n) + r"\\" for n in notes]
        out.append("")
        out += [_latex(line) + r"\\" for line in footer]
        return "\n".join(out)
