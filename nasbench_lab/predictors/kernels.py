"""Kernel and neighbourhood baselines: Gaussian process, Bayesian linear regression, kNN, SVR."""

from __future__ import annotations

import numpy as np
from scipy.linalg import cho_factor, cho_solve, solve_triangular

from nasbench_lab.errors import ConfigError, UnknownNameError
from nasbench_lab.predictors.base import Predictor, PredictorError
from nasbench_lab.predictors.registry import register_predictor


def _sq_dists(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    d = (A * A).sum(1)[:, None] + (B * B).sum(1)[None, :] - 2.0 * A @ B.T
    return np.maximum(d, 0.0)


@register_predictor("gp")
class GPPredictor(Predictor):
    """GP regression, RBF kernel on the scaled features; lengthscale and noise by marginal likelihood
    over a small grid (chosen on at most ``hp_subset`` points, so fits stay fast at 1,000 points)."""

    encoding_family = "kernel"
    has_std = True
    scale_features = True

    def __init__(self, space, *, lengthscales: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0, 8.0),
                 noises: tuple[float, ...] = (0.01, 0.1, 0.3), hp_subset: int = 300, target: str = "rank", **kwargs):
        super().__init__(space, target=target, **kwargs)
        self.lengthscales, self.noises, self.hp_subset = tuple(lengthscales), tuple(noises), hp_subset

    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
        X = X.astype(np.float64)
        sub = np.arange(len(X))
        if len(X) > self.hp_subset:
            sub = np.sort(self._rng().choice(len(X), self.hp_subset, replace=False))
        D = _sq_dists(X[sub], X[sub])
        ys = y[sub]
        best: tuple[float, float] | None = None
        best_ll = -np.inf
        for ls in self.lengthscales:
            K0 = np.exp(-D / (2.0 * ls * ls))
            for noise in self.noises:
                ll = self._log_likelihood(K0, ys, noise)
                if ll > best_ll:
                    best, best_ll = (ls, noise), ll
        if best is None:
            raise PredictorError(f"predictor {self._label()}: no (lengthscale, noise) pair of the grid gives a "
                                 "finite marginal likelihood (the kernel matrix is never positive definite)")
        self.lengthscale_, self.noise_ = best
        self._X = X
        K = np.exp(-_sq_dists(X, X) / (2.0 * self.lengthscale_**2))
        K[np.diag_indices_from(K)] += self.noise_
        self._L = np.linalg.cholesky(K)
        self._alpha = cho_solve((self._L, True), y)

    @staticmethod
    def _log_likelihood(K0: np.ndarray, y: np.ndarray, noise: float) -> float:
        K = K0.copy()
        K[np.diag_indices_from(K)] += noise
        try:
            c, low = cho_factor(K, lower=True, check_finite=False)
        except np.linalg.LinAlgError:
            return -np.inf
        alpha = cho_solve((c, low), y, check_finite=False)
        return float(-0.5 * y @ alpha - np.log(np.diag(c)).sum())

    def _kstar(self, X: np.ndarray) -> np.ndarray:
        return np.exp(-_sq_dists(X.astype(np.float64), self._X) / (2.0 * self.lengthscale_**2))

    def _predict(self, X: np.ndarray) -> np.ndarray:
        return self._kstar(X) @ self._alpha

    def _predict_std(self, X: np.ndarray) -> np.ndarray:
        v = solve_triangular(self._L, self._kstar(X).T, lower=True, check_finite=False)
        return np.sqrt(np.maximum(1.0 - (v * v).sum(axis=0), 1e-12))


@register_predictor("blr")
class BLRPredictor(Predictor):
    """Bayesian linear regression (scikit-learn's BayesianRidge) on the features."""

    has_std = True

    def __init__(self, space, *, target: str = "rank", **kwargs):
        super().__init__(space, target=target, **kwargs)

    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
        from sklearn.linear_model import BayesianRidge

        self._model = BayesianRidge().fit(X, y)

    def _predict(self, X: np.ndarray) -> np.ndarray:
        return self._model.predict(X)

    def _predict_std(self, X: np.ndarray) -> np.ndarray:
        return self._model.predict(X, return_std=True)[1]


@register_predictor("knn")
class KNNPredictor(Predictor):
    """Mean score of the ``n_neighbors`` nearest training architectures (Euclidean on the scaled
    features), weighted by inverse distance when ``weights="distance"``."""

    encoding_family = "kernel"
    scale_features = True

    def __init__(self, space, *, n_neighbors: int = 7, weights: str = "distance", target: str = "standard",
                 **kwargs):
        super().__init__(space, target=target, **kwargs)
        if weights not in ("distance", "uniform"):
            raise UnknownNameError("kNN weighting", weights, ["distance", "uniform"])
        if isinstance(n_neighbors, bool) or not isinstance(n_neighbors, int) or n_neighbors < 1:
            raise ConfigError(f"predictor knn: n_neighbors must be an integer >= 1, got {n_neighbors!r}")
        self.n_neighbors, self.weights = n_neighbors, weights

    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
        self._X, self._y = X.astype(np.float64), y

    def _predict(self, X: np.ndarray) -> np.ndarray:
        k = min(self.n_neighbors, len(self._X))
        d = np.sqrt(_sq_dists(X.astype(np.float64), self._X))
        nearest = np.argpartition(d, k - 1, axis=1)[:, :k]
        dn = np.take_along_axis(d, nearest, axis=1)
        if self.weights == "uniform":
            return self._y[nearest].mean(axis=1)
        exact = dn <= 1e-12
        w = np.where(exact.any(axis=1, keepdims=True), exact.astype(np.float64), 1.0 / np.maximum(dn, 1e-12))
        return (w * self._y[nearest]).sum(axis=1) / w.sum(axis=1)


@register_predictor("svr")
class SVRPredictor(Predictor):
    """Support vector regression, RBF kernel on the scaled features."""

    encoding_family = "kernel"
    scale_features = True

    def __init__(self, space, *, C: float = 3.0, epsilon: float = 0.05, gamma: str | float = "scale",
                 target: str = "rank", **kwargs):
        super().__init__(space, target=target, **kwargs)
        self.C, self.epsilon, self.gamma = C, epsilon, gamma

    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
        from sklearn.svm import SVR

        model = SVR(C=self.C, epsilon=self.epsilon, gamma=self.gamma).fit(X, y)
        # predict with BLAS instead of libsvm's per-pair kernel loop (same values, ~10x faster on 5,000 cells)
        self._sv = model.support_vectors_.astype(np.float64)
        self._coef = model.dual_coef_[0].astype(np.float64)
        self._intercept = float(model.intercept_[0])
        self._gamma = float(model._gamma)

    def _predict(self, X: np.ndarray) -> np.ndarray:
        return np.exp(-self._gamma * _sq_dists(X.astype(np.float64), self._sv)) @ self._coef + self._intercept
