"""Critical-difference diagrams (Demsar 2006): mean ranks on an axis, bars joining algorithms not found different.

One benchmark: blocks are seeds and the cliques come from the pairwise Wilcoxon signed-rank tests with
Holm correction (as in Ismail Fawaz et al. 2019); several benchmarks: blocks are benchmarks and the
cliques come from the Friedman test with the Nemenyi critical difference.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from nasbench_lab.analysis.stats import cliques, friedman_nemenyi, pairwise_wilcoxon, rank_matrix


@dataclass
class CriticalDifference:
    """What a CD diagram shows: mean ranks, the test behind the cliques, and the cliques themselves."""

    names: list[str]
    mean_ranks: list[float]
    method: str
    alpha: float
    blocks: int
    cliques: list[list[str]]
    friedman_p: float
    critical_difference: float | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def cd_from_seeds(finals: Mapping[str, np.ndarray], higher_is_better: bool = True, alpha: float = 0.05,
                  pairwise: Sequence[Mapping] | None = None) -> CriticalDifference:
    """Mean ranks over seeds; cliques: no pair inside with Wilcoxon-Holm p_holm < ``alpha``.

    ``pairwise``: the rows of :func:`pairwise_wilcoxon` when already computed (stats.json's).
    """
    names = list(finals)
    values = np.stack([np.asarray(finals[n], dtype=np.float64) for n in names], axis=1)
    ranks = rank_matrix(values, higher_is_better)
    rows = pairwise if pairwise is not None else pairwise_wilcoxon(finals)
    different = {frozenset((r["a"], r["b"])) for r in rows if r["p_holm"] < alpha}
    mean = ranks.mean(axis=0)
    fr = friedman_nemenyi(ranks, alpha)
    return CriticalDifference(names, mean.tolist(), "Wilcoxon signed-rank, Holm", alpha, len(values),
                              cliques(names, mean, different), fr["friedman_p"])


def cd_from_blocks(values: np.ndarray, names: list[str], higher_is_better: bool = True,
                   alpha: float = 0.05) -> CriticalDifference:
    """Mean ranks over blocks (rows of ``values``: benchmarks); cliques: rank gap within the Nemenyi CD."""
    ranks = rank_matrix(values, higher_is_better)
    mean = ranks.mean(axis=0)
    fr = friedman_nemenyi(ranks, alpha)
    cd = fr["critical_difference"]
    different = {frozenset((names[i], names[j])) for i in range(len(names)) for j in range(i + 1, len(names))
                 if abs(mean[i] - mean[j]) > cd}
    return CriticalDifference(list(names), mean.tolist(), "Friedman + Nemenyi", alpha, len(values),
                              cliques(names, mean, different), fr["friedman_p"], cd)


def draw_cd(cd: CriticalDifference, title: str = ""):
    """The diagram: a rank axis (1 = best, on the left), each algorithm's name joined to its mean rank, one
    thick bar per clique (gid ``clique:a|b|...``) and, for Nemenyi, the CD interval."""
    from nasbench_lab.analysis.plots import new_figure

    k = len(cd.names)
    order = list(np.argsort(np.asarray(cd.mean_ranks), kind="stable"))
    half = (k + 1) // 2
    rows = max(half, k - half)
    bottom = 0.6 + 0.55 * rows + 0.13 * len(cd.cliques)  # the lowest name line, and room for the clique bars
    height = 0.9 + 0.45 * (bottom + 1.3)
    fig = new_figure((6.4, height))
    ax = fig.add_axes((0.2, 0.02, 0.6, 1 - 0.8 / height))
    ax.set_xlim(0.3, k + 0.7)
    ax.set_ylim(-bottom, 1.3)
    ax.axis("off")
    ax.hlines(0, 1, k, color="black", linewidth=1)
    for r in range(1, k + 1):
        ax.vlines(r, 0, 0.18, color="black", linewidth=1)
        ax.text(r, 0.3, str(r), ha="center", va="bottom", fontsize=8)
    ax.text((1 + k) / 2, 0.85, "mean rank (1 = best)", ha="center", va="bottom", fontsize=8)
    for slot, idx in enumerate(order):
        rank, name = cd.mean_ranks[idx], cd.names[idx]
        left = slot < half
        depth = -(0.6 + (slot if left else k - 1 - slot) * 0.55)
        end = 0.6 if left else k + 0.4
        ax.plot([rank, rank, end], [0, depth, depth], color="black", linewidth=0.8, gid=f"name:{name}")
        ax.text(end - 0.05 if left else end + 0.05, depth, f"{name} ({rank:.2f})", ha="right" if left else "left",
                va="center", fontsize=8)
    for j, group in enumerate(cd.cliques):
        ranks = [cd.mean_ranks[cd.names.index(n)] for n in group]
        y = -0.25 - 0.13 * j
        ax.plot([min(ranks) - 0.03, max(ranks) + 0.03], [y, y], color="black", linewidth=3, solid_capstyle="butt",
                gid="clique:" + "|".join(group))
    if cd.critical_difference is not None:
        ax.plot([1, 1 + cd.critical_difference], [1.05, 1.05], color="tab:red", linewidth=2, gid="cd_interval")
        ax.text(1 + cd.critical_difference / 2, 1.12, f"CD = {cd.critical_difference:.2f}", ha="center",
                va="bottom", fontsize=8, color="tab:red")
    fig.suptitle(f"{title}\n{cd.method}, alpha = {cd.alpha}, {cd.blocks} blocks; bars: not significantly different",
                 fontsize=8, y=0.99)
    return fig
