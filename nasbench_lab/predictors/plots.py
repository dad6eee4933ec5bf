"""Predictor and proxy figures (matplotlib, Agg): scatter, correlation vs training size, heatmap.

PNGs at ``PNG_DPI`` (print quality, as the study figures); a ``.pdf`` path writes a vector file.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from scipy.stats import kendalltau, rankdata, spearmanr
from scipy.stats import t as student_t

#: resolution of saved PNGs; the same as ``analysis.plots.PNG_DPI`` (that layer sits above this one)
PNG_DPI = 300


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: str | os.PathLike) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")
    fig.savefig(tmp, dpi=PNG_DPI, bbox_inches="tight")
    os.replace(tmp, path)
    _plt().close(fig)
    return path


def mean_ci(values: Sequence[float], level: float = 0.95) -> tuple[float, float]:
    """Mean and half-width of a Student-t confidence interval (0 for a single value)."""
    v = np.asarray(values, dtype=np.float64)
    if len(v) < 2:
        return float(v.mean()) if len(v) else float("nan"), 0.0
    half = student_t.ppf(0.5 + level / 2, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v))
    return float(v.mean()), float(half)


def _scatter_ax(ax, x: np.ndarray, y: np.ndarray, title: str, x_as_rank: bool = False, identity: bool = True,
                legend: bool = True) -> None:
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    ok = np.isfinite(x) & np.isfinite(y)  # correlations and points over the pairs with both values
    x, y = x[ok], y[ok]
    tau = kendalltau(x, y)[0]
    rho = spearmanr(x, y)[0]
    if x_as_rank:  # scores spanning orders of magnitude (or with sentinel values) stay readable
        x = rankdata(x) / len(x)
    ax.scatter(x, y, s=4, alpha=0.35, edgecolors="none", color="#0072B2")
    if identity and not x_as_rank and len(x):  # predicted vs true: y = x is the perfect predictor
        lo, hi = float(min(x.min(), y.min())), float(max(x.max(), y.max()))
        ax.plot([lo, hi], [lo, hi], color="black", linewidth=0.8, linestyle="--", label="y = x", gid="identity")
        if legend:
            ax.legend(fontsize=8, loc="upper left", frameon=False)
    dropped = f" ({int((~ok).sum())} non-finite left out)" if (~ok).any() else ""
    ax.set_title(f"{title}{dropped}\nKendall tau {tau:.3f}, Spearman {rho:.3f}", fontsize=9)
    ax.grid(True, alpha=0.3)


def plot_scatter_grid(panels: Mapping[str, tuple[np.ndarray, np.ndarray]], path: str | os.PathLike, *,
                      suptitle: str = "", xlabel: str = "true", ylabel: str = "predicted",
                      x_as_rank: bool = False) -> Path:
    """One predicted-vs-true (or score-vs-accuracy) panel per entry ``{title: (x, y)}``, predicted-vs-true with
    the y = x line; ``x_as_rank`` plots x by its rank fraction (for proxy scores, no y = x).

    The panels share both axes (one scale to compare across them), so the axis labels (say the unit:
    ``"true validation accuracy (%)"``) and tick labels sit on the outer panels only, at most 5 ticks each.
    """
    from matplotlib.ticker import MaxNLocator

    plt = _plt()
    n = len(panels)
    cols = min(4, n)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 3.0 * rows + 0.4), squeeze=False, sharex=True,
                             sharey=True)
    for i, (ax, (title, (yt, yp))) in enumerate(zip(axes.ravel(), panels.items())):
        _scatter_ax(ax, yt, yp, title, x_as_rank, legend=i == 0)
        ax.xaxis.set_major_locator(MaxNLocator(5))
        ax.yaxis.set_major_locator(MaxNLocator(5))
        ax.tick_params(labelsize=8)
        if i % cols == 0:
            ax.set_ylabel(ylabel, fontsize=9)
        if i + cols >= n:  # the lowest panel of its column: x label and tick labels
            ax.set_xlabel(xlabel, fontsize=9)
            ax.tick_params(labelbottom=True)
    for ax in axes.ravel()[n:]:
        ax.axis("off")
    if suptitle:
        fig.suptitle(suptitle, fontsize=11)
    fig.tight_layout()
    return _save(fig, path)


def plot_correlation_vs_size(summary: Mapping[str, Mapping[str, Mapping[str, Sequence[float]]]],
                             path: str | os.PathLike, *, metric: str = "kendall_tau", title: str = "") -> Path:
    """Mean ``metric`` against training-set size (log x) with 95% confidence bands, one line per predictor.

    A zero-label predictor (one with results at size 0, e.g. a supernet or a proxy) is a dashed horizontal line
    with its band: its result does not depend on the training size, and a log axis has no 0."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    _draw_correlation_vs_size(ax, summary, metric)
    ax.set_title(title or f"{metric.replace('_', ' ')} vs training size (mean, 95% CI)", fontsize=10)
    ax.legend(fontsize=7, ncol=2)
    return _save(fig, path)


def plot_correlation_panels(panels: Mapping[str, Mapping[str, Mapping[str, Mapping[str, Sequence[float]]]]],
                            path: str | os.PathLike, *, metric: str = "kendall_tau", suptitle: str = "") -> Path:
    """One correlation-vs-size panel (as :func:`plot_correlation_vs_size`) per entry ``{title: summary}``,
    sharing the y axis (one scale to compare across them) and one legend below them; a name has one colour and
    marker in every panel."""
    plt = _plt()
    names = list(dict.fromkeys(name for summary in panels.values() for name in summary))
    style = {name: i for i, name in enumerate(names)}
    n = len(panels)
    cols = min(4, n)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.4 * cols, 3.1 * rows + 0.6), squeeze=False, sharey=True)
    for i, (ax, (title, summary)) in enumerate(zip(axes.ravel(), panels.items())):
        _draw_correlation_vs_size(ax, summary, metric, style)
        ax.set_title(title, fontsize=9)
        if i % cols:
            ax.set_ylabel("")
    for ax in axes.ravel()[n:]:
        ax.axis("off")
    legend: dict[str, object] = {}
    for ax in axes.ravel()[:n]:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            legend.setdefault(label, handle)
    fig.legend(list(legend.values()), list(legend), loc="lower center", ncol=min(len(legend), 6), fontsize=8,
               frameon=False)
    if suptitle:  # wrapped to the figure's width (one panel is narrow)
        fig.suptitle(textwrap.fill(suptitle, width=45 * cols), fontsize=10)
    fig.tight_layout(rect=(0, 0.08 if rows == 1 else 0.04, 1, 1))
    return _save(fig, path)


def _draw_correlation_vs_size(ax, summary: Mapping[str, Mapping[str, Mapping[str, Sequence[float]]]],
                              metric: str, style: Mapping[str, int] | None = None) -> None:
    """The lines, bands and axes of a correlation-vs-size plot, drawn on ``ax`` (no title or legend); ``style``
    gives each name its colour and marker number (default: its place in ``summary``)."""
    from matplotlib.ticker import FixedLocator, NullLocator

    palette = _plt().get_cmap("tab20").colors  # 20 distinct colours: dark shades first, then light ones
    markers = "os^vD<>ph*"
    for j, (name, per_size) in enumerate(summary.items()):
        i = style[name] if style is not None else j
        sizes = sorted(int(s) for s in per_size)
        if not sizes:
            continue
        color = palette[(2 * i) % 20 + (2 * i // 20) % 2]
        if sizes[0] == 0:
            m, h = mean_ci(per_size["0"][metric])
            ax.axhline(m, color=color, linestyle="--", linewidth=1.2, label=f"{name} (no labels)")
            ax.axhspan(m - h, m + h, color=color, alpha=0.12, linewidth=0)
            continue
        stats = [mean_ci(per_size[str(s)][metric]) for s in sizes]
        mean = np.array([m for m, _ in stats])
        half = np.array([h for _, h in stats])
        (line,) = ax.plot(sizes, mean, marker=markers[i % len(markers)], ms=3, color=color, label=name)
        ax.fill_between(sizes, mean - half, mean + half, color=line.get_color(), alpha=0.18, linewidth=0)
    ax.set_xscale("log")
    shown = sorted({int(s) for per_size in summary.values() for s in per_size if int(s) > 0})
    ax.xaxis.set_major_locator(FixedLocator(shown))  # the sizes evaluated, whatever they are, and only those
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xticklabels([f"{s:,}" for s in shown], fontsize=8, rotation=45 if len(shown) > 8 else 0)
    ax.set_xlabel("training architectures")
    ax.set_ylabel(metric.replace("_", " "))
    ax.grid(alpha=0.3)


def plot_heatmap(values: Mapping[str, Mapping[str, float]], path: str | os.PathLike, *, title: str = "",
                 fmt: str = "{:.2f}", cmap: str = "viridis", center: float | None = None) -> Path:
    """Rows x columns heatmap (e.g. predictors x benchmarks) with the value written in each cell.

    ``center``: a diverging colour map symmetric around this value (correlations: 0, so that sign reads as hue).
    """
    plt = _plt()
    rows = list(values)
    cols = list(dict.fromkeys(c for r in values.values() for c in r))
    grid = np.array([[values[r].get(c, np.nan) for c in cols] for r in rows], dtype=np.float64)
    fig, ax = plt.subplots(figsize=(1.3 + 1.25 * len(cols), 0.9 + 0.42 * len(rows)))
    finite = grid[np.isfinite(grid)]
    limits = {}
    if center is not None:
        reach = float(np.abs(finite - center).max()) if finite.size else 1.0
        limits = {"vmin": center - (reach or 1.0), "vmax": center + (reach or 1.0)}
    im = ax.imshow(np.ma.masked_invalid(grid), cmap=cmap, aspect="auto", **limits)
    ax.set_xticks(range(len(cols)), cols, rotation=30, ha="right", fontsize=8)
    ax.set_yticks(range(len(rows)), rows, fontsize=8)
    mid = (finite.min() + finite.max()) / 2 if finite.size else 0
    for i in range(len(rows)):
        for j in range(len(cols)):
            if np.isfinite(grid[i, j]):
                if center is not None:  # dark text on the pale middle, white on the saturated ends
                    dark = abs(grid[i, j] - center) > 0.6 * (limits["vmax"] - center)
                else:
                    dark = grid[i, j] < mid
                ax.text(j, i, fmt.format(grid[i, j]), ha="center", va="center", fontsize=7,
                        color="white" if dark else "black")
    fig.colorbar(im, ax=ax, fraction=0.04)
    if title:
        ax.set_title(title, fontsize=10)
    return _save(fig, path)
