"""The stateful transform calls of formulas and the data columns they read.

A stateful transform (formulaic's ``center``, ``scale``, ``standardize``, ``poly``,
``bs``, ``cr``, ``cs``, ``cc``) learns a state from the data it is first applied to (a
mean, a scale, recurrence coefficients, knots). Formulaic's ``required_variables`` leaves
out the variables read inside such a call (``center(x)`` requires nothing), so the model
frame would not see that ``x`` is missing on a row before the state is computed: these
functions find the calls and their variables from the parsed terms, so that the rows with
a missing value are dropped first (R's ``model.frame``: ``na.omit``, then the terms).
"""

from __future__ import annotations

import ast

from formulaic.formula import SimpleFormula
from formulaic.transforms import TRANSFORMS

__all__ = ["STATEFUL_NAMES", "call_variables", "stateful_calls"]

#: formulaic's stateful transforms (``Q`` is marked stateful but only quotes a name)
STATEFUL_NAMES = frozenset(name for name, fn in TRANSFORMS.items()
                           if getattr(fn, "__is_stateful_transform__", False)) - {"Q"}


def _simple_parts(formula) -> list:
    """The one-sided parts (response, right-hand sides) of a parsed formula."""
    if isinstance(formula, SimpleFormula):
        return [formula]
    if isinstance(formula, (tuple, list)):
        return [s for part in formula for s in _simple_parts(part)]
    return [s for side in ("lhs", "rhs") if getattr(formula, side, None) is not None
            for s in _simple_parts(getattr(formula, side))]


def _name(node) -> str | None:
    return node.func.id if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
        else None


def stateful_calls(parsed: dict) -> dict[str, ast.Call]:
    """``{text: call}`` for every stateful transform call (at any depth) in the terms of
    ``parsed`` ({parameter: formulaic Formula}), the text as ``ast.unparse`` writes it
    (formulaic's column name of a one-column call)."""
    out: dict[str, ast.Call] = {}
    for formula in parsed.values():
        for part in _simple_parts(formula):
            for term in part:
                for factor in term.factors:
                    try:
                        tree = ast.parse(str(factor.expr), mode="eval")
                    except SyntaxError:
                        continue
                    for node in ast.walk(tree):
                        if _name(node) in STATEFUL_NAMES and node.args:
                            out.setdefault(ast.unparse(node), node)
    return out


def call_variables(calls: dict[str, ast.Call], columns) -> set:
    """The data columns the arguments of ``calls`` read: names, and ``Q('a name')``."""
    columns = set(columns)
    found = set()
    for call in calls.values():
        for arg in [*call.args, *(k.value for k in call.keywords)]:
            for node in ast.walk(arg):
                if isinstance(node, ast.Name) and node.id in columns:
                    found.add(node.id)
                elif _name(node) == "Q" and node.args and isinstance(node.args[0], ast.Constant) \
                        and node.args[0].value in columns:
                    found.add(node.args[0].value)
    return found
