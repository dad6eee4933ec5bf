"""Tree ensembles: XGBoost (as in GBDT-NAS), scikit-learn gradient boosting and random forest."""

from __future__ import annotations

import numpy as np

from nasbench_lab.predictors.base import Predictor
from nasbench_lab.predictors.registry import register_predictor


@register_predictor("xgb", "gbdt")
class XGBPredictor(Predictor):
    """Gradient-boosted trees (xgboost, one thread, deterministic for a fixed ``random_state``)."""

    allows_missing_features = True  # xgboost learns a default branch for missing values


    def __init__(self, space, *, n_estimators: int = 200, max_depth: int = 4, learning_rate: float = 0.08,
                 subsample: float = 0.8, colsample_bytree: float = 0.8, min_child_weight: float = 1.0,
                 reg_lambda: float = 1.0, n_jobs: int = 1, target: str = "rank", **kwargs):
        super().__init__(space, target=target, **kwargs)
        self.n_estimators, self.max_depth, self.learning_rate = n_estimators, max_depth, learning_rate
        self.subsample, self.colsample_bytree = subsample, colsample_bytree
        self.min_child_weight, self.reg_lambda, self.n_jobs = min_child_weight, reg_lambda, n_jobs

    def _params(self) -> dict:
        return {"n_estimators": self.n_estimators, "max_depth": self.max_depth, "learning_rate": self.learning_rate,
                "subsample": self.subsample, "colsample_bytree": self.colsample_bytree,
                "min_child_weight": self.min_child_weight, "reg_lambda": self.reg_lambda}

    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
        import xgboost as xgb

        params = {"objective": "reg:squarederror", "max_depth": self.max_depth, "eta": self.learning_rate,
                  "subsample": self.subsample, "colsample_bytree": self.colsample_bytree,
                  "min_child_weight": self.min_child_weight, "lambda": self.reg_lambda,
                  "tree_method": "hist", "nthread": self.n_jobs, "seed": self._seed(), "verbosity": 0}
        self._booster = xgb.train(params, xgb.DMatrix(X, label=y, nthread=self.n_jobs),
                                  num_boost_round=self.n_estimators)

    def _predict(self, X: np.ndarray) -> np.ndarray:
        import xgboost as xgb

        return self._booster.predict(xgb.DMatrix(X, nthread=self.n_jobs))


@register_predictor("gbr")
class GBRPredictor(Predictor):
    """scikit-learn's GradientBoostingRegressor."""


    def __init__(self, space, *, n_estimators: int = 100, max_depth: int = 3, learning_rate: float = 0.1,
                 subsample: float = 0.8, target: str = "rank", **kwargs):
        super().__init__(space, target=target, **kwargs)
        self.n_estimators, self.max_depth = n_estimators, max_depth
        self.learning_rate, self.subsample = learning_rate, subsample

    def _params(self) -> dict:
        return {"n_estimators": self.n_estimators, "max_depth": self.max_depth,
                "learning_rate": self.learning_rate, "subsample": self.subsample}

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

    def _params(self) -> dict:
        return {"n_estimators": self.n_estimators, "max_features": self.max_features,
                "min_samples_leaf": self.min_samples_leaf}

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
