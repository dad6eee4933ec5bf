"""Local search (White et al. 2020): hill climbing over neighbours, restarts at local optima."""

from __future__ import annotations

import numpy as np

from nasbench_lab.search.base import Optimizer, SearchProblem, positive_int, register_optimizer
from nasbench_lab.search.visited import Visited


@register_optimizer("ls", "local_search")
class LocalSearch(Optimizer):
    """Climbs from the best of ``num_init`` random architectures to a better neighbour until none is.

    Best improvement (default) evaluates every unvisited neighbour and moves to the best one;
    ``first_improvement`` moves as soon as a neighbour beats the current architecture. At a
    local optimum it restarts from new random architectures. Never proposes a visited one.
    """

    display_name = "Local search"

    def __init__(self, problem: SearchProblem, rng: np.random.Generator, num_init: int = 10,
                 first_improvement: bool = False):
        super().__init__(problem, rng)
        self.num_init = positive_int("ls", "num_init", num_init)
        self.first_improvement = bool(first_improvement)
        self._visited = Visited(self.space, self.rng)
        self._queue: list[np.ndarray] = []
        self._pending = 0
        self._current: tuple[np.ndarray, float] | None = None
        self._round_best: tuple[np.ndarray, float] | None = None  # best result since the last move

    def ask(self, n: int) -> np.ndarray:
        if not self._queue and not self._pending:
            self._refill()
        if n == 1 and self._queue:  # the common sequential case, without list copies
            self._pending += 1
            return self._queue.pop(0)[None]
        take, self._queue = self._queue[:n], self._queue[n:]
        self._pending += len(take)
        return np.stack(take) if take else self.empty()

    def _refill(self) -> None:
        """Queues the current architecture's unvisited neighbours, or random starts at a local optimum."""
        if self._current is not None:
            cands = self.space.neighbours(self._current[0])
            cands = cands[self.rng.permutation(len(cands))]
            self._queue = self._visited.new(cands)
        if not self._queue:  # start, restart at a local optimum, or every neighbour visited
            self._current = None
            self._queue = self._visited.fresh_starts(self.num_init)

    def tell(self, archs: np.ndarray, values: np.ndarray, fidelities: np.ndarray | None = None) -> None:
        for arch, value in zip(archs, values):
            self._pending -= 1
            value = float(value)
            if self._round_best is None or value > self._round_best[1]:
                self._round_best = (arch, value)
            if self.first_improvement and self._current is not None and value > self._current[1]:
                self._move()
        if self._queue or self._pending or self._round_best is None:
            return  # round still running, or it just moved (first improvement)
        if self._current is None or self._round_best[1] > self._current[1]:
            self._move()  # best of the random starts, or the best improving neighbour
        else:
            self._current = self._round_best = None  # local optimum: the next ask restarts

    def _move(self) -> None:
        self._current, self._round_best = self._round_best, None
        self._queue = []
