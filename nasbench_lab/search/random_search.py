"""Random search: uniform samples from the space (with replacement, as in the NAS-Bench-201 protocol)."""

from __future__ import annotations

import numpy as np

from nasbench_lab.search.base import Optimizer, SearchProblem, register_optimizer


@register_optimizer("rs", "random_search")
class RandomSearch(Optimizer):
    """Proposes uniform random architectures; results do not change what it proposes."""

    display_name = "Random search"
    multi_objective = True  # it ignores what it is told, so any number of objectives is fine

    def __init__(self, problem: SearchProblem, rng: np.random.Generator):
        super().__init__(problem, rng)

    def ask(self, n: int) -> np.ndarray:
        return self.space.sample(self.rng, n)

    def tell(self, archs: np.ndarray, values: np.ndarray, fidelities: np.ndarray | None = None) -> None:
        pass
