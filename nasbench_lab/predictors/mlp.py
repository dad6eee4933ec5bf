"""BANANAS-style ensemble of small MLPs in numpy: all members trained at once, spread = uncertainty.

Members differ in their initial weights (as in BANANAS); they are trained together with
full-batch Adam on batched weight tensors, so a fit on ~150 points takes tens of milliseconds.
"""

from __future__ import annotations

import numpy as np

from nasbench_lab.predictors.base import Predictor
from nasbench_lab.predictors.registry import register_predictor

#: float32 halves the arithmetic; results are still identical for the same random_state
_DTYPE = np.dtype(np.float32)


@register_predictor("mlp_ens", "bananas")
class MLPEnsemblePredictor(Predictor):
    """Ensemble of ``n_members`` ReLU MLPs (``n_layers`` hidden layers of ``width``), mean and std."""

    encoding_family = "mlp"
    has_std = True
    scale_features = True

    def __init__(self, space, *, n_members: int = 5, width: int = 32, n_layers: int = 2, epochs: int = 100,
                 learning_rate: float = 0.03, weight_decay: float = 1e-4, target: str = "rank", **kwargs):
        super().__init__(space, target=target, **kwargs)
        self.n_members, self.width, self.n_layers = n_members, width, n_layers
        self.epochs, self.learning_rate, self.weight_decay = epochs, learning_rate, weight_decay

    def _params(self) -> dict:
        return {"n_members": self.n_members, "width": self.width, "n_layers": self.n_layers, "epochs": self.epochs,
                "learning_rate": self.learning_rate, "weight_decay": self.weight_decay}

    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
        rng = self._rng()
        m, d, h = self.n_members, X.shape[1], self.width
        dims = [d] + [h] * self.n_layers + [1]
        # He initialisation, one independent draw per member
        dt = _DTYPE
        self._W = [(rng.standard_normal((m, a, b)) * np.sqrt(2.0 / a)).astype(dt) for a, b in zip(dims[:-1], dims[1:])]
        self._b = [np.zeros((m, 1, b), dtype=dt) for b in dims[1:]]
        params = self._W + self._b
        mom = [np.zeros_like(p) for p in params]
        vel = [np.zeros_like(p) for p in params]
        Xb = X.astype(_DTYPE)[None]  # (1, n, d), shared by members
        XT = np.ascontiguousarray(np.swapaxes(Xb, 1, 2))
        target = y.astype(dt)[None, :, None]
        n = X.shape[0]
        b1, b2, eps, lr, wd = 0.9, 0.999, 1e-8, self.learning_rate, self.weight_decay
        n_w = len(self._W)
        for step in range(1, self.epochs + 1):
            acts, pre = [Xb], []
            for k in range(n_w):
                z = acts[-1] @ self._W[k] + self._b[k]
                pre.append(z)
                acts.append(np.maximum(z, 0.0) if k < n_w - 1 else z)
            grad = 2.0 * (acts[-1] - target) / n  # (m, n, 1)
            gW, gb = [None] * n_w, [None] * n_w
            for k in range(n_w - 1, -1, -1):
                a = acts[k]
                at = XT if k == 0 else np.ascontiguousarray(np.swapaxes(a, 1, 2))
                gW[k] = at @ grad + wd * self._W[k]  # (1 or m, in, n) @ (m, n, out) -> (m, in, out)
                gb[k] = grad.sum(axis=1, keepdims=True)
                if k:
                    # a contiguous transpose: matmul with a strided operand leaves the BLAS fast path
                    grad = (grad @ np.ascontiguousarray(np.swapaxes(self._W[k], 1, 2))) * (pre[k - 1] > 0)
            c1, c2 = 1 - b1**step, 1 - b2**step
            for i, g in enumerate(gW + gb):
                mom[i] = b1 * mom[i] + (1 - b1) * g
                vel[i] = b2 * vel[i] + (1 - b2) * g * g
                params[i] -= lr * (mom[i] / c1) / (np.sqrt(vel[i] / c2) + eps)

    def _members(self, X: np.ndarray) -> np.ndarray:
        a = X.astype(_DTYPE)[None]
        for k in range(len(self._W)):
            z = a @ self._W[k] + self._b[k]
            a = np.maximum(z, 0.0) if k < len(self._W) - 1 else z
        return a[:, :, 0]  # (members, n)

    def _predict(self, X: np.ndarray) -> np.ndarray:
        return self._members(X).mean(axis=0)

    def _predict_std(self, X: np.ndarray) -> np.ndarray:
        return self._members(X).std(axis=0)
