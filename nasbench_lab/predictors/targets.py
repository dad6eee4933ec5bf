"""Target transforms: what a model is fitted on, with an inverse back to ``y`` units.

``rank`` replaces scores by normal scores of their ranks: the long low tail of NAS accuracies
(cells that do not learn) no longer dominates a squared loss, and predictions map back to ``y``
through a monotone interpolation, so rankings are unchanged and values keep their units.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri
from scipy.stats import rankdata

from nasbench_lab.errors import UnknownNameError
from nasbench_lab.registry import Registry


class TargetTransform:
    """Identity-free base: ``fit_transform(y)``, ``inverse(t)``, ``inverse_std(t, s)``."""

    def fit_transform(self, y: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def inverse(self, t: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def inverse_std(self, t: np.ndarray, s: np.ndarray) -> np.ndarray:
        """Standard deviation in ``y`` units of a prediction ``t`` with spread ``s`` (delta method)."""
        return np.abs(self.inverse(t + s) - self.inverse(t - s)) / 2.0


TARGETS: Registry[type[TargetTransform]] = Registry("predictor target transform")


@TARGETS.register("standard")
class StandardTarget(TargetTransform):
    """Zero mean, unit variance."""

    def fit_transform(self, y: np.ndarray) -> np.ndarray:
        self.mean = float(y.mean())
        sd = float(y.std())
        self.scale = sd if sd > 0 else 1.0
        return (y - self.mean) / self.scale

    def inverse(self, t: np.ndarray) -> np.ndarray:
        return t * self.scale + self.mean

    def inverse_std(self, t: np.ndarray, s: np.ndarray) -> np.ndarray:
        return s * self.scale


@TARGETS.register("rank")
class RankTarget(TargetTransform):
    """Normal scores of the ranks; the inverse interpolates between the training pairs."""

    def fit_transform(self, y: np.ndarray) -> np.ndarray:
        n = len(y)
        t = ndtri((rankdata(y, method="average") - 0.5) / n)
        ys, order = np.unique(y, return_index=True)
        self.t_knots = t[order]
        self.y_knots = ys
        # beyond the training range: the average slope, so that rankings continue without wild values
        span = self.t_knots[-1] - self.t_knots[0]
        self.lo_slope = self.hi_slope = (ys[-1] - ys[0]) / span if span > 0 else 1.0
        return t

    def inverse(self, t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=np.float64)
        out = np.interp(t, self.t_knots, self.y_knots)
        lo, hi = t < self.t_knots[0], t > self.t_knots[-1]
        out[lo] = self.y_knots[0] + (t[lo] - self.t_knots[0]) * self.lo_slope
        out[hi] = self.y_knots[-1] + (t[hi] - self.t_knots[-1]) * self.hi_slope
        return out


def make_target(name: str) -> TargetTransform:
    """A fresh transform by name (``standard`` or ``rank``)."""
    if name not in TARGETS:
        raise UnknownNameError("predictor target transform", name, TARGETS.names())
    return TARGETS.get(name)()
