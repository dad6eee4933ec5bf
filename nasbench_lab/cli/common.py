"""Arguments shared by subcommands that need a benchmark."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from nasbench_lab.api import DEFAULT_BENCHMARK, load
from nasbench_lab.benchmarks.base import Benchmark
from nasbench_lab.errors import ConfigError
from nasbench_lab.loaders.table_csv import is_table_csv


def add_benchmark_args(parser: argparse.ArgumentParser) -> None:
    """--benchmark/--dataset/--path, defaulting to the embedded benchmark."""
    parser.add_argument("--benchmark", "-b", default=None,
                        help="benchmark name or a converted .h5/surrogate folder "
                             f"(default: embedded {DEFAULT_BENCHMARK})")
    parser.add_argument("--dataset", "-d", default=None, help="dataset (default: the benchmark's default)")
    parser.add_argument("--path", "-p", default=None,
                        help="data file: an official file, a flat CSV or a converted .h5")
    parser.add_argument("--allow-partial", action="store_true",
                        help="accept a CSV that lacks rows of the space (missing cells query as NaN; the count "
                             "is printed)")


def benchmark_name(args: argparse.Namespace) -> str:
    """The --benchmark given, or the embedded default (saying so on stderr)."""
    from nasbench_lab.cli.main import note

    if args.benchmark is not None:
        return args.benchmark
    if args.path and is_table_csv(Path(args.path)):  # a table of its own (arch: columns): no default involved
        return args.path
    note(args, f"no --benchmark given: using the embedded default {DEFAULT_BENCHMARK!r} "
               "(NAS-Bench-Graph, shipped with the nas-bench-graph package)")
    return DEFAULT_BENCHMARK


def benchmark_from_args(args: argparse.Namespace) -> Benchmark:
    """Loads the benchmark the arguments name; says so when it falls back to the embedded default."""
    return load(benchmark_name(args), dataset=args.dataset, path=args.path, allow_partial=args.allow_partial)


def dotted_params(items: list[str], owner: str) -> dict[str, dict]:
    """Parses repeated ``--param OWNER.KEY=VALUE`` (VALUE as JSON where it parses, else a string)."""
    out: dict[str, dict] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        name, dot, param = key.partition(".")
        if not sep or not dot or not name or not param:
            raise ConfigError(f"--param takes {owner}.KEY=VALUE (e.g. re.population_size=20), got {item!r}")
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        out.setdefault(name, {})[param] = value
    return out
