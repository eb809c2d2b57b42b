"""R's multi-column response ``cbind(a, b, ...) ~ x``, as formulaic's ``a + b ~ x``.

In R a binomial response with trials is written ``cbind(successes, failures) ~ x``
(``glm``'s two-column matrix); formulaic writes a multi-column left-hand side as a sum of
terms, ``successes + failures ~ x``. :func:`rewrite` turns the first into the second
before formulaic parses the formula, so the two give the same response, column for
column: a bare column name (or a backtick-quoted one, or ``Q("...")``) stays as it is,
any other argument is wrapped in ``I(...)`` (``cbind(s, n - s)`` is ``s + I(n - s)``),
and R's argument names (``cbind(dead = k, alive = 20 - k)``) are dropped. The rewritten
formula is then checked by :mod:`mlefit.formula_safety` like any other (``I(n - s)`` is
arithmetic on columns), so ``safe_formulas=True`` stays safe.

``cbind`` is accepted only as the whole left-hand side of the main formula; the number
of columns it gives is checked against the family's ``response_columns`` when the family
first sees the response (:func:`mlefit.request.bind_response`, whose error names
``cbind`` through :func:`is_cbind`).
"""

from __future__ import annotations

import re

from .errors import DataError

__all__ = ["arguments", "is_cbind", "rewrite"]

_CALL = re.compile(r"\s*cbind\s*\(")
_KEYWORD = re.compile(r"([A-Za-z_]\w*)\s*=(?!=)\s*")
_PLAIN = re.compile(r"[A-Za-z_][\w.]*|`[^`]+`|Q\(\s*(['\"])[^'\"]*\1\s*\)")
_PAIRS = {"(": ")", "[": "]", "{": "}"}


def is_cbind(formula: str) -> bool:
    """Whether the left-hand side of ``formula`` is a ``cbind(...)`` call."""
    return "~" in formula and _CALL.match(formula) is not None


def arguments(formula: str) -> list[str] | None:
    """The arguments of the ``cbind(...)`` left-hand side of ``formula`` as written
    (None when the left-hand side is not one), or a DataError when ``cbind(...)`` is
    not the whole left-hand side or has no argument."""
    m = _CALL.match(formula) if "~" in formula else None
    if m is None:
        return None
    args, end = _split(formula, m.end())
    if end is None or not formula[end + 1:].lstrip().startswith("~"):
        raise DataError(f"the left-hand side of {formula!r} starts with cbind(...) but is "
                        "not one cbind(...) call. Fix: write the whole response as "
                        "cbind(successes, failures) ~ x.")
    if not any(a.strip() for a in args):
        raise DataError(f"cbind() in {formula!r} has no columns. Fix: name them, e.g. "
                        "cbind(successes, failures) ~ x.")
    if any(not a.strip() for a in args):
        raise DataError(f"cbind(...) in {formula!r} has an empty argument. Fix: remove "
                        "the extra comma.")
    return [a.strip() for a in args]


def rewrite(formula: str) -> str:
    """``formula`` with a ``cbind(a, b, ...)`` left-hand side written as formulaic's
    ``a + b + ...`` (any other formula unchanged); see the module docstring."""
    args = arguments(formula)
    if args is None:
        return formula
    terms = [_term(a) for a in args]
    repeated = sorted({t for t in terms if terms.count(t) > 1})
    if repeated:
        raise DataError(f"cbind(...) in {formula!r} repeats the column(s) {repeated}, which "
                        "a formula's left-hand side keeps once. Fix: give each column once.")
    return f"{' + '.join(terms)} {formula[formula.index('~', _end(formula)):]}"


def _term(argument: str) -> str:
    keyword = _KEYWORD.match(argument)
    if keyword is not None:
        argument = argument[keyword.end():].strip()
    return argument if _PLAIN.fullmatch(argument) else f"I({argument})"


def _end(formula: str) -> int:
    return _split(formula, _CALL.match(formula).end())[1]


def _split(text: str, start: int) -> tuple[list[str], int | None]:
    """The top-level comma-separated arguments of the call whose "(" ends just before
    ``start``, and the position of its ")" (None when it is not closed)."""
    args, depth, quote, begin = [], [], None, start
    for i in range(start, len(text)):
        c = text[i]
        if quote is not None:
            quote = None if c == quote else quote
        elif c in "'\"`":
            quote = c
        elif c in _PAIRS:
            depth.append(_PAIRS[c])
        elif depth and c == depth[-1]:
            depth.pop()
        elif not depth and c == ",":
            args.append(text[begin:i])
            begin = i + 1
        elif not depth and c == ")":
            args.append(text[begin:i])
            return args, i
    return args, None
