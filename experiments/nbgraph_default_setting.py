"""Which NAS-Bench-Graph dataset should `nasbench-lab compare` use when given no arguments?

For every dataset, runs the default algorithm set (`nasbench_lab.cli.cmd_compare.DEFAULT_ALGORITHMS`,
those the benchmark supports) for the largest seed count and budget, then measures on each
(seeds, budget) prefix how many pairs of algorithms the study's own statistics separate: pairwise
Wilcoxon signed-rank with Holm correction (p_holm < 0.05), and one-sided Mann-Whitney against random
search. Smaller budgets are read from the incumbent after that many queries of the longest run (no
optimizer here looks at its budget, so this equals a run with the smaller budget); fewer seeds are
the first seeds. Wall time is that of the real run scaled to the seed count and budget.

Usage: python experiments/nbgraph_default_setting.py [--datasets cora,citeseer,...] [--seeds 10,20]
       [--budgets 50,150] [--jobs 2] [--json OUT]

Default mode: all 9 datasets, 10 and 20 seeds, budgets 50, 100 and 150, 2 processes (43 s on an idle
2-core machine, about 4 minutes at load average 9). Prints a Markdown table (docs/nbgraph.md, "The first run").
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def measure(dataset: str, seeds: list[int], budgets: list[int], jobs: int) -> list[dict]:
    """One study per dataset at the largest setting; statistics for every (seeds, budget) prefix."""
    from nasbench_lab.analysis.stats import holm, mann_whitney_greater, pairwise_wilcoxon
    from nasbench_lab.cli.cmd_compare import default_algorithms
    from nasbench_lab.studies.study import AlgorithmEntry, BenchmarkEntry, Study, StudySpec

    entry = BenchmarkEntry("nbgraph", dataset)
    names = default_algorithms(entry.load())
    spec = StudySpec(benchmarks=(entry,), algorithms=tuple(AlgorithmEntry(n) for n in names),
                     seeds=tuple(range(max(seeds))), budget=max(budgets), name=f"default-{dataset}")
    with tempfile.TemporaryDirectory() as tmp:
        study = Study(spec, Path(tmp) / "out")
        start = time.perf_counter()
        study.execute(jobs=jobs, progress=False)
        wall = time.perf_counter() - start
        runs = next(iter(study.trajectories().values()))
    rows = []
    for n_seeds in seeds:
        for budget in budgets:
            finals = {a: np.array([t.incumbent_test()[min(budget, len(t)) - 1] for t in trajs[:n_seeds]])
                      for a, trajs in runs.items()}
            pairs = pairwise_wilcoxon(finals)
            vs_rs = holm({a: mann_whitney_greater(v, finals["rs"]) for a, v in finals.items() if a != "rs"})
            means = {a: float(v.mean()) for a, v in finals.items()}
            best = max(means, key=means.get)
            rows.append({"dataset": dataset, "seeds": n_seeds, "budget": budget, "algorithms": len(finals),
                         "significant_pairs": sum(p["p_holm"] < 0.05 for p in pairs), "pairs": len(pairs),
                         "better_than_rs_holm": sum(p < 0.05 for p in vs_rs.values()),
                         "best": best, "best_mean": means[best], "spread": max(means.values()) - min(means.values()),
                         "est_wall_s": wall * n_seeds / max(seeds) * budget / max(budgets)})
            print(json.dumps(rows[-1]), file=sys.stderr)
    return rows


def main() -> None:
    from nasbench_lab.loaders.nbgraph import DATASETS

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--datasets", default=",".join(DATASETS))
    ap.add_argument("--seeds", default="10,20", help="seed counts (prefixes of the largest)")
    ap.add_argument("--budgets", default="50,100,150", help="query budgets (prefixes of the largest)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--json", default=None, help="also write the rows as JSON here")
    args = ap.parse_args()
    seeds = sorted(int(s) for s in args.seeds.split(","))
    budgets = sorted(int(b) for b in args.budgets.split(","))
    rows = []
    for dataset in args.datasets.split(","):
        rows += measure(dataset.strip(), seeds, budgets, args.jobs)
    print(f"\nMachine: {os.cpu_count()} CPUs, {args.jobs} processes, load average {os.getloadavg()[0]:.1f}\n")
    print("| dataset | seeds | budget | pairs separated (Wilcoxon-Holm) | better than rs (MW-Holm) | best "
          "| spread of means (pp) | wall (s, est.) |")
    print("|---|---:|---:|---:|---:|---|---:|---:|")
    for r in rows:
        print(f"| {r['dataset']} | {r['seeds']} | {r['budget']} | {r['significant_pairs']} / {r['pairs']} "
              f"| {r['better_than_rs_holm']} / {r['algorithms'] - 1} | {r['best']} ({r['best_mean']:.2f}) "
              f"| {r['spread']:.2f} | {r['est_wall_s']:.1f} |")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
