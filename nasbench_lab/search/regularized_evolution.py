"""Regularized evolution (Real et al. 2019): tournament selection, one mutation, the oldest dies."""

from __future__ import annotations

from collections import deque

import numpy as np

from nasbench_lab.errors import ConfigError
from nasbench_lab.search.base import Optimizer, SearchProblem, choose_distinct, positive_int, register_optimizer


class _Member:
    """A population member: its architecture, value, and a mutant drawn ahead of need (or None)."""

    __slots__ = ("arch", "value", "mutant")

    def __init__(self, arch: np.ndarray, value: float):
        self.arch, self.value, self.mutant = arch, value, None


@register_optimizer("re", "regularized_evolution")
class RegularizedEvolution(Optimizer):
    """Population of ``population_size``; each child mutates the best of ``sample_size`` random members.

    With ``aging`` (the default) the oldest member is removed when the population is full; without
    it the worst is removed (plain tournament evolution). Asynchronous: a child is proposed from the
    members told so far, so it runs unchanged with several simulated workers. Mutations are drawn
    in batches (one space call for every member lacking one); each child is still an independent
    random mutation of its parent.
    """

    display_name = "Regularized evolution"

    def __init__(self, problem: SearchProblem, rng: np.random.Generator, population_size: int = 10,
                 sample_size: int = 3, aging: bool = True):
        super().__init__(problem, rng)
        self.population_size = positive_int(self.name, "population_size", population_size, 2)
        self.sample_size = positive_int(self.name, "sample_size", sample_size)
        if self.sample_size > self.population_size:
            raise ConfigError(f"{self.name}: sample_size must be between 1 and population_size "
                              f"({self.population_size}), got {self.sample_size}")
        self.aging = bool(aging)
        self._members: deque[_Member] = deque()
        self._initial_left = self.population_size

    def initial(self, n: int) -> np.ndarray:
        """Members of the first population (random here; zero-cost search ranks them by a proxy)."""
        return self.space.sample(self.rng, n)

    def ask(self, n: int) -> np.ndarray:
        if n == 1 and not self._initial_left and self._members:  # the common sequential case
            return self._child(self._tournament())[None]
        n_init = min(n, self._initial_left)
        self._initial_left -= n_init
        parts = [self.initial(n_init)] if n_init else []
        n_children = n - n_init
        if n_children and not self._members:  # more workers than the first population: sample more
            parts.append(self.space.sample(self.rng, n_children))
        elif n_children:
            children = [self._child(self._tournament()) for _ in range(n_children)]
            parts.append(children[0][None] if n_children == 1 else np.stack(children))
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def _tournament(self) -> _Member:
        picks = choose_distinct(self.rng, len(self._members), min(self.sample_size, len(self._members)))
        return max((self._members[i] for i in picks), key=lambda m: m.value)

    def _child(self, parent: _Member) -> np.ndarray:
        if parent.mutant is None:
            lacking = [m for m in self._members if m.mutant is None]
            for member, mutant in zip(lacking, self.space.mutate(np.stack([m.arch for m in lacking]), self.rng)):
                member.mutant = mutant
        child, parent.mutant = parent.mutant, None
        if child is None:
            raise AssertionError("a tournament parent is a member, so it was given a mutant above")
        return child

    def tell(self, archs: np.ndarray, values: np.ndarray, fidelities: np.ndarray | None = None) -> None:
        for arch, value in zip(archs, values):
            self._members.append(_Member(arch, float(value)))
            if len(self._members) > self.population_size:
                if self.aging:
                    self._members.popleft()
                else:
                    del self._members[min(range(len(self._members)), key=lambda i: self._members[i].value)]
