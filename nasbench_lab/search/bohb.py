"""BOHB (Falkner et al. 2018): Hyperband whose new configurations come from a TPE-style model per fidelity.

New first-rung configurations are drawn, when handed out, from kernel density estimates fitted
on the results at the highest fidelity that has enough of them (``dim + 2``): the best
``top_n_percent`` form the good density, the rest the bad one (each at least ``dim + 1`` points,
as in hpbandster). Densities are products of Aitchison-Aitken kernels over the space's categorical
choices with normal-reference bandwidths (statsmodels' rule, floored at ``min_bandwidth``). A draw
takes ``num_samples`` candidates, each a random good point whose positions are resampled uniformly
with probability ``bandwidth * bandwidth_factor``, and keeps the one with the lowest bad/good
density ratio; with probability ``random_fraction`` (and before any model) it is uniform. On a
benchmark with one fidelity there is nothing to halve: ``bohb`` says so and runs ``tpe`` instead.
"""

from __future__ import annotations

import warnings

import numpy as np

from nasbench_lab.errors import ConfigError
from nasbench_lab.search.base import Optimizer, SearchProblem, in_range, positive_int, register_optimizer
from nasbench_lab.search.categorical import CategoricalOptimizer
from nasbench_lab.search.hyperband import Hyperband
from nasbench_lab.search.tpe import TreeParzenEstimator


class _ModelledHyperband(Hyperband, CategoricalOptimizer):
    """Hyperband with first rungs drawn from BOHB's kernel density model."""

    def __init__(self, problem: SearchProblem, rng: np.random.Generator, eta: float, fidelities: list[int] | None,
                 num_samples: int, random_fraction: float, top_n_percent: float, bandwidth_factor: float,
                 min_bandwidth: float):
        super().__init__(problem, rng, eta=eta, brackets="all", fidelities=fidelities)
        self.num_samples = num_samples
        self.random_fraction = random_fraction
        self.top_n_percent = top_n_percent
        self.bandwidth_factor = bandwidth_factor
        self.min_bandwidth = min_bandwidth
        self.min_points = self.layout.dim + 1
        self._results: dict[int, tuple[list[np.ndarray], list[float]]] = {}

    def _initial_configs(self, n: int) -> list:
        return [None] * n  # drawn from the model when handed out

    def _draw_config(self) -> np.ndarray:
        return self.hand_out(self._draw_rows, 1)[0]

    def tell(self, archs: np.ndarray, values: np.ndarray, fidelities: np.ndarray | None = None) -> None:
        fids = fidelities if fidelities is not None else [self._awaited_fidelity(a) for a in archs]
        for row, value, fid in zip(self.rows_of(archs), values, fids):
            rows, vals = self._results.setdefault(int(fid), ([], []))
            rows.append(row)
            vals.append(float(value) if np.isfinite(value) else -np.inf)
        super().tell(archs, values, fidelities)

    def _awaited_fidelity(self, arch: np.ndarray) -> int:
        """The fidelity a handed-out architecture was proposed at (for callers that do not pass fidelities)."""
        bracket = self._owner[np.ascontiguousarray(arch, dtype=self.space.arch_dtype).tobytes()][0]
        return bracket.fidelities[bracket.rung]

    def _draw_rows(self, m: int) -> np.ndarray:
        """``m`` choice rows: model-based where a fidelity has enough results, else uniform."""
        model = self._model()
        out = np.empty((m, self.layout.dim), dtype=np.int64)
        for i in range(m):
            if model is None or self.rng.random() < self.random_fraction:
                out[i] = self.layout.sample(self.layout.uniform(), self.rng, 1)[0]
            else:
                out[i] = self._from_model(*model)
        return out

    def _model(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
        """(good points, bad points, good bandwidths, bad bandwidths) at the highest fidelity with enough results."""
        for fid in sorted(self._results, reverse=True):
            rows, vals = self._results[fid]
            n = len(rows)
            if n < self.min_points + 2:
                continue
            order = np.argsort(-np.asarray(vals), kind="stable")
            n_good = max(self.min_points, (int(self.top_n_percent) * n) // 100)
            n_bad = max(self.min_points, ((100 - int(self.top_n_percent)) * n) // 100)
            data = np.stack(rows)
            good, bad = data[order[:n_good]], data[order[n_good:n_good + n_bad]]
            if len(bad) < 1:
                continue
            return good, bad, self._bandwidths(good), self._bandwidths(bad)
        return None

    def _bandwidths(self, points: np.ndarray) -> np.ndarray:
        """Normal-reference bandwidth per position, in [min_bandwidth, (K - 1) / K]."""
        n, d = points.shape
        bw = 1.06 * points.std(axis=0) * n ** (-1.0 / (4 + d))
        top = (self.layout.n - 1) / self.layout.n
        return np.clip(bw, self.min_bandwidth, np.maximum(top, self.min_bandwidth))

    def _density(self, x: np.ndarray, points: np.ndarray, bw: np.ndarray) -> np.ndarray:
        """Product Aitchison-Aitken density of each row of ``x`` (c, d) under ``points`` (n, d)."""
        same = x[:, None, :] == points[None, :, :]
        other = bw / np.maximum(self.layout.n - 1, 1)
        kernel = np.where(same, 1.0 - bw, other)
        return kernel.prod(axis=2).mean(axis=1)

    def _from_model(self, good: np.ndarray, bad: np.ndarray, bw_good: np.ndarray, bw_bad: np.ndarray) -> np.ndarray:
        c, d = self.num_samples, self.layout.dim
        centres = good[self.rng.integers(len(good), size=c)]
        resample = self.rng.random((c, d)) >= 1.0 - np.maximum(bw_good * self.bandwidth_factor, self.min_bandwidth)
        uniform = (self.rng.random((c, d)) * self.layout.n).astype(np.int64)
        cand = np.where(resample, uniform, centres)
        ratio = np.maximum(self._density(cand, bad, bw_bad), 1e-32) / np.maximum(self._density(cand, good, bw_good),
                                                                                 1e-32)
        if not np.isfinite(ratio).any():
            return self.layout.sample(self.layout.uniform(), self.rng, 1)[0]
        return cand[int(np.argmin(ratio))]


@register_optimizer("bohb")
class BOHB(Optimizer):
    """BOHB over the benchmark's fidelities (hpbandster's defaults); ``tpe`` on one-fidelity benchmarks."""

    display_name = "BOHB"

    def __init__(self, problem: SearchProblem, rng: np.random.Generator, eta: float = 3.0,
                 fidelities: list[int] | None = None, num_samples: int = 64, random_fraction: float = 1 / 3,
                 top_n_percent: float = 15, bandwidth_factor: float = 3.0, min_bandwidth: float = 1e-3):
        super().__init__(problem, rng)
        num_samples = positive_int("bohb", "num_samples", num_samples)
        random_fraction = in_range("bohb", "random_fraction", random_fraction, 0.0, 1.0)
        top_n_percent = in_range("bohb", "top_n_percent", top_n_percent, 1.0, 99.0)
        bandwidth_factor = in_range("bohb", "bandwidth_factor", bandwidth_factor, 0.0, 1e6)
        min_bandwidth = in_range("bohb", "min_bandwidth", min_bandwidth, 0.0, 1.0)
        fids = problem.fidelities if fidelities is None else fidelities
        if fidelities is not None and len(set(fidelities)) < 2:
            raise ConfigError(f"bohb: fidelities must name at least two of {list(problem.fidelities)}, got "
                              f"{fidelities!r}; leave it out on a one-fidelity benchmark (bohb then runs tpe)")
        if fidelities is None and len(fids) < 2:
            warnings.warn(f"bohb: the benchmark has search-metric values at {list(fids) or 'one'} fidelity only, so "
                          "there is nothing to halve; running tpe (BOHB's model without Hyperband)", stacklevel=2)
            self.engine: Optimizer = TreeParzenEstimator(problem, rng)
        else:
            self.engine = _ModelledHyperband(problem, rng, eta, fidelities, num_samples, random_fraction, top_n_percent,
                                             bandwidth_factor, min_bandwidth)
        self.multi_fidelity = self.engine.multi_fidelity

    def propose(self, n: int) -> tuple[np.ndarray, np.ndarray | None]:
        return self.engine.propose(n)

    def ask(self, n: int) -> np.ndarray:
        return self.engine.ask(n)

    def tell(self, archs: np.ndarray, values: np.ndarray, fidelities: np.ndarray | None = None) -> None:
        self.engine.tell(archs, values, fidelities)

