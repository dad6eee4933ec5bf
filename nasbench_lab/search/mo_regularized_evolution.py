"""Multi-objective regularized evolution: aging evolution (Real et al. 2019) whose tournament compares members by
constrained non-dominated rank, then crowding distance or hypervolume contribution; mutation only."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import numpy as np

from nasbench_lab.search.base import SearchProblem, choose_distinct, one_of, register_optimizer
from nasbench_lab.search.mo_ranking import (
    constrained_ranks,
    front_crowding,
    front_hv_contributions,
    told_matrix,
    told_violation,
)
from nasbench_lab.search.regularized_evolution import RegularizedEvolution, _Member

#: tie-breakers within a front (higher wins): NSGA-II's crowding distance, or SMS-EMOA's exclusive hypervolume
#: contribution; each maps (the front's rows, every feasible member's rows) to one score per front row
SELECTIONS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "crowding": lambda front, _feasible: front_crowding(front),
    "hv": front_hv_contributions,
}


@register_optimizer("mo-re", "mo_regularized_evolution")
class MORegularizedEvolution(RegularizedEvolution):
    """Regularized evolution (the oldest dies; a child mutates the best of ``sample_size`` random members) where
    best means the lowest constrained rank over the population (feasible fronts by non-dominated sorting, then
    infeasible members by violation) and, among picks of that rank, the largest crowding distance
    (``selection="crowding"``) or hypervolume contribution (``"hv"``) within their front.

    The ranks are computed once per population (after a result arrives, at the next tournament) and a front's
    tie-breaking scores only when a tournament needs them, so a query costs about one non-dominated sort.
    """

    display_name = "Multi-objective regularized evolution"
    multi_objective = True

    def __init__(self, problem: SearchProblem, rng: np.random.Generator, population_size: int = 20,
                 sample_size: int = 5, selection: str = "crowding"):
        super().__init__(problem, rng, population_size, sample_size, aging=True)
        self.selection = one_of("mo-re", "selection", selection, tuple(SELECTIONS))
        self._score = SELECTIONS[self.selection]
        self._rows: deque[tuple[float, ...]] = deque()  # each member's objectives (higher is better), as _members
        self._violations: deque[float] = deque()  # each member's constraint violation
        self._ranks: list[int] | None = None  # of the members in population order; None: out of date
        self._fronts: dict[int, dict[int, float]] = {}  # rank -> member position -> tie-breaking score

    def _tournament(self) -> _Member:
        members = self._members
        if self._ranks is None:
            self._ranks = constrained_ranks(np.array(self._rows), np.array(self._violations)).tolist()
            self._fronts = {}
        ranks = self._ranks
        picks = choose_distinct(self.rng, len(members), min(self.sample_size, len(members)))
        best = min(ranks[i] for i in picks)
        tied = [i for i in picks if ranks[i] == best]
        if len(tied) > 1:
            scores = self._fronts[best] if best in self._fronts else self._front_scores(best)
            tied = [max(tied, key=scores.__getitem__)]
        return members[tied[0]]

    def _front_scores(self, rank: int) -> dict[int, float]:
        """Tie-breaking score of each member of front ``rank`` (0 for all in a group of equal violation)."""
        assert self._ranks is not None
        rows = [i for i, r in enumerate(self._ranks) if r == rank]
        if self._violations[rows[0]] > 0:
            scores = np.zeros(len(rows))
        else:
            feasible = np.array([row for row, v in zip(self._rows, self._violations) if v == 0])
            scores = self._score(np.array([self._rows[i] for i in rows]), feasible)
        self._fronts[rank] = dict(zip(rows, scores.tolist()))
        return self._fronts[rank]

    def tell(self, archs: np.ndarray, values: np.ndarray, fidelities: np.ndarray | None = None) -> None:
        rows = told_matrix(values, len(archs))
        for arch, row, violation in zip(archs, rows.tolist(), told_violation(self.problem, archs, rows).tolist()):
            self._members.append(_Member(arch, 0.0))
            self._rows.append(tuple(row))
            self._violations.append(violation)
            if len(self._members) > self.population_size:
                self._members.popleft()
                self._rows.popleft()
                self._violations.popleft()
        self._ranks = None
