"""Tree-structured Parzen estimator (Bergstra et al. 2011) over categorical choices, as Optuna's TPESampler.

After ``n_startup`` uniform draws, the results are split into the best ``min(ceil(gamma n), max_below)``
("below", l) and the rest ("above", g). Each group is a Parzen estimator: one kernel per
observation that puts weight 1 + a on the observation's choice and a on every choice of a
position, plus a uniform prior kernel (a = prior_weight / (observations + 1)); older observations
are down-weighted by Optuna's ramp once a group holds more than 25. ``multivariate=True`` (the
default, as Optuna's for one objective) makes each kernel a product over positions and draws
``n_ei_candidates`` whole rows from l, keeping the one maximising l / g; ``multivariate=False``
is the independent TPE: each position draws its candidates from its own marginal and keeps its
best choice. Model arithmetic is numpy on small arrays, so a proposal costs tens of microseconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from nasbench_lab.search.base import SearchProblem, in_range, positive_int, register_optimizer
from nasbench_lab.search.categorical import CategoricalOptimizer

#: observations of a group kept at full weight; older ones are ramped down (Optuna's default_weights)
_FLAT_WEIGHTS = 25


#: exponents below this cannot overflow exp() in float64
_SAFE_EXP = 600.0


@dataclass(frozen=True)
class _Group:
    """Constants of one group's mixture: log density = log(sum exp(matches gain + bias) + prior) + shift."""

    gain: float
    bias: np.ndarray
    prior: float
    shift: float
    #: cumulative kernel weights (observations, then the prior) and per-position keep probability, for sampling
    cum: np.ndarray
    keep: np.ndarray


def ramp_weights(n: int) -> np.ndarray:
    """Weights of ``n`` observations in chronological order: 1 each, older ones ramped from 1/n when n > 25."""
    if n <= _FLAT_WEIGHTS:
        return np.ones(n)
    return np.concatenate([np.linspace(1.0 / n, 1.0, num=n - _FLAT_WEIGHTS), np.ones(_FLAT_WEIGHTS)])


@register_optimizer("tpe")
class TreeParzenEstimator(CategoricalOptimizer):
    """TPE over the space's categorical choices (Optuna's TPESampler defaults), multivariate or independent."""

    def __init__(self, problem: SearchProblem, rng: np.random.Generator, n_startup: int = 10,
                 n_ei_candidates: int = 24, gamma: float = 0.1, max_below: int = 25, prior_weight: float = 1.0,
                 multivariate: bool = True):
        super().__init__(problem, rng)
        self.multivariate = bool(multivariate)
        self.n_startup = positive_int("tpe", "n_startup", n_startup)
        self.n_ei_candidates = positive_int("tpe", "n_ei_candidates", n_ei_candidates)
        self.gamma = in_range("tpe", "gamma", gamma, 1e-6, 1.0)
        self.max_below = positive_int("tpe", "max_below", max_below)
        self.prior_weight = in_range("tpe", "prior_weight", prior_weight, 1e-9, 1e9)
        d = self.layout.dim
        self._offsets = np.concatenate([[0], np.cumsum(self.layout.n)[:-1]]).astype(np.int64)
        self._flat_pos = np.repeat(np.arange(d), self.layout.n)  # flat choice -> its position
        self._flat_choice = np.arange(int(self.layout.n.sum())) - self._offsets[self._flat_pos]
        self._rows = np.zeros((64, d), dtype=np.int64)  # chronological; grown by doubling
        self._hot = np.zeros((64, len(self._flat_pos)), dtype=np.float32)  # one-hot rows: matches by one matmul
        self._values = np.zeros(64)
        self._n = 0
        self._groups: dict[int, _Group] = {}
        self._log_space_size = float(np.log(self.layout.n).sum())

    def ask(self, n: int) -> np.ndarray:
        if self._n < self.n_startup:
            return self.hand_out(lambda k: self.layout.sample(self.layout.uniform(), self.rng, k), n)
        below, above = self._split()
        if self.multivariate:
            return self.hand_out(lambda k: self._best_joint(below, above, k), n)
        below, above = self._rows[below], self._rows[above]
        pb, pa = self._parzen(below), self._parzen(above)
        valid = self.layout.valid
        log_ratio = np.where(valid, np.log(np.where(valid, pb, 1.0)) - np.log(np.where(valid, pa, 1.0)), -np.inf)
        return self.hand_out(lambda k: self._best_candidates(pb, log_ratio, k), n)

    def tell(self, archs: np.ndarray, values: np.ndarray, fidelities: np.ndarray | None = None) -> None:
        for row, value in zip(self.rows_of(archs), values):
            if self._n == len(self._values):
                self._rows = np.concatenate([self._rows, np.zeros_like(self._rows)])
                self._values = np.concatenate([self._values, np.zeros_like(self._values)])
                self._hot = np.concatenate([self._hot, np.zeros_like(self._hot)])
            self._rows[self._n] = row
            self._hot[self._n, row + self._offsets] = 1.0
            self._values[self._n] = float(value)
            self._n += 1

    def _split(self) -> tuple[np.ndarray, np.ndarray]:
        """Indices of the below (best) and above observations, each in chronological order."""
        n_below = min(math.ceil(self.gamma * self._n), self.max_below)
        order = np.argsort(-self._values[: self._n], kind="stable")
        return np.sort(order[:n_below]), np.sort(order[n_below:])

    def _mixture(self, n_obs: int) -> _Group:
        """The constants of a group's Parzen mixture of ``n_obs`` observations (cached per size)."""
        group = self._groups.get(n_obs)
        if group is None:
            weights = ramp_weights(n_obs)  # the largest is 1 (the newest observations)
            total = float(weights.sum()) + self.prior_weight
            a = self.prior_weight / (n_obs + 1)
            log_miss = math.log(a) * self.layout.dim - float(np.log1p(self.layout.n * a).sum())  # misses everywhere
            top = -math.log(total) if n_obs else math.log(self.prior_weight / total)
            group = _Group(gain=math.log1p(a) - math.log(a),
                           bias=np.zeros(n_obs) if n_obs <= _FLAT_WEIGHTS else np.log(weights),
                           prior=math.exp(math.log(self.prior_weight / total) - self._log_space_size - log_miss - top),
                           shift=log_miss + top, cum=np.cumsum(np.append(weights, self.prior_weight)),
                           keep=1.0 / (1.0 + self.layout.n * a))
            self._groups[n_obs] = group
        return group

    def _best_joint(self, below: np.ndarray, above: np.ndarray, m: int) -> np.ndarray:
        """(m, d) rows: the best of ``n_ei_candidates`` joint draws from l by log l - log g (multivariate TPE)."""
        c, d, nb = self.n_ei_candidates, self.layout.dim, len(below)
        gb = self._mixture(nb)
        u = self.rng.random((m * c, 2 * d + 1))
        kernel = np.searchsorted(gb.cum, u[:, 0] * gb.cum[-1], side="right")  # nb: the prior kernel
        centres = self._rows[below[np.minimum(kernel, nb - 1)]]
        keep = (u[:, 1:d + 1] < gb.keep) & (kernel < nb)[:, None]
        cand = np.where(keep, centres, (u[:, d + 1:] * self.layout.n).astype(np.int64))
        hot = np.zeros((m * c, len(self._flat_pos)), dtype=np.float32)
        hot[np.arange(m * c)[:, None], cand + self._offsets] = 1.0
        matches = hot @ self._hot[: self._n].T  # (candidates, observations): number of equal positions
        score = self._log_mixture(matches[:, below], gb) - self._log_mixture(matches[:, above],
                                                                             self._mixture(len(above)))
        return cand.reshape(m, c, d)[np.arange(m), np.argmax(score.reshape(m, c), axis=1)]

    def _log_mixture(self, matches: np.ndarray, group: _Group) -> np.ndarray:
        """Log density of candidates under a group's product-kernel mixture plus the uniform prior kernel,
        from the number of positions at which each candidate equals each observation of the group."""
        if self.layout.dim * group.gain < _SAFE_EXP:  # the usual case: no overflow, one shift for all
            return np.log(np.exp(matches * group.gain + group.bias).sum(axis=1) + group.prior) + group.shift
        log_k = matches * group.gain + group.bias
        prior = np.log(group.prior) if group.prior > 0 else -np.inf
        top = np.maximum(log_k.max(axis=1, initial=-np.inf), prior)
        return top + np.log(np.exp(log_k - top[:, None]).sum(axis=1) + np.exp(prior - top)) + group.shift

    def _parzen(self, rows: np.ndarray) -> np.ndarray:
        """Per-position mixture of one kernel per observation and a uniform prior kernel, as (d, K) probabilities."""
        n_obs = len(rows)
        weights = ramp_weights(n_obs)
        counts = np.bincount((rows + self._offsets).ravel(), weights=np.repeat(weights, self.layout.dim),
                             minlength=len(self._flat_pos))
        k = self.layout.n[self._flat_pos].astype(np.float64)
        a = self.prior_weight / (n_obs + 1)
        total = weights.sum()
        flat = ((counts + a * total) / (1.0 + k * a) + self.prior_weight / k) / (total + self.prior_weight)
        out = np.zeros((self.layout.dim, self.layout.width))
        out[self._flat_pos, self._flat_choice] = flat
        return out

    def _best_candidates(self, below: np.ndarray, log_ratio: np.ndarray, m: int) -> np.ndarray:
        """(m, d) rows: per position, the best of ``n_ei_candidates`` draws from l by log l - log g."""
        c = self.n_ei_candidates
        cand = self.layout.sample(below, self.rng, m * c).reshape(m, c, self.layout.dim)
        score = self.layout.lookup(log_ratio, cand)
        best = np.argmax(score, axis=1)  # (m, d)
        return np.take_along_axis(cand, best[:, None, :], axis=1)[:, 0, :]
