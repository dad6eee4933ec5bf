"""Tree-structured Parzen estimator (Bergstra et al. 2011) over categorical choices, as Optuna's TPESampler.

After ``n_startup`` uniform draws, the results are split into the best ``min(ceil(gamma n), max_below)``
("below", l) and the rest ("above", g). Each group is a Parzen estimator: one kernel per
observation that puts weight 1 + a on the observation's choice and a on every choice of a
position, plus a uniform prior kernel (a = prior_weight / (observations + 1)); older observations
are down-weighted by Optuna's ramp once a group holds more than 25. ``multivariate=True`` (the
default, as Optuna's for one objective) makes each kernel a product over positions and draws
``n_ei_candidates`` whole rows from l, keeping the one maximising l / g; ``multivariate=False``
is the independent TPE: each position draws its candidates from its own marginal and keeps its
best choice. Model arithmetic is numpy on small arrays (docs/search.md measures it against Optuna).
"""

from __future__ import annotations

import math
from functools import cached_property

import numpy as np

from nasbench_lab.search.base import SearchProblem, in_range, positive_int, register_optimizer
from nasbench_lab.search.categorical import CategoricalOptimizer

#: observations of a group kept at full weight; older ones are ramped down (Optuna's default_weights)
_FLAT_WEIGHTS = 25


#: exponents below this cannot overflow exp() in float64
_SAFE_EXP = 600.0


class _Group:
    """One group's Parzen mixture of ``n_obs`` observations: density constants, and sampling tables on first use.

    log density of a candidate = log(sum_i w_i exp(gain * hits_i) + prior) + shift, where hits_i is the
    number of positions at which it equals observation i (products of per-position kernels).
    """

    def __init__(self, n_obs: int, n_choices: np.ndarray, prior_weight: float):
        self.n_obs, self.n_choices, self.prior_weight = n_obs, n_choices, prior_weight
        self.flat = n_obs <= _FLAT_WEIGHTS  # every weight 1
        total = (n_obs if self.flat else float(self.weights.sum())) + prior_weight
        self.a = a = prior_weight / (n_obs + 1)
        sizes = n_choices.tolist()
        log_miss = sum(math.log(a) - math.log1p(k * a) for k in sizes)  # a kernel missing at every position
        top = -math.log(total) if n_obs else math.log(prior_weight / total)
        self.gain = math.log1p(a) - math.log(a)
        self.prior = math.exp(math.log(prior_weight / total) - sum(map(math.log, sizes)) - log_miss - top)
        self.shift = log_miss + top
        self.powers = np.exp(self.gain * np.arange(len(sizes) + 1))  # exp(gain k), k = 0..d equal positions

    def mixed(self, hits: np.ndarray) -> np.ndarray:
        """Sum over the group's observations of weight * exp(gain * hits), for (candidates, observations) hits."""
        terms = self.powers[hits]
        return terms.sum(axis=1) if self.flat else terms @ self.weights

    @cached_property
    def weights(self) -> np.ndarray:
        """Observation weights in chronological order (the largest, for the newest, is 1)."""
        return ramp_weights(self.n_obs)

    @cached_property
    def bias(self) -> np.ndarray:
        """log weight of each observation kernel, relative to the largest."""
        return np.log(self.weights)

    @cached_property
    def cum(self) -> np.ndarray:
        """Cumulative kernel weights (observations, then the prior), normalised to end at 1, for drawing a kernel."""
        cum = np.cumsum(np.append(self.weights, self.prior_weight))
        return cum / cum[-1]

    @cached_property
    def keep_table(self) -> np.ndarray:
        """Per kernel and position, the probability of keeping the observation's choice (0 for the prior kernel)."""
        keep = 1.0 / (1.0 + self.n_choices * self.a)
        return np.concatenate([np.tile(keep, (self.n_obs, 1)), np.zeros((1, len(self.n_choices)))])


def ramp_weights(n: int) -> np.ndarray:
    """Weights of ``n`` observations in chronological order: 1 each, older ones ramped from 1/n when n > 25."""
    if n <= _FLAT_WEIGHTS:
        return np.ones(n)
    return np.concatenate([np.linspace(1.0 / n, 1.0, num=n - _FLAT_WEIGHTS), np.ones(_FLAT_WEIGHTS)])


@register_optimizer("tpe")
class TreeParzenEstimator(CategoricalOptimizer):
    """TPE over the space's categorical choices (Optuna's TPESampler defaults), multivariate or independent."""

    display_name = "TPE"

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
        self._row_index = np.zeros((0, 1), dtype=np.int64)

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
        """The Parzen mixture constants of a group of ``n_obs`` observations (cached per size)."""
        group = self._groups.get(n_obs)
        if group is None:
            group = self._groups[n_obs] = _Group(n_obs, self.layout.n, self.prior_weight)
        return group

    def _best_joint(self, below: np.ndarray, above: np.ndarray, m: int) -> np.ndarray:
        """(m, d) rows: the best of ``n_ei_candidates`` joint draws from l by log l - log g (multivariate TPE)."""
        c, d, nb = self.n_ei_candidates, self.layout.dim, len(below)
        gb, ga = self._mixture(nb), self._mixture(len(above))
        u = self.rng.random((m * c, 2 * d + 1))
        kernel = np.searchsorted(gb.cum, u[:, 0], side="right")  # nb: the prior kernel
        keep = u[:, 1:d + 1] < gb.keep_table[kernel]  # the prior kernel's row is 0: never keeps
        centres = np.concatenate([self._rows[below], self._rows[:1]])[kernel]
        cand = np.where(keep, centres, (u[:, d + 1:] * self.layout.n).astype(np.int64))
        hot = np.zeros((m * c, len(self._flat_pos)), dtype=np.float32)
        hot[self._hot_rows(m * c), cand + self._offsets] = 1.0
        groups = np.concatenate([below, above])
        matches = hot @ self._hot[groups].T  # (candidates, observations of l then g): number of equal positions
        if d * max(gb.gain, ga.gain) < _SAFE_EXP:  # the usual case: exp(gain k) from a table of k = 0..d
            hits = matches.astype(np.intp)
            score = np.log(gb.mixed(hits[:, :nb]) + gb.prior) - np.log(ga.mixed(hits[:, nb:]) + ga.prior)
            score += gb.shift - ga.shift
        else:
            score = self._log_mixture(matches[:, :nb], gb) - self._log_mixture(matches[:, nb:], ga)
        if m == 1:
            return cand[int(np.argmax(score))][None]
        return cand.reshape(m, c, d)[np.arange(m), np.argmax(score.reshape(m, c), axis=1)]

    def _hot_rows(self, k: int) -> np.ndarray:
        """``arange(k)`` as a column (cached: the same k every proposal)."""
        if len(self._row_index) != k:
            self._row_index = np.arange(k)[:, None]
        return self._row_index

    def _log_mixture(self, matches: np.ndarray, group: _Group) -> np.ndarray:
        """Log density of candidates under a group's product-kernel mixture plus the uniform prior kernel,
        from the number of positions at which each candidate equals each observation of the group (shifted
        by the row maximum: for spaces with very many positions)."""
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
