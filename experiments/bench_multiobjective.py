"""Per-query cost of the native multi-objective optimizers against their single-objective counterparts, and of
``optuna:nsga2`` against native ``nsga2``, measured in the same run.

Usage: python experiments/bench_multiobjective.py [--path FOLDER] [--dataset cifar100] [--seeds 10]
       [--budget 150] [--repeats 3] [--objectives valid_acc,latency_gold_6226] [--skip-optuna] [--json OUT]

Pairs (issue 20, "Speed"): nsga2 vs re, mo-re vs re, mo-ls vs ls, parego (model=bananas) vs bananas, parego
(model=gbdt) vs gbdt, with rs as the baseline of both settings. Each multi-objective optimizer runs with the
objectives given (default: NB201 CIFAR-100 validation accuracy and gold_6226 latency), its counterpart on the
first objective alone, as a user would run each. Two costs per query:

- ``run``: the runner's whole run (optimizer, lookups, the multi-objective bookkeeping, trajectory) over queries;
- ``own``: the optimizer's own ``ask`` + ``tell`` time (timed around each call) over queries: what the optimizer
  adds, apart from the runner's lookups of every objective, which a multi-objective run pays whatever the algorithm.

It also prints the final hypervolume regret (normalized objectives, against the table's exact front;
``analysis.pareto``) of each multi-objective configuration's runs of the first repetition.

Every repetition runs every algorithm on the same seeds, interleaved seed by seed (changes in machine load hit
all alike), one process, one BLAS thread; the table gives the median over repetitions. The ratio is each
algorithm's cost over its counterpart's in the same repetition (median). Target: ratio <= 2 for each native
multi-objective optimizer, and native nsga2 >= 10x cheaper per query than optuna:nsga2. Prints a Markdown table
and the machine it ran on.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402  (after the thread settings)

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DEFAULT_FOLDER = REPO.parent / "shared" / "data" / "nb201"
DEFAULT_OBJECTIVES = "valid_acc,latency_gold_6226"


@dataclass(frozen=True)
class Entry:
    """One timed configuration: a label, the registered algorithm, its parameters, and whether it runs with every
    objective (else with the first objective alone)."""

    label: str
    algorithm: str
    params: dict = field(default_factory=dict)
    multi: bool = True


ENTRIES = (
    Entry("rs (1 objective)", "rs", multi=False),
    Entry("rs", "rs"),
    Entry("re", "re", multi=False),
    Entry("nsga2", "nsga2"),
    Entry("mo-re", "mo-re"),
    Entry("mo-re (hv)", "mo-re", {"selection": "hv"}),
    Entry("ls", "ls", multi=False),
    Entry("mo-ls", "mo-ls"),
    Entry("mo-ls (whole neighbourhoods)", "mo-ls", {"neighbours_per_visit": None}),
    Entry("bananas", "bananas", multi=False),
    Entry("parego (bananas)", "parego", {"model": "bananas"}),
    Entry("gbdt", "gbdt", multi=False),
    Entry("parego (gbdt)", "parego", {"model": "gbdt"}),
)
OPTUNA = Entry("optuna:nsga2", "optuna:nsga2")
#: (multi-objective label, counterpart label) whose cost ratio is the issue's target
PAIRS = (("nsga2", "re"), ("mo-re", "re"), ("mo-re (hv)", "re"), ("mo-ls", "ls"), ("parego (bananas)", "bananas"),
         ("parego (gbdt)", "gbdt"), ("rs", "rs (1 objective)"))


class _Clock:
    """Seconds spent inside an optimizer's ask and tell (wrapped on the instance, so the class is untouched)."""

    def __init__(self, opt) -> None:
        self.seconds = 0.0
        for method in ("ask", "tell"):
            setattr(opt, method, self._timed(getattr(opt, method)))

    def _timed(self, fn):
        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - t0
        return timed


def one_run(bench, entry: Entry, objectives: list[str], seed: int, budget: int):
    """``(run seconds, ask+tell seconds, trajectory)`` of one run, the optimizer built as ``run`` builds it."""
    from nasbench_lab.results.objective_choice import resolve_objectives
    from nasbench_lab.search import make_optimizer, run, search_problem

    objs = objectives if entry.multi else objectives[:1]
    resolved = resolve_objectives(bench, objs)
    opt_seq, _ = np.random.SeedSequence(seed).spawn(2)
    opt = make_optimizer(entry.algorithm, search_problem(bench, resolved.names[0], resolved),
                         np.random.default_rng(opt_seq), **entry.params)
    clock = _Clock(opt)
    traj = run(bench, opt, seed, budget=budget, objectives=objs)
    return float(traj.meta["wall_s"]), clock.seconds, traj


def reference(bench, objectives: list[str]):
    """The exact front, range and reference point of the whole table for ``objectives`` (analysis.pareto)."""
    from nasbench_lab.analysis.pareto import pareto_reference
    from nasbench_lab.results.objective_choice import resolve_objectives

    every = bench.space.all()
    table = np.column_stack([bench.query_batch(every, o) for o in objectives])
    return pareto_reference(table[np.isfinite(table).all(axis=1)], resolve_objectives(bench, objectives).higher)


def measure(bench, entries: list[Entry], objectives: list[str], seeds: int, budget: int,
            repeats: int) -> tuple[dict[str, dict[str, list[float]]], dict[str, list[float]]]:
    """Microseconds per query (``run`` and ``own``) of each entry, one value per repetition; and the final
    hypervolume regret of each multi-objective entry's runs of the first repetition, one per seed."""
    ref = reference(bench, objectives)
    out: dict[str, dict[str, list[float]]] = {e.label: {"run": [], "own": []} for e in entries}
    regret: dict[str, list[float]] = {e.label: [] for e in entries if e.multi}
    for e in entries:  # warm-up: imports, listing caches, first-call costs
        one_run(bench, e, objectives, 0, budget)
    for rep in range(repeats):
        wall = {e.label: [0.0, 0.0, 0] for e in entries}
        for seed in range(seeds):
            for e in entries:
                run_s, own_s, traj = one_run(bench, e, objectives, seed, budget)
                acc = wall[e.label]
                acc[0] += run_s
                acc[1] += own_s
                acc[2] += len(traj)
                if rep == 0 and e.multi:
                    regret[e.label].append(ref.hv_regret(traj.objectives[traj.feasible]))  # the final front's
        for label, (run_s, own_s, n) in wall.items():
            out[label]["run"].append(1e6 * run_s / n)
            out[label]["own"].append(1e6 * own_s / n)
    return out, regret


def ratios(times: dict[str, dict[str, list[float]]], a: str, b: str, kind: str) -> float:
    """Median over repetitions of ``a``'s cost over ``b``'s."""
    return float(np.median(np.asarray(times[a][kind]) / np.asarray(times[b][kind])))


def table(times: dict[str, dict[str, list[float]]], with_optuna: bool) -> str:
    """The Markdown table: per pair, both costs and their ratios; optuna:nsga2 against nsga2."""
    def med(label: str, kind: str) -> float:
        return float(np.median(times[label][kind]))

    lines = ["| multi-objective | counterpart | run µs/query | counterpart | ratio | own µs/query | counterpart | "
             "ratio |", "|---|---|---:|---:|---:|---:|---:|---:|"]
    for a, b in PAIRS:
        lines.append(f"| {a} | {b} | {med(a, 'run'):.1f} | {med(b, 'run'):.1f} | {ratios(times, a, b, 'run'):.2f} | "
                     f"{med(a, 'own'):.1f} | {med(b, 'own'):.1f} | {ratios(times, a, b, 'own'):.2f} |")
    if with_optuna:
        lines.append(f"\noptuna:nsga2: {med(OPTUNA.label, 'run'):.0f} µs per query (whole run), "
                     f"{ratios(times, OPTUNA.label, 'nsga2', 'run'):.1f}x native nsga2's "
                     f"({med('nsga2', 'run'):.1f} µs); own: {med(OPTUNA.label, 'own'):.0f} µs, "
                     f"{ratios(times, OPTUNA.label, 'nsga2', 'own'):.1f}x.")
    return "\n".join(lines)


def quality_table(regret: dict[str, list[float]]) -> str:
    """Final hypervolume regret (normalized objectives, the table's exact front) of each multi-objective entry."""
    lines = ["| algorithm | final HV regret, mean ± s.e. | median |", "|---|---:|---:|"]
    for label, values in regret.items():
        v = np.asarray(values)
        lines.append(f"| {label} | {v.mean():.4f} ± {v.std(ddof=1) / np.sqrt(len(v)):.4f} | {np.median(v):.4f} |")
    return "\n".join(lines)


def quality_block(folder: Path, seeds: int = 30, budget: int = 150) -> str:
    """The docs block ``mo-optimizers-hv``: final hypervolume regret of every multi-objective configuration on
    NB201 CIFAR-100 (validation accuracy, gold_6226 latency), plain runs (the same trajectories as the timed ones)."""
    import nasbench_lab
    from nasbench_lab.plugins import module_available
    from nasbench_lab.search import run

    bench = nasbench_lab.load("nb201", "cifar100", path=folder)
    objectives = DEFAULT_OBJECTIVES.split(",")
    ref = reference(bench, objectives)
    entries = [e for e in ENTRIES if e.multi] + ([OPTUNA] if module_available("optuna") else [])
    regret = {}
    for e in entries:
        trajs = [run(bench, e.algorithm, s, budget=budget, objectives=objectives, params=e.params)
                 for s in range(seeds)]
        regret[e.label] = [ref.hv_regret(t.objectives[t.feasible]) for t in trajs]
    head = (f"NB201 CIFAR-100, objectives {', '.join(objectives)} (exact front: {len(ref.front)} cells), "
            f"{seeds} seeds, {budget} queries, default parameters; generated by `experiments/regenerate_docs.py` "
            "(`bench_multiobjective.quality_block`).\n\n")
    return head + quality_table(regret) + "\n"


def machine() -> str:
    """The machine in words: processor, cores, Python and numpy."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), cpu)
    except OSError:
        pass
    return (f"{cpu}, {os.cpu_count()} logical cores (one used), Python {platform.python_version()}, "
            f"numpy {np.__version__}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--path", default=str(DEFAULT_FOLDER), help="NB201 folder with nb201_hw_latency.csv")
    ap.add_argument("--dataset", default="cifar100")
    ap.add_argument("--objectives", default=DEFAULT_OBJECTIVES)
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--budget", type=int, default=150)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--skip-optuna", action="store_true", help="leave optuna:nsga2 out")
    ap.add_argument("--json", help="also write the per-repetition times here")
    args = ap.parse_args(argv)
    import nasbench_lab
    from nasbench_lab.plugins import module_available

    if not Path(args.path).exists():
        print(f"no NB201 folder at {args.path}; give --path", file=sys.stderr)
        return 2
    bench = nasbench_lab.load("nb201", args.dataset, path=args.path)
    objectives = args.objectives.split(",")
    with_optuna = not args.skip_optuna and module_available("optuna")
    entries = list(ENTRIES) + ([OPTUNA] if with_optuna else [])
    t0 = time.perf_counter()
    times, regret = measure(bench, entries, objectives, args.seeds, args.budget, args.repeats)
    print(f"NB201 {args.dataset}, objectives {', '.join(objectives)}; {args.seeds} seeds x {args.budget} queries, "
          f"median of {args.repeats} repetitions; {machine()}; {time.perf_counter() - t0:.0f} s\n")
    print(table(times, with_optuna))
    print(f"\nFinal hypervolume regret of the same runs (first repetition, {args.seeds} seeds):\n")
    print(quality_table(regret))
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": machine(), "times_us_per_query": times,
                                               "hv_regret": regret}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
