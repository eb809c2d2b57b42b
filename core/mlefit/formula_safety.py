"""Which formula terms are data and which are code.

formulaic evaluates the Python expression of a term (``I(...)``, ``np.log(x)``, ``{...}``,
a function call's arguments) with Python's ``eval``, so a formula is a program: a term
such as ``I(x + 0*__import__('os').system('...'))`` runs the command and the fit goes on
as if nothing happened. A formula from someone else (a web form, a shared notebook, a
config file, a command line) is therefore code, unless it is checked.

With ``safe_formulas=True`` (``fit``, the ``mlefit`` command by default, or the library
default when the environment variable ``MLEFIT_SAFE_FORMULAS=1`` is set) every formula is
parsed by formulaic's parser, which evaluates nothing, and the Python expression of every
term is walked with :mod:`ast` before anything is evaluated. A term may hold only:

* column names of the data (backtick-quoted names included) and the contrast classes
  (``Treatment``, ``Sum``, ``contr.sum``, ...) as values;
* numbers, string literals (``C(x, Treatment("b"))``), ``True``/``False``/``None``, and
  lists or tuples of allowed expressions (``C(x, levels=["a", "b"])``);
* arithmetic (``+ - * / // % **``, unary ``+ -``), the element-wise ``& | ^ ~`` and
  comparisons (``== != < <= > >=``), on numbers and columns (a power of plain numbers
  only up to an exponent of 100: ``10**10**10`` would run for ever in Python's integers);
* calls of the functions in :data:`ALLOWED_FUNCTIONS` (by name), of ``np.<name>`` for the
  numpy ufuncs in :data:`ALLOWED_NUMPY`, and of ``contr.<name>`` for the contrasts in
  :data:`ALLOWED_CONTRASTS`, with keyword arguments not starting with ``_``.

Nothing else: no other attribute access (``().__class__``, ``np.load``), no subscripts,
lambdas, comprehensions, ``:=``, f-strings, ``*args``/``**kwargs``, dunder names, or calls
of anything not listed. A refused term raises :class:`~mlefit.errors.FormulaError`,
naming the term and what was refused. A term that is a plain column name (``y ~ x``, or a
backtick-quoted name) or a literal is not Python code (formulaic looks it up in the data
or reads it with :func:`ast.literal_eval`), so it passes.

Predictions rebuild a design from the fitted formula's stored terms; for a fit made with
safe formulas the same check runs against the new data's columns first (a name that is a
column of the fit's data but missing from the new data would otherwise be looked up among
Python's builtins).
"""

from __future__ import annotations

import ast
import os

from formulaic.utils.code import sanitize_variable_names

from .errors import DataError, FormulaError

__all__ = ["ALLOWED_CONTRASTS", "ALLOWED_FUNCTIONS", "ALLOWED_NUMPY", "CONTRAST_CLASSES",
           "SAFE_ENV", "check_formula", "check_terms", "resolve"]

#: the environment variable that makes ``safe_formulas=True`` the library default
SAFE_ENV = "MLEFIT_SAFE_FORMULAS"

#: functions a safe term may call by name: formulaic's categorical, identity, quoting,
#: centring, scaling and spline transforms, the patsy-style contrast classes, mlefit's
#: ``offset``, the bare ``log``, ``exp`` and ``sqrt``, and ``Surv`` (a censored response,
#: :mod:`mlefit.censoring`: its arguments are checked like any call's, ``type="interval2"``
#: a string literal)
ALLOWED_FUNCTIONS = frozenset({
    "C", "I", "Q", "center", "scale", "standardize", "bs", "cr", "cs", "cc", "poly", "offset",
    "Treatment", "Sum", "Helmert", "Diff", "Poly",
    "log", "exp", "sqrt", "Surv",
})

#: the contrast classes, which may also be passed as values (``C(x, Sum)``)
CONTRAST_CLASSES = frozenset({"Treatment", "Sum", "Helmert", "Diff", "Poly"})

#: numpy functions a safe term may call as ``np.<name>``: element-wise ufuncs that read
#: their arguments and return numbers (``np.load`` and ``np.save`` are not among them)
ALLOWED_NUMPY = frozenset({
    "log", "log1p", "log2", "log10", "exp", "expm1", "exp2", "sqrt", "cbrt", "square",
    "abs", "absolute", "fabs", "sign", "power", "reciprocal", "negative", "floor", "ceil",
    "minimum", "maximum", "sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh",
    "tanh", "arcsinh", "arctanh",
})

#: formulaic's contrast registry, ``contr.<name>(...)``
ALLOWED_CONTRASTS = frozenset({"treatment", "sum", "helmert", "diff", "poly", "SAS"})

_NAMESPACES = {"np": ALLOWED_NUMPY, "contr": ALLOWED_CONTRASTS}

_OPERATORS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow,
              ast.BitAnd, ast.BitOr, ast.BitXor, ast.UAdd, ast.USub, ast.Invert,
              ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE)

#: what the refusal calls a node type the whitelist does not hold
_KINDS = {
    ast.Subscript: "a subscript ([...])", ast.Lambda: "a lambda",
    ast.ListComp: "a comprehension", ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension", ast.GeneratorExp: "a generator expression",
    ast.NamedExpr: "an assignment expression (:=)", ast.JoinedStr: "an f-string",
    ast.FormattedValue: "an f-string", ast.Starred: "*-unpacking",
    ast.Dict: "a dict", ast.Set: "a set", ast.IfExp: "a conditional expression",
    ast.BoolOp: "'and'/'or'", ast.Await: "await", ast.Slice: "a slice",
}


def resolve(safe_formulas) -> bool:
    """``safe_formulas`` as given (True or False), or, when None, the library default read
    now from the environment variable ``MLEFIT_SAFE_FORMULAS`` (1/true/yes/on: safe;
    unset, empty, 0/false/no/off: not)."""
    if isinstance(safe_formulas, bool):
        return safe_formulas
    if safe_formulas is not None:
        raise DataError(f"safe_formulas={safe_formulas!r} must be True, False or None (None: "
                        f"the environment variable {SAFE_ENV} decides).")
    raw = os.environ.get(SAFE_ENV, "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise DataError(f"the environment variable {SAFE_ENV}={raw!r} is neither on (1, true, "
                    "yes, on) nor off (0, false, no, off, empty). Fix: set it to 1 or 0.")


def check_formula(formula, columns, *, parameter: str, text: str | None = None) -> None:
    """Raise :class:`FormulaError` unless every term of the parsed ``formula`` (a formulaic
    ``Formula``, its parts or a ``ModelSpec``'s formula) is data for a frame with
    ``columns``; ``text`` is the formula as the user wrote it, for the message."""
    names = frozenset(str(c) for c in columns)
    for term in _terms(formula):
        for factor in term.factors:
            method = factor.eval_method.value
            if method in ("lookup", "literal"):
                continue    # a column looked up by name, or ast.literal_eval: no code runs
            refused = _refusal(factor.expr, names) if method == "python" else (
                f"is evaluated by formulaic's {method!r} method, which mlefit cannot check")
            if refused:
                shown = text if text is not None else str(formula)
                raise FormulaError(
                    f"the formula {shown!r} of {parameter!r} has a term that is code, not "
                    f"data: {str(term)!r} {refused}. Safe formulas allow column names, "
                    "numbers, strings, arithmetic, comparisons and the functions listed in "
                    "mlefit.formula_safety (C, I, Q, poly, bs, np.log, np.exp, ...). Fix: "
                    "compute anything else as a column of the data first, or, only if you "
                    "trust whoever wrote the formula, pass safe_formulas=False (on the "
                    "command line: --allow-code).")


def check_terms(formulas: dict, columns, texts: dict | None = None) -> None:
    """:func:`check_formula` for each parameter's parsed formula in ``formulas``."""
    for parameter, formula in formulas.items():
        check_formula(formula, columns, parameter=parameter,
                      text=None if texts is None else texts.get(parameter))


def _terms(formula):
    """Every term of a formulaic formula, whatever its structure (``lhs``/``rhs``, ``|``
    parts): a term is what has ``factors``; a formula or a part of one is iterated."""
    if hasattr(formula, "factors"):
        yield formula
        return
    if isinstance(formula, str | bytes) or not hasattr(formula, "__iter__"):
        raise FormulaError(f"cannot check the formula part {formula!r}: formulaic's parsed "
                           "formula has a shape mlefit does not know. Fix: report it, or "
                           "pass safe_formulas=False for formulas you trust.")
    for part in formula:
        yield from _terms(part)


def _refusal(expr: str, columns: frozenset[str]) -> str | None:
    """Why the Python expression ``expr`` of a term is code (None when it is data)."""
    aliases: dict[str, str] = {}
    try:    # the same rewriting of `quoted names` that formulaic applies before eval
        code = sanitize_variable_names(expr, {}, aliases)
        tree = ast.parse(code, mode="eval")
    except (SyntaxError, ValueError) as exc:
        return f"is not a Python expression mlefit can check ({type(exc).__name__})"
    try:
        _visit(tree.body, columns, aliases)
    except _Refused as refused:
        return str(refused)
    return None


class _Refused(Exception):
    """The reason a node is refused (internal)."""


def _visit(node: ast.AST, columns: frozenset[str], aliases: dict[str, str]) -> None:
    if isinstance(node, ast.Constant):
        if not isinstance(node.value, (str, int, float, complex, bool, type(None))):
            raise _Refused(f"holds the constant {node.value!r}, which is not a number or "
                           "a string")
    elif isinstance(node, ast.Name):
        _value_name(node.id, columns, aliases)
    elif isinstance(node, ast.Call):
        _call(node, columns, aliases)
    elif isinstance(node, ast.Attribute):
        if not (isinstance(node.value, ast.Name) and node.value.id == "contr"
                and node.attr in ALLOWED_CONTRASTS):
            raise _Refused(f"reads the attribute {ast.unparse(node)!r} (only np.<ufunc>(...), "
                           "contr.<name> and contr.<name>(...) are allowed)")
    elif isinstance(node, ast.BinOp | ast.UnaryOp):
        _operator(node.op)
        operands = (node.left, node.right) if isinstance(node, ast.BinOp) else (node.operand,)
        _arithmetic(node, operands)
        for child in operands:
            _visit(child, columns, aliases)
    elif isinstance(node, ast.Compare):
        for op in node.ops:
            _operator(op)
        for child in (node.left, *node.comparators):
            _visit(child, columns, aliases)
    elif isinstance(node, ast.List | ast.Tuple):
        for child in node.elts:
            _visit(child, columns, aliases)
    else:
        kind = next((k for t, k in _KINDS.items() if isinstance(node, t)),
                    f"Python syntax ({type(node).__name__})")
        raise _Refused(f"uses {kind}, which is not allowed")


def _operator(op: ast.AST) -> None:
    if not isinstance(op, _OPERATORS):
        raise _Refused(f"uses the operator {type(op).__name__}, which is not allowed")


def _arithmetic(node: ast.AST, operands) -> None:
    """Arithmetic is on numbers and columns: not on strings or lists (``'a' * 10**9``).
    A power without a column in it is of two plain numbers with an exponent of at most
    100 in size (``10**3``, not ``10**10**10``, which Python's integers would work on
    for ever)."""
    for operand in operands:
        if isinstance(operand, ast.List | ast.Tuple) or (
                isinstance(operand, ast.Constant) and isinstance(operand.value, str | bytes)):
            raise _Refused(f"does arithmetic on {ast.unparse(operand)}, which is not a number")
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow) \
            and not any(isinstance(n, ast.Name) for n in ast.walk(node)):
        base, exponent = _number(node.left), _number(node.right)
        if base is None or exponent is None or abs(exponent) > 100:
            raise _Refused(f"raises a number to a large or computed power "
                           f"({ast.unparse(node)!r}); write the number itself (e.g. 1e6)")


def _number(node: ast.AST):
    """The value of a plain numeric literal (``3``, ``-2.5``), else None."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = _number(node.operand)
        return None if value is None else (-value if isinstance(node.op, ast.USub) else value)
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) \
            and not isinstance(node.value, bool):
        return node.value
    return None


def _value_name(name: str, columns: frozenset[str], aliases: dict[str, str]) -> None:
    original = aliases.get(name, name)
    if original in columns or name in CONTRAST_CLASSES:
        return
    if name.startswith("__"):
        raise _Refused(f"names {original!r}, a dunder name")
    raise _Refused(f"uses {original!r}, which is neither a column of the data nor an allowed "
                   "value")


def _call(node: ast.Call, columns: frozenset[str], aliases: dict[str, str]) -> None:
    func = node.func
    if isinstance(func, ast.Name):
        if func.id not in ALLOWED_FUNCTIONS:
            label = "a dunder name" if func.id.startswith("__") else "not an allowed function"
            raise _Refused(f"calls {aliases.get(func.id, func.id)!r}, {label}")
    elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) \
            and func.attr in _NAMESPACES.get(func.value.id, ()):
        pass
    else:
        raise _Refused(f"calls {ast.unparse(func)!r}, which is not an allowed function")
    for arg in node.args:
        _visit(arg, columns, aliases)
    for keyword in node.keywords:
        if keyword.arg is None:
            raise _Refused("passes **-unpacked keywords, which is not allowed")
        if keyword.arg.startswith("_"):
            raise _Refused(f"passes the keyword {keyword.arg!r} (keywords starting with _ "
                           "are formulaic's internals)")
        _visit(keyword.value, columns, aliases)
