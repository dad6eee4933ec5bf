"""Multi-objective regularized evolution: aging evolution (Real et al. 2019) whose tournament compares members by
constrained non-dominated rank, then crowding distance or hypervolume contribution; mutation only."""

from __future__ import annotations

import math

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
#: contribution (normalized by the range of the feasible members)
SELECTIONS = ("crowding", "hv")


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
        self.selection = one_of("mo-re", "selection", selection, SELECTIONS)
        # every member's objectives (higher is better) and violation, in a ring: the member told k-th sits in slot
        # k % population_size, so a result costs one row write and the ranking no list-to-array conversion
        self._points = np.zeros((self.population_size, problem.n_objectives))
        self._violation = np.zeros(self.population_size)
        self._told = 0
        self._ranks: list[int] | None = None  # of the members by slot; None: out of date
        self._fronts: dict[int, dict[int, float]] = {}  # rank -> slot -> tie-breaking score

    def _tournament(self) -> _Member:
        members = self._members
        size = len(members)
        if self._ranks is None:
            self._ranks = constrained_ranks(self._points[:size], self._violation[:size]).tolist()
            self._fronts = {}
        ranks = self._ranks
        oldest = self._told % size if size == self.population_size else 0  # the slot of members[0]
        picks = [(oldest + i) % size for i in choose_distinct(self.rng, size, min(self.sample_size, size))]
        best = min(ranks[i] for i in picks)
        tied = [i for i in picks if ranks[i] == best]
        if len(tied) > 1:
            scores = self._fronts[best] if best in self._fronts else self._front_scores(best)
            tied = [max(tied, key=scores.__getitem__)]
        return members[(tied[0] - oldest) % size]

    def _front_scores(self, rank: int) -> dict[int, float]:
        """Tie-breaking score of each member (by slot) of front ``rank`` (0 for a group of equal violation)."""
        assert self._ranks is not None
        slots = [i for i, r in enumerate(self._ranks) if r == rank]
        if self._violation[slots[0]] > 0:
            scores = np.zeros(len(slots))
        elif self.selection == "crowding":
            scores = front_crowding(self._points[slots])
        else:
            size = len(self._members)
            feasible = self._points[:size][self._violation[:size] == 0]
            scores = front_hv_contributions(self._points[slots], feasible)
        self._fronts[rank] = dict(zip(slots, scores.tolist()))
        return self._fronts[rank]

    def tell(self, archs: np.ndarray, values: np.ndarray, fidelities: np.ndarray | None = None) -> None:
        rows = told_matrix(values, len(archs))
        if len(rows) == 1 and all(map(math.isfinite, rows[0].tolist())):  # the common case: one feasible result
            violations = [0.0]
        else:
            violations = told_violation(self.problem, archs, rows).tolist()
        for arch, row, violation in zip(archs, rows, violations):
            slot = self._told % self.population_size
            self._points[slot] = row
            self._violation[slot] = violation
            self._told += 1
            self._members.append(_Member(arch, 0.0))
            if len(self._members) > self.population_size:
                self._members.popleft()
        self._ranks = None
