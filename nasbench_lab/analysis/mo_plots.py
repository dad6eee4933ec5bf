"""Multi-objective figures (two objectives): the exact front beside each algorithm's median attainment surface, with
constraint lines, and the EAF difference of two algorithms. Same rules as ``plots``: pure ``draw_*`` functions, one
style per algorithm (``algorithm_styles``), legends outside the axes, artists tagged by gid for tests.

Axes: the second objective on x and the first (the searched one, e.g. validation accuracy) on y, as accuracy is
drawn against latency; labels are the metrics' display names with units. A front or surface is drawn as the
staircase bounding what it attains, extended to the axis edges in its worse directions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from nasbench_lab.analysis.plots import algorithm_styles, display_label, legend_outside, new_figure
from nasbench_lab.errors import ConfigError
from nasbench_lab.metrics import metric_info
from nasbench_lab.results.objectives import Constraint

#: colour of the exact front and of constraint lines (Okabe-Ito bluish green is taken by algorithms: black/grey)
FRONT_COLOR = "black"
CONSTRAINT_COLOR = "#D55E00"
#: colour of the exact front over the grey EAF difference shading
FRONT_ON_GREY = "#0072B2"
#: steps of the EAF difference shading (fractions of runs)
EAF_LEVELS = (0.2, 0.4, 0.6, 0.8, 1.0)


def _check_two(names: Sequence[str], higher: Sequence[bool]) -> None:
    if len(names) != 2 or len(higher) != 2:
        raise ConfigError(f"front figures show two objectives, got {len(names)} ({', '.join(names)})")


def _limits(points: Sequence[np.ndarray], higher: Sequence[bool]) -> tuple[tuple[float, float], tuple[float, float]]:
    """Axis limits (x: objective 1, y: objective 0) around every finite point, with a 5% margin."""
    stacked = np.vstack([p for p in points if len(p)]) if any(len(p) for p in points) else np.zeros((1, 2))
    out = []
    for j in (1, 0):
        col = stacked[:, j][np.isfinite(stacked[:, j])]
        lo, hi = (float(col.min()), float(col.max())) if len(col) else (0.0, 1.0)
        pad = 0.05 * _span(lo, hi)
        out.append((lo - pad, hi + pad))
    return out[0], out[1]


def _span(lo: float, hi: float) -> float:
    """The range an axis margin is a share of: ``hi - lo``, or, where every point has the same value, that value's
    size (1 at zero), so a single point gets a readable axis instead of a range of 1e-9 with an offset label."""
    return hi - lo if hi > lo else (abs(hi) or 1.0)


def _widen(lim: tuple[float, float], value: float) -> tuple[float, float]:
    """Axis limits that show ``value`` with 5% of the span beyond it."""
    lo, hi = min(lim[0], value), max(lim[1], value)
    pad = 0.05 * _span(lo, hi)
    return (lo - pad if value <= lim[0] else lo, hi + pad if value >= lim[1] else hi)


def staircase(points: np.ndarray, higher: Sequence[bool], xlim: tuple[float, float],
              ylim: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """The x/y coordinates (x: objective 1, y: objective 0) of the boundary of what ``points`` attain, from the
    worst edge of objective 0 through every point to the worst edge of objective 1."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if not len(pts):
        return np.zeros(0), np.zeros(0)
    x, y = pts[:, 1], pts[:, 0]
    order = np.argsort(-x if higher[1] else x, kind="stable")  # best x first
    x, y = x[order], y[order]
    worst_x = xlim[0] if higher[1] else xlim[1]
    worst_y = ylim[0] if higher[0] else ylim[1]
    xs, ys = [x[0]], [worst_y]
    for i in range(len(x)):
        xs += [x[i], x[i + 1] if i + 1 < len(x) else worst_x]
        ys += [y[i], y[i]]
    return np.asarray(xs), np.asarray(ys)


def _constraint_lines(ax, names: Sequence[str], constraints: Sequence[Constraint], xlim: tuple[float, float],
                      ylim: tuple[float, float]) -> list:
    """A dashed line at each constraint's bound on a plotted objective (gid ``constraint:<text>``), its infeasible
    side lightly shaded (gid ``infeasible:<text>``)."""
    from matplotlib.lines import Line2D

    handles = []
    for c in constraints:
        if c.metric == names[1]:
            ax.axvline(c.bound, color=CONSTRAINT_COLOR, linestyle="--", linewidth=1.2, gid=f"constraint:{c}")
            ax.axvspan(c.bound, xlim[1] if c.op == "<=" else xlim[0], color=CONSTRAINT_COLOR, alpha=0.08,
                       linewidth=0, gid=f"infeasible:{c}")
        elif c.metric == names[0]:
            ax.axhline(c.bound, color=CONSTRAINT_COLOR, linestyle="--", linewidth=1.2, gid=f"constraint:{c}")
            ax.axhspan(c.bound, ylim[1] if c.op == "<=" else ylim[0], color=CONSTRAINT_COLOR, alpha=0.08,
                       linewidth=0, gid=f"infeasible:{c}")
        else:
            continue
        handles.append(Line2D([], [], color=CONSTRAINT_COLOR, linestyle="--", label=f"constraint {c}\n(shaded: "
                              "infeasible)"))
    return handles


def draw_fronts(front: np.ndarray, surfaces: Mapping[str, np.ndarray], names: Sequence[str],
                higher: Sequence[bool], *, constraints: Sequence[Constraint] = (), title: str = "",
                marks: Mapping[str, str] | None = None):
    """The exact front (black, points and staircase, gid ``true_front``) and each algorithm's attainment surface
    (gid ``surface:<name>``; an algorithm none of whose runs attains anything is listed, not drawn), plus a
    dashed line at each constraint on a plotted objective. ``front`` and the surfaces are ``(k, 2)`` points in
    the objectives' own units, columns in ``names`` order."""
    from matplotlib.lines import Line2D

    _check_two(names, higher)
    xlim, ylim = _limits([np.asarray(front), *map(np.asarray, surfaces.values())], higher)
    for c in constraints:  # a constraint line stays in view, with a margin of its infeasible side
        if c.metric == names[1]:
            xlim = _widen(xlim, c.bound)
        elif c.metric == names[0]:
            ylim = _widen(ylim, c.bound)
    styles = algorithm_styles(list(surfaces))
    fig = new_figure((7.4, 4.6))
    fig.subplots_adjust(left=0.11, right=0.68, bottom=0.12, top=0.92)
    ax = fig.add_subplot()
    xs, ys = staircase(front, higher, xlim, ylim)
    ax.plot(xs, ys, color=FRONT_COLOR, linewidth=1.0, zorder=6, gid="true_front")
    pts = np.asarray(front).reshape(-1, 2)
    ax.plot(pts[:, 1], pts[:, 0], linestyle="none", marker="o", markersize=3, color=FRONT_COLOR, zorder=6,
            gid="true_front_points")
    plural = "s" if len(pts) != 1 else ""
    handles = [Line2D([], [], color=FRONT_COLOR, marker="o", markersize=3,
                      label=f"exact front ({len(pts)} point{plural})")]
    for name, surface in surfaces.items():
        style = dict(styles[name])
        label = display_label(name, marks)
        if not len(surface):
            handles.append(Line2D([], [], color=style["color"], linestyle="none", label=f"{label}: attains nothing"))
            continue
        xs, ys = staircase(surface, higher, xlim, ylim)
        marker = style.pop("marker")
        (line,) = ax.plot(xs, ys, linewidth=1.5, zorder=4, label=label, gid=f"surface:{name}", **style)
        ax.plot(surface[:, 1], surface[:, 0], linestyle="none", marker=marker, markersize=4, zorder=5,
                color=style["color"], markerfacecolor=style.get("markerfacecolor", style["color"]))
        handles.append(Line2D([], [], marker=marker, markersize=4, label=label, **style))
    handles += _constraint_lines(ax, names, constraints, xlim, ylim)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel(metric_info(names[1]).axis_label())
    ax.set_ylabel(metric_info(names[0]).axis_label())
    ax.grid(True, alpha=0.3)
    ax.set_title(title, fontsize=9)
    legend_outside(ax, handles)
    return fig


def _clip(rect: np.ndarray, xlim: tuple[float, float], ylim: tuple[float, float]) -> np.ndarray:
    """Rectangles ``(y1, x1, y2, x2)`` (objective 0 then 1, as ``eaf_difference`` gives them) clipped to the axes,
    as ``(x_lo, y_lo, x_hi, y_hi)``."""
    x = np.clip(rect[:, [1, 3]], *xlim)
    y = np.clip(rect[:, [0, 2]], *ylim)
    return np.column_stack([x.min(axis=1), y.min(axis=1), x.max(axis=1), y.max(axis=1)])


def draw_eaf_difference(rect: np.ndarray, a: str, b: str, names: Sequence[str], higher: Sequence[bool], *,
                        front: np.ndarray | None = None, n_runs: int | None = None, title: str = ""):
    """The EAF difference of algorithms ``a`` and ``b`` in two panels (left: where ``a`` attains more often, right:
    where ``b`` does), shaded by the difference in the fraction of runs (greys, ``EAF_LEVELS``; gids
    ``eaf:<name>``), with the exact front for orientation. ``rect``: rows ``(x1, y1, x2, y2, d)`` of
    :func:`~nasbench_lab.analysis.pareto.eaf_difference` (objective 0 then 1; ``d > 0`` in favour of ``a``)."""
    from matplotlib.cm import ScalarMappable
    from matplotlib.collections import PatchCollection
    from matplotlib.colors import BoundaryNorm, ListedColormap
    from matplotlib.patches import Rectangle
    from matplotlib.ticker import MaxNLocator

    _check_two(names, higher)
    rect = np.asarray(rect, dtype=np.float64).reshape(-1, 5)
    finite = [rect[:, [0, 1]], rect[:, [2, 3]]]
    xlim, ylim = _limits([p[np.isfinite(p).all(axis=1)] for p in finite] +
                         ([np.asarray(front)] if front is not None else []), higher)
    greys = ListedColormap([str(0.85 - 0.75 * i / (len(EAF_LEVELS) - 1)) for i in range(len(EAF_LEVELS))])
    norm = BoundaryNorm([0.0, *EAF_LEVELS], greys.N)
    fig = new_figure((9.0, 4.2))
    fig.subplots_adjust(left=0.11, right=0.88, bottom=0.13, top=0.86, wspace=0.08)
    axes = [fig.add_subplot(1, 2, 1), None]
    axes[1] = fig.add_subplot(1, 2, 2, sharey=axes[0])
    for ax, name, sign in ((axes[0], a, 1.0), (axes[1], b, -1.0)):
        part = rect[sign * rect[:, 4] > 0]
        boxes = _clip(part, xlim, ylim)
        patches = [Rectangle((x0, y0), x1 - x0, y1 - y0) for x0, y0, x1, y1 in boxes]
        coll = PatchCollection(patches, cmap=greys, norm=norm, linewidth=0, gid=f"eaf:{name}")
        coll.set_array(np.abs(part[:, 4]))
        ax.add_collection(coll)
        if front is not None:
            xs, ys = staircase(front, higher, xlim, ylim)
            ax.plot(xs, ys, color=FRONT_ON_GREY, linewidth=1.0, gid="true_front")
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
        ax.ticklabel_format(useOffset=False)
        ax.xaxis.set_major_locator(MaxNLocator(4))  # two narrow panels: a few plain ticks that never overlap
        ax.set_xlabel(metric_info(names[1]).axis_label())
        ax.grid(True, alpha=0.3)
        if not len(part):
            ax.text(0.5, 0.5, "attained nowhere more often" if len(rect) else "no difference: the two attainment\n"
                    "functions are identical", transform=ax.transAxes, ha="center", va="center", fontsize=8,
                    gid="eaf:none")
        runs = f" ({n_runs} run{'s' if n_runs != 1 else ''} each)" if n_runs else ""
        ax.set_title(f"where {display_label(name)} attains more often{runs}", fontsize=8)
    axes[0].set_ylabel(metric_info(names[0]).axis_label())
    axes[1].tick_params(labelleft=False)
    cax = fig.add_axes((0.9, 0.13, 0.02, 0.73))
    bar = fig.colorbar(ScalarMappable(norm=norm, cmap=greys), cax=cax)
    bar.set_label("difference in the fraction of runs attaining", fontsize=7)
    fig.suptitle(title, fontsize=9)
    return fig
