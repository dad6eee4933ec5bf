"""``nasbench_lab.load``: from a benchmark name and a file to a queryable Benchmark."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

from nasbench_lab.benchmarks.base import Benchmark
from nasbench_lab.benchmarks.spec import BENCHMARKS, DIRECT_LOADERS, BenchmarkSpec
from nasbench_lab.benchmarks.tabular import TabularBenchmark
from nasbench_lab.errors import ChecksumMismatchError, ConfigError, DataFileError, DataNote, UnknownNameError
from nasbench_lab.loaders.flat_csv import MISSING_NOTE
from nasbench_lab.loaders.space_kinds import enumerable_space
from nasbench_lab.loaders.table_csv import TableCsvLoader, is_table_csv, sidecar_path
from nasbench_lab.loaders.table_csv import read_header as read_csv_header
from nasbench_lab.paths import cached_table_path
from nasbench_lab.spaces.base import EnumerableSpace
from nasbench_lab.spaces.table_space import TableSpace
from nasbench_lab.tables.checksums import describe_source, restat, stat_unchanged, verify_source
from nasbench_lab.tables.hdf5 import (
    FORMAT,
    TableHeader,
    is_table_file,
    read_table,
    read_table_header,
    write_table,
)
from nasbench_lab.tables.table import BenchmarkTable, SourceFile

DEFAULT_BENCHMARK = "nbgraph"


def _checked_sources(path: Path, verify: bool) -> TableHeader:
    """The header of a table file (opened once), after checking that its sources did not change."""
    header = read_table_header(path)
    for source in header.sources:
        verify_source(source, full=verify)
    return header


def _checked_header(path: Path, verify: bool) -> tuple[str, list[str]]:
    """(benchmark, datasets) of a table file, after checking that its sources did not change."""
    header = _checked_sources(path, verify)
    return header.benchmark, header.datasets


def _users_table_header(path: Path, verify: bool) -> tuple[str, list[str]]:
    """Like _checked_header, for a table the user converted: a changed source is theirs to convert again."""
    try:
        return _checked_header(path, verify)
    except ChecksumMismatchError as exc:
        raise ChecksumMismatchError(f"{path}: {exc}; load the source itself, or convert it again with "
                                    f"`nasbench-lab convert --path SOURCE --out {path}`") from None


def _check_path_type(value: object, what: str) -> None:
    if value is not None and not isinstance(value, (str, os.PathLike)):
        raise ConfigError(f"{what} must be a file path (str or os.PathLike), got {type(value).__name__} {value!r}")


def load(name: str | os.PathLike | None = None, dataset: str | None = None,
         path: str | os.PathLike | None = None, *, cache_dir: str | os.PathLike | None = None,
         rebuild: bool = False, verify: bool = False, allow_partial: bool = False) -> Benchmark:
    """Loads benchmark ``name`` for ``dataset`` from ``path``.

    ``path`` may be an official file (converted once and cached as HDF5; converted again, with a
    note, when the source changes), a flat CSV, a CSV with ``arch:`` columns (a benchmark of its own,
    see docs/tables.md) or a converted ``.h5``; ``name`` (default: the embedded benchmark) may itself be
    a path to such a CSV, a converted table or a fitted surrogate folder. ``rebuild`` converts again;
    ``verify`` recomputes source checksums in full; ``allow_partial`` accepts a CSV that lacks rows of
    the space.
    """
    _check_path_type(name, "name")
    _check_path_type(path, "path")
    _check_path_type(cache_dir, "cache_dir")
    csv_source = _table_csv_source(name, path)
    if csv_source is not None and path is not None and name is not None and str(name) in BENCHMARKS:
        raise ConfigError(f"{path} is a table with arch: columns, a benchmark of its own, not a {name} file; "
                          f"give it as the benchmark itself (load({str(path)!r}), CLI -b {path}) or give a {name} "
                          f"file as the path")
    name = DEFAULT_BENCHMARK if name is None else name
    if csv_source is not None:
        table_path = table_csv_file(csv_source, cache_dir=cache_dir, rebuild=rebuild, verify=verify,
                                    allow_partial=allow_partial)
        return _load_path(table_path, dataset, verify, source_name=csv_source.name)
    if path is None and (Path(name).exists() and (Path(name).is_dir() or is_table_file(Path(name))
                                                  or Path(name).suffix in (".h5", ".hdf5"))):
        return _load_path(Path(name), dataset, verify)
    if str(name) not in BENCHMARKS and path is not None and Path(path).is_dir():
        return _load_path(Path(path), dataset, verify)  # e.g. load("nb301", path=MODEL_FOLDER)
    spec = BENCHMARKS.get(str(name))
    dataset = spec.resolve_dataset(dataset)
    table_path = table_file(spec, path, rebuild=rebuild, cache_dir=cache_dir, verify=verify,
                            allow_partial=allow_partial)
    try:
        table = read_table(table_path, [dataset])
    except DataFileError:
        if path is None or is_table_file(Path(path)):
            raise  # the user's own table file: report it
        # a damaged cache (e.g. a flipped byte caught by the HDF5 checksum): convert the source again
        table_path = table_file(spec, path, rebuild=True, cache_dir=cache_dir, verify=verify,
                                allow_partial=allow_partial)
        table = read_table(table_path, [dataset])
    return _tabular(spec.name, spec, table, dataset)


def _load_path(path: Path, dataset: str | None, verify: bool, source_name: str | None = None) -> Benchmark:
    """A benchmark from a table file or folder; ``source_name``: the table CSV it was converted from (its
    benchmark is then no registered one, whatever its name)."""
    for loader_name in DIRECT_LOADERS:
        bench = DIRECT_LOADERS.get(loader_name)(path, dataset)
        if bench is not None:
            return bench
    _check_not_empty(path)
    if not is_table_file(path):
        raise DataFileError(f"{path} is neither a converted table (.h5) nor a fitted surrogate folder")
    benchmark, datasets = _users_table_header(path, verify)
    spec = BENCHMARKS.get(benchmark) if benchmark in BENCHMARKS and source_name is None else None
    if source_name is not None and dataset is not None and dataset not in datasets:
        raise UnknownNameError(f"dataset of {source_name}", dataset, datasets)
    if dataset is None:
        dataset = spec.default_dataset if spec and spec.default_dataset in datasets else datasets[0]
    elif spec is not None:
        dataset = spec.dataset_aliases.get(dataset, dataset)
    table = read_table(path, [dataset])
    return _tabular(benchmark, spec, table, dataset)


def _tabular(name: str, spec: BenchmarkSpec | None, table: BenchmarkTable, dataset: str) -> TabularBenchmark:
    dt = table.datasets[dataset]
    notes = dict(spec.notes.get(dataset, {})) if spec else {}
    if table.attrs.get("report_metric"):  # a source naming its own report: its notes say what search and report are
        notes = {k: v for k, v in notes.items() if k not in dt.notes}
    record = table.spaces.get(dt.space)
    space: EnumerableSpace
    if record is not None:  # a space the table defines itself (from a file's arch: columns)
        space = TableSpace(record.definition["name"], record.definition["columns"], record.members)
    else:
        space = enumerable_space(dt.space)  # a table lists every architecture of its space
    bench = TabularBenchmark(name, dt, space, notes=notes, sources=table.sources)
    # a source without test accuracy names its own (honest) search and report metrics
    for role in ("search_metric", "report_metric"):
        if table.attrs.get(role) in dt.metrics:
            setattr(bench, role, table.attrs[role])
    return bench


def _table_csv_source(name: str | os.PathLike | None, path: str | os.PathLike | None) -> Path | None:
    """The CSV with ``arch:`` columns that ``load(name, path=path)`` names, if it names one; an error naming
    what is missing when a CSV meant as a table of its own (no benchmark named) lacks them."""
    named = path if path is not None else name
    if named is None:
        return None
    candidate = Path(named)
    if is_table_csv(candidate):
        return candidate
    if (path is None or name is None) and candidate.suffix.lower() == ".csv" and candidate.is_file():
        header = read_csv_header(candidate)
        if not header:
            raise DataFileError(f"{candidate}: empty file (no header row)")
        if path is None or {"metric", "value"} <= set(header) or not any(c in header for c in ("index", "arch_str")):
            raise DataFileError(f"{candidate}: no architecture column; name each architecture choice arch:<name> "
                                f"(columns found: {', '.join(header)})")
    return None


def table_csv_file(source: Path, *, cache_dir: str | os.PathLike | None = None, rebuild: bool = False,
                   verify: bool = False, allow_partial: bool = False) -> Path:
    """The converted HDF5 table of a CSV with ``arch:`` columns (and its sidecar): cached, or converted now
    (``allow_partial``: the caller accepts missing values, as for flat CSVs)."""
    target = cached_table_path("table", source, Path(cache_dir) if cache_dir else None)
    if target.exists() and not rebuild:
        try:
            header = _checked_sources(target, verify)
            side = sidecar_path(source)
            recorded = {s.path for s in header.sources}
            # a sidecar added or removed: convert again
            if side.is_file() == (str(side.resolve()) in recorded) and \
                    _partial_cache_usable(header, source, allow_partial):
                return target
        except ChecksumMismatchError as exc:
            warnings.warn(f"{exc}: converting it again", DataNote, stacklevel=2)
        except DataFileError:
            pass  # a damaged cache is rebuilt below
    return convert_table_csv(source, target, allow_partial=allow_partial)


def convert_table_csv(source: Path, target: Path, *, allow_partial: bool = False) -> Path:
    """Converts a CSV with ``arch:`` columns to the HDF5 table at ``target`` (atomically)."""
    table = TableCsvLoader().convert(source, allow_partial=allow_partial)
    side = sidecar_path(source)
    table.sources = [describe_source(source)] + ([describe_source(side)] if side.is_file() else [])
    table.attrs.setdefault("loader", TableCsvLoader.name)
    return write_table(table, target)


def _check_not_empty(path: Path) -> None:
    if path.is_file() and path.stat().st_size == 0:
        raise DataFileError(f"{path} is empty (0 bytes): an interrupted download, copy or conversion?")


def find_loader(spec: BenchmarkSpec, path: Path):
    """The first of the spec's loaders that accepts ``path``; a clear error when none does."""
    for loader in spec.loaders:
        if loader.accepts(path):
            return loader
    accepted = "; ".join(f"{lo.name}: {lo.accepts_description}" for lo in spec.loaders)
    raise DataFileError(f"{path} is not a file that benchmark {spec.name} can read; accepted: {accepted}")


def table_file(spec: BenchmarkSpec, path: str | os.PathLike | None, *, cache_dir: str | os.PathLike | None = None,
               rebuild: bool = False, verify: bool = False, allow_partial: bool = False) -> Path:
    """The converted HDF5 table for ``path``: the file itself, the cache, or a fresh conversion.

    A cached table whose source changed is converted again, with a one-line DataNote.
    """
    if path is None:
        path = spec.embedded_path() if spec.embedded_path else None
        if path is None:
            path = package_source(spec)
        if path is None:
            raise DataFileError(f"benchmark {spec.name} needs a data file: pass path=... ({spec.where_to_get})")
    source = Path(path)
    if not source.exists():
        raise DataFileError(f"data file not found: {source} ({spec.where_to_get})")
    _check_not_empty(source)
    if is_table_file(source):
        benchmark, _ = _users_table_header(source, verify)
        if benchmark != spec.name:
            raise DataFileError(f"{source} holds benchmark {benchmark!r}, not {spec.name!r}")
        return source
    target = cached_table_path(spec.name, source, Path(cache_dir) if cache_dir else None)
    if target.exists() and not rebuild:
        try:
            header = _checked_sources(target, verify)
            _refresh_source_stats(target, header.sources)
            if _same_source_files(spec, source, header) and _partial_cache_usable(header, source, allow_partial):
                return target
        except ChecksumMismatchError as exc:
            warnings.warn(f"{exc}: converting it again", DataNote, stacklevel=2)
        except DataFileError:
            pass  # a damaged cache is rebuilt below
    return convert(spec, source, target, allow_partial=allow_partial)


def refreshed_cache_table(spec: BenchmarkSpec, table: Path, *, allow_partial: bool = False) -> Path:
    """A table of the cache as ``load`` would now make it from its source: converted again when the files its loader
    reads differ (device latencies downloaded since, an edited source); ``table`` itself when it is not the cache
    entry of a source that is still there (a folder's table, a table whose source moved)."""
    sources = read_table_header(table).sources
    source = Path(sources[0].path) if sources else None
    if source is None or not source.exists() or cached_table_path(spec.name, source, table.parent) != table:
        return table
    return table_file(spec, source, cache_dir=table.parent, allow_partial=allow_partial)


def package_source(spec: BenchmarkSpec) -> Path | None:
    """The installed package's data for ``spec`` (saying so, a DataNote naming the source), or None."""
    path = spec.package_path() if spec.package_path else None
    if path is not None:
        warnings.warn(f"no path given: {spec.package_note} ({path})", DataNote, stacklevel=3)
    return path


def _same_source_files(spec: BenchmarkSpec, source: Path, header: TableHeader) -> bool:
    """Whether a cached table was converted from the files a conversion would read now (a folder's part file
    added or removed since: convert again)."""
    wanted = {str(p.resolve()) for p in find_loader(spec, source).source_files(source)}
    return wanted == {s.path for s in header.sources}


def _partial_cache_usable(header: TableHeader, source: Path, allow_partial: bool) -> bool:
    """Whether a cached table may answer: one converted from a partial source only where the caller, too, says
    partial is fine (told again how much is missing); otherwise the source is converted again, which names
    the missing rows exactly as a first conversion does."""
    missing = [notes[MISSING_NOTE] for notes in header.notes.values() if MISSING_NOTE in notes]
    if missing and allow_partial:
        warnings.warn(f"{source}: {missing[0]} (they query as NaN)", DataNote, stacklevel=3)
    return allow_partial or not missing


def _refresh_source_stats(target: Path, sources: list[SourceFile]) -> None:
    """Records the current stat of sources whose bytes were found unchanged (a copy, a chmod, a table written
    before ctimes were recorded), so that the next load checks the stat again instead of hashing every time.
    ``sources``: the table's, as just read (a warm load opens the table header once, not twice)."""
    if all(stat_unchanged(s) or not Path(s.path).exists() for s in sources):
        return
    table = read_table(target)
    table.sources = [restat(s) for s in table.sources]
    try:
        write_table(table, target)
    except OSError:
        pass  # a read-only or full cache: the table is still right, the next load hashes again


def convert(spec: BenchmarkSpec, source: Path, target: Path, *, allow_partial: bool = False) -> Path:
    """Converts an official file to the HDF5 table at ``target`` (atomically)."""
    loader = find_loader(spec, source)
    table = loader.read(source, allow_partial=allow_partial)
    table.sources = [describe_source(p) for p in loader.source_files(source)]
    table.attrs.setdefault("loader", loader.name)
    return write_table(table, target)


def list_benchmarks() -> list[str]:
    """Names of the registered benchmarks."""
    return BENCHMARKS.names()


__all__ = ["DIRECT_LOADERS", "FORMAT", "convert", "convert_table_csv", "list_benchmarks", "load", "package_source",
           "refreshed_cache_table", "table_csv_file", "table_file"]
