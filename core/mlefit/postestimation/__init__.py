"""After the fit: predictions, residuals, simulation, goodness of fit and plots.

* :mod:`~mlefit.postestimation.prediction`: predictions with delta-method intervals;
* :mod:`~mlefit.postestimation.residuals`: response, Pearson, deviance and quantile
  residuals;
* :mod:`~mlefit.postestimation.simulation`: ``res.simulate()``, responses drawn from a fit;
* :mod:`~mlefit.postestimation.goodness_of_fit`: deviance, null deviance and Pearson X2;
* :mod:`~mlefit.postestimation.plots`: diagnostic and profile plots (matplotlib);
* :mod:`~mlefit.postestimation.marginal_effects`: ``res.marginal_effects()``, effects of
  the data's variables on any parameter with delta-method SEs;
* :mod:`~mlefit.postestimation.emmeans`: ``mlefit.emmeans``, marginal means over R's
  reference grid, and their pairwise comparisons;
* :mod:`~mlefit.postestimation.reference_data`: the fit's rows, typical rows and designs
  rebuilt for them a block of rows at a time (what the two above share);
* :mod:`~mlefit.postestimation.influence`: hat values, Cook's distance, standardized and
  studentized residuals and dfbetas as R defines them for a glm (``res.influence()``).

Each is reached through a :class:`~mlefit.FitResult` method (``predict``, ``resid``,
``simulate``, ``deviance``, ``plot_diagnostics``); the functions behind them are
exported here (``residuals`` only from its module, whose name it shares).

Post-estimation stands on inference (intervals, the draws and refits of
:mod:`mlefit.inference.resampling`); inference never imports post-estimation.
"""

from __future__ import annotations

from .goodness_of_fit import GLMStatistics
from .plots import plot_diagnostics, plot_profile
from .prediction import predict
from .simulation import simulate

__all__ = ["GLMStatistics", "plot_diagnostics", "plot_profile", "predict", "simulate"]
