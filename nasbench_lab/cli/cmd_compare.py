"""Search subcommands: ``compare`` (run a study and write its report) and ``plot`` (redo a report)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TypedDict

import numpy as np

from nasbench_lab.analysis.plots import FORMATS as PLOT_FORMATS
from nasbench_lab.api import DEFAULT_BENCHMARK
from nasbench_lab.cli.common import (
    add_benchmark_args,
    add_objective_args,
    benchmark_from_args,
    dotted_params,
    objectives_from_args,
    reference_point_from_args,
)
from nasbench_lab.cli.main import note, print_json
from nasbench_lab.errors import ConfigError, NasbenchLabError
from nasbench_lab.loaders.table_csv import is_table_csv
from nasbench_lab.metrics import parse_directions
from nasbench_lab.results.objectives import Objectives, parse_list


class DefaultSetting(TypedDict):
    """The dataset, seed count and query budget of ``compare``'s embedded default setting."""

    dataset: str
    seeds: int
    budget: int


#: what ``compare`` runs when no --algorithms is given (those a benchmark cannot run are skipped)
DEFAULT_ALGORITHMS = ("rs", "re", "ls", "de", "bananas", "gbdt", "npred", "zc", "hb")
#: ``compare`` with no benchmark, dataset or path: the setting chosen by experiments/nbgraph_default_setting.py
#: (the embedded benchmark's dataset whose statistics separate algorithms within 15 s on 2 cores; docs/nbgraph.md)
DEFAULT_SETTING: DefaultSetting = {"dataset": "arxiv", "seeds": 20, "budget": 100}
#: seeds and query budget otherwise
DEFAULT_SEEDS, DEFAULT_BUDGET = 10, 150
#: the most seeds ``--seeds`` accepts: every seed is one run kept on disk and in the report's arrays, so a
#: typo such as ``--seeds 1000000000`` is refused up front rather than running out of memory
MAX_SEEDS = 100_000
#: the flags a study file (--config) sets itself: refused beside --config rather than silently ignored
CONFIG_CLASHES = {"algorithms": "--algorithms", "param": "--param", "seeds": "--seeds", "budget": "--budget",
                  "budget_seconds": "--budget-seconds", "benchmark": "--benchmark", "dataset": "--dataset",
                  "path": "--path", "fidelity": "--fidelity", "search_metric": "--search-metric",
                  "report_metric": "--report-metric", "direction": "--direction", "objectives": "--objectives",
                  "constraint": "--constraint", "reference_point": "--reference-point"}


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "compare", help="compare search algorithms over many seeds: results folder with plots, table, statistics",
        description="Run a grid of algorithms x seeds on one benchmark (or a TOML study file with --config) on a "
                    "process pool, resumably, and write OUT/report.md, summary.json, table.md/.csv/.json/.tex, "
                    "stats.json, plots/ and runs/ (one trajectory file per run). Rerunning the same command resumes.")
    add_benchmark_args(p)
    p.add_argument("--config", "-c", default=None,
                   help="a study TOML file (experiments/*.toml) instead of the flags: it sets the benchmarks, "
                        "algorithms, parameters, seeds, budget and metrics, so those flags are refused beside it")
    p.add_argument("--algorithms", "-A", default=None,
                   help=f"comma-separated algorithm names (default: {','.join(DEFAULT_ALGORITHMS)}, those the "
                        "benchmark supports)")
    p.add_argument("--param", action="append", default=[], metavar="ALGO.KEY=VALUE",
                   help="algorithm parameter, e.g. re.population_size=20 (repeatable; values read as JSON)")
    p.add_argument("--seeds", type=int, default=None,
                   help=f"number of seeds, 0..N-1, at most {MAX_SEEDS:,} (default {DEFAULT_SEEDS}; "
                        f"{DEFAULT_SETTING['seeds']} in the embedded default setting)")
    p.add_argument("--budget", type=int, default=None,
                   help=f"queries per run (default {DEFAULT_BUDGET} without --budget-seconds; "
                        f"{DEFAULT_SETTING['budget']} in the embedded default setting)")
    p.add_argument("--budget-seconds", type=float, default=None, help="simulated training seconds per run")
    p.add_argument("--workers", type=int, default=1, help="simulated parallel workers per run (default 1)")
    p.add_argument("--fidelity", type=int, default=None,
                   help="epochs whose validation accuracy the search sees (default: the highest with values)")
    p.add_argument("--search-metric", default=None, metavar="METRIC",
                   help="metric the search optimizes (default valid_acc; never a test metric)")
    p.add_argument("--report-metric", default=None, metavar="METRIC",
                   help="metric reported for each run's incumbent (default test_acc; the search metric, said so, "
                        "when the benchmark lacks it)")
    p.add_argument("--direction", action="append", default=[], metavar="METRIC=min|max",
                   help="minimize or maximize METRIC (default: by name, names ending in loss/error/err are "
                        "minimized; repeatable)")
    add_objective_args(p, "a multi-objective study, run by the multi-objective algorithms that "
                          "`nasbench-lab list algorithms` marks; the first objective is searched on, --direction "
                          "also sets directions; infeasible queries spend budget and never become the incumbent")
    p.add_argument("--valid-seed", default="random", choices=("random", "mean"),
                   help="search on one drawn training seed per query (default) or the mean over seeds")
    p.add_argument("--jobs", "-j", type=int, default=None, help="processes (default: every CPU core)")
    p.add_argument("--run-timeout", type=float, default=None, metavar="SECONDS",
                   help="end a run after SECONDS of wall-clock time, keeping what it evaluated (recorded as stopped: "
                        "timeout, a short run; study file: run_timeout); default: no limit")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="run on a Dask cluster at ADDRESS instead of a process pool (needs nasbench_lab[dask])")
    p.add_argument("--out", "-o", default=None, help="results folder (default: results/<benchmark>-<dataset>)")
    p.add_argument("--format", default="png,pdf", help="plot formats, comma-separated: png,pdf,svg (default png,pdf)")
    p.add_argument("--table-stat", default="mean", choices=("mean", "median"),
                   help="table.tex shows mean +- std (default) or median [IQR]")
    p.add_argument("--json", action="store_true", help="print summary.json to stdout")
    p.add_argument("--quiet", action="store_true", default=argparse.SUPPRESS, help="no progress bar or notes")
    p.set_defaults(func=run_compare)

    p = sub.add_parser("plot", help="redo a results folder's plots, tables and statistics",
                       description="Rebuild summary.json, tables, stats.json and plots from the runs in RESULTS.")
    p.add_argument("results", help="a folder written by `nasbench-lab compare`")
    p.add_argument("--format", default="png,pdf", help="plot formats, comma-separated: png,pdf,svg (default png,pdf)")
    p.add_argument("--table-stat", default="mean", choices=("mean", "median"),
                   help="table.tex shows mean +- std (default) or median [IQR]")
    p.add_argument("--json", action="store_true", help="print summary.json to stdout")
    p.add_argument("--quiet", action="store_true", default=argparse.SUPPRESS, help="no notes")
    p.set_defaults(func=run_plot)


def run_compare(args: argparse.Namespace) -> int:
    from nasbench_lab.studies.report import read_findings, write_report
    from nasbench_lab.studies.study import Study, StudySpec

    formats = _formats(args.format)
    if args.config:
        _refuse_flags_beside_config(args)
        spec = StudySpec.from_toml(args.config)
        out = args.out or os.path.join("results", spec.name)
    else:
        spec, out = _spec_from_flags(args)
    if args.plugins:
        spec = replace(spec, plugins=tuple(dict.fromkeys((*spec.plugins, *args.plugins))))
    if args.run_timeout is not None:
        spec = replace(spec, run_timeout=args.run_timeout)
    study = Study(spec, out)
    quiet = getattr(args, "quiet", False)
    ran = study.execute(jobs=args.jobs, scheduler=args.scheduler, progress=not quiet)
    total = len(study.runs())
    note(args, f"{ran} run(s) executed, {total - ran} already on disk; writing the report to {out}")
    summary = write_report(study, formats=formats, table_stat=args.table_stat)
    _note_reported_metric(args, study)
    if args.json:
        print_json(summary)
    else:
        table = study.out / "table.md"
        if not (len(spec.objectives) > 1 or spec.constraints):  # a multi-objective table says what it holds
            for line in _metric_lines(study):
                print(line)
        print(table.read_text() if table.is_file() else (study.out / "average_rank.md").read_text())
        for line in read_findings(study):
            print(line)
        print(f"results: {study.out}", file=sys.stdout)
    return 0


def _metric_lines(study) -> list[str]:
    """One line per benchmark naming the metric the printed values are (a bare table says "mean" of nothing, and
    a source without test accuracy, such as NB201 from PyPI, must not read as test accuracy)."""
    lines = []
    for key, ref in json.loads((study.out / "benchmarks.json").read_text()).items():
        search, report = ref.get("search_metric"), ref.get("report_metric")
        unit = f" ({ref['unit']})" if isinstance(ref.get("unit"), str) and ref["unit"] else ""
        if report is None:
            lines.append(f"{key}: values are the search metric {search}{unit} of the architecture each run found "
                         f"best (no {ref.get('missing_report_metric', 'report')} metric)")
        else:
            lines.append(f"{key}: values are the report metric {report}{unit} of the architecture each run found "
                         f"best by the search metric {search}")
    return lines


def _note_reported_metric(args: argparse.Namespace, study) -> None:
    """Says so when a benchmark lacks the report metric and the search metric is reported instead."""
    refs = json.loads((study.out / "benchmarks.json").read_text())
    for key, ref in refs.items():
        if ref.get("report_metric") is None:
            note(args, f"{key} has no {ref.get('missing_report_metric', 'report')} metric: reporting the search "
                       f"metric {ref.get('search_metric')} instead")


def run_plot(args: argparse.Namespace) -> int:
    from nasbench_lab.studies.report import write_report
    from nasbench_lab.studies.study import load_study

    formats = _formats(args.format)
    study = load_study(args.results)
    on_disk = sum((study.out / r.relpath).is_file() for r in study.runs())
    note(args, f"reading {on_disk} run(s) of {study.spec.name} and writing tables, statistics and "
               f"{'/'.join(formats)} plots to {study.out} (takes a few seconds)")
    summary = write_report(study, formats=formats, table_stat=args.table_stat)
    if args.json:
        print_json(summary)
    else:
        note(args, f"report written to {study.out}")
    return 0


def default_algorithms(bench, params: dict | None = None, on_skip: Callable[[str, Exception], None] | None = None,
                       search_metric: str | None = None, objectives: Objectives | None = None) -> list[str]:
    """The DEFAULT_ALGORITHMS that ``bench`` can run (e.g. hb needs several fidelities); ``on_skip`` hears the rest.

    With several ``objectives``: every registered multi-objective algorithm (``multi_objective_names()``, rs first)
    but those that need an optional package, so the default set does not depend on what is installed.
    """
    from nasbench_lab.search.base import OPTIMIZERS, make_optimizer, multi_objective_names
    from nasbench_lab.search.runner import search_problem

    metric = objectives.names[0] if objectives is not None else search_metric
    names, problem = [], search_problem(bench, metric, objectives)
    candidates: Sequence[str] = DEFAULT_ALGORITHMS
    if objectives is not None and objectives.multi:
        candidates = sorted((n for n in multi_objective_names() if not OPTIMIZERS.get(n).requires),
                            key=lambda n: n != "rs")  # the random-search baseline first, as in DEFAULT_ALGORITHMS
    for name in candidates:
        try:
            make_optimizer(name, problem, np.random.default_rng(0), **(params or {}).get(name, {}))
            names.append(name)
        except NasbenchLabError as exc:
            if on_skip is not None:
                on_skip(name, exc)
    return names


def _spec_from_flags(args: argparse.Namespace):
    from nasbench_lab.search.base import OPTIMIZERS
    from nasbench_lab.studies.study import AlgorithmEntry, BenchmarkEntry, StudySpec

    default_setting = args.benchmark is None and args.dataset is None and args.path is None
    if default_setting:
        args.dataset = DEFAULT_SETTING["dataset"]
        note(args, f"embedded default setting: {DEFAULT_SETTING['dataset']}, "
                   f"{args.seeds or DEFAULT_SETTING['seeds']} seeds, "
                   f"{args.budget or DEFAULT_SETTING['budget']} queries per run (chosen so that its statistics "
                   "separate algorithms; see docs/nbgraph.md)")
    seeds = args.seeds if args.seeds is not None else DEFAULT_SETTING["seeds"] if default_setting else DEFAULT_SEEDS
    bench = benchmark_from_args(args)  # says so when it falls back to the embedded default
    params = dotted_params(args.param, "ALGO")
    directions = _directions(args.direction, bench)
    objectives = objectives_from_args(args, bench, directions)
    reference_point = reference_point_from_args(args.reference_point, objectives)
    if args.algorithms is not None:
        names = [n.strip() for n in args.algorithms.split(",") if n.strip()]
        if not names:
            raise ConfigError(f"--algorithms names no algorithm (got {args.algorithms!r}); give comma-separated "
                              f"names of {', '.join(OPTIMIZERS.accepted())} (`nasbench-lab list algorithms`), or "
                              "leave it out for the defaults")
        for name in names:
            OPTIMIZERS.get(name)
    else:
        names = default_algorithms(bench, params, lambda name, exc: note(
            args, f"skipping {name} on {bench.name}/{bench.dataset}: {exc}"), search_metric=args.search_metric,
            objectives=objectives)
    unknown = sorted(set(params) - set(names))
    if unknown:
        raise ConfigError(f"--param names algorithm(s) {', '.join(unknown)} that are not compared "
                          f"(compared: {', '.join(names)})")
    fallback = DEFAULT_SETTING["budget"] if default_setting else DEFAULT_BUDGET
    budget = args.budget if args.budget is not None or args.budget_seconds is not None else fallback
    path = os.path.abspath(args.path) if args.path else None
    name = args.benchmark or (args.path if args.path and is_table_csv(Path(args.path)) else DEFAULT_BENCHMARK)
    name = os.path.abspath(name) if os.path.exists(name) else name  # a file or folder: workers may run elsewhere
    spec = StudySpec(benchmarks=(BenchmarkEntry(name, args.dataset, path, bool(args.allow_partial)),),
                     algorithms=tuple(AlgorithmEntry(n, n, params.get(n, {})) for n in names),
                     seeds=tuple(range(_positive(seeds, "--seeds"))), budget=budget,
                     budget_seconds=args.budget_seconds, workers=args.workers, valid_seed=args.valid_seed,
                     name=f"compare-{bench.name}-{bench.dataset}", fidelity=args.fidelity,
                     search_metric=args.search_metric, report_metric=args.report_metric, directions=directions,
                     objectives=tuple(parse_list(args.objectives, "--objectives")),
                     constraints=tuple(args.constraint), reference_point=reference_point)
    return spec, args.out or os.path.join("results", f"{bench.name}-{bench.dataset}")


def _positive(value: int, flag: str) -> int:
    if value < 1:
        raise ConfigError(f"{flag} must be >= 1, got {value}")
    if flag == "--seeds" and value > MAX_SEEDS:
        raise ConfigError(f"--seeds must be at most {MAX_SEEDS:,} (one run per seed), got {value:,}")
    return value


def _formats(text: str) -> list[str]:
    """The --format list; empty or unknown formats are refused naming the accepted ones."""
    formats = [f.strip().lower().lstrip(".") for f in text.split(",") if f.strip()]
    bad = [f for f in formats if f not in PLOT_FORMATS]
    if not formats or bad:
        raise ConfigError(f"--format takes comma-separated plot formats of {', '.join(PLOT_FORMATS)}, "
                          f"got {text!r}")
    return formats


def _refuse_flags_beside_config(args: argparse.Namespace) -> None:
    """--config sets the study itself: flags that it would silently override are refused, naming them."""
    given = [flag for dest, flag in CONFIG_CLASHES.items() if getattr(args, dest, None) not in (None, [], "")]
    if given:
        raise ConfigError(f"--config {args.config} sets the study itself: {', '.join(given)} would be ignored; "
                          "edit the study file instead, or drop --config and give the flags")


def _directions(items: list[str], bench) -> dict[str, str]:
    """--direction METRIC=min|max; METRIC must be a metric of the benchmark."""
    directions = parse_directions(items)
    known = list(bench.metrics)
    unknown = sorted(set(directions) - set(known))
    if unknown:
        raise ConfigError(f"--direction names no metric of {bench.name}/{bench.dataset}: {', '.join(unknown)}; "
                          f"accepted: {', '.join(known)}")
    return directions
