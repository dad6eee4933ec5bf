"""REINFORCE as in NAS-Bench-201 (Dong & Yang 2020): a categorical policy per position, EMA baseline, Adam.

The policy holds one logit per (position, choice), initialised as 1e-3 times standard normal
draws; each result updates it with the gradient of ``-log pi(arch) * (reward - baseline)``, where
the baseline is the bias-corrected exponential moving average of the rewards (updated with the
reward first), by Adam with the paper's settings (``exps/algos/reinforce.py`` and
``scripts-search/algos/REINFORCE.sh`` of D-X-Y/AutoDL-Projects: learning rate 0.001, EMA momentum
0.9). The reward is the search metric as told (validation accuracy in %). With several workers,
proposals come from the current policy and each result updates it when it arrives. The paper's
answer is the best validated architecture of its trace (``max(trace)``; the policy-argmax line is
commented out there as the "first version"), which is the runner's incumbent, except that the
paper's trace also holds the one evaluation that crossed the time budget, which the runner drops.
"""

from __future__ import annotations

import numpy as np

from nasbench_lab.search.base import SearchProblem, in_range, register_optimizer
from nasbench_lab.search.categorical import CategoricalOptimizer

#: torch.optim.Adam's defaults, which the paper's code uses
_BETA1, _BETA2, _EPS = 0.9, 0.999, 1e-8


@register_optimizer("reinforce", "rl")
class Reinforce(CategoricalOptimizer):
    """Policy-gradient search with a softmax policy per position of the space's categorical choices."""

    display_name = "REINFORCE"

    def __init__(self, problem: SearchProblem, rng: np.random.Generator, learning_rate: float = 0.001,
                 ema_momentum: float = 0.9, init_scale: float = 1e-3):
        super().__init__(problem, rng)
        self.learning_rate = in_range("reinforce", "learning_rate", learning_rate, 0.0, 10.0)
        self.ema_momentum = in_range("reinforce", "ema_momentum", ema_momentum, 0.0, 0.999999)
        scale = in_range("reinforce", "init_scale", init_scale, 0.0, 10.0)
        shape = (self.layout.dim, self.layout.width)
        self.logits = np.where(self.layout.valid, scale * self.rng.standard_normal(shape), -np.inf)
        self._m = np.zeros(shape)
        self._v = np.zeros(shape)
        self._steps = 0
        self._ema_num = self._ema_den = 0.0

    def policy(self) -> np.ndarray:
        """(d, K) choice probabilities of the current policy."""
        z = np.exp(self.logits - self.logits.max(axis=1, keepdims=True))
        return z / z.sum(axis=1, keepdims=True)

    def ask(self, n: int) -> np.ndarray:
        probs = self.policy()
        return self.hand_out(lambda k: self.layout.sample(probs, self.rng, k), n)

    def tell(self, archs: np.ndarray, values: np.ndarray, fidelities: np.ndarray | None = None) -> None:
        for row, reward in zip(self.rows_of(archs), values):
            if np.isfinite(reward):  # a result the table lacks carries no learning signal
                self._update(row, float(reward))

    def baseline(self) -> float:
        """The bias-corrected exponential moving average of the rewards so far."""
        return self._ema_num / self._ema_den if self._ema_den else 0.0

    def _update(self, row: np.ndarray, reward: float) -> None:
        mom = self.ema_momentum
        self._ema_num = mom * self._ema_num + (1 - mom) * reward
        self._ema_den = mom * self._ema_den + (1 - mom)
        advantage = reward - self.baseline()
        grad = self.policy()  # d(-log pi)/d logits = pi - onehot(action), times the advantage
        grad[np.arange(self.layout.dim), row] -= 1.0
        grad = np.where(self.layout.valid, grad * advantage, 0.0)
        self._steps += 1
        self._m = _BETA1 * self._m + (1 - _BETA1) * grad
        self._v = _BETA2 * self._v + (1 - _BETA2) * grad * grad
        m_hat = self._m / (1 - _BETA1**self._steps)
        v_hat = self._v / (1 - _BETA2**self._steps)
        self.logits = np.where(self.layout.valid, self.logits - self.learning_rate * m_hat / (np.sqrt(v_hat) + _EPS),
                               -np.inf)
