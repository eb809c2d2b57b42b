"""The conformance kit: named checks that a family (or a link) keeps the plugin contract.

>>> from mlefit.testing import check_family, family_checks
>>> report = family_checks(MyFamily())          # doctest: +SKIP
>>> print(report)                               # doctest: +SKIP
>>> check_family(MyFamily())                    # doctest: +SKIP

``print(report)`` shows passed / failed / skipped per check; ``check_family`` raises one
:class:`~mlefit.errors.ConformanceError` listing every failure.

In a test suite, one pytest test per (family, check)::

    from mlefit.testing import parametrize_with_checks

    @parametrize_with_checks([MyFamily()])
    def test_conformance(family, check):
        check(family)

A link gets its own, smaller kit: :func:`link_checks` and :func:`check_link`. The public
names are those of ``__all__``; everything else lives in private modules.

Every check is a small function of a case (the family, seeded draws from each
parameter's ``typical`` range and responses from ``sample`` or from the support), listed
in :data:`CHECKS`. A check of an optional capability the family lacks is *skipped*, not
failed. Numbers the checks compare, and why each tolerance is what it is:

- Derivatives are compared with central differences of the next-lower quantity, step
  ``h = eps^(1/3) s`` with ``s = max(|theta|, width/10)``. Its rounding error is about
  ``eps |f| / h = 4e-11 |f| / s`` and its truncation error ``h^2 |f'''| / 6`` is of the
  same order, so ``|analytic - numeric| <= 1e-6 |numeric| + 1e-7 (1 + |f|) / s`` leaves a
  margin of more than a thousand while a wrong formula (off by a factor, a sign, a term)
  is off by far more than ``1e-6``.
- The density must integrate (``_expectation.integrate_pieces``: adaptive Gauss-Legendre
  over the support split at the family's centre and scale, tolerance 1e-10; the tests
  check it against closed forms and ``scipy.integrate.quad``) or sum (until the tail mass
  is below 1e-14) to 1 within ``1e-6``; the expected information must equal the variance
  of the numeric score within ``1e-5 sqrt(I_aa I_bb)``.
- Sample moments use 20,000 seeded draws per parameter point and must lie within 5
  standard errors (central limit theorem; two-sided chance 6e-7 for a correct family).
- Simulate-fit-recover fits an intercept-only model to 2,000 draws at the middle of the
  typical ranges (standard errors from the expected information when the family has it);
  every coefficient must be within 4 standard errors of the truth.

Layout (one idea per module; all but this one private):

- ``_check``: what a check is (:class:`Check`, the skip and failure exceptions,
  ``require`` for optional methods); ``_report``: outcomes and the report table.
- ``_case``: the case the checks share (family, seed, registry, draws, three parameter
  points); ``_numeric``: central differences and the derivative tolerance; ``_dicts``:
  reading per-parameter and per-pair dicts; ``_expectation``: sums and quadrature over
  the response.
- Topics, one module each, in run order: ``_declaration``, ``_links`` (also the link
  kit), ``_density`` (logpdf, outside_support, normalization), ``_derivatives``
  (derivatives, eta_derivatives), ``_information``, ``_moments``, ``_cdf``,
  ``_tails`` (log_cdf, log_cdf_derivatives, tail_accuracy), ``_sampling``, ``_glm``,
  ``_fit_inputs`` (start, prepare_response), ``_reductions``, ``_recovery``,
  ``_registry``.
- ``_catalogue``: collects the topics' checks into :data:`CHECKS`; ``_runner``:
  :func:`family_checks` and :func:`check_family`; ``_parametrize``: the pytest face.

Adding a check topic (say, log-survival or pickling):

1. Write ``_<topic>.py``: a module docstring saying what the topic verifies, one
   function ``check_<name>(case) -> str | None`` per check (first docstring line: what it
   verifies; return an optional note; start with ``require(case, "method")`` when the
   check exercises an optional method, so that a family without it is skipped; raise
   ``CheckFailure`` with the broken rule and a ``Fix:``), and at the end
   ``TOPIC_CHECKS = (Check("<name>", check_<name>), ...)``.
2. Add the module to ``TOPICS`` in ``_catalogue.py`` where its checks should run.
3. Add a row per check to the table in ``docs/plugins.md`` and tests (a correct family
   passes, a mutant with the defect fails) under ``tests/testing/``.
"""

from __future__ import annotations

import importlib
import warnings

from ._catalogue import CHECK_NAMES, CHECKS
from ._check import Check
from ._links import check_link, link_checks
from ._parametrize import FamilyCheck, parametrize_with_checks
from ._report import CheckReport, CheckResult
from ._runner import check_family, family_checks

__all__ = [
    "CHECKS",
    "CHECK_NAMES",
    "Check",
    "CheckReport",
    "CheckResult",
    "FamilyCheck",
    "check_family",
    "check_link",
    "family_checks",
    "link_checks",
    "parametrize_with_checks",
]

#: Names ``mlefit.testing`` had before it became a package that are internal now:
#: old name -> (private module, name there). They still resolve, with a warning.
_INTERNAL = {
    **{n: ("_report", n) for n in ("PASSED", "FAILED", "SKIPPED")},
    **{n: ("_check", n) for n in ("SkipCheck", "CheckFailure")},
    **{n: ("_case", n) for n in ("N_DRAWS", "FRACTIONS", "TRIALS", "Point", "Case",
                                 "prepared", "inside", "support_draws", "describe_row")},
    "mean_scale": ("_case", "mean_scale_or_none"),
    **{n: ("_numeric", n) for n in ("EPS", "H1", "RTOL", "ATOL", "steps", "central",
                                    "numeric_scores", "disagreement")},
    **{n: ("_expectation", n) for n in ("Expectation", "trial_responses", "discrete_grid",
                                        "expect", "centres", "NODES", "WEIGHTS",
                                        "MAX_LEVELS", "integrate_pieces")},
    "check_declaration": ("_declaration", "check_declaration"),
    **{n: ("_links", n) for n in ("check_links", "DEFAULT_LINK_THETA")},
    "check_logpdf": ("_density", "check_logpdf_on_draws"),
    **{n: ("_density", n) for n in ("NORM_TOL", "outside_values", "check_outside_support",
                                    "check_normalization")},
    **{n: ("_derivatives", n) for n in ("check_derivatives", "check_eta_derivatives")},
    **{n: ("_information", n) for n in ("INFO_TOL", "representative",
                                        "check_expected_information")},
    "check_moments": ("_moments", "check_moments"),
    "check_cdf": ("_cdf", "check_cdf"),
    **{n: ("_sampling", n) for n in ("Z_MAX", "N_SAMPLE", "check_sample")},
    "check_glm": ("_glm", "check_glm"),
    **{n: ("_fit_inputs", n) for n in ("check_start", "check_prepare_response")},
    "check_reductions": ("_reductions", "check_reductions"),
    **{n: ("_recovery", n) for n in ("RECOVERY_SE", "N_RECOVERY", "check_recovery")},
    **{n: ("_registry", n) for n in ("KitDistribution", "KitEntryPoint", "plugin_module",
                                     "check_registry")},
}


def __getattr__(name: str):
    """An internal name of the former single module: its new home, with a warning."""
    if name not in _INTERNAL:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, new = _INTERNAL[name]
    warnings.warn(f"mlefit.testing.{name} is internal to the conformance kit now "
                  f"(mlefit.testing.{module}.{new}); the public names are "
                  "mlefit.testing.__all__", DeprecationWarning, stacklevel=2)
    return getattr(importlib.import_module(f"{__name__}.{module}"), new)
