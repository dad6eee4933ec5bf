"""Search speed: queries per second of rs, re, ls, de on one core, and the full default comparison's wall time.

Usage: python experiments/perf/search_speed.py [--path CSV] [--queries 20000] [--repeats 3]
       [--seeds 30] [--budget 150] [--jobs 2] [--skip-compare] [--json OUT]

Targets (issue 5): rs, re, ls and de >= 20,000 queries/s each on one core; the full default comparison
(rs, re, ls, de, bananas, gbdt, npred, zc, hb; 30 seeds; 150 queries; NB201 CIFAR-10) <= 60 s wall on
two cores, results folder and plots included. Each algorithm's speed comes with a naive baseline
measured in the same run: the same algorithm written with one Python object per architecture
(a list of op names), ``copy.deepcopy`` to mutate, and a dict lookup by architecture string per
query, which is how many NAS search loops are written. Prints a Markdown table (figures for docs/search.md).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
DEFAULT_CSV = REPO.parent / "shared" / "data" / "nb201" / "nb201_tables.csv"
OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")


# ---------------------------------------------------------------------------- naive baseline
class NaiveArch:
    """One object per architecture: op names per edge, as naive search code keeps them."""

    def __init__(self, ops: list[str]):
        self.ops = ops

    def to_str(self) -> str:
        o = self.ops
        return f"|{o[0]}~0|+|{o[1]}~0|{o[2]}~1|+|{o[3]}~0|{o[4]}~1|{o[5]}~2|"

    def mutate(self, rng) -> NaiveArch:
        child = copy.deepcopy(self)
        edge = int(rng.integers(6))
        child.ops[edge] = str(rng.choice([op for op in OPS if op != child.ops[edge]]))
        return child

    def neighbours(self) -> list[NaiveArch]:
        out = []
        for edge in range(6):
            for op in OPS:
                if op != self.ops[edge]:
                    child = copy.deepcopy(self)
                    child.ops[edge] = op
                    out.append(child)
        return out


def naive_table(bench) -> dict[str, list[float]]:
    space = bench.space
    per_seed = bench.table.metrics["valid_acc"].values[:, :, bench.fidelities.index(200)]
    return {space.to_string(a): [float(v) for v in row if v == v] for a, row in zip(space.all(), per_seed)}


def naive_query(table, arch: NaiveArch, rng) -> float:
    seeds = table[arch.to_str()]
    return seeds[int(rng.integers(len(seeds)))]


def naive_random(rng) -> NaiveArch:
    return NaiveArch([str(rng.choice(OPS)) for _ in range(6)])


def naive_rs(table, n, rng):
    return [naive_query(table, naive_random(rng), rng) for _ in range(n)]


def naive_re(table, n, rng, pop_size=10, sample=3):
    pop, history = [], []
    for i in range(n):
        if i < pop_size:
            child = naive_random(rng)
        else:
            picks = rng.choice(len(pop), sample, replace=False)
            child = max((pop[j] for j in picks), key=lambda m: m[1])[0].mutate(rng)
        pop.append((child, naive_query(table, child, rng)))
        history.append(pop[-1][1])
        if len(pop) > pop_size:
            pop.pop(0)
    return history


def naive_ls(table, n, rng, num_init=10):
    visited, history, current = set(), [], None
    while len(history) < n:
        if current is None:
            starts = [a for a in (naive_random(rng) for _ in range(num_init)) if a.to_str() not in visited]
            scored = [(a, naive_query(table, a, rng)) for a in starts]
            visited.update(a.to_str() for a in starts)
            history += [v for _, v in scored]
            current = max(scored, key=lambda m: m[1]) if scored else None
            continue
        cands = [a for a in current[0].neighbours() if a.to_str() not in visited]
        scored = [(a, naive_query(table, a, rng)) for a in cands]
        visited.update(a.to_str() for a in cands)
        history += [v for _, v in scored]
        best = max(scored, key=lambda m: m[1]) if scored else None
        current = best if best and best[1] > current[1] else None
    return history[:n]


def naive_de(table, n, rng, pop_size=20, f=0.5, cr=0.5):
    def decode(vec):
        return NaiveArch([OPS[min(int(u * 5), 4)] for u in vec])

    pop = [rng.random(6) for _ in range(pop_size)]
    fit = [naive_query(table, decode(v), rng) for v in pop]
    history = list(fit)
    while len(history) < n:
        for j in range(pop_size):
            r1, r2, r3 = rng.choice([i for i in range(pop_size) if i != j], 3, replace=False)
            mutant = np.clip(pop[r1] + f * (pop[r2] - pop[r3]), 0, 1)
            cross = rng.random(6) < cr
            cross[rng.integers(6)] = True
            trial = np.where(cross, mutant, pop[j])
            value = naive_query(table, decode(trial), rng)
            history.append(value)
            if value >= fit[j]:
                pop[j], fit[j] = trial, value
    return history[:n]


NAIVE = {"rs": naive_rs, "re": naive_re, "ls": naive_ls, "de": naive_de}


# ---------------------------------------------------------------------------- measurements
def best_rate(fn, n: int, repeats: int) -> float:
    best = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        done = fn()
        best = max(best, done / (time.perf_counter() - start))
    return best


def speed_section(bench, queries: int, repeats: int) -> dict:
    from nasbench_lab.search import run

    table = naive_table(bench)
    out = {}
    for name in ("rs", "re", "ls", "de"):
        n = min(queries, 15000) if name == "ls" else queries  # local search would exhaust the 15,625 cells
        run(bench, name, seed=0, budget=200)  # warm-up (lookup tables)
        ours = best_rate(lambda name=name, n=n: len(run(bench, name, seed=1, budget=n)), n, repeats)
        naive_n = max(n // 10, 1000)
        naive = best_rate(lambda name=name, m=naive_n: len(NAIVE[name](table, m, np.random.default_rng(1))),
                          naive_n, repeats)
        out[name] = {"queries": n, "queries_per_s": ours, "naive_queries": naive_n, "naive_queries_per_s": naive,
                     "speedup": ours / naive}
        print(f"{name}: {ours:,.0f} queries/s (naive {naive:,.0f}/s, {ours / naive:.1f}x)", file=sys.stderr)
    return out


def compare_section(path: Path, seeds: int, budget: int, jobs: int) -> dict:
    from nasbench_lab.analysis.report import write_report
    from nasbench_lab.cli.cmd_compare import DEFAULT_ALGORITHMS
    from nasbench_lab.search.study import AlgorithmEntry, BenchmarkEntry, Study, StudySpec

    spec = StudySpec(benchmarks=(BenchmarkEntry("nb201", "cifar10", str(path)),),
                     algorithms=tuple(AlgorithmEntry(a) for a in DEFAULT_ALGORITHMS), seeds=tuple(range(seeds)),
                     budget=budget, name="speed")
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        study = Study(spec, Path(tmp) / "out")
        study.execute(jobs=jobs, progress=False)
        runs_done = time.perf_counter()
        summary = write_report(study)
        end = time.perf_counter()
    per_algo = {k: {"mean_test": float(np.mean(v["final_test_acc"])), "cpu_wall_s": v["wall_s"]}
                for k, v in summary.items()}
    print(f"compare: {end - start:.1f} s wall ({runs_done - start:.1f} s runs, {end - runs_done:.1f} s report)",
          file=sys.stderr)
    return {"algorithms": list(DEFAULT_ALGORITHMS), "seeds": seeds, "budget": budget, "jobs": jobs,
            "wall_s": end - start, "runs_wall_s": runs_done - start, "report_wall_s": end - runs_done,
            "per_algorithm": per_algo}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--path", default=str(DEFAULT_CSV), help="nb201_tables.csv (default ../shared/data/nb201)")
    ap.add_argument("--queries", type=int, default=20000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seeds", type=int, default=30)
    ap.add_argument("--budget", type=int, default=150)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--skip-compare", action="store_true")
    ap.add_argument("--json", default=None, help="also write the figures as JSON here")
    args = ap.parse_args()
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:
        pass
    import nasbench_lab

    if not Path(args.path).is_file():
        raise SystemExit(f"NAS-Bench-201 table not found at {args.path} (pass --path)")
    bench = nasbench_lab.load("nb201", "cifar10", path=args.path)
    info = {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform(),
            "loadavg_start": round(os.getloadavg()[0], 2)}
    result = {"machine": info, "speed": speed_section(bench, args.queries, args.repeats)}
    if not args.skip_compare:
        result["compare"] = compare_section(Path(args.path), args.seeds, args.budget, args.jobs)
    info["loadavg_end"] = round(os.getloadavg()[0], 2)
    print(f"\nMachine: {info['cpus']} CPUs, Python {info['python']}, load average {info['loadavg_start']} at start, "
          f"{info['loadavg_end']} at end\n")
    print("| algorithm | queries/s (one core) | naive baseline queries/s | speed-up |")
    print("|---|---:|---:|---:|")
    for name, row in result["speed"].items():
        print(f"| {name} | {row['queries_per_s']:,.0f} | {row['naive_queries_per_s']:,.0f} | {row['speedup']:.1f}x |")
    if "compare" in result:
        c = result["compare"]
        print(f"\nFull default comparison ({len(c['algorithms'])} algorithms x {c['seeds']} seeds x {c['budget']} "
              f"queries, {c['jobs']} processes): {c['wall_s']:.1f} s wall ({c['runs_wall_s']:.1f} s runs, "
              f"{c['report_wall_s']:.1f} s report and plots)")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
