"""Aggregates over seeds: anytime curves, bootstrap confidence bands, final tables and mean ranks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from nasbench_lab.analysis.stats import relative_improvement
from nasbench_lab.analysis.tables import table_csv, table_json, table_markdown  # noqa: F401  (re-exported)
from nasbench_lab.errors import ConfigError
from nasbench_lab.metrics import metric_info
from nasbench_lab.results.trajectory import Trajectory

CURVE_Y = ("test", "regret", "valid", "valid_regret")
CURVE_X = ("queries", "time")


@dataclass
class Curve:
    """Values of many runs on a shared x grid: ``values[run, point]`` (NaN before a run's first result)."""

    x: np.ndarray
    values: np.ndarray
    x_label: str
    y_label: str


def anytime_curve(trajs: Sequence[Trajectory], x: str = "queries", y: str = "test",
                  optimum: float | None = None, n_points: int = 200, unit: str | None = None) -> Curve:
    """Incumbent value of each run (chosen by validation) after each query or at each simulated time.

    ``y="test"``: test value of the best-validation architecture; ``"regret"``: ``optimum`` minus
    it (``optimum`` None: the best test value in these runs); ``"valid"``: its validation value as the
    optimizer saw it; ``"valid_regret"``: ``optimum`` (the best validation value of the benchmark)
    minus that. Time grids are log-spaced from the earliest first result to the latest last one.
    Axis labels carry units (``unit``: of the metric, default from its name; regret in percentage points).
    """
    if x not in CURVE_X:
        raise ConfigError(f"curve x must be one of {', '.join(CURVE_X)}, got {x!r}")
    if y not in CURVE_Y:
        raise ConfigError(f"curve y must be one of {', '.join(CURVE_Y)}, got {y!r}")
    trajs = [t for t in trajs if len(t)]
    if not trajs:
        raise ConfigError("no runs with results to plot")
    on_valid = y.startswith("valid")
    per_run = [t.incumbent_valid() if on_valid else t.incumbent_test() for t in trajs]
    if y.endswith("regret"):
        best = optimum if optimum is not None else max(float(np.nanmax(t.valid if on_valid else t.test))
                                                       for t in trajs)
        per_run = [best - v for v in per_run]
    grid, values, x_label = on_grid(trajs, per_run, x, n_points)
    meta = trajs[0].meta
    metric = meta.get("search_metric", "valid_acc") if on_valid else meta.get("report_metric") or "test value"
    unit = unit if unit is not None else metric_info(metric).unit
    points = "percentage points" if unit.startswith("%") else unit
    shown = metric_info(metric).display_name  # "test accuracy", never the code name "test_acc"
    y_label = {"test": f"{shown} of incumbent ({unit})",
               "regret": f"test regret of incumbent ({points})",
               "valid": f"{shown} of incumbent, as searched ({unit})",
               "valid_regret": f"validation regret of incumbent ({points})"}[y]
    return Curve(grid.astype(np.float64), values, x_label, y_label.replace(" ()", ""))


def on_grid(trajs: Sequence[Trajectory], per_run: Sequence[np.ndarray], x: str = "queries",
            n_points: int = 200) -> tuple[np.ndarray, np.ndarray, str]:
    """Per-query values of each run (``per_run[i]``: one value per row of ``trajs[i]``) on a shared x grid.

    ``x="queries"``: one point per query, a run that stopped keeps its last value; ``"time"``: a log-spaced grid
    of simulated time from the earliest first result to the latest last one, each run's value of the last result
    that arrived by then (NaN before its first). Returns the grid, ``values[run, point]`` and the x axis label.
    """
    if x not in CURVE_X:
        raise ConfigError(f"curve x must be one of {', '.join(CURVE_X)}, got {x!r}")
    grid: np.ndarray
    if x == "queries":
        grid = np.arange(1, max(len(t) for t in trajs) + 1)
        values = np.full((len(trajs), len(grid)), np.nan)
        for i, v in enumerate(per_run):
            values[i, : len(v)] = v
            values[i, len(v):] = v[-1]  # a run that stopped keeps its last value (its incumbent)
        x_label = "queries (architectures evaluated)"
    else:
        lo = min(float(t.finish[0]) for t in trajs)
        hi = max(float(t.finish[-1]) for t in trajs)
        grid = np.geomspace(max(lo, 1e-9), max(hi, lo * 1.0001, 1e-9), n_points)
        values = np.full((len(trajs), len(grid)), np.nan)
        for i, (t, v) in enumerate(zip(trajs, per_run)):
            pos = np.searchsorted(t.finish, grid, side="right") - 1
            values[i] = np.where(pos >= 0, v[np.maximum(pos, 0)], np.nan)
        timed = trajs[0].meta.get("time_unit", "s") == "s"
        x_label = "simulated training time (s)" if timed else "simulated time (queries)"
    return grid, values, x_label


def rank_over_budget(runs: Mapping[str, Sequence[Trajectory]], higher_is_better: bool = True) -> Curve:
    """Mean rank (1 = best) of each algorithm's incumbent test value after each query, over seeds (NAS-Bench-Suite).

    ``values[algorithm, query]`` in the order of ``runs``; seeds are paired by position, and only the seeds
    every algorithm has are used.
    """
    names = list(runs)
    n_seeds = min(len(runs[a]) for a in names)
    return rank_of_curves([anytime_curve(list(runs[a])[:n_seeds], x="queries", y="test").values for a in names],
                          higher_is_better)


def rank_of_curves(curves: Sequence[np.ndarray], higher_is_better: bool = True) -> Curve:
    """Mean rank (1 = best) of each algorithm after each query from per-query curves (``curves[algorithm]``:
    ``values[seed, query]``, seeds paired by position, as many for each); a shorter curve keeps its last value."""
    length = max(c.shape[1] for c in curves)
    padded = np.stack([np.pad(c, ((0, 0), (0, length - c.shape[1])), mode="edge") for c in curves], axis=-1)
    from nasbench_lab.analysis.stats import rank_matrix

    ranks = rank_matrix(padded.reshape(-1, len(curves)), higher_is_better).reshape(padded.shape)
    return Curve(np.arange(1, length + 1, dtype=np.float64), ranks.mean(axis=0).T,
                 "queries (architectures evaluated)", "mean rank over seeds (1 = best)")


def bootstrap_ci(values: np.ndarray, rng: np.random.Generator, n_boot: int = 1000,
                 level: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean over runs (axis 0) and its percentile bootstrap confidence band, resampling runs with ``rng``."""
    v = np.atleast_2d(np.asarray(values, dtype=np.float64))
    n = v.shape[0]
    finite = np.isfinite(v)
    filled = np.where(finite, v, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = filled.sum(axis=0) / finite.sum(axis=0)
        if n < 2:
            return mean, mean.copy(), mean.copy()
        counts = rng.multinomial(n, np.full(n, 1.0 / n), size=n_boot).astype(np.float64)  # (boot, runs)
        boot = (counts @ filled) / (counts @ finite)
    alpha = (1.0 - level) / 2.0
    lo, hi = np.full_like(mean, np.nan), np.full_like(mean, np.nan)
    ok = np.isfinite(boot).any(axis=0)  # points without any value stay NaN
    if ok.any():
        lo[ok], hi[ok] = np.nanquantile(boot[:, ok], [alpha, 1.0 - alpha], axis=0)
    return mean, lo, hi


def mean_ranks(finals: Mapping[str, np.ndarray], higher_is_better: bool = True) -> dict[str, float]:
    """Average rank of each algorithm over seeds (1 = best; ties share the average rank)."""
    from scipy import stats  # deferred: scipy.stats takes a second to import

    names = list(finals)
    n = min(len(finals[k]) for k in names)
    table = np.stack([np.asarray(finals[k], dtype=np.float64)[:n] for k in names], axis=1)  # (seeds, algos)
    score = table if higher_is_better else -table
    ranks = stats.rankdata(-np.nan_to_num(score, nan=-np.inf), axis=1)
    return {k: float(ranks[:, j].mean()) for j, k in enumerate(names)}


def final_table(finals: Mapping[str, np.ndarray], random_mean: float | None = None,
                higher_is_better: bool = True, short_runs: Mapping[str, int] | None = None) -> list[dict]:
    """One row per algorithm: runs, short runs (when counted), mean, std, median, IQR, mean rank, relative
    improvement over random."""
    ranks = mean_ranks(finals, higher_is_better)
    rows = []
    for name, values in finals.items():
        v = np.asarray(values, dtype=np.float64)
        row = {"algorithm": name, "runs": int(len(v))}
        if short_runs is not None:
            row["short_runs"] = int(short_runs.get(name, 0))
        q25, q75 = np.percentile(v, [25, 75]) if len(v) else (np.nan, np.nan)
        row.update({"mean": float(np.mean(v)), "std": float(np.std(v, ddof=1)) if len(v) > 1 else 0.0,
                    "median": float(np.median(v)), "iqr": float(q75 - q25), "mean_rank": ranks[name]})
        if random_mean is not None:
            row["relative_improvement"] = float(np.mean(relative_improvement(v, random_mean)))
        rows.append(row)
    return rows
