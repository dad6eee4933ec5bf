"""How gbdt's and npred's default settings were chosen (issue 13): cheaper variants against the previous settings.

Usage: python experiments/perf/model_based_variants.py [--path CSV] [--seeds 40] [--budget 150] [--json OUT]

NB201 CIFAR-10, 150 queries, the same seeds for every variant, runs interleaved seed by seed (a change in
machine load hits all alike). For each variant: CPU ms per run (one core), final test accuracy (mean +- std)
and a two-sided Mann-Whitney p against the previous settings (first row). Prints a Markdown table per
algorithm (figures for docs/search.md, "Model-based search").
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
DEFAULT_CSV = REPO.parent / "shared" / "data" / "nb201" / "nb201_tables.csv"

#: previous settings first; then cheaper variants, the last one of each the new default
VARIANTS = {
    "gbdt": {
        "previous: 100 trees at 0.1 (+15), pool 2000": {
            "pool_size": 2000, "predictor_params": {"n_estimators": 100, "learning_rate": 0.1, "warm_trees": 15}},
        "50 trees at 0.2 (+8), pool 2000": {
            "pool_size": 2000, "predictor_params": {"n_estimators": 50, "learning_rate": 0.2, "warm_trees": 8}},
        "40 trees at 0.25 (+6), pool 2000": {
            "pool_size": 2000, "predictor_params": {"n_estimators": 40, "learning_rate": 0.25, "warm_trees": 6}},
        "100 trees at 0.1 (+15), pool 1000": {
            "pool_size": 1000, "predictor_params": {"n_estimators": 100, "learning_rate": 0.1, "warm_trees": 15}},
        "default: 50 trees at 0.2 (+8), pool 1000": {},
    },
    "npred": {
        "previous: 5 MLPs of width 32": {"predictor_params": {"n_members": 5, "width": 32}},
        "5 MLPs of width 32, 30 epochs": {"predictor_params": {"n_members": 5, "width": 32, "epochs": 30}},
        "3 MLPs of width 32": {"predictor_params": {"n_members": 3, "width": 32}},
        "5 MLPs of width 16": {"predictor_params": {"n_members": 5, "width": 16}},
        "5 MLPs of width 32, live+counts": {"encoding": "live+counts", "predictor_params": {"n_members": 5,
                                                                                            "width": 32}},
        "default: 3 MLPs of width 16": {},
    },
}


def measure(bench, algo: str, variants: dict, seeds: int, budget: int) -> dict:
    """CPU seconds and final test accuracy per variant over ``seeds`` seeds, interleaved."""
    from nasbench_lab.search import run

    out: dict = {name: {"cpu": [], "finals": []} for name in variants}
    for params in variants.values():
        run(bench, algo, seed=10_000, budget=budget, params=params)  # warm-up (imports, the listing's encoding)
    for seed in range(seeds):
        for name, params in variants.items():
            start = time.process_time()
            traj = run(bench, algo, seed=seed, budget=budget, params=params)
            out[name]["cpu"].append(time.process_time() - start)
            out[name]["finals"].append(traj.final_test)
    return out


def table(algo: str, result: dict) -> str:
    from scipy import stats

    names = list(result)
    base = result[names[0]]
    lines = [f"| {algo} setting | ms per run | final test (%) | p vs previous |", "|---|---:|---:|---:|"]
    for name in names:
        r = result[name]
        p = "" if name == names[0] else \
            f"{stats.mannwhitneyu(r['finals'], base['finals'], alternative='two-sided').pvalue:.2f}"
        lines.append(f"| {name} | {1000 * np.mean(r['cpu']):.1f} | {np.mean(r['finals']):.2f} ± "
                     f"{np.std(r['finals'], ddof=1):.2f} | {p} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--path", default=str(DEFAULT_CSV), help="nb201_tables.csv (default ../shared/data/nb201)")
    ap.add_argument("--seeds", type=int, default=40)
    ap.add_argument("--budget", type=int, default=150)
    ap.add_argument("--json", default=None, help="also write the figures as JSON here")
    args = ap.parse_args()
    if not Path(args.path).exists():
        sys.exit(f"{args.path} not found: the real NB201 table is needed (see ../shared/data/README.md)")
    from nasbench_lab import load

    bench = load("nb201", "cifar10", path=args.path)
    results = {algo: measure(bench, algo, variants, args.seeds, args.budget) for algo, variants in VARIANTS.items()}
    print(f"NB201 CIFAR-10, {args.budget} queries, {args.seeds} seeds, CPU ms per run (one core)\n")
    for algo, result in results.items():
        print(table(algo, result) + "\n")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
