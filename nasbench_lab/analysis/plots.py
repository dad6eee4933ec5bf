"""Anytime plots (matplotlib, no pyplot state): mean over seeds with a 95% bootstrap band per algorithm."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from nasbench_lab.analysis.aggregate import Curve, bootstrap_ci
from nasbench_lab.errors import ConfigError

FORMATS = ("png", "pdf", "svg")
#: smallest value shown on a log y axis
LOG_FLOOR = 1e-3


def plot_curves(curves: Mapping[str, Curve], path: str | os.PathLike, *, rng: np.random.Generator,
                title: str = "", log_x: bool = False, log_y: bool = False, n_boot: int = 1000,
                zoom: bool = False) -> Path:
    """Draws each algorithm's mean curve and 95% bootstrap band; the format follows the file suffix.

    A curve is drawn only where every run has a result (no survivor bias early in time plots);
    on a log y axis values are floored at ``LOG_FLOOR`` (a regret of 0 means the optimum was found).
    ``zoom`` fits the y axis to the curves after their first tenth (the interesting part).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    path = Path(path)
    if path.suffix.lstrip(".") not in FORMATS:
        raise ConfigError(f"plot format {path.suffix!r} not supported; accepted: {', '.join(FORMATS)}")
    fig = Figure(figsize=(6.4, 4.2))
    FigureCanvasAgg(fig)
    fig.subplots_adjust(left=0.12, right=0.97, bottom=0.12, top=0.92)  # fixed margins: layout engines are slow
    ax = fig.add_subplot()
    shown: list[np.ndarray] = []
    for i, (name, curve) in enumerate(curves.items()):
        values = np.where(np.isnan(curve.values).any(axis=0), np.nan, curve.values)
        mean, lo, hi = bootstrap_ci(values, rng, n_boot=n_boot)
        if log_y:
            mean, lo, hi = (np.maximum(a, LOG_FLOOR) for a in (mean, lo, hi))
        color = f"C{i % 10}"
        ax.plot(curve.x, mean, color=color, label=f"{name} (n={curve.values.shape[0]})", linewidth=1.6)
        ax.fill_between(curve.x, lo, hi, color=color, alpha=0.18, linewidth=0)
        shown.append(np.concatenate([lo, hi])[np.r_[len(lo) // 10: len(lo), len(lo) + len(lo) // 10: 2 * len(lo)]])
    finite = np.concatenate(shown) if shown else np.zeros(0)
    finite = finite[np.isfinite(finite)]
    if zoom and len(finite):
        pad = 0.05 * max(finite.max() - finite.min(), 1e-9)
        ax.set_ylim(finite.min() - pad, finite.max() + pad)
    first = next(iter(curves.values()))
    ax.set_xlabel(first.x_label)
    ax.set_ylabel(first.y_label)
    if log_x:
        ax.set_xscale("log")
    if log_y:
        ax.set_yscale("log")
    ax.grid(True, alpha=0.3)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, ncol=2)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=130)
    return path


def plot_final_box(finals: Mapping[str, np.ndarray], path: str | os.PathLike, *, title: str = "",
                   y_label: str = "final test value") -> Path:
    """Box plot of each algorithm's final test value over seeds."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    path = Path(path)
    fig = Figure(figsize=(6.4, 3.8))
    FigureCanvasAgg(fig)
    fig.subplots_adjust(left=0.12, right=0.97, bottom=0.12, top=0.9)
    ax = fig.add_subplot()
    names = list(finals)
    ax.boxplot([np.asarray(finals[n], dtype=np.float64) for n in names], tick_labels=names, showmeans=True)
    ax.set_ylabel(y_label)
    ax.set_title(title, fontsize=10)
    ax.grid(True, axis="y", alpha=0.3)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=130)
    return path
