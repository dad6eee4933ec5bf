"""Critical-difference diagrams (Demsar 2006): mean ranks on an axis, bars joining algorithms not found different.

One benchmark: blocks are seeds and the cliques come from the pairwise Wilcoxon signed-rank tests with
Holm correction (as in Ismail Fawaz et al. 2019); several benchmarks: blocks are benchmarks and the
cliques come from the Friedman test with the Nemenyi critical difference. The cliques are the maximal
groups with no separated pair inside (:func:`~nasbench_lab.analysis.stats.cliques`); a group that is not
contiguous in mean rank is drawn as a thin line with a dot at each member, so it never suggests that an
algorithm between its members is tied with them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from nasbench_lab.analysis.stats import cliques, friedman_nemenyi, not_separated, pairwise_wilcoxon, rank_matrix


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

    @property
    def blocks_text(self) -> str:
        """What the ranks are taken over, in a reader's words: "20 runs per algorithm" or "3 benchmarks"."""
        return f"{self.blocks} benchmarks" if self.critical_difference is not None else \
            f"{self.blocks} runs per algorithm"

    def contiguous(self, group: Sequence[str]) -> bool:
        """Whether ``group``'s members are neighbours in mean rank (no other algorithm ranked between them)."""
        rank = dict(zip(self.names, self.mean_ranks))
        lo, hi = min(rank[n] for n in group), max(rank[n] for n in group)
        return not any(lo <= r <= hi for n, r in rank.items() if n not in group)


def cd_from_seeds(finals: Mapping[str, np.ndarray], higher_is_better: bool = True, alpha: float = 0.05,
                  pairwise: Sequence[Mapping] | None = None) -> CriticalDifference:
    """Mean ranks over seeds; cliques: no pair inside with Wilcoxon-Holm p_holm < ``alpha``.

    ``pairwise``: the rows of :func:`pairwise_wilcoxon` when already computed (stats.json's).
    """
    names = list(finals)
    values = np.stack([np.asarray(finals[n], dtype=np.float64) for n in names], axis=1)
    ranks = rank_matrix(values, higher_is_better)
    rows = pairwise if pairwise is not None else pairwise_wilcoxon(finals)
    different = _all_pairs(names) - not_separated(rows, alpha)
    mean = ranks.mean(axis=0)
    fr = friedman_nemenyi(ranks, alpha)
    return CriticalDifference(names, mean.tolist(), "Wilcoxon signed-rank, Holm", alpha, len(values),
                              cliques(names, mean, different), fr["friedman_p"])


def cd_from_stats(stats: Mapping) -> CriticalDifference:
    """The diagram of a stats.json (its ``critical_difference`` and ``pairwise_wilcoxon_holm``), cliques rebuilt
    from the stored Holm-corrected p-values: what a reader can check against the pairwise rows."""
    stored = dict(stats["critical_difference"])
    different = _all_pairs(stored["names"]) - not_separated(stats.get("pairwise_wilcoxon_holm") or [],
                                                            stored["alpha"])
    stored["cliques"] = cliques(stored["names"], stored["mean_ranks"], different)
    return CriticalDifference(**stored)


def _all_pairs(names: Sequence[str]) -> set[frozenset[str]]:
    return {frozenset((a, b)) for i, a in enumerate(names) for b in names[i + 1:]}


def cd_caption(cd: CriticalDifference) -> str:
    """The figure caption: what the ranks are over, the test behind the bars, and how a non-contiguous group
    is drawn (said only when there is one)."""
    test = ("the paired Wilcoxon signed-rank test (Holm-corrected)" if cd.critical_difference is None else
            f"the Nemenyi test (mean ranks within the critical difference {cd.critical_difference:.2f})")
    text = (f"Critical-difference diagram: mean rank (1 = best) over {cd.blocks_text}; each bar joins a largest "
            f"group of algorithms in which no pair is separated by {test} at alpha = {cd.alpha}.")
    if any(not cd.contiguous(g) for g in cd.cliques):
        text += (" A thin bar with dots is a group that is not contiguous in rank: only the dotted algorithms "
                 "belong to it; those ranked between them are separated from at least one member.")
    return text


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
    """The diagram: a rank axis (1 = best, on the left), each algorithm's display name joined to its mean rank,
    one bar per clique (gid ``clique:a|b|...``, study labels) and, for Nemenyi, the CD interval.

    A clique contiguous in rank is a thick bar; any other is a thin line with a dot at each member's rank
    (gid ``members:a|b|...``), so no algorithm between its members looks tied with them.
    """
    from nasbench_lab.analysis.plots import new_figure
    from nasbench_lab.results.names import algorithm_display_name

    k = len(cd.names)
    order = list(np.argsort(np.asarray(cd.mean_ranks), kind="stable"))
    half = (k + 1) // 2
    rows = max(half, k - half)
    step = 0.18  # vertical gap between clique bars
    top = max(0.6, 0.35 + step * len(cd.cliques))  # the first name line, below the clique bars
    bottom = top + 0.55 * rows
    height = 0.9 + 0.45 * (bottom + 1.3)
    fig = new_figure((7.2, height))
    ax = fig.add_axes((0.25, 0.02, 0.5, 1 - 0.8 / height))
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
        depth = -(top + (slot if left else k - 1 - slot) * 0.55)
        end = 0.6 if left else k + 0.4
        ax.plot([rank, rank, end], [0, depth, depth], color="black", linewidth=0.8, gid=f"name:{name}")
        ax.text(end - 0.05 if left else end + 0.05, depth, f"{algorithm_display_name(name)} ({rank:.2f})",
                ha="right" if left else "left", va="center", fontsize=8)
    for j, group in enumerate(cd.cliques):
        ranks = [cd.mean_ranks[cd.names.index(n)] for n in group]
        y = -0.25 - step * j
        gid = "|".join(group)
        if cd.contiguous(group):
            ax.plot([min(ranks) - 0.03, max(ranks) + 0.03], [y, y], color="black", linewidth=3,
                    solid_capstyle="butt", gid="clique:" + gid)
        else:
            ax.plot([min(ranks), max(ranks)], [y, y], color="black", linewidth=0.8, gid="clique:" + gid)
            ax.plot(ranks, [y] * len(ranks), linestyle="none", marker="o", markersize=5, color="black",
                    gid="members:" + gid)
    if cd.critical_difference is not None:
        ax.plot([1, 1 + cd.critical_difference], [1.05, 1.05], color="tab:red", linewidth=2, gid="cd_interval")
        ax.text(1 + cd.critical_difference / 2, 1.12, f"CD = {cd.critical_difference:.2f}", ha="center",
                va="bottom", fontsize=8, color="tab:red")
    heading = f"{title}\n" if title else ""
    fig.suptitle(f"{heading}{cd.method}, alpha = {cd.alpha}, {cd.blocks_text}; bars: no pair inside separated",
                 fontsize=8, y=0.99)
    return fig
