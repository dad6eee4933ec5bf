"""TPE speed: milliseconds per query of the native ``tpe`` against ``optuna:tpe``, measured in the same run.

Usage: python experiments/perf/tpe_speed.py [--path CSV] [--seeds 10] [--budget 150] [--repeats 3]
       [--algorithms tpe,optuna:tpe,...] [--json OUT]

Each repetition runs every algorithm on the same seeds, interleaved run by run (so changes in machine load
hit all alike), one process, one BLAS thread; the time is the runner's whole run (optimizer, lookup, trajectory) divided
by the queries. The ratio is optuna:tpe's time over each algorithm's within the same repetition.
Target (issue 14): native tpe at least 10x faster per query than optuna:tpe on NB201 CIFAR-10, 150 queries.
Prints a Markdown table (the figures in docs/search.md).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
DEFAULT_CSV = REPO.parent / "shared" / "data" / "nb201" / "nb201_tables.csv"
BASELINE = "optuna:tpe"


def ms_per_query(bench, names: list[str], seeds: int, budget: int) -> dict[str, float]:
    """Wall milliseconds per query of each algorithm over ``seeds`` runs of ``budget`` queries, interleaved run by
    run (seed 0 of every algorithm, then seed 1, ...) so that changes in machine load hit all of them alike."""
    from nasbench_lab.search import run

    wall = dict.fromkeys(names, 0.0)
    queries = dict.fromkeys(names, 0)
    for seed in range(seeds):
        for name in names:
            t0 = time.perf_counter()
            queries[name] += len(run(bench, name, seed=seed, budget=budget))
            wall[name] += time.perf_counter() - t0
    return {n: wall[n] * 1e3 / queries[n] for n in names}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", default=str(DEFAULT_CSV))
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--budget", type=int, default=150)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--algorithms", default="tpe,reinforce,bohb,optuna:tpe")
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)

    import nasbench_lab

    bench = nasbench_lab.load("nb201", "cifar10", path=args.path)
    names = [n.strip() for n in args.algorithms.split(",") if n.strip()]
    if BASELINE not in names:
        names.append(BASELINE)
    ms_per_query(bench, names, 1, 20)  # warm-up: imports, table caches
    times: dict[str, list[float]] = {n: [] for n in names}
    for _ in range(args.repeats):
        for name, ms in ms_per_query(bench, names, args.seeds, args.budget).items():
            times[name].append(ms)
    ratios = {n: [b / t for b, t in zip(times[BASELINE], times[n])] for n in names}
    result = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
              "load_average": os.getloadavg(), "seeds": args.seeds, "budget": args.budget,
              "ms_per_query": times, "speedup_vs_optuna_tpe": ratios}
    print(f"NB201 CIFAR-10, {args.seeds} seeds x {args.budget} queries per repetition; {result['machine']}; "
          f"load average {result['load_average'][0]:.1f}\n")
    print(f"| algorithm | ms per query, {args.repeats} repetitions | {BASELINE} time / this time |")
    print("|---|---:|---:|")
    for name in names:
        print(f"| {name} | {' / '.join(f'{t:.3f}' for t in times[name])} | "
              f"{' / '.join(f'{r:.1f}x' for r in ratios[name])} |")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
