"""The command line: ``mlefit fit``, ``mlefit compare``, ``mlefit families``.

User errors (bad formula, unknown family, unreadable file) end with one line on stderr
and exit status 2, never a traceback. Formulas are checked as ``safe_formulas=True``
(:mod:`mlefit.formula_safety`) unless ``--allow-code`` is given.
"""

from __future__ import annotations

import argparse
import json
import sys

import pandas as pd

from .contract import RESERVED_NAMES
from .errors import MlefitError
from .export import finite as _finite
from .export import result_dict as _result_json

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mlefit", description="Maximum-likelihood "
                                     "regression for any distribution.")
    sub = parser.add_subparsers(dest="command", required=True)
    f = sub.add_parser("fit", help="fit a model and print its summary",
                       epilog='Other parameters take a formula as --NAME, e.g. --sigma "~ x".')
    f.add_argument("formula", help='e.g. "thalach ~ age + exang"')
    _model_arguments(f)
    c = sub.add_parser("compare", help="fit several models; print the AIC table and the "
                       "likelihood-ratio tests of each against the next",
                       epilog='Other parameters take a formula as --NAME, e.g. --sigma "~ x" '
                       "(the same for every model).")
    c.add_argument("formulas", nargs="+", help='e.g. "y ~ a" "y ~ a + b", smallest first')
    _model_arguments(c)
    fam = sub.add_parser("families", help="list installed families and failed plugins")
    fam.add_argument("--json", action="store_true")
    fam_sub = fam.add_subparsers(dest="families_command")
    chk = fam_sub.add_parser("check", help="run the conformance kit on an installed family",
                             description="Run mlefit.testing's conformance checks on the "
                             "family NAME; exit status 1 when a check fails.")
    chk.add_argument("name", help="family name or alias")
    chk.add_argument("--check", action="append", dest="checks", metavar="CHECK",
                     help="run only this check (repeatable)")
    chk.add_argument("--seed", type=int, default=0)
    chk.add_argument("--json", action="store_true", dest="check_json")
    return parser


def _model_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", required=True, help="CSV file")
    p.add_argument("--family", default="gaussian")
    p.add_argument("--link", help="link of the first parameter")
    p.add_argument("--na-values", default=None, help='extra strings read as missing, e.g. "?"')
    p.add_argument("--no-header", action="store_true", help="the file has no header row")
    p.add_argument("--names", help="comma-separated column names (with --no-header)")
    p.add_argument("--convention", choices=["ML", "R"], default=None)
    p.add_argument("--cov-type", default=None,
                   help="observed (default), expected, robust, HC0, HC1 or cluster "
                   "(the default with --groups)")
    p.add_argument("--weights", help="column of frequency weights")
    p.add_argument("--singular", choices=["error", "drop"], default="error",
                   help="a design with linearly dependent columns: refuse it (default), or "
                   "drop the aliased columns as R's glm does (shown as NA)")
    _row_arguments(p)
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.add_argument("--allow-code", action="store_true",
                   help="evaluate the formulas as the Python code they are; by default only "
                   "column names, numbers, strings, arithmetic, comparisons and the functions "
                   "of mlefit.formula_safety are allowed (use only for formulas you trust)")


def _row_arguments(p: argparse.ArgumentParser) -> None:
    """The per-row columns beside --weights: offset, exposure and cluster labels."""
    p.add_argument("--offset", help="column added to the first parameter's linear predictor")
    p.add_argument("--exposure", help="column whose log joins the offset (log link only)")
    p.add_argument("--groups", help="column of cluster labels for --cov-type cluster")


def _cov_type(args) -> str:
    """--cov-type as given; cluster when only --groups is given, else observed."""
    if args.cov_type is not None:
        return args.cov_type
    return "cluster" if args.groups is not None else "observed"


def _read(args) -> pd.DataFrame:
    names = args.names.split(",") if args.names else None
    if args.no_header and names is None:
        raise MlefitError("--no-header needs --names a,b,... to name the columns.")
    na = [args.na_values] if args.na_values else None
    try:
        return pd.read_csv(args.data, header=None if args.no_header else "infer",
                           names=names, na_values=na)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError,
            UnicodeDecodeError) as exc:
        raise MlefitError(f"cannot read {args.data!r}: {exc}") from exc


def _parameter_formulas(extra: list[str]) -> dict[str, str]:
    out, i = {}, 0
    while i < len(extra):
        key = extra[i]
        if not key.startswith("--") or key == "--":
            raise MlefitError(f"unexpected argument {key!r}. Use --NAME \"~ formula\".")
        key = key[2:]
        if "=" in key:
            key, value = key.split("=", 1)
            i += 1
        elif i + 1 < len(extra):
            value = extra[i + 1]
            i += 2
        else:
            raise MlefitError(f"--{key} needs a formula, e.g. --{key} \"~ x\".")
        name = key.replace("-", "_")
        if name in RESERVED_NAMES:   # an option of fit(), not a parameter: no back door
            raise MlefitError(f"--{key} is not an option of this command (it is not a "
                              "parameter's formula either). Fix: see --help for the options.")
        out[name] = value
    return out


def _records(table: pd.DataFrame) -> list[dict]:
    """Rows of a table as JSON records (NaN and NA as null)."""
    return json.loads(table.reset_index().to_json(orient="records", double_precision=15))


def _fit_one(args, formula: str, data, extra):
    from .api import fit

    return fit(formula, data, args.family, link=args.link, convention=args.convention,
               cov_type=_cov_type(args), weights=args.weights, offset=args.offset,
               exposure=args.exposure, groups=args.groups, safe_formulas=not args.allow_code,
               singular=args.singular, **_parameter_formulas(extra))


def _fit(args, extra) -> int:
    res = _fit_one(args, args.formula, _read(args), extra)
    print(json.dumps(_result_json(res), indent=2) if args.json else res.summary())
    return 0


def _compare(args, extra) -> int:
    from .errors import ComparisonError
    from .inference import compare, lrtest

    data = _read(args)
    models = [_fit_one(args, f, data, extra) for f in args.formulas]
    table = compare(*models, names=args.formulas)
    tests, refused = None, None
    if len(models) > 1:
        try:
            tests = lrtest(*models, names=args.formulas)
        except ComparisonError as exc:
            refused = str(exc)
    if args.json:
        steps = () if tests is None else getattr(tests, "tests", (tests,))
        print(json.dumps({"compare": _records(table),
                          "lrtest": None if tests is None else _records(tests.table),
                          "lrtest_notes": [n for t in steps for n in t.notes],
                          "lrtest_refused": refused}, indent=2))
        return 0
    print(table.to_string(float_format=lambda v: f"{v:.6g}"))
    print()
    print(tests if tests is not None else f"No likelihood-ratio test: {refused}"
          if refused else "")
    return 0


def _families_check(args) -> int:
    from .registry import get_registry
    from .testing import CHECK_NAMES, family_checks

    unknown = [c for c in args.checks or () if c not in CHECK_NAMES]
    if unknown:
        raise MlefitError(f"unknown check(s) {unknown}. The checks: {', '.join(CHECK_NAMES)}.")
    family = get_registry().family(args.name)
    report = family_checks(family, args.checks, seed=args.seed)
    print(json.dumps(_finite(report.as_dict()), indent=2) if args.check_json else report)
    return 0 if report.ok else 1


def _families(args) -> int:
    from .registry import get_registry

    if args.families_command == "check":
        return _families_check(args)
    reg = get_registry()
    infos = reg.infos()
    if args.json:
        print(json.dumps({
            "families": [{"name": i.name, "aliases": list(i.aliases),
                          "parameters": list(i.parameters), "links": i.links,
                          "support": i.support, "capabilities": list(i.capabilities),
                          "plugin": i.source.plugin, "distribution": i.source.distribution,
                          "version": i.source.version} for i in infos],
            "failed": [vars(f) for f in reg.failed]}, indent=2))
        return 0
    for i in infos:
        links = "; ".join(f"{p}: {', '.join(ls)}" for p, ls in i.links.items())
        print(f"{i.name:<22} {', '.join(i.parameters):<22} support {i.support:<20} "
              f"{i.source}   links [{links}]")
    for f in reg.failed:
        print(f"FAILED {f.plugin} ({f.distribution} {f.version}): {f.error}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    if args.command == "families" and extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    run = {"fit": _fit, "compare": _compare}.get(args.command)
    try:
        return run(args, extra) if run else _families(args)
    except (MlefitError, TypeError) as exc:
        print(f"mlefit: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
