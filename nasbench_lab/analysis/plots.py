"""Result figures (matplotlib, no pyplot state): anytime curves with bootstrap bands, final values, rank over budget.

Each ``draw_*`` returns a Figure (tests read its content); ``plot_*`` draws and saves it, the format
following the file suffix.
"""

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
#: the baseline always drawn (black, with its band)
BASELINE = ("rs", "random_search")
#: with more algorithms than this, only the baseline and the best HIGHLIGHT get bands and thick lines
CROWDED = 5
HIGHLIGHT = 3


def new_figure(size: tuple[float, float]):
    """A Figure on an Agg canvas with fixed margins (layout engines are slow)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size)
    FigureCanvasAgg(fig)
    return fig


def check_format(path: str | os.PathLike) -> Path:
    """``path`` if its suffix is a supported figure format, else a ConfigError naming the accepted ones."""
    path = Path(path)
    if path.suffix.lstrip(".") not in FORMATS:
        raise ConfigError(f"plot format {path.suffix!r} not supported; accepted: {', '.join(FORMATS)}")
    return path


def save_figure(fig, path: str | os.PathLike) -> Path:
    """Saves ``fig`` in the format of the suffix of ``path`` (png, pdf or svg)."""
    path = check_format(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=130, metadata={"Software": None} if path.suffix == ".png" else None)
    return path


def spans_decades(values: np.ndarray) -> bool:
    """Whether the positive finite values span more than a factor of ten (then a log axis is readable)."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v) & (v > 0)]
    return len(v) > 1 and v.max() > 10 * max(v.min(), LOG_FLOOR)


def _minor_log_label(value: float, _pos: int) -> str:
    """Minor log-axis ticks labelled at 2, 3 and 5 times a power of ten only (the rest would overlap)."""
    lead = value / 10 ** np.floor(np.log10(value)) if value > 0 else 0.0
    return f"{value:g}" if any(abs(lead - d) < 1e-6 for d in (2, 3, 5)) else ""


def draw_curves(curves: Mapping[str, Curve], *, rng: np.random.Generator, title: str = "", log_x: bool = False,
                log_y: bool | None = None, n_boot: int = 1000, zoom: bool = False, lower_is_better: bool = False,
                marks: Mapping[str, str] | None = None):
    """Each algorithm's mean curve over runs with its 95% bootstrap band.

    A curve is drawn only where every run has a result (no survivor bias early in time plots).
    ``log_y`` None: log only when the means span more than a decade (values floored at ``LOG_FLOOR``).
    With more than ``CROWDED`` algorithms, random search and the ``HIGHLIGHT`` best at the end are
    drawn thick with bands and the rest thin. ``zoom`` fits the y axis to the curves after their
    first tenth. ``marks`` are appended to legend names (e.g. the short-run mark).
    """
    marks = marks or {}
    stats = {}
    for name, curve in curves.items():
        values = np.where(np.isnan(curve.values).any(axis=0), np.nan, curve.values)
        stats[name] = bootstrap_ci(values, rng, n_boot=n_boot)
    if log_y is None:
        log_y = spans_decades(np.concatenate([m for m, _, _ in stats.values()]))
    last = {n: m[np.isfinite(m)][-1] if np.isfinite(m).any() else np.nan for n, (m, _, _) in stats.items()}
    order = sorted((n for n in curves if np.isfinite(last[n])), key=lambda n: last[n] * (1 if lower_is_better else -1))
    crowded = len(curves) > CROWDED
    strong = set(order[:HIGHLIGHT]) | set(BASELINE)
    fig = new_figure((6.4, 4.2))
    fig.subplots_adjust(left=0.13, right=0.97, bottom=0.13, top=0.92)
    ax = fig.add_subplot()
    shown: list[np.ndarray] = []
    for i, (name, curve) in enumerate(curves.items()):
        mean, lo, hi = stats[name]
        if log_y:
            mean, lo, hi = (np.maximum(a, LOG_FLOOR) for a in (mean, lo, hi))
        baseline = name in BASELINE
        color = "black" if baseline else f"C{i % 10}"
        bold = not crowded or name in strong
        style = "--" if baseline else ("-" if i < 10 else ":")
        label = f"{name}{marks.get(name, '')} (n={curve.values.shape[0]})"
        ax.plot(curve.x, mean, color=color, label=label, linestyle=style, linewidth=1.8 if bold else 0.9,
                alpha=1.0 if bold else 0.65, gid=f"curve:{name}", zorder=5 if baseline else 2)  # rs on top
        if bold:
            ax.fill_between(curve.x, lo, hi, color=color, alpha=0.15, linewidth=0)
            shown.append(np.concatenate([lo, hi])[np.r_[len(lo) // 10: len(lo), len(lo) + len(lo) // 10:
                                                        2 * len(lo)]])
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
        from matplotlib.ticker import FormatStrFormatter, FuncFormatter

        ax.set_yscale("log")  # plain decimals on the ticks: a reader compares 0.3 and 0.6 points, not 3 x 10^-1
        ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
        ax.yaxis.set_minor_formatter(FuncFormatter(_minor_log_label))
    ax.grid(True, alpha=0.3)
    note = f"; thick: rs and the best {HIGHLIGHT}" if crowded else ""
    ax.set_title(f"{title}{note}", fontsize=9)
    ax.legend(fontsize=7, ncol=2)
    return fig


def draw_final(finals: Mapping[str, np.ndarray], *, title: str = "", y_label: str = "final test value",
               optimum: float | None = None, random_mean: float | None = None,
               p_vs_rs: Mapping[str, float] | None = None, alpha: float = 0.05, marks: Mapping[str, str] | None = None):
    """Box plot of each algorithm's final value over seeds; mean as a white diamond, reference lines, markers.

    Dashed line: the benchmark optimum; dotted: the mean random architecture; ``*`` above a box: better than
    random search (``p_vs_rs`` < ``alpha``).
    """
    marks, p_vs_rs = marks or {}, p_vs_rs or {}
    fig = new_figure((6.4, 4.0))
    fig.subplots_adjust(left=0.13, right=0.97, bottom=0.2, top=0.9)
    ax = fig.add_subplot()
    names = list(finals)
    data = [np.asarray(finals[n], dtype=np.float64) for n in names]
    ax.boxplot([d[np.isfinite(d)] for d in data], tick_labels=[f"{n}{marks.get(n, '')}" for n in names],
               showmeans=True, meanprops={"marker": "D", "markerfacecolor": "white", "markeredgecolor": "black",
                                          "markersize": 5})
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], marker="D", color="black", markerfacecolor="white", linestyle="", label="mean")]
    if optimum is not None:
        ax.axhline(optimum, color="tab:green", linestyle="--", linewidth=1, gid="optimum")
        handles.append(Line2D([], [], color="tab:green", linestyle="--", label=f"benchmark optimum ({optimum:.2f})"))
    if random_mean is not None:
        ax.axhline(random_mean, color="tab:gray", linestyle=":", linewidth=1, gid="random_mean")
        handles.append(Line2D([], [], color="tab:gray", linestyle=":",
                              label=f"mean random architecture ({random_mean:.2f})"))
    top = max((np.nanmax(d) for d in data if np.isfinite(d).any()), default=0.0)
    for i, n in enumerate(names, start=1):
        p = p_vs_rs.get(n)
        if p is not None and p < alpha:
            ax.annotate("*", (i, top), ha="center", va="bottom", fontsize=12, gid=f"significant:{n}")
    if p_vs_rs:
        handles.append(Line2D([], [], marker="$*$", color="black", linestyle="",
                              label=f"better than rs (Mann-Whitney, Holm, p < {alpha})"))
    ax.set_ylabel(y_label)
    ax.tick_params(axis="x", labelrotation=30, labelsize=8)
    ax.set_title(title, fontsize=9)
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(handles=handles, fontsize=7, loc="lower right")
    return fig


def draw_rank_vs_budget(curve: Curve, names: list[str], *, title: str = "", marks: Mapping[str, str] | None = None):
    """Mean rank of each algorithm after each query (``curve.values[algorithm, point]``), 1 = best at the top."""
    marks = marks or {}
    fig = new_figure((6.4, 4.0))
    fig.subplots_adjust(left=0.11, right=0.8, bottom=0.13, top=0.92)
    ax = fig.add_subplot()
    for i, name in enumerate(names):
        baseline = name in BASELINE
        ax.plot(curve.x, curve.values[i], color="black" if baseline else f"C{i % 10}",
                linestyle="--" if baseline else ("-" if i < 10 else ":"), linewidth=1.5,
                label=f"{name}{marks.get(name, '')}", gid=f"rank:{name}", zorder=5 if baseline else 2)
    ax.set_xlabel(curve.x_label)
    ax.set_ylabel(curve.y_label)
    ax.set_ylim(len(names) + 0.5, 0.5)
    ax.grid(True, alpha=0.3)
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig
