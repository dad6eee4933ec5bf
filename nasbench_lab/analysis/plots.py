"""Result figures (matplotlib, no pyplot state): anytime curves with bootstrap bands, final values, rank over budget.

Each ``draw_*`` is pure (data in, Figure out; tests read its artists by gid); ``save_figure`` writes it, the
format following the file suffix (PNG at ``PNG_DPI``). Every algorithm keeps one style across figures: a
colour-blind-safe colour, a line style and a marker (``algorithm_styles``), so lines stay apart in grayscale.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from nasbench_lab.analysis.aggregate import Curve, bootstrap_ci
from nasbench_lab.errors import ConfigError
from nasbench_lab.results.names import algorithm_display_name

FORMATS = ("png", "pdf", "svg")
#: what a study report writes unless told otherwise: PNG to look at, PDF (vector) for a paper
DEFAULT_FORMATS = ("png", "pdf")
#: resolution of saved PNGs (print quality)
PNG_DPI = 300
#: smallest value shown on a log y axis
LOG_FLOOR = 1e-3
#: the baseline always drawn (black, dashed, with its band)
BASELINE = ("rs", "random_search")
#: with more algorithms than this, only the baseline and the best HIGHLIGHT (by final mean) get bands
CROWDED = 5
HIGHLIGHT = 3
#: Okabe-Ito colours without black (the baseline's) and yellow (unreadable on white), then Tol's wine and olive
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#882255", "#999933")
#: five line styles against eight colours: no two of the first 40 algorithms share both
LINESTYLES = ("-", "-.", ":", (0, (6, 2)), (0, (3, 1, 1, 1, 1, 1)))
#: the baseline has its own: an open circle
MARKERS = ("s", "^", "D", "v", "P", "X", "*", "<", ">", "h", "p", "d")
#: an axis zoomed to the curves' later part is kept only if showing the first queries would take more than this
#: multiple of its span (below it, the whole range is shown and nothing is cut)
CUT_FACTOR = 2.5


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


#: no timestamps or software versions in saved files, so that reruns write the same bytes
_METADATA = {".png": {"Software": None}, ".pdf": {"CreationDate": None, "Producer": None, "Creator": None},
             ".svg": {"Date": None, "Creator": None}}


def save_figure(fig, path: str | os.PathLike) -> Path:
    """Saves ``fig`` in the format of the suffix of ``path`` (png at ``PNG_DPI``, pdf or svg as vectors)."""
    path = check_format(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=PNG_DPI, metadata=_METADATA[path.suffix])
    return path


def algorithm_styles(names: Sequence[str]) -> dict[str, dict]:
    """Line style of each algorithm in ``names`` order: random search black and dashed, the others a palette
    colour, a line style and a marker, no two sharing both colour and line style (unique up to 40 algorithms)."""
    out: dict[str, dict] = {}
    i = 0
    for name in names:
        if name in BASELINE:
            out[name] = {"color": "black", "linestyle": "--", "marker": "o", "markerfacecolor": "white"}
            continue
        out[name] = {"color": PALETTE[i % len(PALETTE)], "linestyle": LINESTYLES[i % len(LINESTYLES)],
                     "marker": MARKERS[i % len(MARKERS)]}
        i += 1
    return out


def display_label(name: str, marks: Mapping[str, str] | None = None) -> str:
    """Legend and tick text of an algorithm: its display name and its mark (e.g. the short-run mark)."""
    return f"{algorithm_display_name(name)}{(marks or {}).get(name, '')}"


def band_rule(n_algorithms: int) -> str:
    """The caption sentence that says which curves carry a band (the rule ``draw_curves`` applies)."""
    if n_algorithms > CROWDED:
        return (f"Shaded: 95% bootstrap band of the mean over runs, drawn for random search and the {HIGHLIGHT} "
                f"algorithms with the best final mean only (with more than {CROWDED} algorithms the others' bands "
                "would hide each other).")
    return "Shaded: 95% bootstrap band of the mean over runs."


def spans_decades(values: np.ndarray) -> bool:
    """Whether the positive finite values span more than a factor of ten (then a log axis is readable)."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v) & (v > 0)]
    return len(v) > 1 and v.max() > 10 * max(v.min(), LOG_FLOOR)


def _minor_log_label(value: float, _pos: int) -> str:
    """Minor log-axis ticks labelled at 2, 3 and 5 times a power of ten only (the rest would overlap)."""
    lead = value / 10 ** np.floor(np.log10(value)) if value > 0 else 0.0
    return f"{value:g}" if any(abs(lead - d) < 1e-6 for d in (2, 3, 5)) else ""


def _label_log_x(ax) -> None:
    """Plain numbers on a log x axis (``2000``, ``10000``), minor ticks labelled only where the span leaves room:
    2, 3 and 5 times a power of ten under one decade, 2 and 5 under two, none beyond (they would overlap)."""
    from matplotlib.ticker import FormatStrFormatter, FuncFormatter, NullFormatter

    lo, hi = sorted(ax.get_xlim())
    span = np.log10(hi / lo) if lo > 0 else np.inf
    leads = (2, 3, 5) if span < 1 else (2, 5) if span < 2 else ()

    def minor(value: float, _pos: int) -> str:
        lead = value / 10 ** np.floor(np.log10(value)) if value > 0 else 0.0
        return f"{value:g}" if any(abs(lead - d) < 1e-6 for d in leads) else ""

    ax.xaxis.set_major_formatter(FormatStrFormatter("%g"))
    ax.xaxis.set_minor_formatter(FuncFormatter(minor) if leads else NullFormatter())


def _first_finite(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(finite[0]) if len(finite) else float("nan")


def _markevery(n_points: int, index: int, count: int) -> tuple[int, int]:
    """About 8 markers per line, staggered between lines so that they do not sit on top of each other."""
    step = max(n_points // 8, 1)
    return (index * step // max(count, 1)) % step, step


#: legend labels longer than this many characters are wrapped: the legend sits in a fixed right margin, and a
#: longer line ("Multi-objective regularized evolution") would run past the figure's edge
LEGEND_WRAP = 28


def _legend_label(label: str) -> str:
    """``label`` wrapped at ``LEGEND_WRAP`` characters, unless its caller already broke it into lines."""
    import textwrap

    return label if "\n" in label else textwrap.fill(label, LEGEND_WRAP)


def legend_outside(ax, handles=None, **kw):
    """Legend right of the axes, outside the data; long labels wrapped so that it stays inside the figure."""
    handles = list(handles) if handles is not None else ax.get_legend_handles_labels()[0]
    labels = [_legend_label(str(h.get_label())) for h in handles]
    return ax.legend(handles, labels, fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0,
                     frameon=False, **kw)


def draw_curves(curves: Mapping[str, Curve], *, rng: np.random.Generator, title: str = "", log_x: bool = False,
                log_y: bool | None = None, n_boot: int = 1000, zoom: bool = False, lower_is_better: bool = False,
                marks: Mapping[str, str] | None = None):
    """Each algorithm's mean curve over runs, with 95% bootstrap bands where they stay readable.

    A curve is drawn only where every run has a result (no survivor bias early in time plots).
    ``log_y`` None: log only when the means span more than a decade (values floored at ``LOG_FLOOR``).
    Bands: all of them up to ``CROWDED`` algorithms, else random search's and the ``HIGHLIGHT`` best by final
    mean (``band_rule`` says so for the caption). The legend, outside the axes, lists the display names best
    first. ``zoom`` fits the y axis to the curves after their first tenth when showing every mean from the
    first query would take more than ``CUT_FACTOR`` times that span; a note (gid ``cut_note``) then says where
    the axis is cut and where the curves start.
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
    order += [n for n in curves if n not in order]
    banded = set(curves) if len(curves) <= CROWDED else set(order[:HIGHLIGHT]) | (set(BASELINE) & set(curves))
    runs = {n: c.values.shape[0] for n, c in curves.items()}
    same_n = len(set(runs.values())) == 1
    styles = algorithm_styles(list(curves))
    fig = new_figure((7.4, 4.2))
    fig.subplots_adjust(left=0.1, right=0.71, bottom=0.13, top=0.92)
    ax = fig.add_subplot()
    late: list[np.ndarray] = []  # what a zoomed axis must show: the means and bands after the first tenth
    means: list[np.ndarray] = []
    handles = {}
    for i, (name, curve) in enumerate(curves.items()):
        mean, lo, hi = stats[name]
        if log_y:
            mean, lo, hi = (np.maximum(a, LOG_FLOOR) for a in (mean, lo, hi))
        strong = name in banded
        label = display_label(name, marks) + ("" if same_n else f" (n={runs[name]})")
        (handles[name],) = ax.plot(curve.x, mean, label=label, linewidth=1.7 if strong else 1.1, markersize=4,
                                   markevery=_markevery(len(mean), i, len(curves)), gid=f"curve:{name}",
                                   zorder=5 if name in BASELINE else 3 if strong else 2, **styles[name])
        skip = len(mean) // 10
        if strong:
            ax.fill_between(curve.x, lo, hi, color=styles[name]["color"], alpha=0.12 if name in BASELINE else 0.18,
                            linewidth=0, gid=f"band:{name}")
            late += [lo[skip:], hi[skip:]]
        late.append(mean[skip:])
        means.append(mean)
    if zoom:
        _zoom(ax, late, means, [_first_finite(stats[n][0]) for n in curves], lower_is_better)
    first = next(iter(curves.values()))
    ax.set_xlabel(first.x_label)
    ax.set_ylabel(first.y_label)
    if log_x:
        ax.set_xscale("log")
        _label_log_x(ax)
    if log_y:
        from matplotlib.ticker import FormatStrFormatter, FuncFormatter

        ax.set_yscale("log")  # plain decimals on the ticks: a reader compares 0.3 and 0.6 points, not 3 x 10^-1
        ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
        ax.yaxis.set_minor_formatter(FuncFormatter(_minor_log_label))
    ax.grid(True, alpha=0.3)
    ax.set_title(title, fontsize=9)
    legend_outside(ax, [handles[n] for n in order], title="best final mean first" if len(curves) > 2 else None,
                    title_fontsize=7)
    return fig


def _zoom(ax, late: list[np.ndarray], means: list[np.ndarray], starts: list[float], lower_is_better: bool) -> None:
    """Fits the y axis to ``late`` when showing all ``means`` would take more than ``CUT_FACTOR`` times its span,
    and then writes where it is cut (gid ``cut_note``); else to everything."""
    part = np.concatenate(late) if late else np.zeros(0)
    part = part[np.isfinite(part)]
    whole = np.concatenate([part, *means])
    whole = whole[np.isfinite(whole)]
    if not len(part):
        return
    span = max(part.max() - part.min(), 1e-9)
    if whole.max() - whole.min() <= CUT_FACTOR * span:
        part = whole
        span = max(part.max() - part.min(), 1e-9)
    lo, hi = part.min() - 0.05 * span, part.max() + 0.05 * span
    ax.set_ylim(lo, hi)
    outside = [s for s in starts if np.isfinite(s) and not lo <= s <= hi]
    if outside:
        below = min(outside) < lo
        where = f"y axis cut at {lo if below else hi:.4g}; curves start {'below' if below else 'above'} it " \
                f"(first query: {min(outside):.4g} to {max(outside):.4g})"
        ax.text(0.98, 0.03 if not lower_is_better else 0.97, where, transform=ax.transAxes, ha="right",
                va="bottom" if not lower_is_better else "top", fontsize=7, color="0.25", gid="cut_note",
                bbox={"facecolor": "white", "edgecolor": "0.7", "boxstyle": "round,pad=0.3"}, zorder=6)


def draw_final(finals: Mapping[str, np.ndarray], *, title: str = "", y_label: str = "final test value",
               optimum: float | None = None, random_mean: float | None = None,
               p_vs_rs: Mapping[str, float] | None = None, alpha: float = 0.05, marks: Mapping[str, str] | None = None):
    """Box plot of each algorithm's final value over seeds; mean as a white diamond, reference lines, markers.

    The y axis fits the boxes. Dashed line: the benchmark optimum; dotted: the mean random architecture; a
    reference further than half the boxes' span outside them is written at that edge with an arrow instead
    (gids ``optimum_note``, ``random_mean_note``). ``*`` above a box: better than random search (``p_vs_rs`` <
    ``alpha``). Legend right of the axes.
    """
    marks, p_vs_rs = marks or {}, p_vs_rs or {}
    fig = new_figure((7.4, 4.0))
    fig.subplots_adjust(left=0.1, right=0.71, bottom=0.24, top=0.92)
    ax = fig.add_subplot()
    names = list(finals)
    data = [np.asarray(finals[n], dtype=np.float64) for n in names]
    data = [d[np.isfinite(d)] for d in data]
    ax.boxplot(data, tick_labels=[display_label(n, marks) for n in names], showmeans=True,
               medianprops={"color": "black"},
               meanprops={"marker": "D", "markerfacecolor": "white", "markeredgecolor": "black", "markersize": 5},
               flierprops={"marker": "o", "markersize": 3, "markerfacecolor": "0.5", "markeredgecolor": "0.5"})
    from matplotlib.lines import Line2D

    values = np.concatenate([d for d in data if len(d)]) if any(len(d) for d in data) else np.zeros(1)
    lo, hi = float(values.min()), float(values.max())
    span = max(hi - lo, 1e-9)
    handles = [Line2D([], [], marker="D", color="black", markerfacecolor="white", linestyle="", label="mean")]
    if optimum is not None and optimum <= hi + 0.5 * span:
        hi = max(hi, optimum)
    if random_mean is not None and random_mean >= lo - 0.5 * span:
        lo = min(lo, random_mean)
    span = max(hi - lo, 1e-9)
    starred = [i for i, n in enumerate(names, start=1) if p_vs_rs.get(n) is not None and p_vs_rs[n] < alpha]
    far = {"below": random_mean is not None and random_mean < lo, "above": optimum is not None and optimum > hi}
    top_pad = 0.2 if far["above"] else 0.14 if starred else 0.08
    ylim = (lo - (0.2 if far["below"] else 0.08) * span, hi + top_pad * span)
    ax.set_ylim(*ylim)
    for value, gid, style, color, text in ((optimum, "optimum", "--", "#009E73", "benchmark optimum"),
                                           (random_mean, "random_mean", ":", "0.3", "mean random architecture")):
        if value is None:
            continue
        label = f"{text} ({value:.2f})"
        if ylim[0] <= value <= ylim[1]:
            ax.axhline(value, color=color, linestyle=style, linewidth=1.2, gid=gid)
            handles.append(Line2D([], [], color=color, linestyle=style, label=label))  # type: ignore[arg-type]
            continue
        up = value > ylim[1]  # a note in the band kept free at that edge, its arrow pointing off the axis
        ax.annotate(f"{label}: {'above' if up else 'below'} the axis", xy=(0.99, 1.0 if up else 0.0),
                    xycoords="axes fraction", xytext=(0.99, 0.93 if up else 0.07), textcoords="axes fraction",
                    ha="right", va="center", fontsize=7, color=color, gid=f"{gid}_note",
                    arrowprops={"arrowstyle": "-|>", "color": color, "linewidth": 1.0, "relpos": (1.0, 0.5),
                                "shrinkA": 0, "shrinkB": 0, "connectionstyle": "angle,angleA=0,angleB=90,rad=0"})
    top = max((float(d.max()) for d in data if len(d)), default=0.0)
    for i in starred:
        ax.annotate("*", (i, top), xytext=(0, 2), textcoords="offset points", ha="center", va="bottom",
                    fontsize=12, gid=f"significant:{names[i - 1]}")
    if p_vs_rs:
        handles.append(Line2D([], [], marker="$*$", color="black", linestyle="",
                              label=f"better than random search\n(Mann-Whitney, Holm, p < {alpha})"))
    ax.set_ylabel(y_label)
    ax.tick_params(axis="x", labelsize=8)
    for tick in ax.get_xticklabels():
        tick.set_rotation(35)
        tick.set_horizontalalignment("right")
        tick.set_rotation_mode("anchor")
    ax.set_title(title, fontsize=9)
    ax.grid(True, axis="y", alpha=0.3)
    legend_outside(ax, handles)
    return fig


def draw_rank_vs_budget(curve: Curve, names: list[str], *, title: str = "", marks: Mapping[str, str] | None = None):
    """Mean rank of each algorithm after each query (``curve.values[algorithm, point]``), 1 = best at the top;
    styles as in ``draw_curves``, legend outside ordered by the final rank."""
    styles = algorithm_styles(names)
    fig = new_figure((7.4, 4.0))
    fig.subplots_adjust(left=0.1, right=0.71, bottom=0.13, top=0.92)
    ax = fig.add_subplot()
    handles = {}
    for i, name in enumerate(names):
        (handles[name],) = ax.plot(curve.x, curve.values[i], linewidth=1.5, markersize=4,
                                   markevery=_markevery(len(curve.x), i, len(names)),
                                   label=display_label(name, marks), gid=f"rank:{name}",
                                   zorder=5 if name in BASELINE else 2, **styles[name])
    ax.set_xlabel(curve.x_label)
    ax.set_ylabel(curve.y_label)
    ax.set_ylim(len(names) + 0.5, 0.5)
    ax.grid(True, alpha=0.3)
    ax.set_title(title, fontsize=9)
    final = curve.values[:, -1] if curve.values.size else np.zeros(len(names))
    legend_outside(ax, [handles[names[i]] for i in np.argsort(final, kind="stable")])
    return fig
