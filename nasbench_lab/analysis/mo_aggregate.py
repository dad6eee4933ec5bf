"""Per-run indicators of multi-objective and constrained runs against a table's exact front, and their curves.

What a run *returns* is chosen by the values its search saw (a drawn training seed: as for the incumbent of a
single-objective run); what it is *scored* with are the table's values of those architectures (seed mean, the
values the exact front is made of: ``values_of``, see ``table_front.table_values``), so a run holding the
whole front has regret 0, and seed noise neither rewards nor punishes a run. Without ``values_of`` the run's
recorded values score it (exact for runs searched on the seed mean). Infeasible queries and queries lacking a
value never count. A run that found nothing feasible attains only the reference point: its hypervolume regret
is the front's whole hypervolume (its IGD+ is infinite), and reports flag it.

* two or more objectives: the found front is the non-dominated set of the feasible queries so far (by the values
  seen); hypervolume regret is the exact front's hypervolume minus that set's (normalized objectives, the
  reference point of ``pareto_reference``), IGD+ is that set's distance to the exact front;
* one objective with constraints: the incumbent is the run's own (``Trajectory.incumbent``: best feasible
  value seen); its regret is the exact constrained optimum minus its table value, in the metric's unit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import moocore
import numpy as np

from nasbench_lab.analysis.aggregate import Curve, on_grid
from nasbench_lab.analysis.mo_reference import optimum
from nasbench_lab.analysis.pareto import ParetoReference
from nasbench_lab.analysis.table_front import ValuesFn, reference_point_in_units
from nasbench_lab.errors import ConfigError
from nasbench_lab.metrics import metric_info
from nasbench_lab.results.objectives import Objectives
from nasbench_lab.results.trajectory import Trajectory

#: what an indicator curve can show
MO_CURVE_Y = ("hv_regret", "igd_plus", "regret")


@dataclass
class RunIndicators:
    """One run scored against the exact front: per-query curves and the found front at the end.

    ``regret[i]``: after query ``i``, the hypervolume regret (two or more objectives; normalized space) or the
    regret of the incumbent (one objective, in its unit); ``igd_plus[i]``: IGD+ of the found front (``inf``
    until a feasible query; NaN with one objective). ``front``: row indices (into the trajectory) of the found
    front at the end (the incumbent with one objective), ``front_values`` their table values (own units, one
    column per objective), ``front_test`` their report values; ``unattained``: the regret of attaining nothing
    (the front's whole hypervolume, or the reference point's regret), a run's until its first feasible query.
    """

    regret: np.ndarray
    igd_plus: np.ndarray
    n_queries: int
    n_feasible: int
    front: np.ndarray
    front_values: np.ndarray
    front_test: np.ndarray
    unattained: float

    @property
    def final_regret(self) -> float:
        """Regret after the last query (``unattained`` for a run without any query)."""
        return float(self.regret[-1]) if len(self.regret) else self.unattained

    @property
    def final_igd_plus(self) -> float:
        """IGD+ after the last query (``inf`` when nothing feasible was found)."""
        return float(self.igd_plus[-1]) if len(self.igd_plus) else math.inf

    @property
    def feasible_found(self) -> bool:
        """Whether the run made at least one feasible query with every objective's value."""
        return len(self.front) > 0


def run_objectives(traj: Trajectory) -> Objectives:
    """The objectives and constraints a trajectory's metadata records (ConfigError for a run without them)."""
    objs = Objectives.from_meta(traj.meta)
    if objs is None or traj.objectives is None:
        raise ConfigError(f"run {traj.meta.get('algorithm', '?')} seed {traj.meta.get('seed', '?')} records no "
                          "objectives: it is a single-objective run (search.run(..., objectives=[...]))")
    return objs


def is_multi_objective(traj: Trajectory) -> bool:
    """Whether a run has two or more objectives or any constraint (it gets the multi-objective report)."""
    objs = Objectives.from_meta(traj.meta)
    return objs is not None and (objs.multi or bool(objs.constraints))


def run_indicators(traj: Trajectory, ref: ParetoReference, values_of: ValuesFn | None = None) -> RunIndicators:
    """Scores one run against ``ref`` (see the module docstring); ``values_of`` gives the table's values."""
    objs = run_objectives(traj)
    if objs.n != ref.n_objectives or tuple(objs.higher) != ref.higher:
        raise ConfigError(f"run has objectives {list(objs.names)} with directions {list(objs.higher)}, the "
                          f"reference {ref.n_objectives} objective(s) with {list(ref.higher)}")
    seen = np.asarray(traj.objectives, dtype=np.float64).reshape(len(traj), objs.n)
    table = seen if values_of is None else np.asarray(values_of(traj.archs), dtype=np.float64).reshape(seen.shape)
    ok = traj.feasible & np.isfinite(seen).all(axis=1) & np.isfinite(table).all(axis=1)
    if objs.n == 1:
        return _single(traj, ref, table, ok)
    return _multi(traj, ref, _normalized(ref, seen), _normalized(ref, table), table, ok)


def _normalized(ref: ParetoReference, values: np.ndarray) -> np.ndarray:
    """``ref.normalize`` that lets non-finite rows through as NaN (they are masked out by the caller)."""
    z = np.where(np.asarray(ref.higher), -values, values)
    span = ref.worst - ref.best
    return (z - ref.best) / np.where(span > 0, span, 1.0)


def _multi(traj: Trajectory, ref: ParetoReference, seen: np.ndarray, scored: np.ndarray, table: np.ndarray,
           ok: np.ndarray) -> RunIndicators:
    """Two or more objectives: the found front by the values seen, its hypervolume and IGD+ by the table's."""
    n = len(seen)
    rows = np.flatnonzero(ok)
    # a query enters the found front unless an earlier feasible query weakly dominates it (then the front at that
    # time does too); only those queries change the front, so the indicators are recomputed there only
    weakly = (seen[rows][:, None, :] <= seen[rows][None, :, :]).all(axis=2)  # [s, t]: s weakly dominates t
    entering = rows[~np.triu(weakly, 1).any(axis=0)]
    regret, igd = np.full(n, ref.hypervolume), np.full(n, np.inf)
    front = np.zeros(0, dtype=np.int64)
    for t in entering:
        front = np.append(front[~(seen[t] <= seen[front]).all(axis=1)], t)
        points = scored[front]
        inside = points[(points < ref.reference).all(axis=1)]
        hv = float(moocore.hypervolume(inside, ref=ref.reference)) if len(inside) else 0.0
        regret[t:] = max(ref.hypervolume - hv, 0.0)
        igd[t:] = float(moocore.igd_plus(points, ref=ref.front_points))
    z = table[front] * np.where(ref.higher, -1.0, 1.0)
    front = front[np.lexsort(z.T[::-1])]  # best first objective first
    return RunIndicators(regret, igd, n, int(traj.feasible.sum()), front, table[front],
                         np.asarray(traj.test, dtype=np.float64)[front], ref.hypervolume)


def _single(traj: Trajectory, ref: ParetoReference, table: np.ndarray, ok: np.ndarray) -> RunIndicators:
    """One objective with constraints: regret of the run's own incumbent, scored with its table value."""
    n = len(table)
    best = optimum(ref)
    worst_regret = abs(float(reference_point_in_units(ref)[0]) - best)  # nothing feasible: the reference point
    if n == 0:
        return RunIndicators(np.zeros(0), np.zeros(0), 0, 0, np.zeros(0, dtype=np.int64), np.empty((0, 1)),
                             np.zeros(0), worst_regret)
    inc = traj.incumbent()
    started = np.logical_or.accumulate(ok)
    value = table[inc, 0]
    gap = best - value if ref.higher[0] else value - best
    regret = np.where(started & ok[inc], gap, worst_regret)
    front = inc[-1:] if ok[inc[-1]] else np.zeros(0, dtype=np.int64)
    return RunIndicators(regret, np.full(n, np.nan), n, int(traj.feasible.sum()), front, table[front],
                         np.asarray(traj.test, dtype=np.float64)[front], worst_regret)


def indicator_curve(trajs: Sequence[Trajectory], indicators: Sequence[RunIndicators], y: str = "hv_regret",
                    x: str = "queries", n_points: int = 200) -> Curve:
    """An indicator of many runs on a shared grid of queries or simulated time (as ``anytime_curve``): rows are
    runs (runs without a query left out), labels name the indicator and, for regret, the metric's unit."""
    if y not in MO_CURVE_Y:
        raise ConfigError(f"indicator curve y must be one of {', '.join(MO_CURVE_Y)}, got {y!r}")
    pairs = [(t, i) for t, i in zip(trajs, indicators) if len(t)]
    if not pairs:
        raise ConfigError("no runs with results to plot")
    per_run = [i.igd_plus if y == "igd_plus" else i.regret for _, i in pairs]
    grid, values, x_label = on_grid([t for t, _ in pairs], per_run, x, n_points)
    if y == "regret":
        info = metric_info(run_objectives(pairs[0][0]).names[0])
        unit = "percentage points" if info.unit.startswith("%") else info.unit
        label = f"regret of the feasible incumbent ({unit})" if unit else "regret of the feasible incumbent"
    else:
        label = {"hv_regret": "hypervolume regret (normalized objectives)",
                 "igd_plus": "IGD+ to the exact front (normalized objectives)"}[y]
    return Curve(grid.astype(np.float64), values, x_label, label)


def median_run(finals: Sequence[float] | np.ndarray) -> int:
    """Index of the run whose final value is the median (the lower one of an even count; ties: the first)."""
    values = np.asarray(finals, dtype=np.float64)
    if not len(values):
        raise ConfigError("a median run needs at least one run")
    order = np.argsort(np.where(np.isnan(values), np.inf, values), kind="stable")
    return int(order[(len(values) - 1) // 2])
