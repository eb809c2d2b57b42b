"""Inference after a fit: covariances, tests, intervals and model comparison.

* :mod:`~mlefit.inference.coefficients`: the stacked coefficient vector's names and
  positions;
* :mod:`~mlefit.inference.covariance`: the covariance of the estimates (observed,
  expected, sandwich, cluster);
* :mod:`~mlefit.inference.confidence`: confidence levels and critical values;
* :mod:`~mlefit.inference.wald`: Wald tests (:class:`WaldTest`);
* :mod:`~mlefit.inference.comparability` and :mod:`~mlefit.inference.nesting`: whether
  fits can be compared, and whether one is nested in another;
* :mod:`~mlefit.inference.likelihood_ratio`: likelihood-ratio tests (:func:`lrtest`);
* :mod:`~mlefit.inference.f_test`: the analysis-of-deviance F test
  (``lrtest(..., test="F")``);
* :mod:`~mlefit.inference.term_tables`: term-wise tests by refits, :func:`drop1` and
  :func:`anova` (exported from :mod:`mlefit`);
* :mod:`~mlefit.inference.natural_scale`: intercept-only parameters on their natural
  scale with delta-method standard errors (``res.natural_params()``);
* :mod:`~mlefit.inference.score`: score tests (:func:`score_test`);
* :mod:`~mlefit.inference.nominal`: proportional odds against nominal effects in an
  ordinal fit (:func:`mlefit.nominal_test`);
* :mod:`~mlefit.inference.criteria`: information criteria (:func:`compare`);
* :mod:`~mlefit.inference.profile_likelihood`: profile likelihoods and their intervals;
* :mod:`~mlefit.inference.penalised`: the penalised profile-likelihood intervals
  of a Firth fit (``penalty="firth"``), as R's logistf;
* :mod:`~mlefit.inference.resampling`: responses drawn from a fit, and refits to them;
* :mod:`~mlefit.inference.bootstrap`: the parametric bootstrap of an LR test.

The result types and the functions that take fits are exported here (and, the common
ones, from :mod:`mlefit`).
"""

from __future__ import annotations

from .bootstrap import Bootstrap, bootstrap_lrt
from .criteria import compare
from .likelihood_ratio import LRTest, LRTestSequence, lrtest
from .profile_likelihood import profile
from .score import ScoreTest, score_test
from .wald import WaldTest, wald_test

__all__ = ["Bootstrap", "LRTest", "LRTestSequence", "ScoreTest", "WaldTest",
           "bootstrap_lrt", "compare", "lrtest", "profile", "score_test", "wald_test"]
