"""Fit a surrogate from any benchmark's results, evaluate it on a held-out split, and write the outputs.

This is what ``nasbench-lab fit-surrogate`` runs: take the architectures that have a value of
``metric`` at ``fidelity``, split them (``train_size`` a count or a fraction) with ``seed``,
fit on the training part, report Kendall tau / Spearman / R^2 on the held-out part next to a
one-hot ridge-regression baseline fitted on the same split, and save the surrogate (a
CompletedBenchmark when the source is a partial table over an enumerable space).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nasbench_lab.benchmarks.base import Benchmark
from nasbench_lab.benchmarks.surrogates.completed import CompletedBenchmark
from nasbench_lab.benchmarks.surrogates.report import plot_predicted_vs_true, regression_report
from nasbench_lab.benchmarks.surrogates.surrogate import SurrogateBenchmark, default_encoding, encode, fit_surrogate
from nasbench_lab.benchmarks.surrogates.xgb_ensemble import EnsembleParams
from nasbench_lab.errors import ConfigError, UnknownNameError
from nasbench_lab.fileio import atomic_write
from nasbench_lab.metrics import metric_info
from nasbench_lab.rng import as_generator
from nasbench_lab.spaces.base import EnumerableSpace

REPORT_FILE = "report.json"
PLOT_FILE = "predicted_vs_true.png"


@dataclass
class FitOutcome:
    """The fitted benchmark, its held-out report, and the held-out values behind the plot."""

    benchmark: SurrogateBenchmark | CompletedBenchmark
    report: dict
    y_test: np.ndarray
    y_pred: np.ndarray
    files: dict[str, str] = field(default_factory=dict)


def source_data(source: Benchmark, metric: str, fidelity: int | None) -> tuple[np.ndarray, np.ndarray, int]:
    """(architectures, finite values, fidelity) of every architecture of ``source`` with a value."""
    if metric not in source.metrics:
        raise UnknownNameError(f"metric of {source.name}/{source.dataset}", metric, source.metrics)
    if fidelity is None:
        fidelity = int(source.metric_fidelities(metric)[-1])
    if source.tabulated and isinstance(source.space, EnumerableSpace):
        archs = source.space.from_index(source.indices_with_data(metric, fidelity))
    else:
        archs = source.archs_with_data(metric)
    values = source.query_batch(archs, metric, fidelity)
    ok = np.isfinite(values)
    return archs[ok], values[ok], int(fidelity)


def split_sizes(n: int, train_size: float | int) -> int:
    """Number of training points for a count (>= 1) or a fraction in (0, 1)."""
    if 0 < train_size < 1:
        n_train = int(round(train_size * n))
    elif float(train_size).is_integer() and train_size >= 1:
        n_train = int(train_size)
    else:
        raise ConfigError(f"train size {train_size} must be a count >= 1 or a fraction in (0, 1)")
    if n_train < 1 or n - n_train < 2:
        raise ConfigError(f"train size {train_size} leaves {n - n_train} of {n} architectures for the held-out "
                          "split; at least 2 are needed (use a fraction such as 0.8 or a smaller count)")
    return n_train


def fit_and_evaluate(source: Benchmark, *, metric: str = "valid_acc", fidelity: int | None = None,
                     train_size: float | int = 0.8, seed: int = 0, encoding: str | None = None,
                     params: EnsembleParams | None = None, complete: bool | None = None) -> FitOutcome:
    """Fits on a random ``train_size`` split of ``source``'s data and evaluates on the rest.

    ``complete`` (default: when ``source`` is a partial table over an enumerable space) keeps
    all real values so the result answers every cell with real values where known.
    """
    archs, values, fidelity = source_data(source, metric, fidelity)
    n_train = split_sizes(len(values), train_size)
    perm = as_generator(seed).permutation(len(values))
    tr, te = perm[:n_train], perm[n_train:]
    train_time = _train_times(source, archs, fidelity)
    start = time.perf_counter()
    sp = source.space
    bench = fit_surrogate(
        sp, archs[tr], values[tr], metric=metric, fidelity=fidelity, dataset=source.dataset,
        name=f"{source.name}-surrogate", encoding=encoding, params=params, seed=seed,
        train_time=None if train_time is None else train_time[tr], unit=metric_info(metric).unit,
        info={"source": {"benchmark": source.name, "dataset": source.dataset, "metric": metric,
                         "fidelity": fidelity, "n_with_data": int(len(values))},
              "split": {"seed": int(seed), "train_size": train_size, "n_train": int(n_train),
                        "n_test": int(len(te))}},
    )
    fit_seconds = time.perf_counter() - start
    y_pred = bench.query_batch(archs[te], metric)
    report = {**regression_report(values[te], y_pred), "n_train": int(n_train), "n_test": int(len(te)),
              "metric": metric, "fidelity": fidelity, "encoding": bench.encoding, "seed": int(seed),
              "source": f"{source.name}/{source.dataset}", "space": sp.name, "fit_seconds": round(fit_seconds, 2),
              "members": len(bench.models[metric].ensemble.boosters),
              "baseline_linear_onehot": _linear_baseline(sp, archs[tr], values[tr], archs[te], values[te])}
    if train_time is not None:
        ok = np.isfinite(train_time[te])
        if ok.sum() >= 2:
            time_pred = bench.query_batch(archs[te][ok], "train_time")
            report["train_time"] = regression_report(train_time[te][ok], time_pred)
    bench.info["heldout"] = {k: report[k] for k in ("kendall_tau", "spearman", "r2", "rmse", "n_test")}
    if complete is None:
        complete = isinstance(sp, EnumerableSpace) and source.tabulated and len(values) < sp.size
    result: SurrogateBenchmark | CompletedBenchmark = bench
    if complete:
        if not isinstance(sp, EnumerableSpace):
            raise ConfigError(f"cannot complete a table over space {sp.name}: it is not enumerable")
        idx = np.atleast_1d(np.asarray(sp.index(archs), dtype=np.int64))
        known = {metric: (idx, values)}
        if train_time is not None and "train_time" in bench.models:
            ok = np.isfinite(train_time)
            known["train_time"] = (idx[ok], train_time[ok])
        result = CompletedBenchmark(bench, known, source=f"{source.name}/{source.dataset}")
        report["completed"] = {"real_cells": int(len(values)), "space_size": int(sp.size)}
    return FitOutcome(result, report, values[te], y_pred)


def write_outputs(outcome: FitOutcome, out_dir: str | os.PathLike) -> dict[str, str]:
    """Saves the benchmark, ``report.json`` and ``predicted_vs_true.png`` into ``out_dir``."""
    out = Path(out_dir)
    outcome.benchmark.save(out)
    rep = outcome.report
    plot = plot_predicted_vs_true(outcome.y_test, outcome.y_pred, out / PLOT_FILE,
                                  title=f"{rep['source']} {rep['metric']} @ {rep['fidelity']} ep: held-out",
                                  unit=metric_info(rep["metric"]).unit)
    atomic_write(out / REPORT_FILE, json.dumps(rep, indent=2))
    outcome.files = {"report": str(out / REPORT_FILE), "plot": str(plot), "surrogate": str(out)}
    return outcome.files


def _train_times(source: Benchmark, archs: np.ndarray, fidelity: int) -> np.ndarray | None:
    """Training seconds per architecture when the source has them, else None."""
    try:
        times = np.asarray(source.cost(archs, fidelity), dtype=np.float64)
    except (ConfigError, UnknownNameError):
        return None
    return times if np.isfinite(times).sum() >= 20 else None


def _linear_baseline(space, x_tr: np.ndarray, y_tr: np.ndarray, x_te: np.ndarray, y_te: np.ndarray) -> dict:
    """Ridge regression (alpha by leave-one-out CV) on the plain one-hot encoding of the canonical cells."""
    from sklearn.linear_model import RidgeCV

    kind = "onehot" if "onehot" in space.encodings() else default_encoding(space)
    f_tr = encode(space, x_tr, kind)
    f_te = encode(space, x_te, kind)
    model = RidgeCV(alphas=np.logspace(-3, 3, 13)).fit(f_tr, y_tr)
    return {**regression_report(y_te, model.predict(f_te)), "encoding": kind, "alpha": float(model.alpha_)}
