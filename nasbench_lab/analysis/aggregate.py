"""Aggregates over seeds: anytime curves, bootstrap confidence bands, final tables and mean ranks."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from nasbench_lab.analysis.stats import relative_improvement
from nasbench_lab.errors import ConfigError
from nasbench_lab.search.trajectory import Trajectory

CURVE_Y = ("test", "regret", "valid")
CURVE_X = ("queries", "time")


@dataclass
class Curve:
    """Values of many runs on a shared x grid: ``values[run, point]`` (NaN before a run's first result)."""

    x: np.ndarray
    values: np.ndarray
    x_label: str
    y_label: str


def anytime_curve(trajs: Sequence[Trajectory], x: str = "queries", y: str = "test",
                  optimum: float | None = None, n_points: int = 200) -> Curve:
    """Incumbent value of each run (chosen by validation) after each query or at each simulated time.

    ``y="test"``: test value of the best-validation architecture; ``"regret"``: ``optimum`` minus
    it (``optimum`` None: the best test value in these runs); ``"valid"``: its validation value.
    Time grids are log-spaced from the earliest first result to the latest last one.
    """
    if x not in CURVE_X:
        raise ConfigError(f"curve x must be one of {', '.join(CURVE_X)}, got {x!r}")
    if y not in CURVE_Y:
        raise ConfigError(f"curve y must be one of {', '.join(CURVE_Y)}, got {y!r}")
    trajs = [t for t in trajs if len(t)]
    if not trajs:
        raise ConfigError("no runs with results to plot")
    per_run = [t.incumbent_valid() if y == "valid" else t.incumbent_test() for t in trajs]
    if y == "regret":
        best = optimum if optimum is not None else max(float(np.nanmax(t.test)) for t in trajs)
        per_run = [best - v for v in per_run]
    if x == "queries":
        grid = np.arange(1, max(len(t) for t in trajs) + 1)
        values = np.full((len(trajs), len(grid)), np.nan)
        for i, v in enumerate(per_run):
            values[i, : len(v)] = v
            values[i, len(v):] = v[-1]  # a run that stopped keeps its incumbent
        x_label = "queries"
    else:
        lo = min(float(t.finish[0]) for t in trajs)
        hi = max(float(t.finish[-1]) for t in trajs)
        grid = np.geomspace(max(lo, 1e-9), max(hi, lo * 1.0001, 1e-9), n_points)
        values = np.full((len(trajs), len(grid)), np.nan)
        for i, (t, v) in enumerate(zip(trajs, per_run)):
            pos = np.searchsorted(t.finish, grid, side="right") - 1
            values[i] = np.where(pos >= 0, v[np.maximum(pos, 0)], np.nan)
        x_label = "simulated time (s)" if trajs[0].meta.get("time_unit", "s") == "s" else "simulated time (queries)"
    y_label = {"test": f"test value of incumbent ({trajs[0].meta.get('report_metric', 'test')})",
               "regret": "test regret of incumbent", "valid": "validation value of incumbent"}[y]
    return Curve(grid.astype(np.float64), values, x_label, y_label)


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
                higher_is_better: bool = True) -> list[dict]:
    """One row per algorithm: runs, mean, std, median, mean rank and relative improvement over random."""
    ranks = mean_ranks(finals, higher_is_better)
    rows = []
    for name, values in finals.items():
        v = np.asarray(values, dtype=np.float64)
        row = {"algorithm": name, "runs": int(len(v)), "mean": float(np.mean(v)),
               "std": float(np.std(v, ddof=1)) if len(v) > 1 else 0.0, "median": float(np.median(v)),
               "mean_rank": ranks[name]}
        if random_mean is not None:
            row["relative_improvement"] = float(np.mean(relative_improvement(v, random_mean)))
        rows.append(row)
    return rows


def table_markdown(rows: list[dict], digits: int = 2) -> str:
    """The final table as Markdown."""
    cols = list(rows[0]) if rows else []
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" if c == "algorithm" else "---:" for c in cols) + "|"]
    for row in rows:
        cells = [f"{row[c]:.{digits}f}" if isinstance(row[c], float) else str(row[c]) for c in cols]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def table_csv(rows: list[dict]) -> str:
    buf = io.StringIO()
    if rows:
        writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return buf.getvalue()


def table_json(rows: list[dict]) -> str:
    return json.dumps(rows, indent=2)
