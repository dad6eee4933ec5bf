"""Multi-objective studies of docs/multi_objective.md ("Studies"): NB201 CIFAR-100 accuracy against the latency of
four devices, NAS-Bench-Graph accuracy against latency, a generic tidy CSV with two objectives, and one
latency-constrained single-objective study; statistics, costs and wall times as the studies API reports them.

Usage: python experiments/multi_objective_study.py [--data ../shared/data] [--out results/docs/multi_objective_study]
       [--docs docs/multi_objective] [--jobs 2] [--seeds-other 30]
Each study goes through ``StudySpec`` (objectives, constraints) -> ``Study.execute(jobs=...)`` -> ``write_report``,
into ``OUT/<study>/`` (resumable: a rerun only runs what is missing; a study's wall time is the one measured when its
runs were made, kept in ``timing.json``). Numbers come from the reports' ``summary.json`` / ``stats.json`` and the
trajectories' own meta (``wall_s``); nothing is recomputed by hand that the report already tests. Prints the
generated blocks; ``experiments/regenerate_docs.py --only mo-study`` writes them into docs/multi_objective.md and
copies the figures (PNG) into ``--docs``. The generic CSV is built at run time from the shared NB201 table into
``OUT`` (never committed). About a minute on 2 shared cores.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

#: (device, kind): one GPU, one CPU, one phone, one accelerator of HELP's devices
DEVICES = (("titan_rtx_256", "GPU, batch 256"), ("gold_6226", "CPU"), ("pixel3", "phone"),
           ("eyeriss", "Eyeriss ASIC"))
ALGORITHMS = ("rs", "nsga2", "mo-re", "mo-ls", "parego", "optuna:nsga2")
SEEDS, BUDGET = 30, 150
#: the device whose front and anytime figures are copied into the docs
FIGURE_DEVICE = "pixel3"
#: the constrained single-objective example: search validation accuracy under this latency bound
CONSTRAINT = "latency_pixel3<=10"
CONSTRAINED_ALGORITHMS = ("rs", "re")
#: the same bound on a two-objective study (accuracy x the bounded latency): its front figure draws the bound
CONSTRAINED_MO_ALGORITHMS = ("rs", "nsga2", "mo-re")
#: the claims of issue 20 that the speed block measures
STUDY_SECONDS_TARGET, INDICATOR_SECONDS_TARGET, OPTUNA_RATIO_TARGET = 60.0, 2.0, 10.0
ALPHA = 0.05
#: the generic user table built at run time (in the results folder)
GENERIC_CSV = "nb201_cifar100_tidy.csv"


@dataclass(frozen=True)
class Case:
    """One study of the page: its folder name, how the doc names it, benchmark, objectives, algorithms, seeds."""

    name: str
    #: how the blocks name it (a column header)
    short: str
    benchmark: tuple[str | None, str | None, str | None]  # (name, dataset, path) of a BenchmarkEntry
    objectives: tuple[str, ...]
    algorithms: tuple[str, ...] = ALGORITHMS
    seeds: int = SEEDS
    constraints: tuple[str, ...] = ()
    budget: int = BUDGET

    def spec(self):
        from nasbench_lab.studies import AlgorithmEntry, BenchmarkEntry, StudySpec

        return StudySpec(benchmarks=(BenchmarkEntry(*self.benchmark),),
                         algorithms=tuple(AlgorithmEntry(a) for a in self.algorithms),
                         seeds=tuple(range(self.seeds)), budget=self.budget, name=self.name,
                         objectives=self.objectives, constraints=self.constraints)


@dataclass
class Record:
    """What the blocks need of one finished study (written as ``record.json`` beside its report)."""

    case: str
    short: str
    #: the benchmark's key (``nb201-cifar100``, ``nbgraph-cora``): which dataset the default was
    key: str
    objectives: list[str]
    constraints: list[str]
    seeds: int
    budget: int
    #: the report's indicator: final_hv_regret (several objectives) or final_regret (one, constrained)
    indicator: str
    #: algorithm -> final values of the indicator, one per seed
    finals: dict[str, list[float]]
    #: algorithm -> Holm-adjusted one-sided Mann-Whitney p of "better than rs" (stats.json)
    p_vs_rs: dict[str, float]
    #: the report's pairwise two-sided Wilcoxon-Holm tests: [a, b, median difference a - b, p_holm]
    pairs: list[list]
    #: the exact front (or constrained optimum) the indicator is measured against
    front_points: int
    n_architectures: int
    #: algorithm -> per-query run cost (µs): median over seeds of the trajectory's wall_s / queries
    us_per_query: dict[str, float]
    #: algorithm -> summed wall_s of its runs (s): where a study's time goes
    run_seconds: dict[str, float]
    #: Study.execute on ``jobs`` processes: seconds and how many of the study's runs that call made
    execute_seconds: float | None
    runs_executed: int
    runs_total: int
    jobs: int
    #: indicators (every run's, and the anytime curves) of the whole study, best of 3; the exact reference alone
    indicator_seconds: float
    reference_seconds: float
    #: write_report with its PNG figures
    report_seconds: float
    load_average: list[float] = field(default_factory=list)
    #: the machine the runs were timed on (``machine()`` when they were made)
    machine: str = ""

    def pair(self, a: str, b: str) -> tuple[float, float] | None:
        """(median difference a - b, Holm p) of the report's Wilcoxon test of a against b, None when absent."""
        for x, y, diff, p in self.pairs:
            if (x, y) == (a, b):
                return diff, p
            if (x, y) == (b, a):
                return -diff, p
        return None


# ------------------------------------------------------------------ the studies
def cases(data: Path, out: Path, seeds_other: int = SEEDS) -> list[Case]:
    """Every study of the page: four NB201 devices, nbgraph, the generic CSV (built into ``out``) and the
    constrained single-objective example."""
    nb201 = str(data / "nb201")
    out_cases = [Case(f"nb201_{device}", f"`{device}` ({kind})", ("nb201", "cifar100", nb201),
                      ("valid_acc", f"latency_{device}")) for device, kind in DEVICES]
    out_cases.append(Case("nbgraph", "NAS-Bench-Graph", (None, None, None), ("valid_acc", "latency"),
                          seeds=seeds_other))
    out_cases.append(Case("generic_csv", "generic tidy CSV", (str(out / "generic" / GENERIC_CSV), None, None),
                          ("valid_acc", "params"), seeds=seeds_other))
    out_cases.append(Case("nb201_constrained", "NB201 CIFAR-100 under a latency bound", ("nb201", "cifar100", nb201),
                          (), CONSTRAINED_ALGORITHMS, SEEDS, (CONSTRAINT,)))
    out_cases.append(Case("nb201_pixel3_constrained", f"`pixel3` under `{CONSTRAINT}`", ("nb201", "cifar100", nb201),
                          ("valid_acc", "latency_pixel3"), CONSTRAINED_MO_ALGORITHMS, SEEDS, (CONSTRAINT,)))
    return out_cases


def write_generic_csv(data: Path, path: Path) -> Path:
    """The generic user table: NB201 CIFAR-100 cells in the tidy ``arch:`` layout (an op name per edge), with
    200-epoch validation accuracy (every training seed), test accuracy and parameter count; built from the
    shared table, in the results folder (never committed). Kept when it exists (a rerun reads the same file)."""
    import nasbench_lab

    if path.is_file():
        return path
    bench = nasbench_lab.load("nb201", "cifar100", path=data / "nb201")
    space = bench.space
    archs = space.all()
    ops = list(space.ops)
    per_seed = bench.table.metrics["valid_acc"].values[:, :, bench.table.fidelities.index(200)]
    single = {m: bench.query_batch(archs, m, 200) for m in ("test_acc", "params")}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([f"arch:edge{j}" for j in range(archs.shape[1])] + ["metric", "fidelity", "seed", "value"])
        for i, arch in enumerate(archs):
            names = [ops[int(c)] for c in arch]
            for seed in np.flatnonzero(np.isfinite(per_seed[i])):
                writer.writerow(names + ["valid_acc", 200, int(seed), _text(per_seed[i, seed])])
            for metric, values in single.items():
                if np.isfinite(values[i]):
                    writer.writerow(names + [metric, 200, 0, _text(values[i])])
    tmp.replace(path)
    return path


def _text(value: float) -> str:
    return np.format_float_positional(np.float32(value), unique=True, trim="-")


def machine() -> str:
    """The CPU model (lscpu, else /proc/cpuinfo), a hypervisor if any, logical cores and Python/numpy versions."""
    model = ""
    try:
        done = subprocess.run(["lscpu"], capture_output=True, text=True, check=False, timeout=10)
        fields = {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in done.stdout.splitlines())}
        model = fields.get("Model name", "")
        if model and fields.get("Hypervisor vendor"):
            model += f" ({fields['Hypervisor vendor']} virtual machine)"
    except (OSError, subprocess.SubprocessError):
        pass
    if not model and Path("/proc/cpuinfo").is_file():
        model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                      if line.startswith("model name")), "")
    return (f"{model or platform.processor() or platform.machine()}, {os.cpu_count()} logical cores, "
            f"{platform.system()}; Python {platform.python_version()}, numpy {np.__version__}")


def run_case(case: Case, out: Path, jobs: int) -> Record:
    """Runs (or resumes) one study, writes its report and returns its record (also ``OUT/<case>/record.json``)."""
    from nasbench_lab.studies import Study
    from nasbench_lab.studies.report import write_report

    folder = out / case.name
    study = Study(case.spec(), folder)
    (key,) = {r.relpath.split("/")[1] for r in study.runs()}
    total = len(study.runs())
    timing_file = folder / "timing.json"
    load = list(os.getloadavg())
    t0 = time.perf_counter()
    ran = study.execute(jobs=jobs, progress=False)
    seconds = time.perf_counter() - t0
    if ran:  # the wall time of the runs made now (a resumed study says how many of its runs that was)
        timing = {"execute_seconds": seconds, "runs_executed": ran, "runs_total": total, "jobs": jobs,
                  "load_average": load, "machine": machine()}
        timing_file.write_text(json.dumps(timing, indent=1))
    timing = json.loads(timing_file.read_text()) if timing_file.is_file() else {
        "execute_seconds": None, "runs_executed": 0, "runs_total": total, "jobs": jobs, "load_average": []}
    t0 = time.perf_counter()
    summary = write_report(study, formats=("png",))
    report_seconds = time.perf_counter() - t0
    stats = json.loads((folder / "stats.json").read_text())
    front = json.loads((folder / "pareto_front.json").read_text())
    indicator = stats["metric"]
    runs = study.trajectories()
    (_, trajs), = runs.items()
    indicator_seconds, reference_seconds = time_indicators(study)
    record = Record(
        case=case.name, short=case.short, key=key, objectives=front["objectives"],
        constraints=front["constraints"], seeds=case.seeds, budget=case.budget, indicator=indicator,
        finals={label: [float(v) for v in entry[indicator]] for label, entry in summary.items()},
        p_vs_rs={k: float(v["p_holm"]) for k, v in stats["vs_random_search_mann_whitney"].items()},
        pairs=[[p["a"], p["b"], float(p["median_difference"]), float(p["p_holm"])]
               for p in stats["pairwise_wilcoxon_holm"]],
        front_points=int(front["n_points"]), n_architectures=int(front["n_architectures"]),
        us_per_query={label: float(np.median([1e6 * t.meta["wall_s"] / len(t) for t in ts]))
                      for label, ts in trajs.items()},
        run_seconds={label: float(sum(t.meta["wall_s"] for t in ts)) for label, ts in trajs.items()},
        execute_seconds=timing["execute_seconds"], runs_executed=int(timing["runs_executed"]),
        runs_total=int(timing["runs_total"]), jobs=int(timing["jobs"]), indicator_seconds=indicator_seconds,
        reference_seconds=reference_seconds, report_seconds=report_seconds,
        load_average=[float(x) for x in timing["load_average"]], machine=timing.get("machine", ""))
    (folder / "record.json").write_text(json.dumps(asdict(record), indent=1))
    return record


def time_indicators(study) -> tuple[float, float]:
    """Seconds (best of 3) to score every run of ``study`` as its report does (each run's indicators with the
    table's values, and the anytime curves over queries, and over time where runs have a clock), and to compute
    the exact reference from the whole table (``compute_table_reference``, which the report caches)."""
    import timeit

    from nasbench_lab.analysis.mo_aggregate import indicator_curve, run_indicators
    from nasbench_lab.analysis.table_front import compute_table_reference
    from nasbench_lab.studies.report import mo_scoring

    (key, runs), = study.trajectories().items()
    scoring = mo_scoring(study, key, runs)
    multi = scoring.objectives.multi
    ys = ("hv_regret", "igd_plus") if multi else ("regret",)
    timed = all(t.meta.get("time_unit", "s") == "s" for trajs in runs.values() for t in trajs)
    xs = ("queries", "time") if timed else ("queries",)

    def score() -> None:
        for trajs in runs.values():
            scored = [run_indicators(t, scoring.reference, scoring.values_of) for t in trajs]
            for y in ys:
                for x in xs:
                    indicator_curve(trajs, scored, y, x)

    bench = study.spec.benchmarks[0].load()
    seconds = min(timeit.repeat(score, repeat=3, number=1))
    reference = min(timeit.repeat(lambda: compute_table_reference(bench, scoring.objectives), repeat=3, number=1))
    return seconds, reference


# ------------------------------------------------------------------ blocks
def _mean_se(values: Sequence[float]) -> str:
    v = np.asarray(values, dtype=float)
    se = v.std(ddof=1) / np.sqrt(len(v)) if len(v) > 1 else float("nan")
    return f"{v.mean():.4f} ± {se:.4f}"


def _p(p: float | None) -> str:
    return "" if p is None else f"{p:.2g}" if p >= 1e-3 else f"{p:.1e}"


def regret_table(records: Sequence[Record]) -> str:
    """Algorithms as rows, one column per study: mean final indicator ± standard error over seeds, the best mean
    of each study in bold."""
    algorithms = list(dict.fromkeys(a for r in records for a in r.finals))
    best = [min(r.finals, key=lambda k: np.mean(r.finals[k])) for r in records]
    lines = ["| algorithm | " + " | ".join(r.short for r in records) + " |", "|---|" + "---:|" * len(records)]
    for a in algorithms:
        cells = [(f"**{_mean_se(r.finals[a])}**" if a == b else _mean_se(r.finals[a])) if a in r.finals else ""
                 for r, b in zip(records, best)]
        lines.append(f"| {a} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _direction(diff: float, a: str, b: str) -> str:
    return "equal" if diff == 0 else f"{a} lower" if diff < 0 else f"{b} lower"


def tests_table(records: Sequence[Record]) -> str:
    """Per study: the exact front, Holm p of nsga2 and mo-re better than rs, nsga2 against optuna:nsga2."""
    lines = ["| study | benchmark | exact front (cells of) | p (Holm), nsga2 better than rs | p (Holm), mo-re better "
             "than rs | nsga2 vs optuna:nsga2: p (Holm, two-sided) | median difference nsga2 - optuna:nsga2 |",
             "|---|---|---|---:|---:|---:|---|"]
    for r in records:
        pair = r.pair("nsga2", "optuna:nsga2")
        vs = "" if pair is None else _p(pair[1])
        diff = "" if pair is None else f"{pair[0]:+.4f} ({_direction(pair[0], 'nsga2', 'optuna:nsga2')})"
        lines.append(f"| {r.short} | `{r.key}` | {r.front_points} of {r.n_architectures:,} | "
                     f"{_p(r.p_vs_rs.get('nsga2'))} | {_p(r.p_vs_rs.get('mo-re'))} | {vs} | {diff} |")
    return "\n".join(lines)


def claims(records: Sequence[Record]) -> str:
    """The issue's quality claims checked on each study, in words: nsga2 and mo-re better than rs (Holm p <
    ALPHA), and native nsga2 not significantly worse than optuna:nsga2."""
    out = []
    for algo in ("nsga2", "mo-re"):
        fails = [r.short for r in records if not r.p_vs_rs.get(algo, 1.0) < ALPHA]
        out.append(f"- {algo} reaches a lower final hypervolume regret than rs (one-sided Mann-Whitney, Holm p < "
                   f"{ALPHA:g}) on {len(records) - len(fails)} of {len(records)} studies"
                   + (f"; not on {', '.join(fails)}." if fails else "."))
    tested = [(r.short, p) for r in records if (p := r.pair("nsga2", "optuna:nsga2")) is not None]
    worse = [name for name, (diff, p) in tested if p < ALPHA and diff > 0]
    better = [name for name, (diff, p) in tested if p < ALPHA and diff < 0]
    if tested:
        out.append(f"- Native nsga2 is significantly worse than optuna:nsga2 (paired two-sided Wilcoxon, Holm p < "
                   f"{ALPHA:g}, higher regret) on {len(worse)} of {len(tested)} studies"
                   + (f" ({', '.join(worse)})" if worse else "") + f"; significantly better on {len(better)}"
                   + (f" ({', '.join(better)})" if better else "") + f"; not separated on "
                   f"{len(tested) - len(worse) - len(better)}.")
    return "\n".join(out)


def _setting(records: Sequence[Record]) -> str:
    seeds = sorted({r.seeds for r in records})
    budgets = sorted({r.budget for r in records})
    return (f"{' or '.join(map(str, seeds))} seeds (0, 1, ...), {' or '.join(map(str, budgets))} queries per run, "
            "default parameters")


def device_block(records: Sequence[Record]) -> str:
    """The NB201 device studies: final hypervolume regret table, tests and the claims in words."""
    head = (f"NB201 CIFAR-100, objectives validation accuracy (max) x latency on each device (min), "
            f"{_setting(records)}; final hypervolume regret (normalized objectives, against the table's exact front; "
            "lower is better), mean ± s.e. over seeds, the best mean in bold. The p-values are the reports' own "
            "(`stats.json`: `vs_random_search_mann_whitney`, `pairwise_wilcoxon_holm`).\n\n")
    return head + regret_table(records) + "\n\n" + tests_table(records) + "\n\n" + claims(records) + "\n"


def other_block(records: Sequence[Record]) -> str:
    """Other benchmarks (nbgraph, the generic CSV): the same tables."""
    head = (f"Objectives: {'; '.join(f'{r.short}: ' + ' x '.join(f'`{o}`' for o in r.objectives) for r in records)}; "
            f"{_setting(records)}; final hypervolume regret, mean ± s.e., the best mean in bold.\n\n")
    return head + regret_table(records) + "\n\n" + tests_table(records) + "\n\n" + claims(records) + "\n"


def constrained_block(record: Record, multi: Record) -> str:
    """The constrained examples: one objective (regret of the feasible incumbent against the exact constrained
    optimum, and each algorithm's test against rs), and two objectives under the same bound (hypervolume regret
    against the exact front of the feasible cells)."""
    lines = [f"Objective `{record.objectives[0]}`, constraint `{record.constraints[0]}` "
             f"({record.n_architectures:,} feasible cells), {_setting([record])}; final regret of the feasible "
             "incumbent against the exact constrained optimum (percentage points of validation accuracy, table values "
             "at the seed mean; lower is better).", "",
             "| algorithm | final regret, mean ± s.e. | median | runs at the optimum | p (Holm), better than rs |",
             "|---|---:|---:|---:|---:|"]
    for a, v in record.finals.items():
        arr = np.asarray(v)
        lines.append(f"| {a} | {_mean_se(arr)} | {np.median(arr):.4f} | {int(np.sum(arr <= 1e-9))} of {len(arr)} | "
                     f"{_p(record.p_vs_rs.get(a))} |")
    objectives = " x ".join(f"`{o}`" for o in multi.objectives)
    lines += ["", f"Two objectives, {objectives}, under the same bound: the exact front of the "
              f"{multi.n_architectures:,} feasible cells has {multi.front_points} points; {_setting([multi])}; "
              "final hypervolume regret, mean ± s.e.", "", "| algorithm | final HV regret, mean ± s.e. | "
              "p (Holm), better than rs |", "|---|---:|---:|"]
    lines += [f"| {a} | {_mean_se(v)} | {_p(multi.p_vs_rs.get(a))} |" for a, v in multi.finals.items()]
    return "\n".join(lines) + "\n"


def _full(r: Record) -> bool:
    """A study of the issue's size whose wall time was measured on all its runs at once."""
    return (len(r.finals) == len(ALGORITHMS) and r.seeds == SEEDS and r.budget == BUDGET
            and r.execute_seconds is not None and r.runs_executed == r.runs_total)


def speed_block(records: Sequence[Record]) -> str:
    """Machine-dependent: each study's wall time on ``jobs`` processes, where the time goes, the cost of
    optuna:nsga2 per query against nsga2's, and the time to score a whole study."""
    machines = "; ".join(dict.fromkeys(r.machine for r in records if r.machine)) or "not recorded"
    lines = [f"Machine: {machines}; other jobs shared the cores (the load average when each study started is "
             "in the last column).", "",
             "| study | runs | Study.execute (s) | report and figures (s) | run time per algorithm (s, summed over "
             "its runs) | nsga2 µs/query | optuna:nsga2 µs/query | ratio | indicators of the study (s) | exact "
             "reference, uncached (ms) | load average |",
             "|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|"]
    for r in records:
        ex = "" if r.execute_seconds is None else f"{r.execute_seconds:.1f}"
        if r.execute_seconds is not None and r.runs_executed != r.runs_total:
            ex += f" ({r.runs_executed} of the runs)"
        share = ", ".join(f"{a} {s:.1f}" for a, s in sorted(r.run_seconds.items(), key=lambda kv: -kv[1]))
        nsga, opt = r.us_per_query.get("nsga2"), r.us_per_query.get("optuna:nsga2")
        ratio = f"{opt / nsga:.1f}" if nsga and opt else ""
        load = f"{r.load_average[0]:.1f}" if r.load_average else ""
        lines.append(f"| {r.short} | {r.runs_total} | {ex} | {r.report_seconds:.1f} | {share} | "
                     f"{'' if nsga is None else f'{nsga:.0f}'} | {'' if opt is None else f'{opt:.0f}'} | {ratio} | "
                     f"{r.indicator_seconds:.2f} | {1e3 * r.reference_seconds:.1f} | {load} |")
    lines.append("")
    full = [r for r in records if _full(r)]
    if full:
        jobs = sorted({r.jobs for r in full})
        over = [r.short for r in full if r.execute_seconds > STUDY_SECONDS_TARGET]  # type: ignore[operator]
        with_report = [r.execute_seconds + r.report_seconds for r in full]  # type: ignore[operator]
        top = {r.short: max(r.run_seconds, key=lambda a: r.run_seconds[a]) for r in full}
        lines.append(
            f"- {len(ALGORITHMS)} algorithms x {SEEDS} seeds x {BUDGET} queries on {' or '.join(map(str, jobs))} "
            f"processes: {min(r.execute_seconds for r in full):.1f} to "  # type: ignore[type-var]
            f"{max(r.execute_seconds for r in full):.1f} s per study ({min(with_report):.1f} to "  # type: ignore
            f"{max(with_report):.1f} s with the report and its figures); over the {STUDY_SECONDS_TARGET:.0f} s "
            f"target on {len(over)} of {len(full)}" + (f" ({', '.join(over)})" if over else "")
            + ". Most of the run time goes to: "
            + "; ".join(f"{k} {a} ({100 * r.run_seconds[a] / sum(r.run_seconds.values()):.0f}%)"
                        for r in full for k, a in [(r.short, top[r.short])]) + ".")
    ratios = {r.short: r.us_per_query["optuna:nsga2"] / r.us_per_query["nsga2"] for r in records
              if "nsga2" in r.us_per_query and "optuna:nsga2" in r.us_per_query}
    if ratios:
        low = [k for k, v in ratios.items() if v < OPTUNA_RATIO_TARGET]
        lines.append(f"- optuna:nsga2 costs {min(ratios.values()):.1f}x to {max(ratios.values()):.1f}x native nsga2 "
                     "per query (each run's wall time over its queries, median over seeds, both in the same study); "
                     f"under {OPTUNA_RATIO_TARGET:.0f}x on {len(low)} of {len(ratios)}"
                     + (f" ({', '.join(low)})" if low else "") + ".")
    slow = [r.short for r in records if r.indicator_seconds >= INDICATOR_SECONDS_TARGET]
    fastest, slowest = min(r.indicator_seconds for r in records), max(r.indicator_seconds for r in records)
    lines.append(f"- Scoring a whole study (every run's indicators after each query, scored with the table's values, "
                 f"and the anytime curves; the exact reference as cached): {fastest:.2f} to {slowest:.2f} s "
                 f"(best of 3); at or over the {INDICATOR_SECONDS_TARGET:.0f} s target on {len(slow)} of "
                 f"{len(records)}" + (f" ({', '.join(slow)})" if slow else "") + ".")
    return "\n".join(lines) + "\n"


def blocks_of(records: Sequence[Record]) -> dict[str, str]:
    """The generated blocks of docs/multi_objective.md from the studies' records."""
    by = {r.case: r for r in records}
    devices = [by[f"nb201_{d}"] for d, _ in DEVICES]
    other = [by["nbgraph"], by["generic_csv"]]
    return {"mo-study-devices": device_block(devices),
            "mo-study-other": other_block(other),
            "mo-study-constrained": constrained_block(by["nb201_constrained"], by["nb201_pixel3_constrained"]),
            "mo-study-speed": speed_block([*devices, *other])}


#: figures copied into the docs: (study, the report's figure, the committed name)
FIGURES = ((f"nb201_{FIGURE_DEVICE}", "pareto_front.png", f"study_{FIGURE_DEVICE}_pareto_front.png"),
           (f"nb201_{FIGURE_DEVICE}", "hv_regret_vs_queries.png", f"study_{FIGURE_DEVICE}_hv_regret_vs_queries.png"),
           ("nb201_constrained", "regret_vs_queries.png", "study_constrained_regret_vs_queries.png"),
           ("nb201_pixel3_constrained", "pareto_front.png", "study_pixel3_constrained_pareto_front.png"))


def blocks(data: Path, out: Path, docs: Path, jobs: int, seeds_other: int = SEEDS) -> dict[str, str]:
    """Runs (or resumes) every study, copies the figures into ``docs`` and returns the blocks."""
    if not (data / "nb201" / "nb201_hw_latency.csv").is_file():
        from nasbench_lab.errors import DataFileError

        raise DataFileError(f"the multi-objective studies need {data / 'nb201' / 'nb201_hw_latency.csv'}")
    out.mkdir(parents=True, exist_ok=True)
    write_generic_csv(data, out / "generic" / GENERIC_CSV)
    records = []
    for case in cases(data, out, seeds_other):
        t0 = time.perf_counter()
        records.append(run_case(case, out, jobs))
        print(f"{case.name}: {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    docs.mkdir(parents=True, exist_ok=True)
    for study, figure, name in FIGURES:
        shutil.copyfile(out / study / "plots" / figure, docs / name)
    return blocks_of(records)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=REPO / "results" / "docs" / "multi_objective_study")
    parser.add_argument("--docs", type=Path, default=REPO / "docs" / "multi_objective")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seeds-other", type=int, default=SEEDS, help="seeds of the nbgraph and generic-CSV studies")
    args = parser.parse_args(argv)
    for name, text in blocks(args.data, args.out, args.docs, args.jobs, args.seeds_other).items():
        print(f"<!-- generated:{name} -->\n{text}<!-- /generated:{name} -->\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
