"""Speed of the multi-objective indicators of a whole study (issue 20: "indicators for a whole study take under 2 s").

Usage: python experiments/bench_mo_indicators.py [--data ../shared/data/nb201] [--json OUT]

A study of 6 algorithms x 30 seeds x 150 queries on NB201 CIFAR-100, objectives validation accuracy (max) and
latency on gold_6226 (min): 180 random-search runs (seeds 0..179; what the optimizer did does not change the
cost of scoring it). Timed, best of 5 rounds: the table's exact reference (every architecture queried; a cached
reference skips it), each run's indicators as the report computes them (found front by the values seen, scored
with the table's seed-mean values: hypervolume regret and IGD+ after every query), the same on the recorded
values, and the anytime curves on the query and the simulated-time grids. Prints a Markdown table, the machine
named; optionally writes JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import timeit
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

N_ALGORITHMS, N_SEEDS, BUDGET = 6, 30, 150
OBJECTIVES = ("valid_acc", "latency_gold_6226")


def machine() -> str:
    """The CPU model, core count and Python version this ran on."""
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor() or "unknown CPU") \
        if Path("/proc/cpuinfo").is_file() else platform.processor() or "unknown CPU"
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}"


def best_of(fn, repeat: int = 5) -> float:
    """Best wall time of one call over ``repeat`` rounds."""
    return min(timeit.repeat(fn, repeat=repeat, number=1))


def measure(data: Path) -> dict:
    """Seconds for each step of scoring a 180-run study (see the module docstring)."""
    import nasbench_lab
    from nasbench_lab.analysis.mo_aggregate import indicator_curve, run_indicators
    from nasbench_lab.analysis.table_front import compute_table_reference, table_values
    from nasbench_lab.results.objectives import Objectives
    from nasbench_lab.search import run

    bench = nasbench_lab.load("nb201", "cifar100", path=data)
    objs = Objectives(OBJECTIVES, (True, False))
    trajs = [run(bench, "rs", seed, budget=BUDGET, objectives=list(OBJECTIVES))
             for seed in range(N_ALGORITHMS * N_SEEDS)]
    ref = compute_table_reference(bench, objs)
    values = table_values(bench, OBJECTIVES)
    scored = [run_indicators(t, ref, values) for t in trajs]

    def curves() -> None:
        for k in range(N_ALGORITHMS):
            part = slice(k * N_SEEDS, (k + 1) * N_SEEDS)
            for x in ("queries", "time"):
                for y in ("hv_regret", "igd_plus"):
                    indicator_curve(trajs[part], scored[part], y, x)

    steps = {
        "exact reference (uncached: every architecture queried)": best_of(
            lambda: compute_table_reference(bench, objs)),
        "indicators of 180 runs, scored with table values (the report's)": best_of(
            lambda: [run_indicators(t, ref, values) for t in trajs]),
        "indicators of 180 runs, recorded values": best_of(lambda: [run_indicators(t, ref) for t in trajs]),
        "anytime curves (HV regret, IGD+; queries and time grids)": best_of(curves),
    }
    report_steps = ("indicators of 180 runs, scored with table values (the report's)",
                    "anytime curves (HV regret, IGD+; queries and time grids)")
    return {"machine": machine(), "runs": len(trajs), "queries_per_run": BUDGET, "front_points": len(ref.front_points),
            "seconds": steps, "study_total_s": sum(steps[k] for k in report_steps),
            "study_total_with_reference_s": sum(steps.values()) - steps["indicators of 180 runs, recorded values"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "nb201",
                        help="NB201 folder with nb201_tables.csv and nb201_hw_latency.csv")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    if not (args.data / "nb201_hw_latency.csv").is_file():
        print(f"no NB201 latency table at {args.data} (give --data)", file=sys.stderr)
        return 2
    result = measure(args.data)
    print(f"Multi-objective indicators of a {N_ALGORITHMS} x {N_SEEDS} x {BUDGET} study, NB201 CIFAR-100, "
          f"{' vs '.join(OBJECTIVES)} ({result['front_points']} exact front points); {result['machine']}\n")
    print("| step | seconds (best of 5) |\n|---|---:|")
    for name, seconds in result["seconds"].items():
        print(f"| {name} | {seconds:.3f} |")
    print(f"| **indicators and curves of the whole study** | **{result['study_total_s']:.3f}** |")
    print(f"| the same with the uncached reference | {result['study_total_with_reference_s']:.3f} |")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
