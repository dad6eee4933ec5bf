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


@register_predictor("mlp_ens")
class MLPEnsemblePredictor(Predictor):
    """Ensemble of ``n_members`` ReLU MLPs (``n_layers`` hidden layers of ``width``), mean and std."""

    encoding_family = "mlp"
    has_std = True
    scale_features = True

    def __init__(self, space, *, n_members: int = 5, width: int = 32, n_layers: int = 2, epochs: int = 100,
                 learning_rate: float = 0.03, weight_decay: float = 1e-4, warm_epochs: int = 0, target: str = "rank",
                 **kwargs):
        super().__init__(space, target=target, **kwargs)
        self.n_members, self.width, self.n_layers = n_members, width, n_layers
        self.epochs, self.learning_rate, self.weight_decay = epochs, learning_rate, weight_decay
        self.warm_epochs = warm_epochs
        self._warm: tuple | None = None

    def warm_from(self, previous: Predictor) -> None:
        """Start the next fit from ``previous``'s weights and Adam state and train ``warm_epochs`` epochs (0:
        ignored), so that a search refitting on a few more results does not train from scratch each time."""
        if self.warm_epochs > 0 and isinstance(previous, MLPEnsemblePredictor) and hasattr(previous, "_adam"):
            mom, vel, steps = previous._adam
            self._warm = ([a.copy() for a in previous._W + previous._b], mom.copy(), vel.copy(), steps)

    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
        """Full-batch Adam on every member at once; weights, gradients and Adam moments live in flat buffers
        (views per layer), so an Adam step is a few whole-buffer operations instead of a few per tensor."""
        rng = self._rng()
        m, d, h = self.n_members, X.shape[1], self.width
        dims = [d] + [h] * self.n_layers + [1]
        dt = _DTYPE
        shapes = [(m, a, b) for a, b in zip(dims[:-1], dims[1:])] + [(m, 1, b) for b in dims[1:]]
        sizes = [int(np.prod(s)) for s in shapes]
        theta, grads = np.zeros(sum(sizes), dtype=dt), np.empty(sum(sizes), dtype=dt)
        offsets = np.concatenate([[0], np.cumsum(sizes)])
        views = [theta[o: o + n].reshape(s) for o, n, s in zip(offsets, sizes, shapes)]
        gviews = [grads[o: o + n].reshape(s) for o, n, s in zip(offsets, sizes, shapes)]
        n_w = len(dims) - 1
        self._W, self._b = views[:n_w], views[n_w:]
        gW, gb = gviews[:n_w], gviews[n_w:]
        mom, vel, first, epochs = np.zeros_like(theta), np.zeros_like(theta), 1, self.epochs
        num, den = np.empty_like(theta), np.empty_like(theta)  # Adam's step, computed in place
        if self._warm is not None and [a.shape for a in self._warm[0]] == [v.shape for v in views]:
            for view, old in zip(views, self._warm[0]):
                view[...] = old
            mom[...], vel[...] = self._warm[1], self._warm[2]
            first, epochs = self._warm[3] + 1, self.warm_epochs
        else:
            for W, (a, b) in zip(self._W, zip(dims[:-1], dims[1:])):  # He initialisation, one draw per member
                W[...] = (rng.standard_normal((m, a, b)) * np.sqrt(2.0 / a)).astype(dt)
        self._warm = None
        Xb = X.astype(_DTYPE)[None]  # (1, n, d), shared by members
        XT = np.ascontiguousarray(np.swapaxes(Xb, 1, 2))
        target = y.astype(dt)[None, :, None]
        n = X.shape[0]
        b1, b2, eps, lr, wd = 0.9, 0.999, 1e-8, self.learning_rate, self.weight_decay
        for step in range(first, first + epochs):
            acts, pre = [Xb], []
            for k in range(n_w):
                z = acts[-1] @ self._W[k] + self._b[k]
                pre.append(z)
                acts.append(np.maximum(z, 0.0) if k < n_w - 1 else z)
            grad = 2.0 * (acts[-1] - target) / n  # (m, n, 1)
            for k in range(n_w - 1, -1, -1):
                a = acts[k]
                at = XT if k == 0 else np.ascontiguousarray(np.swapaxes(a, 1, 2))
                np.matmul(at, grad, out=gW[k])  # (1 or m, in, n) @ (m, n, out) -> (m, in, out)
                gW[k] += wd * self._W[k]
                gb[k][...] = grad.sum(axis=1, keepdims=True)
                if k:
                    # a contiguous transpose: matmul with a strided operand leaves the BLAS fast path
                    grad = (grad @ np.ascontiguousarray(np.swapaxes(self._W[k], 1, 2))) * (pre[k - 1] > 0)
            c1, c2 = 1 - b1**step, 1 - b2**step
            mom *= b1  # in place, the same operations in the same order as b1 * mom + (1 - b1) * grads
            mom += (1 - b1) * grads
            vel *= b2
            vel += (1 - b2) * grads * grads
            np.divide(mom, c1, out=num)  # theta -= lr * (mom / c1) / (sqrt(vel / c2) + eps), no temporaries
            num *= lr
            np.divide(vel, c2, out=den)
            np.sqrt(den, out=den)
            den += eps
            num /= den
            theta -= num
        self._adam = (mom, vel, first + epochs - 1)

    def _members(self, X: np.ndarray) -> np.ndarray:
        a = X.astype(_DTYPE, copy=False)[None]
        for k in range(len(self._W)):
            z = a @ self._W[k]
            z += self._b[k]
            if k < len(self._W) - 1:
                np.maximum(z, 0.0, out=z)
            a = z
        return a[:, :, 0]  # (members, n)

    def _predict(self, X: np.ndarray) -> np.ndarray:
        return self._members(X).mean(axis=0)

    def _predict_std(self, X: np.ndarray) -> np.ndarray:
        return self._members(X).std(axis=0)

    def _predict_mean_std(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        members = self._members(X)  # one forward pass for both
        return members.mean(axis=0), members.std(axis=0)
