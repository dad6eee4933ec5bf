"""Tree ensembles: XGBoost (as in GBDT-NAS), scikit-learn gradient boosting and random forest."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from nasbench_lab.predictors.base import Predictor
from nasbench_lab.predictors.registry import register_predictor

if TYPE_CHECKING:
    import xgboost as xgb


@register_predictor("xgb")
class XGBPredictor(Predictor):
    """Gradient-boosted trees (xgboost, one thread, deterministic for a fixed ``random_state``)."""

    allows_missing_features = True  # xgboost learns a default branch for missing values


    def __init__(self, space, *, n_estimators: int = 200, max_depth: int = 4, learning_rate: float = 0.08,
                 subsample: float = 0.8, colsample_bytree: float = 0.8, min_child_weight: float = 1.0,
                 reg_lambda: float = 1.0, n_jobs: int = 1, warm_trees: int = 0, target: str = "rank", **kwargs):
        super().__init__(space, target=target, **kwargs)
        self.n_estimators, self.max_depth, self.learning_rate = n_estimators, max_depth, learning_rate
        self.subsample, self.colsample_bytree = subsample, colsample_bytree
        self.min_child_weight, self.reg_lambda, self.n_jobs = min_child_weight, reg_lambda, n_jobs
        self.warm_trees = warm_trees
        self._warm: xgb.Booster | None = None

    def warm_from(self, previous: Predictor) -> None:
        """Continue ``previous``'s trees in the next fit, adding ``warm_trees`` trees on the new data (0: ignored).

        The trees are taken over, not copied (copying a booster costs more than the trees): ``previous``
        then predicts with the grown model."""
        if self.warm_trees > 0 and isinstance(previous, XGBPredictor) and hasattr(previous, "_booster"):
            self._warm = previous._booster

    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
        import xgboost as xgb

        params = {"objective": "reg:squarederror", "max_depth": self.max_depth, "eta": self.learning_rate,
                  "subsample": self.subsample, "colsample_bytree": self.colsample_bytree,
                  "min_child_weight": self.min_child_weight, "lambda": self.reg_lambda,
                  "tree_method": "hist", "nthread": self.n_jobs, "seed": self._seed(), "verbosity": 0}
        dtrain = xgb.DMatrix(X, label=y, nthread=self.n_jobs)
        warm, self._warm = self._warm, None
        if warm is None:  # boosting rounds by hand: the same trees as xgb.train without its per-call overhead
            booster, first, rounds = xgb.Booster(params, [dtrain]), 0, self.n_estimators
        else:
            booster, rounds = warm, self.warm_trees
            first = booster.num_boosted_rounds()
        if rounds:
            booster.update(dtrain, first)  # the first round checks and records the feature names as usual
        for i in range(first + 1, first + rounds):
            _update_one_round(booster, dtrain, i)
        self._booster = booster

    def _predict(self, X: np.ndarray) -> np.ndarray:
        return self._booster.inplace_predict(X)  # no DMatrix: the same values, half the time


@register_predictor("gbr")
class GBRPredictor(Predictor):
    """scikit-learn's GradientBoostingRegressor."""


    def __init__(self, space, *, n_estimators: int = 100, max_depth: int = 3, learning_rate: float = 0.1,
                 subsample: float = 0.8, target: str = "rank", **kwargs):
        super().__init__(space, target=target, **kwargs)
        self.n_estimators, self.max_depth = n_estimators, max_depth
        self.learning_rate, self.subsample = learning_rate, subsample

    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
        from sklearn.ensemble import GradientBoostingRegressor

        self._model = GradientBoostingRegressor(n_estimators=self.n_estimators, max_depth=self.max_depth,
                                                learning_rate=self.learning_rate, subsample=self.subsample,
                                                random_state=self._seed()).fit(X, y)

    def _predict(self, X: np.ndarray) -> np.ndarray:
        return self._model.predict(X)


@register_predictor("rf")
class RFPredictor(Predictor):
    """scikit-learn's RandomForestRegressor; the spread over trees is its uncertainty."""

    has_std = True

    def __init__(self, space, *, n_estimators: int = 50, max_features: float = 0.5, min_samples_leaf: int = 1,
                 n_jobs: int = 1, target: str = "rank", **kwargs):
        super().__init__(space, target=target, **kwargs)
        self.n_estimators, self.max_features = n_estimators, max_features
        self.min_samples_leaf, self.n_jobs = min_samples_leaf, n_jobs

    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
        from sklearn.ensemble import RandomForestRegressor

        self._model = RandomForestRegressor(n_estimators=self.n_estimators, max_features=self.max_features,
                                            min_samples_leaf=self.min_samples_leaf, n_jobs=self.n_jobs,
                                            random_state=self._seed()).fit(X, y)

    def _predict(self, X: np.ndarray) -> np.ndarray:
        return self._model.predict(X)

    def _predict_std(self, X: np.ndarray) -> np.ndarray:
        per_tree = np.stack([t.predict(X) for t in self._model.estimators_])
        return per_tree.std(axis=0)


def _update_one_round(booster, dtrain, iteration: int) -> None:
    """One boosting round through xgboost's C API (``XGBoosterUpdateOneIter``, what ``Booster.update`` calls):
    the same tree, without re-validating the same DMatrix's feature names in Python each round (a third of a
    shallow tree's cost); falls back to ``Booster.update`` where the library handle is not exposed."""
    import ctypes

    from xgboost import core

    lib = getattr(core, "_LIB", None)
    if lib is None or not hasattr(core, "_check_call"):
        booster.update(dtrain, iteration)
        return
    core._check_call(lib.XGBoosterUpdateOneIter(booster.handle, ctypes.c_int(iteration), dtrain.handle))
