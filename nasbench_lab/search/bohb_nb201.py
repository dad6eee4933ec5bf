"""BOHB as NAS-Bench-201 ran it (``exps/algos/BOHB.py`` and ``scripts-search/algos/BOHB.sh`` of D-X-Y/AutoDL-Projects).

The paper ran hpbandster's BOHB with ``min_budget=12, max_budget=200, eta=3``, but its worker
ignored the budget: every evaluation returned the 12-epoch validation accuracy and was charged the
12-epoch training time. So the budgets are bookkeeping only: hpbandster's brackets (budgets
22.2, 66.7 and 200; brackets of 9 -> 3 -> 1, 3 -> 1 and 3 configurations) promote the best of
each rung, which is evaluated again at the same fidelity and charged again, and its kernel density
model is fitted per bookkeeping budget on those results. Here every evaluation is at the runner's
search fidelity (12 under experiments/nb201_cifar10_paper_protocol.toml). The model follows
hpbandster's config generator: a budget's model is fitted once the good and the bad set each hold
more points than there are positions, from the best ``top_n_percent`` (at least ``dim + 1``) and the
rest; bandwidths are statsmodels' normal reference rule floored at ``min_bandwidth`` (BOHB.py's
default 0.3, which BOHB.sh keeps) with no upper cap; the Aitchison-Aitken kernel counts the levels
seen in each column; a candidate keeps a good point's choice with probability ``1 - bandwidth``
(``bandwidth_factor`` widens continuous parameters only, so none here). New configurations come
from the model of the largest budget that has one, ``num_samples`` candidates (4 in BOHB.sh) with
``random_fraction`` 0. Its answer in the paper was the best result at the top budget; the runner's
incumbent is the best result of all, which differs only when the last, budget-cut bracket holds a
new best that had not been promoted yet. The paper's ``n_iters=50`` brackets are never reached
within 12,000 simulated seconds, so there is no bracket limit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from nasbench_lab.errors import ConfigError
from nasbench_lab.search.base import SearchProblem, in_range, positive_int, register_optimizer
from nasbench_lab.search.categorical import CategoricalOptimizer


def hpbandster_budgets(min_budget: float, max_budget: float, eta: float) -> np.ndarray:
    """hpbandster's geometric budgets from ``max_budget`` down (12, 200, 3 -> 22.2, 66.7, 200)."""
    n = -int(np.log(min_budget / max_budget) / np.log(eta)) + 1
    return max_budget * np.power(eta, -np.linspace(n - 1, 0, n))


def hpbandster_bracket(iteration: int, n_budgets: int, eta: float) -> tuple[list[int], list[int]]:
    """(rung sizes, budget positions) of hpbandster's ``iteration``-th successive-halving bracket."""
    s = n_budgets - 1 - iteration % n_budgets
    n0 = math.ceil(math.floor(n_budgets / (s + 1)) * eta**s)
    return [max(int(n0 * eta ** (-i)), 1) for i in range(s + 1)], list(range(n_budgets - s - 1, n_budgets))


@dataclass
class _Bracket:
    """One bracket: its rung sizes and budgets, the configurations queued and the results of the current rung."""

    sizes: list[int]
    budgets: list[int]
    stage: int = 0
    queue: list[np.ndarray | None] = field(default_factory=list)
    results: list[tuple[np.ndarray, float]] = field(default_factory=list)
    pending: int = 0


class _Kde:
    """hpbandster's categorical KDE (statsmodels KDEMultivariate, var_type 'u', normal reference bandwidths)."""

    def __init__(self, data: np.ndarray, min_bandwidth: float):
        self.data = data
        n, d = data.shape
        self.bw = np.maximum(1.06 * data.std(axis=0) * n ** (-1.0 / (4 + d)), min_bandwidth)
        self.levels = np.array([len(np.unique(data[:, j])) for j in range(d)], dtype=np.float64)

    def pdf(self, x: np.ndarray) -> float:
        """Density at one choice row: the mean over points of the product of Aitchison-Aitken kernels."""
        with np.errstate(divide="ignore", invalid="ignore"):
            other = self.bw / (self.levels - 1)  # inf where a column holds one level, as in statsmodels
            kernel = np.where(self.data == x[None, :], 1.0 - self.bw, other)
            return float(kernel.prod(axis=1).mean())


def _pymax(a: float, b: float) -> float:
    """Python's ``max(a, b)`` on floats (NaN handling as in hpbandster's acquisition)."""
    return b if b > a else a


@register_optimizer("bohb-nb201")
class BOHBNB201(CategoricalOptimizer):
    """NAS-Bench-201's BOHB: hpbandster brackets over budgets 12..200 as bookkeeping, all at one fidelity."""

    display_name = "BOHB (NB201 setting)"

    def __init__(self, problem: SearchProblem, rng: np.random.Generator, min_budget: float = 12,
                 max_budget: float = 200, eta: float = 3.0, num_samples: int = 4, random_fraction: float = 0.0,
                 top_n_percent: int = 15, min_bandwidth: float = 0.3):
        super().__init__(problem, rng)
        self.eta = in_range("bohb-nb201", "eta", eta, 2.0, 100.0)
        min_budget = in_range("bohb-nb201", "min_budget", min_budget, 1e-9, 1e12)
        max_budget = in_range("bohb-nb201", "max_budget", max_budget, 1e-9, 1e12)
        if max_budget <= min_budget:
            raise ConfigError(f"bohb-nb201: max_budget must exceed min_budget ({min_budget}), got {max_budget}")
        self.budgets = hpbandster_budgets(min_budget, max_budget, self.eta)
        self.num_samples = positive_int("bohb-nb201", "num_samples", num_samples)
        self.random_fraction = in_range("bohb-nb201", "random_fraction", random_fraction, 0.0, 1.0)
        self.top_n_percent = int(in_range("bohb-nb201", "top_n_percent", top_n_percent, 1, 99))
        self.min_bandwidth = in_range("bohb-nb201", "min_bandwidth", min_bandwidth, 0.0, 1.0)
        self.min_points = self.layout.dim + 1
        self._iteration = 0
        self._open: list[_Bracket] = []
        self._owner: dict[bytes, list[_Bracket]] = {}
        self._configs: dict[int, list[np.ndarray]] = {}
        self._losses: dict[int, list[float]] = {}
        self._models: dict[int, tuple[_Kde, _Kde]] = {}
        #: results told per budget position, and how many configurations came from a model (for reports and tests)
        self.evaluations = [0] * len(self.budgets)
        self.model_picks = 0

    # ------------------------------------------------------------------ brackets (bookkeeping only)
    def _new_bracket(self) -> _Bracket:
        sizes, budgets = hpbandster_bracket(self._iteration, len(self.budgets), self.eta)
        self._iteration += 1
        return _Bracket(sizes, budgets, queue=[None] * sizes[0])

    def ask(self, n: int) -> np.ndarray:
        archs: list[np.ndarray] = []
        while len(archs) < n:
            bracket = next((b for b in self._open if b.queue), None)
            if bracket is None:  # every open bracket awaits results: open the next one (no worker idles)
                bracket = self._new_bracket()
                self._open.append(bracket)
            arch = bracket.queue.pop(0)
            if arch is None:
                arch = self.hand_out(lambda k: np.stack([self._draw() for _ in range(k)]), 1)[0]
            bracket.pending += 1
            self._owner.setdefault(arch.tobytes(), []).append(bracket)
            archs.append(arch)
        return np.stack(archs) if archs else self.empty()

    def tell(self, archs: np.ndarray, values: np.ndarray, fidelities: np.ndarray | None = None) -> None:
        for arch, row, value in zip(archs, self.rows_of(archs), values):
            key = np.ascontiguousarray(arch, dtype=self.space.arch_dtype).tobytes()
            owners = self._owner[key]
            bracket = owners.pop(0)
            if not owners:
                del self._owner[key]
            loss = -float(value) if np.isfinite(value) else np.inf
            budget = bracket.budgets[bracket.stage]
            self.evaluations[budget] += 1
            self._record(budget, row, loss)
            bracket.pending -= 1
            bracket.results.append((arch, loss))
            if not bracket.pending and not bracket.queue:
                self._advance(bracket)

    def _advance(self, bracket: _Bracket) -> None:
        """Promotes a finished rung's best ``sizes[stage + 1]`` (hpbandster's rank rule), or closes the bracket."""
        bracket.stage += 1
        if bracket.stage >= len(bracket.sizes):
            self._open.remove(bracket)
            return
        ranks = np.argsort(np.argsort([loss for _, loss in bracket.results]))
        bracket.queue = [arch for (arch, _), r in zip(bracket.results, ranks) if r < bracket.sizes[bracket.stage]]
        bracket.results = []

    # ------------------------------------------------------------------ the model (hpbandster's config generator)
    def _record(self, budget: int, row: np.ndarray, loss: float) -> None:
        """Stores a result of ``budget`` and refits that budget's model (skipped once a larger budget has one)."""
        if self._models and max(self._models) > budget:
            return
        configs = self._configs.setdefault(budget, [])
        losses = self._losses.setdefault(budget, [])
        configs.append(row.astype(np.float64))
        losses.append(loss)
        n = len(configs)
        if n < self.min_points:
            return
        n_good = max(self.min_points, (self.top_n_percent * n) // 100)
        n_bad = max(self.min_points, ((100 - self.top_n_percent) * n) // 100)
        order = np.argsort(np.asarray(losses))
        data = np.stack(configs)
        good, bad = data[order[:n_good]], data[order[n_good:n_good + n_bad]]
        if len(good) <= good.shape[1] or len(bad) <= bad.shape[1]:
            return
        self._models[budget] = (_Kde(good, self.min_bandwidth), _Kde(bad, self.min_bandwidth))

    def _draw(self) -> np.ndarray:
        """One choice row: uniform before any model (or with ``random_fraction``), else the best of the candidates."""
        if not self._models or self.rng.random() < self.random_fraction:
            return self.layout.sample(self.layout.uniform(), self.rng, 1)[0]
        good, bad = self._models[max(self._models)]
        best, best_row = np.inf, None
        for _ in range(self.num_samples):
            datum = good.data[int(self.rng.integers(len(good.data)))]
            keep = self.rng.random(self.layout.dim) < 1.0 - good.bw
            row = np.array([int(m) if k else int(self.rng.integers(t))
                            for m, k, t in zip(datum, keep, self.layout.n)], dtype=np.int64)
            lx = good.pdf(row)
            val = _pymax(1e-32, bad.pdf(row)) / _pymax(lx, 1e-32)
            if not np.isfinite(val) and np.isfinite(lx):
                best_row = row
                break
            if val < best:
                best, best_row = val, row
        if best_row is None:
            return self.layout.sample(self.layout.uniform(), self.rng, 1)[0]
        self.model_picks += 1
        return best_row
