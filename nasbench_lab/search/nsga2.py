"""NSGA-II (Deb et al. 2002) on any space: the space's own crossover and mutation, Deb's constraint domination.

Asynchronous: offspring are bred in rounds of ``population_size`` from the current population and handed out
as asked for; every result told since the last round joins the population at the next round, which keeps the
best ``population_size`` of population and newcomers by constrained non-dominated rank and crowding distance
(the (mu + lambda) selection of NSGA-II). Sequentially this is generational NSGA-II; with several workers a
round starts as soon as the previous one's children are all handed out, with whatever results have arrived.
"""

from __future__ import annotations

import numpy as np

from nasbench_lab.search.base import Optimizer, SearchProblem, in_range, positive_int, register_optimizer
from nasbench_lab.search.mo_ranking import constrained_ranks, crowding, positions, told_matrix, told_violation

#: mutation rounds that try to turn a child already proposed into a new architecture before it is kept anyway
FRESH_TRIES = 3


@register_optimizer("nsga2")
class NSGA2(Optimizer):
    """Population ``population_size``; children by binary tournament, crossover (``crossover_prob``), mutation.

    Tournaments compare constrained rank (feasible fronts first, infeasible by violation), then crowding.
    A child is the space's uniform crossover of two winners with probability ``crossover_prob`` (else a copy
    of the first), then mutated with probability ``mutation_prob``; a child that repeats an architecture
    already proposed is mutated again (up to ``FRESH_TRIES`` times), so the budget goes to new architectures.
    """

    display_name = "NSGA-II"
    multi_objective = True

    def __init__(self, problem: SearchProblem, rng: np.random.Generator, population_size: int = 10,
                 crossover_prob: float = 0.9, mutation_prob: float = 1.0):
        super().__init__(problem, rng)
        self.population_size = positive_int("nsga2", "population_size", population_size, 2)
        self.crossover_prob = in_range("nsga2", "crossover_prob", crossover_prob, 0.0, 1.0)
        self.mutation_prob = in_range("nsga2", "mutation_prob", mutation_prob, 0.0, 1.0)
        m = problem.n_objectives
        self._archs = self.empty()
        self._values = np.zeros((0, m))
        self._violation = np.zeros(0)
        self._place = np.zeros(0, dtype=np.int64)  # each member's place in the constrained order (0 best)
        self._told: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # results since the last round
        self._queue = self.empty()
        self._next = 0
        self._initial_left = self.population_size
        self._seen: set[int] = set()

    def ask(self, n: int) -> np.ndarray:
        if self._next + n <= len(self._queue):  # the common case: children bred already
            out = self._queue[self._next: self._next + n]
            self._next += n
            return out
        parts, got = [], 0
        while got < n:
            if self._next >= len(self._queue):
                self._queue, self._next = self._breed(n - got), 0
            part = self._queue[self._next: self._next + n - got]
            self._next += len(part)
            parts.append(part)
            got += len(part)
        return np.concatenate(parts)

    def _breed(self, wanted: int) -> np.ndarray:
        """The next round: the random first population, or children of the population updated with new results."""
        if self._initial_left:
            batch = self.space.sample(self.rng, self._initial_left)
            self._initial_left = 0
        else:
            self._select()
            if not len(self._archs):  # more workers than the first population and no result yet
                batch = self.space.sample(self.rng, wanted)
            else:
                batch = self._children(self.population_size)
        self._seen.update(self.space.keys(batch).tolist())
        return batch

    def _select(self) -> None:
        """Merges the results told since the last round into the population and keeps the best
        ``population_size`` by constrained rank, then crowding distance (computed on the merged set)."""
        if not self._told:
            return
        archs, values, viol = zip(*self._told)
        self._told = []
        self._archs = np.concatenate([self._archs, *archs])
        self._values = np.concatenate([self._values, *values])
        self._violation = np.concatenate([self._violation, *viol])
        ranks = constrained_ranks(self._values, self._violation)
        place = positions(ranks, crowding(self._values, ranks, self._violation))
        keep = np.flatnonzero(place < self.population_size)
        self._archs, self._values, self._violation = self._archs[keep], self._values[keep], self._violation[keep]
        self._place = place[keep]

    def _children(self, k: int) -> np.ndarray:
        """``k`` children of binary-tournament winners: crossover, mutation, fresh where possible."""
        size = len(self._archs)
        duel = self.rng.integers(0, size, size=(2, 2 * k))
        winners = np.where(self._place[duel[0]] <= self._place[duel[1]], duel[0], duel[1])
        first, second = self._archs[winners[:k]], self._archs[winners[k:]]
        children = first.copy()
        cross = np.flatnonzero(self.rng.random(k) < self.crossover_prob)
        if len(cross):
            children[cross] = self.space.crossover(first[cross], second[cross], self.rng)
        mutate = np.flatnonzero(self.rng.random(k) < self.mutation_prob)
        if len(mutate):
            children[mutate] = self.space.mutate(children[mutate], self.rng)
        for _ in range(FRESH_TRIES):
            repeats = self._repeats(children)
            if not len(repeats):
                break
            children[repeats] = self.space.mutate(children[repeats], self.rng)
        return children

    def _repeats(self, children: np.ndarray) -> np.ndarray:
        """Positions of children proposed before, or repeating an earlier child of the same round."""
        out, seen = [], set()
        for i, key in enumerate(self.space.keys(children).tolist()):
            if key in self._seen or key in seen:
                out.append(i)
            seen.add(key)
        return np.asarray(out, dtype=np.intp)

    def tell(self, archs: np.ndarray, values: np.ndarray, fidelities: np.ndarray | None = None) -> None:
        rows = told_matrix(values, len(archs))
        self._told.append((archs, rows, told_violation(self.problem, archs, rows)))
