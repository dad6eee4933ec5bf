"""What the multi-objective optimizers share: told values as a matrix, the constraint violation of told rows, and
Deb's constrained ordering (feasible rows by non-dominated rank, then infeasible rows by violation).

Values told to a multi-objective optimizer are higher-is-better in every column and a row of ``-inf`` where a
query violates a constraint or lacks a value; in a run with one objective they come as ``(n,)``. The numbers are
those of ``results/pareto.py`` (moocore's non-dominated sorting; crowding distance per distinct point), which a
test holds equal; computed here without its input checks and, for two objectives, in plain Python, because an
optimizer ranks a population of 10 to 20 rows once per round or per query, where the array calls' overhead is
most of the cost.
"""

from __future__ import annotations

import math

import moocore
import numpy as np

from nasbench_lab.results.pareto import crowding_of_minimized
from nasbench_lab.search.base import SearchProblem


def told_matrix(values: np.ndarray, n: int) -> np.ndarray:
    """Told values as an ``(n, m)`` float64 matrix (a one-objective run's ``(n,)`` becomes one column)."""
    return np.asarray(values, dtype=np.float64).reshape(n, -1)


def told_violation(problem: SearchProblem, archs: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Constraint violation of each told row: 0 where every value is finite, the constraints' total violation
    where the row is ``-inf`` (known without training, so it costs no query), ``inf`` where the row lacks a value
    although it satisfies the constraints (a hole in the table: worse than any infeasible architecture)."""
    out = np.zeros(len(values))
    finite = np.isfinite(values)
    if finite.all():  # the common case
        return out
    bad = ~finite.all(axis=1)
    if bad.any():
        viol = problem.violation(archs[bad]) if problem.constraints else np.zeros(int(bad.sum()))
        out[bad] = np.where(viol > 0, viol, np.inf)
    return out


def constrained_ranks(values: np.ndarray, violation: np.ndarray) -> np.ndarray:
    """Deb's constrained non-dominated sorting: feasible rows get their front (0 best), infeasible rows come
    after every feasible front, ordered by violation (equal violations share a rank)."""
    if not violation.any():  # the common case: every row feasible
        return _ranks(values)
    feasible = violation == 0
    ranks = np.zeros(len(values), dtype=np.int64)
    after = 0
    if feasible.any():
        ranks[feasible] = _ranks(values[feasible])
        after = int(ranks[feasible].max()) + 1
    if not feasible.all():
        _, dense = np.unique(violation[~feasible], return_inverse=True)
        ranks[~feasible] = after + dense.reshape(-1)
    return ranks


def _ranks(values: np.ndarray) -> np.ndarray:
    """Non-dominated ranks of finite higher-is-better rows (one column: ranks of the distinct values)."""
    if values.shape[1] == 1:
        _, dense = np.unique(-values[:, 0], return_inverse=True)
        return dense.reshape(-1).astype(np.int64)
    return np.asarray(moocore.pareto_rank(-values), dtype=np.int64)  # the rows are finite: no checks needed


def crowding(values: np.ndarray, ranks: np.ndarray, violation: np.ndarray) -> np.ndarray:
    """NSGA-II crowding distance of each feasible row within its front (``inf`` at the extremes); 0 for
    infeasible rows, which are ordered by violation alone.

    The same numbers as ``results.pareto.crowding_distance`` (per distinct point, Fortin & Parizeau 2013; a test
    holds them equal), computed for the small sets an optimizer ranks on every round: distinct points by one
    lexsort instead of ``np.unique(axis=0)``, which costs several times more than the rest on 20 rows.
    """
    out = np.zeros(len(values))
    feasible = np.flatnonzero(violation == 0)
    if len(feasible) and values.shape[1] == 2:  # plain Python: a dozen array calls cost more on small sets
        points = list(map(tuple, values[feasible].tolist()))
        fronts: dict[int, set[tuple[float, ...]]] = {}
        for rank, point in zip(ranks[feasible].tolist(), points):
            fronts.setdefault(rank, set()).add(point)
        dist = {(rank, p): d for rank, front in fronts.items() for p, d in _crowding_2d(front).items()}
        out[feasible] = [dist[rank, p] for rank, p in zip(ranks[feasible].tolist(), points)]
    elif len(feasible):
        out[feasible] = crowding_of_minimized(-values[feasible], ranks[feasible])
    return out


def front_crowding(front: np.ndarray) -> np.ndarray:
    """Crowding distance of each row of one front (higher-is-better rows no row of which dominates another)."""
    if front.shape[1] != 2:
        return crowding_of_minimized(-front, np.zeros(len(front), dtype=np.int64))
    points = list(map(tuple, front.tolist()))
    dist = _crowding_2d(set(points))
    return np.array([dist[p] for p in points])


def _crowding_2d(front: set[tuple[float, ...]]) -> dict[tuple[float, ...], float]:
    """Crowding distance of each distinct point of a two-objective front: sorted by the first objective, the
    points are sorted by the second in reverse, so both objectives see the same neighbours."""
    points = sorted(front)
    if len(points) <= 2:
        return dict.fromkeys(points, math.inf)
    (lo0, hi1), (hi0, lo1) = points[0], points[-1]
    span0, span1 = hi0 - lo0, hi1 - lo1
    dist = {points[0]: math.inf, points[-1]: math.inf}
    for (a0, a1), p, (c0, c1) in zip(points, points[1:-1], points[2:]):
        dist[p] = (c0 - a0) / span0 + (a1 - c1) / span1
    return dist


def front_hv_contributions(front: np.ndarray, feasible: np.ndarray) -> np.ndarray:
    """Each row's exclusive hypervolume contribution to its front (moocore), objectives normalized to [0, 1] by
    the range of ``feasible`` (every feasible member) with the reference point 1.1, so a front's extremes always
    contribute; copies of a point contribute nothing."""
    lo, hi = (-feasible).min(axis=0), (-feasible).max(axis=0)
    z = (-front - lo) / np.where(hi > lo, hi - lo, 1.0)
    if z.shape[1] == 1:
        return 1.1 - z[:, 0]
    return np.asarray(moocore.hv_contributions(z, ref=np.full(z.shape[1], 1.1)), dtype=np.float64)


def positions(ranks: np.ndarray, secondary: np.ndarray) -> np.ndarray:
    """Each row's place in the total order by rank (ascending), then ``secondary`` (descending), then row order:
    0 is the best row; a tournament picks the competitor with the lowest place."""
    order = np.lexsort((-secondary, ranks))
    out = np.empty(len(order), dtype=np.int64)
    out[order] = np.arange(len(order))
    return out
