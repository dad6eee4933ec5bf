"""Pareto fronts and multi-objective indicators on enumerable tables (pure functions over numpy arrays).

Objectives come as an ``(n, m)`` matrix in their own units plus one ``higher`` flag per column (``True``:
higher is better, e.g. accuracy; ``False``: lower is better, e.g. latency). Internally every function works in
the *minimization form* (columns with ``higher`` negated); results come back as row indices, masks or numbers,
and point sets (attainment surfaces) come back in the objectives' own units and directions.

Indicators use `moocore <https://multi-objective.github.io/moocore/python/>`_ (hypervolume, IGD+,
non-dominated sorting, empirical attainment functions): a small (under 1 MB wheel; numpy, cffi and platformdirs
only) library written for exactly this by the authors of the reference EAF/hypervolume C codes (Fonseca,
Lopez-Ibanez, Paquete), with exact O(n log n) 2-D/3-D hypervolume and the exact EAF algorithms. pymoo is far
larger and Optuna's hypervolume has no IGD+ or EAF. What is ours: crowding distance (computed per distinct
point so duplicates agree and row order does not matter, as Fortin & Parizeau 2013 propose), the table
normalization and reference-point rule, and the anytime (per-query) curves built on moocore's calls.
The dominance tools (``pareto_mask``, ``exact_front``, ``nondominated_ranks``, ``fronts``, ``crowding_distance``,
``to_minimization``) live in ``results/pareto.py``, below search, so multi-objective optimizers use them without
importing analysis; they are re-exported here under the same names.

Normalization and reference point (the rule every printed hypervolume here follows): each objective is mapped,
in minimization form, to ``(z - best) / (worst - best)`` where best/worst are over the **whole table** (every
architecture, not a front or a run), so 0 is the table's best value and 1 its worst, and objectives in % and ms
become commensurate. The reference point is ``REFERENCE_POINT = 1.1`` in every normalized objective, i.e. 10%
of the table's range beyond its worst value. Because it depends only on the table and the chosen objectives, a
hypervolume means the same for every algorithm, run and paper; because it lies strictly beyond every
architecture of the table, each point of the exact front (its extremes included) adds positive volume, so
finding an extreme architecture is rewarded (the 1 + 1/H-style offset of Ishibuchi et al. 2018,
"How to specify a reference point in hypervolume calculation"; 0.1 is the usual choice). A user may give
another reference point in the objectives' own units, but never one better than some architecture of the table.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import moocore
import numpy as np

from nasbench_lab.errors import ConfigError
from nasbench_lab.results.pareto import (  # noqa: F401  (the dominance tools, below search and analysis; re-exported)
    check_directions,
    crowding_distance,
    exact_front,
    from_minimization,
    fronts,
    nondominated_ranks,
    pareto_mask,
    to_minimization,
)

#: the reference point in the normalized minimization space: 10% of the table's range beyond its worst value
REFERENCE_POINT = 1.1


# ------------------------------------------------------------------------ normalization and the reference
@dataclass(frozen=True, eq=False)
class ParetoReference:
    """What every indicator needs about one table and objective set: directions, range, reference, exact front.

    ``best``/``worst`` are per objective over the whole table in minimization form; ``reference`` and
    ``front_points`` are in the normalized minimization space (see the module docstring); ``front`` holds the
    table's row indices of the exact front and ``hypervolume`` the front's hypervolume.
    """

    higher: tuple[bool, ...]
    best: np.ndarray
    worst: np.ndarray
    reference: np.ndarray
    front: np.ndarray
    front_points: np.ndarray
    hypervolume: float

    @property
    def n_objectives(self) -> int:
        """How many objectives."""
        return len(self.higher)

    def normalize(self, values: object) -> np.ndarray:
        """Maps objective values (own units) to the normalized minimization space of this table."""
        z = to_minimization(values, self.higher)
        span = self.worst - self.best
        return (z - self.best) / np.where(span > 0, span, 1.0)

    def hypervolume_of(self, values: object) -> float:
        """Hypervolume of a set of objective vectors (own units), normalized space, this reference point."""
        points = self._points(values)
        return float(moocore.hypervolume(points, ref=self.reference)) if len(points) else 0.0

    def hv_regret(self, values: object) -> float:
        """Hypervolume of the exact front minus that of the given set (>= 0; 0 once the front is found)."""
        return max(self.hypervolume - self.hypervolume_of(values), 0.0)

    def igd_plus(self, values: object) -> float:
        """IGD+ of a set against the exact front, normalized space (0 once the front is found; inf if empty)."""
        points = self._points(values)
        return float(moocore.igd_plus(points, ref=self.front_points)) if len(points) else math.inf

    def anytime_hv_regret(self, trajectory: object, feasible: object | None = None) -> np.ndarray:
        """Hypervolume regret after each query of a trajectory (rows in query order; infeasible rows skipped).

        Incremental: the hypervolume is recomputed (by moocore, on the current non-dominated archive) only at
        the queries that add a non-dominated point inside the reference box.
        """
        points = self._points(trajectory, allow_empty=True)
        ok = self._feasible(feasible, len(points))
        out = np.empty(len(points))
        archive = np.empty((0, self.n_objectives))
        hv = 0.0
        inside = (points < self.reference).all(axis=1) & ok
        for t, p in enumerate(points):
            if inside[t] and not (archive <= p).all(axis=1).any():
                archive = np.vstack([archive[~(p <= archive).all(axis=1)], p])
                hv = float(moocore.hypervolume(archive, ref=self.reference))
            out[t] = hv
        return np.maximum(self.hypervolume - out, 0.0)

    def anytime_igd_plus(self, trajectory: object, feasible: object | None = None) -> np.ndarray:
        """IGD+ after each query of a trajectory (vectorized; ``inf`` until the first feasible query)."""
        points = self._points(trajectory, allow_empty=True)
        ok = self._feasible(feasible, len(points))
        d = np.sqrt((np.maximum(points[:, None, :] - self.front_points[None, :, :], 0.0) ** 2).sum(axis=2))
        d[~ok] = np.inf
        return np.minimum.accumulate(d, axis=0).mean(axis=1) if len(points) else np.zeros(0)

    def _points(self, values: object, allow_empty: bool = True) -> np.ndarray:
        arr = np.asarray(values, dtype=np.float64)
        if arr.size == 0:
            return np.empty((0, self.n_objectives))
        if arr.ndim != 2 or arr.shape[1] != self.n_objectives:
            raise ConfigError(f"expected an (n, {self.n_objectives}) matrix of objective values, got {arr.shape}")
        return self.normalize(arr)

    @staticmethod
    def _feasible(feasible: object | None, n: int) -> np.ndarray:
        if feasible is None:
            return np.ones(n, dtype=bool)
        ok = np.asarray(feasible, dtype=bool).reshape(-1)
        if ok.size != n:
            raise ConfigError(f"got {ok.size} feasibility flags for {n} queries")
        return ok


def pareto_reference(
    values: object,
    higher: Sequence[bool],
    reference: Sequence[float] | None = None,
    names: Sequence[str] | None = None,
) -> ParetoReference:
    """The exact front, range and reference point of a whole table (``values``: every architecture's objectives).

    ``reference`` (optional) is a reference point in the objectives' own units; it must be no better than the
    table's worst architecture in any objective (else a ConfigError). By default it is :data:`REFERENCE_POINT`
    in every normalized objective. ``names`` only label error messages.
    """
    z = to_minimization(values, higher)
    flags = check_directions(higher, z.shape[1])
    if len(z) == 0:
        raise ConfigError("a Pareto reference needs a table with at least one architecture")
    labels = list(names) if names is not None else [f"objective {j}" for j in range(z.shape[1])]
    best, worst = z.min(axis=0), z.max(axis=0)
    span = np.where(worst > best, worst - best, 1.0)
    if reference is None:
        ref = np.full(z.shape[1], REFERENCE_POINT)
    else:
        raw = np.asarray(reference, dtype=np.float64).reshape(-1)
        if raw.size != z.shape[1] or not np.isfinite(raw).all():
            raise ConfigError(f"a reference point needs {z.shape[1]} finite values, got {list(raw)}")
        ref_min = np.where(flags, -raw, raw)
        bad = np.flatnonzero(ref_min < worst)
        if bad.size:
            j = int(bad[0])
            row = int(np.argmax(z[:, j]))
            raise ConfigError(
                f"reference point {labels[j]}={raw[j]:g} is better than architecture row {row} "
                f"({labels[j]}={float(from_minimization(z[row, j], flags[j])):g}); it must be no better than "
                f"every architecture of the table in each objective")
        ref = (ref_min - best) / span
    mask = np.asarray(moocore.is_nondominated(z, keep_weakly=True), dtype=bool)
    front = np.flatnonzero(mask)
    points = np.unique((z[front] - best) / span, axis=0)
    for arr in (best, worst, ref, front, points):
        arr.flags.writeable = False
    return ParetoReference(
        higher=tuple(bool(h) for h in flags), best=best, worst=worst, reference=ref, front=front,
        front_points=points, hypervolume=float(moocore.hypervolume(points, ref=ref)),
    )


# ------------------------------------------------------------------------------------ attainment functions
def _stack_runs(runs: Sequence[object], higher: Sequence[bool], max_m: int) -> tuple[np.ndarray, np.ndarray, int]:
    mats = [np.asarray(r, dtype=np.float64) for r in runs]
    if not mats:
        raise ConfigError("an attainment function needs at least one run")
    m = next((a.shape[1] for a in mats if a.ndim == 2 and a.size), len(higher))
    if not 2 <= m <= max_m:
        raise ConfigError(f"attainment functions here take 2 to {max_m} objectives, got {m}")
    z_parts, set_parts = [], []
    for i, a in enumerate(mats):
        if a.size == 0:
            continue
        z_parts.append(to_minimization(a.reshape(-1, m) if a.ndim == 2 else a, higher))
        set_parts.append(np.full(len(z_parts[-1]), i + 1))
    if not z_parts:
        return np.empty((0, m)), np.empty(0, dtype=np.int64), m
    return np.vstack(z_parts), np.concatenate(set_parts), m


def attainment_surface(runs: Sequence[object], higher: Sequence[bool], percentile: float = 50.0) -> np.ndarray:
    """The ``percentile``% attainment surface (the median one by default) of several runs' objective sets.

    A point is attained by a run when some point of that run weakly dominates it; the surface bounds the points
    attained by at least ``ceil(len(runs) * percentile / 100)`` runs (an empty run attains nothing). Returns
    the surface's corner points in the objectives' own units, from the best first objective to the worst (2 or 3
    objectives; moocore's exact EAF).
    """
    if not 0 < percentile <= 100:
        raise ConfigError(f"percentile must be in (0, 100], got {percentile}")
    z, sets, m = _stack_runs(runs, higher, 3)
    level = max(1, math.ceil(len(runs) * percentile / 100 - 1e-9))
    n_sets = len(np.unique(sets))
    if level > n_sets:
        return np.empty((0, m))
    # moocore counts only the runs it sees and rounds up: ask for just under `level` of them
    surface = np.asarray(moocore.eaf(z, sets, percentiles=[100.0 * (level - 0.5) / n_sets]))[:, :m]
    surface = surface[np.lexsort(surface.T[::-1])]
    return from_minimization(surface, check_directions(higher, m))


def eaf_difference(runs_a: Sequence[object], runs_b: Sequence[object], higher: Sequence[bool]) -> np.ndarray:
    """Differences of two algorithms' empirical attainment functions (2 objectives), as rectangles.

    Rows are ``(x1, y1, x2, y2, d)`` in the objectives' own units: the corners of a region and the fraction of
    A's runs minus the fraction of B's runs that attain it (positive: in favour of A). Both need the same number
    of runs, each with at least one point.
    """
    za, sa, m = _stack_runs(runs_a, higher, 2)
    zb, sb, _ = _stack_runs(runs_b, higher, 2)
    if len(runs_a) != len(runs_b) or len(np.unique(sa)) != len(runs_a) or len(np.unique(sb)) != len(runs_b):
        raise ConfigError(f"an EAF difference needs the same number of non-empty runs on each side, "
                          f"got {len(np.unique(sa))} of {len(runs_a)} and {len(np.unique(sb))} of {len(runs_b)}")
    try:
        rect = np.asarray(moocore.eafdiff(np.c_[za, sa], np.c_[zb, sb], rectangles=True), dtype=np.float64)
    except ValueError as exc:  # moocore fails to reshape an empty result: the two functions do not differ anywhere
        if "size 0" not in str(exc):
            raise
        return np.empty((0, 5))
    flags = check_directions(higher, m)
    rect[:, [0, 2]] = from_minimization(rect[:, [0, 2]], flags[0])
    rect[:, [1, 3]] = from_minimization(rect[:, [1, 3]], flags[1])
    rect[:, 4] /= len(runs_a)  # moocore counts runs
    return rect
