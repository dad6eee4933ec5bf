"""Data subcommands: list, info, query, convert, export."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TypedDict

import numpy as np

from nasbench_lab.api import DEFAULT_BENCHMARK, convert, convert_table_csv, table_csv_file, table_file
from nasbench_lab.benchmarks.spec import BENCHMARKS
from nasbench_lab.benchmarks.tabular import TabularBenchmark
from nasbench_lab.cli.cmd_download import official_files_report, print_official_files
from nasbench_lab.cli.common import (
    add_benchmark_args,
    add_objective_args,
    benchmark_from_args,
    benchmark_name,
    objectives_from_args,
    reference_point_from_args,
    resolve_path,
)
from nasbench_lab.cli.main import note, print_json
from nasbench_lab.errors import ConfigError, DataFileError
from nasbench_lab.loaders.flat_csv import write_flat_csv
from nasbench_lab.loaders.table_csv import is_table_csv, sidecar_path, write_tidy_csv
from nasbench_lab.paths import cache_dir
from nasbench_lab.spaces.base import EnumerableSpace
from nasbench_lab.spaces.registry import space as get_space
from nasbench_lab.tables.hdf5 import check_table_target, read_header, read_summary, read_table

#: what ``list`` lists
LISTINGS = ("benchmarks", "algorithms", "predictors")


class BenchmarkListing(TypedDict):
    """One benchmark in ``list``: what it reads, its embedded data and its converted tables in the cache."""

    name: str
    description: str
    datasets: list[str]
    default_dataset: str
    accepted_files: list[str]
    embedded_data: str | None
    embedded_present: bool
    converted_tables: list[dict]


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("list", help="benchmarks (default), algorithms or predictors",
                       description="List registered benchmarks with their datasets, accepted files, the embedded "
                                   "data, every converted table in the cache (metrics and fidelities), and "
                                   "whether each official file is present, verified and converted; or, with "
                                   "`list algorithms` / `list predictors`, every search algorithm or predictor "
                                   "with its description, parameters and defaults, and what it needs.")
    p.add_argument("what", nargs="?", default="benchmarks", choices=LISTINGS,
                   help="what to list (default benchmarks)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run_list)

    p = sub.add_parser("info", help="describe one benchmark: metrics, units, seeds, fidelities, split semantics",
                       description="Describe one benchmark; with --objectives, also the exact Pareto front of its "
                                   "listed table for them (size, reference point; computed once and cached).")
    add_benchmark_args(p)
    add_objective_args(p, "with them, the size and reference point of the table's exact Pareto front")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run_info)

    p = sub.add_parser("query", help="query metrics of architectures given by official string or index",
                       description="Query a benchmark. Architectures by --arch (official string, repeatable) or "
                                   "--index (official index, repeatable).")
    add_benchmark_args(p)
    p.add_argument("--arch", "-a", action="append", default=[], help="official architecture string")
    p.add_argument("--index", "-i", action="append", type=int, default=[], help="official architecture index")
    p.add_argument("--metric", "-m", action="append", default=None,
                   help="metric name (repeatable; default: the search and report metrics)")
    p.add_argument("--fidelity", "-f", type=int, default=None, help="epochs (default: the highest with data)")
    p.add_argument("--seed", default="mean", help="'mean' (default) or a seed index")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run_query)

    p = sub.add_parser("convert", help="convert an official file to the HDF5 table format (cached)",
                       description="Convert once; later loads read the HDF5 in milliseconds.")
    add_benchmark_args(p)
    p.add_argument("--out", "-o", default=None, help="output .h5 (default: the cache folder)")
    p.add_argument("--force", action="store_true", help="convert again even if a cached table exists")
    p.set_defaults(func=run_convert)

    p = sub.add_parser("export", help="export a benchmark's table as a flat CSV (the layout `load` reads back)")
    add_benchmark_args(p)
    p.add_argument("--csv", required=True, help="output CSV path")
    p.add_argument("--key", default="arch_str", help="architecture key column besides index (default arch_str)")
    p.add_argument("--tidy", action="store_true",
                   help="write the tidy layout (arch:<name> columns, one row per value, plus a .space.json sidecar) "
                        "that `load` reads as a table of its own; the default for tables read from such a CSV")
    p.set_defaults(func=run_export)


def _spec_from_args(args: argparse.Namespace):
    return BENCHMARKS.get(benchmark_name(args))


def run_list(args: argparse.Namespace) -> int:
    if args.what != "benchmarks":
        from nasbench_lab.cli.catalog import algorithm_entries, format_entries, predictor_entries

        entries = algorithm_entries() if args.what == "algorithms" else predictor_entries()
        if args.json:
            print_json([e.as_dict() for e in entries])
        else:
            print(format_entries(entries))
        return 0
    cached: dict[str, list[dict]] = {}
    folder = cache_dir()
    for path in sorted(folder.glob("*.h5")) if folder.is_dir() else []:
        try:
            benchmark, sources, _ = read_header(path)
            summary = read_summary(path)
        except DataFileError as exc:  # one bad file in the cache never stops the listing: it is named and skipped
            cached.setdefault("(unreadable)", []).append({"path": str(path), "error": str(exc)})
            note(args, f"skipped an unreadable table in the cache: {exc}")
            continue
        cached.setdefault(benchmark, []).append({
            "path": str(path), "sources": [s.path for s in sources],
            "sources_present": all(Path(s.path).exists() for s in sources), "datasets": summary})
    out: list[BenchmarkListing] = []
    for name in BENCHMARKS:
        spec = BENCHMARKS.get(name)
        embedded = spec.embedded_path() if spec.embedded_path else None
        out.append({
            "name": name, "description": spec.description, "datasets": list(spec.datasets),
            "default_dataset": spec.default_dataset,
            "accepted_files": [f"{lo.name}: {lo.accepts_description}" for lo in spec.loaders],
            "embedded_data": str(embedded) if embedded else None,
            "embedded_present": bool(embedded and Path(embedded).exists()),
            "converted_tables": cached.get(name, []),
        })
    official = official_files_report()
    if args.json:
        print_json({"cache_dir": str(folder), "benchmarks": out, "official_files": official})
        return 0
    print(f"cache folder: {folder}")
    for b in out:
        default = "  [embedded default]" if b["name"] == DEFAULT_BENCHMARK else ""
        print(f"\n{b['name']}{default}: {b['description']}")
        compare_default = ""
        if b["name"] == DEFAULT_BENCHMARK:
            from nasbench_lab.cli.cmd_compare import DEFAULT_SETTING

            compare_default = (f"; `compare` with no --benchmark/--dataset/--path runs {DEFAULT_SETTING['dataset']}, "
                               f"{DEFAULT_SETTING['seeds']} seeds, {DEFAULT_SETTING['budget']} queries")
        print(f"  datasets: {', '.join(b['datasets'])} (default {b['default_dataset']}{compare_default})")
        for accepted in b["accepted_files"]:
            print(f"  reads   {accepted}")
        if b["embedded_data"]:
            print(f"  embedded data: {b['embedded_data']} ({'present' if b['embedded_present'] else 'MISSING'})")
        if not b["converted_tables"] and not b["embedded_data"]:
            print("  no converted table in the cache yet: pass --path to an official file")
        for t in b["converted_tables"]:
            state = "present" if t["sources_present"] else "source moved/deleted (table still usable)"
            print(f"  table {t['path']} (from {', '.join(t['sources'])}; {state})")
            for ds, s in t["datasets"].items():
                print(f"    {ds}: fidelities {s['fidelities']}, metrics {', '.join(s['metrics'])}")
    print_official_files(official)
    return 0


def run_info(args: argparse.Namespace) -> int:
    bench = benchmark_from_args(args)
    info = bench.describe()
    objectives = objectives_from_args(args, bench)
    point = reference_point_from_args(args.reference_point, objectives)
    if objectives is not None and objectives.multi:
        from nasbench_lab.analysis.table_front import front_summary, table_reference

        info["pareto_front"] = front_summary(objectives, table_reference(bench, objectives, point), point is not None)
    if args.json:
        print_json(info)
        return 0
    print(f"{info.get('benchmark')} / {info.get('dataset')}  (space {info.get('space')}, "
          f"{info.get('architectures')} architectures, fidelities {info.get('fidelities')})")
    print(f"search on: {info.get('search_metric')}   report: {info.get('report_metric')}")
    for name, m in info.get("metrics", {}).items():
        print(f"  {name:<14} {m.get('kind', ''):<10} unit={m.get('unit', '')!s:<7} seeds={m.get('seeds')} "
              f"fidelities={m.get('fidelities')} coverage={m.get('coverage')}")
    for key, text in info.get("notes", {}).items():
        print(f"  note ({key}): {text}")
    front = info.get("pareto_front")
    if front:
        names = ", ".join(f"{n} ({'max' if h else 'min'})" for n, h in zip(front["objectives"],
                                                                          front["higher_is_better"]))
        subject = f" subject to {' and '.join(front['constraints'])}" if front["constraints"] else ""
        shown = ", ".join(f"{n}={v:.6g}" for n, v in zip(front["objectives"], front["reference_point"]))
        print(f"exact Pareto front of {names}{subject}: {front['size']} architecture(s) (seed means); "
              f"reference point {shown} ({front['reference_rule']}); hypervolume "
              f"{front['hypervolume_normalized']:.6g} (normalized)")
    return 0


def _parse_seed(text: str):
    if text == "mean":
        return "mean"
    try:
        return int(text)
    except ValueError:
        raise ConfigError(f"--seed must be 'mean' or a seed index, got {text!r}") from None


def run_query(args: argparse.Namespace) -> int:
    bench = benchmark_from_args(args)
    space = bench.space
    archs = [space.from_string(a) for a in args.arch]
    if args.index:
        if not isinstance(space, EnumerableSpace):
            raise ConfigError(f"space {space.name} has no official indices; use --arch")
        archs += list(space.from_index(np.asarray(args.index)))
    if not archs:
        raise ConfigError("give at least one architecture with --arch STRING or --index N")
    metrics = args.metric or [m for m in (bench.search_metric, bench.report_metric) if m]
    seed = _parse_seed(args.seed)
    batch = np.stack(archs)
    rows = []
    values = {m: bench.query_batch(batch, m, args.fidelity, seed) for m in metrics}
    for i, arch in enumerate(batch):
        row: dict[str, str | int | float] = {"arch": space.to_string(arch)}
        if isinstance(space, EnumerableSpace):
            row["index"] = int(space.index(arch))
        row.update({m: float(values[m][i]) for m in metrics})
        rows.append(row)
    if args.json:
        print_json({"benchmark": bench.name, "dataset": bench.dataset, "fidelity": args.fidelity,
                    "seed": seed, "results": rows})
        return 0
    for row in rows:
        print("  ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()))
    return 0


def _table_csv(args: argparse.Namespace) -> Path | None:
    """The CSV with arch: columns that --benchmark/--path name, if they name one."""
    for candidate in (args.path, args.benchmark):
        if candidate and is_table_csv(Path(candidate)):
            return Path(candidate)
    return None


def run_convert(args: argparse.Namespace) -> int:
    source = _table_csv(args)
    if source is not None and args.out:
        check_table_target(args.out, (source, sidecar_path(source)))
    if source is not None:
        target = convert_table_csv(source, Path(args.out), allow_partial=args.allow_partial) if args.out else \
            table_csv_file(source, rebuild=args.force, allow_partial=args.allow_partial)
        print(target)
        return 0
    spec = _spec_from_args(args)
    if args.out:
        if not args.path:
            raise ConfigError("--out needs --path (the official file to convert)")
        check_table_target(args.out, (args.path,))
        target = convert(spec, Path(args.path), Path(args.out), allow_partial=args.allow_partial)
    else:
        target = table_file(spec, args.path, rebuild=args.force, allow_partial=args.allow_partial)
    print(target)
    return 0


def run_export(args: argparse.Namespace) -> int:
    source = _table_csv(args)
    if source is not None or args.tidy:
        bench = benchmark_from_args(args)
        if not isinstance(bench, TabularBenchmark):
            raise ConfigError(f"space {bench.space.name} is not enumerable; only tables export to CSV")
        write_tidy_csv(Path(args.csv), bench.space, {bench.dataset: bench.table})
        note(args, f"wrote {args.csv} and {sidecar_path(Path(args.csv))} (dataset {bench.dataset})")
        print(args.csv, file=sys.stdout)
        return 0
    spec = _spec_from_args(args)
    datasets = [spec.resolve_dataset(args.dataset)] if args.dataset else None
    table = read_table(table_file(spec, resolve_path(args), allow_partial=args.allow_partial), datasets)
    spaces = {ds.space for ds in table.datasets.values()}
    if len(spaces) != 1:
        raise ConfigError(f"benchmark {spec.name} has datasets in different search spaces "
                          f"({', '.join(sorted(spaces))}); export one space per CSV with --dataset")
    space = get_space(spaces.pop())
    if not isinstance(space, EnumerableSpace):
        raise ConfigError(f"space {space.name} is not enumerable; only tables export to CSV")
    write_flat_csv(Path(args.csv), space, table.datasets, key=args.key)
    note(args, f"wrote {args.csv}")
    print(args.csv, file=sys.stdout)
    return 0
