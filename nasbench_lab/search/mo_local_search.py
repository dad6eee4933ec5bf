"""Pareto local search (Paquete et al. 2004) in its anytime form: explore the neighbours of non-dominated
architectures a few at a time, from a randomly drawn archive member, and restart at random once every archive
member has been explored."""

from __future__ import annotations

import math

import numpy as np

from nasbench_lab.search.base import Optimizer, SearchProblem, positive_int, register_optimizer
from nasbench_lab.search.mo_ranking import told_matrix, told_violation
from nasbench_lab.search.visited import Visited


class _Member:
    """An archive member: its architecture, objectives, and its neighbours not yet proposed (None: not listed yet)."""

    __slots__ = ("arch", "point", "todo")

    def __init__(self, arch: np.ndarray, point: tuple[float, ...]):
        self.arch, self.point = arch, point
        self.todo: list[tuple[np.ndarray, int]] | None = None


@register_optimizer("mo-ls", "pareto_local_search")
class ParetoLocalSearch(Optimizer):
    """Keeps an archive of the non-dominated feasible results; each proposal is an unvisited neighbour of an
    archive member drawn uniformly among those with neighbours left, and ``num_init`` random architectures
    start the search and restart it once no member has any.

    ``neighbours_per_visit`` neighbours of the drawn member are queued at a time: 1 (the default) gives anytime
    PLS (Dubois-Lacoste et al. 2015: partial neighbourhood exploration reaches good fronts sooner; on NB201 with
    150 queries it reached a lower hypervolume regret than whole neighbourhoods, see docs/search.md); None
    queues a member's whole neighbourhood (classic PLS). Constraints: while nothing feasible has been found the
    archive holds the least-violating result, so the search walks towards the feasible region; the first
    feasible result replaces it.
    Never proposes an architecture twice. Asynchronous: it proposes from the archive as it stands and waits (asks
    for nothing) only when no member has neighbours left and results may still add some.
    """

    display_name = "Pareto local search"
    multi_objective = True

    def __init__(self, problem: SearchProblem, rng: np.random.Generator, num_init: int = 10,
                 neighbours_per_visit: int | None = 1):
        super().__init__(problem, rng)
        self.num_init = positive_int("mo-ls", "num_init", num_init)
        self.per_visit = None if neighbours_per_visit is None else positive_int(
            "mo-ls", "neighbours_per_visit", neighbours_per_visit)
        self._visited = Visited(self.space, self.rng)
        self._queue: list[np.ndarray] = []
        self._pending = 0
        self._archive: list[_Member] = []
        self._open: list[_Member] = []  # archive members with neighbours left (or not listed yet)
        self._violation = math.inf  # the archive's violation: 0 once a feasible result is in

    def ask(self, n: int) -> np.ndarray:
        while len(self._queue) < n and self._refill():
            pass
        if n == 1 and self._queue:  # the common sequential case, without list copies
            self._pending += 1
            return self._queue.pop(0)[None]
        take, self._queue = self._queue[:n], self._queue[n:]
        self._pending += len(take)
        return np.stack(take) if take else self.empty()

    def _refill(self) -> bool:
        """Queues unvisited neighbours of a random open archive member, or random starts when no member is open
        and no result is pending; False when there is nothing to queue now."""
        while self._open:
            pick = int(self.rng.random() * len(self._open))  # a uniform member (cheaper than rng.integers)
            member = self._open[pick]
            if member.todo is None:
                cands = self.space.neighbours(member.arch)
                cands = cands[self.rng.permutation(len(cands))]
                member.todo = list(zip(cands, self.space.keys(cands).tolist()))
                member.todo.reverse()  # popped from the end
            got = 0
            while member.todo and (self.per_visit is None or got < self.per_visit):
                arch, key = member.todo.pop()
                if self._visited.claim(key):
                    self._queue.append(arch)
                    got += 1
            if not member.todo:
                self._open.pop(pick)
            if got:
                return True
        if self._pending or self._queue:
            return False
        self._queue.extend(self._visited.fresh_starts(self.num_init))
        return bool(self._queue)

    def tell(self, archs: np.ndarray, values: np.ndarray, fidelities: np.ndarray | None = None) -> None:
        rows = told_matrix(values, len(archs))
        self._pending -= len(archs)
        points = rows.tolist()
        if len(points) == 1 and all(map(math.isfinite, points[0])):  # the common case: one feasible result
            self._offer(archs[0], tuple(points[0]), 0.0)
            return
        for arch, point, viol in zip(archs, points, told_violation(self.problem, archs, rows).tolist()):
            self._offer(arch, tuple(point), viol)

    def _offer(self, arch: np.ndarray, point: tuple[float, ...], violation: float) -> None:
        """Adds a result to the archive unless an archive member is at least as good; drops what it dominates."""
        if violation < self._violation or not self._archive:  # better than an archive of infeasible results
            self._archive = [_Member(arch, point)]
            self._open = list(self._archive)
            self._violation = violation
            return
        if violation > 0 or _weakly_dominated(point, self._archive):
            return  # infeasible and no less violating, or weakly dominated
        if len(point) == 2:  # the usual case, without a call per archive member
            p0, p1 = point
            beaten = [m for m in self._archive if p0 >= m.point[0] and p1 >= m.point[1]]
        else:
            beaten = [m for m in self._archive if _covers(point, m.point)]
        if beaten:
            self._archive = [m for m in self._archive if m not in beaten]
            self._open = [m for m in self._open if m not in beaten]
        member = _Member(arch, point)
        self._archive.append(member)
        self._open.append(member)

    @property
    def archive(self) -> list[tuple[np.ndarray, tuple[float, ...]]]:
        """The current archive: (architecture, objectives told) of each non-dominated result."""
        return [(m.arch, m.point) for m in self._archive]


def _covers(p: tuple[float, ...], q: tuple[float, ...]) -> bool:
    """True when ``p`` is at least as good as ``q`` in every objective (higher is better)."""
    return all(a >= b for a, b in zip(p, q))


def _weakly_dominated(p: tuple[float, ...], archive: list[_Member]) -> bool:
    """True when a member of ``archive`` is at least as good as ``p`` in every objective."""
    if len(p) == 2:  # the usual case, without a generator per archive member
        p0, p1 = p
        return any(m.point[0] >= p0 and m.point[1] >= p1 for m in archive)
    return any(_covers(m.point, p) for m in archive)
