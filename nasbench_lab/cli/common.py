"""Arguments shared by subcommands that need a benchmark."""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Mapping
from pathlib import Path

from nasbench_lab.api import DEFAULT_BENCHMARK, load, refreshed_cache_table
from nasbench_lab.benchmarks.base import Benchmark
from nasbench_lab.benchmarks.spec import BENCHMARKS
from nasbench_lab.errors import ConfigError, DataFileError, NasbenchLabError
from nasbench_lab.loaders.flat_csv import MISSING_NOTE
from nasbench_lab.loaders.table_csv import is_table_csv
from nasbench_lab.paths import cache_dir
from nasbench_lab.results.objective_choice import resolve_objectives
from nasbench_lab.results.objectives import Objectives
from nasbench_lab.tables.hdf5 import read_table_header


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


def cached_tables(benchmark: str, dataset: str, allow_partial: bool = False) -> list[Path]:
    """Converted tables in the cache holding ``dataset`` of ``benchmark`` (those converted from a partial
    source only with ``allow_partial``); unreadable cache entries are skipped."""
    folder = cache_dir()
    found = []
    package = _package_dir(benchmark)
    for path in sorted(folder.glob("*.h5")) if folder.is_dir() else []:
        try:
            header = read_table_header(path)
        except (NasbenchLabError, OSError):
            continue
        if package is not None and any(Path(s.path).parent == package for s in header.sources):
            continue  # the package source's own cache (with device latencies, their files too): used, and said so,
            # when no other table is there
        notes = header.notes.get(dataset)
        if header.benchmark == benchmark and notes is not None and (allow_partial or MISSING_NOTE not in notes):
            found.append(path)
    return found


def _package_dir(benchmark: str) -> Path | None:
    """The resolved data folder of ``benchmark``'s installed package source, if it has one."""
    spec = BENCHMARKS.get(benchmark) if benchmark in BENCHMARKS else None
    path = spec.package_path() if spec is not None and spec.package_path else None
    return path.resolve() if path is not None else None


def resolve_path(args: argparse.Namespace) -> str | None:
    """``args.path``, or where none is given for a registered benchmark without embedded data, its one converted
    table in the cache holding the dataset (a note says so); an error naming --path when there is none or several.
    Sets ``args.path`` to what it returns (a study records the table it ran on)."""
    if args.path is None and args.benchmark in BENCHMARKS:
        args.path = _cached_table_for(args)
    return args.path


def _cached_table_for(args: argparse.Namespace) -> str | None:
    from nasbench_lab.cli.main import note

    spec = BENCHMARKS.get(args.benchmark)
    if spec.embedded_path is not None and spec.embedded_path() is not None:
        return None
    dataset = spec.resolve_dataset(args.dataset)
    found = cached_tables(spec.name, dataset, getattr(args, "allow_partial", False))
    partial = [] if found or getattr(args, "allow_partial", False) else cached_tables(spec.name, dataset, True)
    if not found and not partial and spec.package_path is not None and spec.package_path() is not None:
        return None  # load() reads the installed package's data and says so (a user's partial table is never skipped)
    if not found:
        there = (f"only a partial one ({partial[0]}; add --allow-partial to use it)" if partial
                 else "none (`nasbench-lab list` shows what is there)")
        raise DataFileError(f"benchmark {spec.name} needs a data file: pass --path ({spec.where_to_get}); "
                            f"converted tables of {spec.name}/{dataset} in the cache {cache_dir()}: {there}")
    if len(found) > 1:
        raise ConfigError(f"{len(found)} converted tables of {spec.name}/{dataset} are in the cache: choose one "
                          f"with --path ({', '.join(map(str, found))})")
    note(args, f"no --path given: reading the converted table {found[0]} of {spec.name}/{dataset} from the cache")
    # converted again first if its source's files changed (e.g. HELP's device latencies downloaded beside it since)
    return str(refreshed_cache_table(spec, found[0], allow_partial=getattr(args, "allow_partial", False)))


def benchmark_from_args(args: argparse.Namespace) -> Benchmark:
    """Loads the benchmark the arguments name; says so when it falls back to the embedded default or reads a
    converted table from the cache."""
    name = benchmark_name(args)
    return load(name, dataset=args.dataset, path=resolve_path(args), allow_partial=args.allow_partial)


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


def add_objective_args(parser: argparse.ArgumentParser, what: str) -> None:
    """--objectives, --constraint (repeatable) and --reference-point; ``what`` says what they choose."""
    parser.add_argument("--objectives", default=None, metavar="METRIC[:min|max],...",
                        help=f"several objectives, comma-separated, e.g. valid_acc,latency_gold_6226 ({what}; each "
                             "direction from its metric unless a :min/:max suffix says)")
    parser.add_argument("--constraint", action="append", default=[], metavar="METRIC<=NUMBER",
                        help="keep only architectures satisfying it, e.g. \"latency_pixel3<=20\" (on cost, size or "
                             "proxy metrics; repeatable)")
    parser.add_argument("--reference-point", default=None, metavar="NUMBER,...",
                        help="hypervolume reference point, one number per objective in its own units, no better than "
                             "any architecture of the table (default: 10%% of the table's range beyond its worst "
                             "value in each objective)")


def objectives_from_args(args: argparse.Namespace, bench: Benchmark,
                         directions: Mapping[str, str] | None = None) -> Objectives | None:
    """The --objectives/--constraint given, checked against ``bench`` (None when neither is given)."""
    if args.objectives is None and not args.constraint:
        return None
    if args.objectives is not None and not args.objectives.strip():
        raise ConfigError("--objectives names no metric (got ''); give comma-separated metrics such as "
                          "valid_acc,latency_gold_6226, or leave it out")
    return resolve_objectives(bench, args.objectives, args.constraint, directions,
                              getattr(args, "search_metric", None))


def reference_point_from_args(text: str | None, objectives: Objectives | None) -> tuple[float, ...] | None:
    """--reference-point NUMBER,... (one per objective; checked against the table where the front is computed)."""
    if text is None:
        return None
    if objectives is None or not objectives.multi:
        raise ConfigError("--reference-point needs several --objectives (one number per objective)")
    try:
        values = tuple(float(p) for p in text.split(","))
    except ValueError:
        values = ()
    if len(values) != objectives.n or not all(math.isfinite(v) for v in values):
        raise ConfigError(f"--reference-point takes {objectives.n} comma-separated numbers, one per objective "
                          f"({', '.join(objectives.names)}) in its own units, got {text!r}")
    return values
