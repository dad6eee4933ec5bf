"""Regularized evolution (Real et al. 2019): tournament selection, one mutation, the oldest dies."""

from __future__ import annotations

from collections import deque

import numpy as np

from nasbench_lab.search.base import Optimizer, SearchProblem, choose_distinct, positive_int, register_optimizer


@register_optimizer("re", "regularized_evolution")
class RegularizedEvolution(Optimizer):
    """Population of ``population_size``; each child mutates the best of ``sample_size`` random members.

    With ``aging`` (the default) the oldest member is removed when the population is full; without
    it the worst is removed (plain tournament evolution). Asynchronous: a child is proposed from the
    members told so far, so it runs unchanged with several simulated workers.
    """

    def __init__(self, problem: SearchProblem, rng: np.random.Generator, population_size: int = 10,
                 sample_size: int = 3, aging: bool = True):
        super().__init__(problem, rng)
        self.population_size = positive_int("re", "population_size", population_size, 2)
        self.sample_size = positive_int("re", "sample_size", sample_size)
        self.aging = bool(aging)
        self._archs: deque[np.ndarray] = deque()
        self._values: deque[float] = deque()
        self._initial_left = self.population_size

    def initial(self, n: int) -> np.ndarray:
        """Members of the first population (random here; zero-cost search ranks them by a proxy)."""
        return self.space.sample(self.rng, n)

    def ask(self, n: int) -> np.ndarray:
        n_init = min(n, self._initial_left)
        self._initial_left -= n_init
        parts = [self.initial(n_init)] if n_init else []
        n_children = n - n_init
        if n_children and not self._archs:  # more workers than the first population: sample more
            parts.append(self.space.sample(self.rng, n_children))
        elif n_children:
            parents = [self._tournament() for _ in range(n_children)]
            parts.append(self.space.mutate(parents[0][None] if n_children == 1 else np.stack(parents), self.rng))
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def _tournament(self) -> np.ndarray:
        size = len(self._values)
        picks = choose_distinct(self.rng, size, min(self.sample_size, size))
        best = max(picks, key=self._values.__getitem__)
        return self._archs[best]

    def tell(self, archs: np.ndarray, values: np.ndarray, fidelities: np.ndarray | None = None) -> None:
        for arch, value in zip(archs, values):
            self._archs.append(arch)
            self._values.append(float(value))
            if len(self._values) > self.population_size:
                drop = 0 if self.aging else int(np.argmin(self._values))
                del self._archs[drop]
                del self._values[drop]
