"""A minimal table of a multi-objective study: per algorithm, the median final hypervolume regret against the
table's exact front and how many feasible queries its runs made (what ``compare`` prints until a full report of
multi-objective studies replaces this one function)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from nasbench_lab.analysis.pareto import ParetoReference
from nasbench_lab.results.trajectory import Trajectory


def final_hv_regret_table(runs: Mapping[str, Sequence[Trajectory]], reference: ParetoReference,
                          values: Callable[[Trajectory], np.ndarray]) -> str:
    """Markdown rows ``algorithm | runs | median_hv_regret | median_feasible``.

    ``values(trajectory)`` gives the ``(n, m)`` objective values its queries are scored by (the table's seed means,
    as the front is); infeasible queries never count; a run with no feasible query has the front's whole
    hypervolume as regret.
    """
    lines = ["| algorithm | runs | median_hv_regret | median_feasible |", "|---|---|---|---|"]
    for label, trajs in runs.items():
        regrets, feasible = [], []
        for t in trajs:
            ok = np.asarray(t.feasible, dtype=bool)
            regrets.append(reference.hv_regret(np.asarray(values(t))[ok]))
            feasible.append(int(ok.sum()))
        if not trajs:
            continue
        lines.append(f"| {label} | {len(trajs)} | {float(np.median(regrets)):.4g} | "
                     f"{float(np.median(feasible)):g} |")
    return "\n".join(lines)
