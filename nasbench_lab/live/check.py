"""Live check: train a sample of a benchmark's cells live and compare their ranking with the table's.

The networks are trained on small data (digits by default), not on the benchmark's dataset, so
the correlations measure how well rankings transfer, not whether the table is reproduced.
No PyTorch import here (workers import it).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.stats import kendalltau, spearmanr

from nasbench_lab.benchmarks.base import Benchmark
from nasbench_lab.errors import ConfigError
from nasbench_lab.live.jobs import RunStore, TrainJob, run_trainings
from nasbench_lab.live.records import RunResult
from nasbench_lab.rng import as_generator
from nasbench_lab.spaces.base import EnumerableSpace

HONESTY_NOTE = ("live networks were trained on {data} ({data_note}), not on {dataset}; the correlations say how "
                "well the ranking of these cells transfers between the two settings, not whether the table is "
                "reproduced")


@dataclass
class Agreement:
    """Rank agreement between live and tabular values of one metric pair."""

    live_metric: str
    table_metric: str
    n: int
    kendall: float
    spearman: float
    live: np.ndarray = field(repr=False)
    table: np.ndarray = field(repr=False)

    def summary(self) -> dict:
        return {"live_metric": self.live_metric, "table_metric": self.table_metric, "n": self.n,
                "kendall": self.kendall, "spearman": self.spearman}


@dataclass
class LiveCheckResult:
    """What ``live_check`` found: the cells, the agreements, diverged runs and the honest caveat."""

    benchmark: str
    dataset: str
    space: str
    indices: np.ndarray
    agreements: list[Agreement]
    diverged: list[str]
    note: str
    plot: str | None = None

    def summary(self) -> dict:
        return {"benchmark": self.benchmark, "dataset": self.dataset, "space": self.space,
                "cells": [int(i) for i in self.indices], "agreements": [a.summary() for a in self.agreements],
                "diverged": self.diverged, "note": self.note, "plot": self.plot}


def check_sample(bench: Benchmark, n: int, seed: int = 0) -> np.ndarray:
    """``n`` distinct official indices among the cells the table has values for, drawn with ``seed``."""
    space = bench.space
    if not isinstance(space, EnumerableSpace) or not bench.tabulated:
        raise ConfigError(f"live-check needs a tabular benchmark over an enumerable space; {bench.name} is not one")
    pool = bench.indices_with_data(bench.search_metric)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 3 <= n <= len(pool):
        raise ConfigError(f"sample size must be 3..{len(pool)} (cells with {bench.search_metric}), got {n!r}")
    return np.sort(as_generator(seed).choice(pool, size=int(n), replace=False))


def agreement(live: np.ndarray, table: np.ndarray, live_metric: str, table_metric: str) -> Agreement:
    """Kendall's tau and Spearman's rho over the cells where both values are finite."""
    ok = np.isfinite(live) & np.isfinite(table)
    n = int(ok.sum())
    if n < 3:
        tau = rho = float("nan")
    else:
        tau = float(kendalltau(live[ok], table[ok])[0])
        rho = float(spearmanr(live[ok], table[ok])[0])
    return Agreement(live_metric, table_metric, n, tau, rho, live, table)


def live_check(bench: Benchmark, indices: Sequence[int], *, job: TrainJob, seeds: Sequence[int] = (0,),
               store_dir: str | os.PathLike | None = None, workers: int = 1, threads: int | None = None,
               scheduler: str | None = None, progress: bool = False, plot: str | os.PathLike | None = None,
               data_note: str = "") -> LiveCheckResult:
    """Trains ``indices`` live (resumable through ``store_dir``) and compares final-epoch validation and
    test accuracy with the benchmark's search and report metrics."""
    space = bench.space
    if not isinstance(space, EnumerableSpace):
        raise ConfigError(f"live-check needs a benchmark over an enumerable space; {bench.name} is not one")
    cells = np.asarray(indices, dtype=np.int64)
    store = RunStore(store_dir, job).open() if store_dir is not None else None
    results = run_trainings(job, cells, seeds, store=store, workers=workers, threads=threads,
                            scheduler=scheduler, progress=progress)
    live_valid = _final(results, cells, seeds, "valid_acc")
    live_test = _final(results, cells, seeds, "test_acc")
    archs = space.from_index(cells)
    agreements = [agreement(live_valid, bench.query_batch(archs, bench.search_metric),
                            "valid_acc", bench.search_metric)]
    if bench.report_metric in bench.metrics:
        agreements.append(agreement(live_test, bench.query_batch(archs, bench.report_metric),
                                    "test_acc", bench.report_metric))
    diverged = [r.message for (i, _), r in results.items() if r.status != "ok" and i in set(cells.tolist())]
    note = HONESTY_NOTE.format(data=job.data, data_note=data_note or "a small stand-in", dataset=bench.dataset)
    result = LiveCheckResult(bench.name, bench.dataset, space.name, cells, agreements, diverged, note)
    if plot is not None:
        result.plot = str(scatter_plot(result, plot, job))
    return result


def _final(results: dict[tuple[int, int], RunResult], indices: np.ndarray, seeds: Sequence[int],
           metric: str) -> np.ndarray:
    """Final-epoch value per cell, mean over seeds (NaN where every seed diverged)."""
    out = np.full(len(indices), np.nan)
    for k, i in enumerate(indices):
        vals = [results[(int(i), int(s))].metric(metric)[-1] for s in seeds if (int(i), int(s)) in results]
        vals = [v for v in vals if np.isfinite(v)]
        if vals:
            out[k] = float(np.mean(vals))
    return out


def scatter_plot(result: LiveCheckResult, path: str | os.PathLike, job: TrainJob) -> Path:
    """Live vs tabular scatter, one panel per metric pair, saved to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(result.agreements), figsize=(5 * len(result.agreements), 4.2), squeeze=False)
    for ax, a in zip(axes[0], result.agreements):
        ok = np.isfinite(a.live) & np.isfinite(a.table)
        ax.scatter(a.table[ok], a.live[ok], s=18, alpha=0.8)
        ax.set_xlabel(f"{result.benchmark}/{result.dataset} {a.table_metric} (table)")
        ax.set_ylabel(f"live {a.live_metric} on {job.data}, {job.epochs} epochs")
        ax.set_title(f"n={a.n}  Kendall {a.kendall:.3f}  Spearman {a.spearman:.3f}", fontsize=10)
    fig.suptitle(f"live check: {job.data} is not {result.dataset}", fontsize=10)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
