"""The flat CSV layout: one row per architecture, one column per (dataset, metric, fidelity).

Column names are ``{dataset}_{metric}_{fidelity}ep`` with an optional unit token (``_s``)
and an optional ``_per_seed`` (values joined by ``;``) or ``_mean`` suffix; columns without
``{fidelity}ep`` (e.g. ``cifar10_params_mb``) hold for every fidelity. Rows are keyed by a
key column the space understands (``index``, ``arch_str``, ``nb101_hash``, ...).
This is also what ``nasbench-lab export --csv`` writes.
"""

from __future__ import annotations

import csv
import re
import warnings
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nasbench_lab.errors import DataFileError, DataNote, InvalidArchitectureError
from nasbench_lab.fileio import atomic_open
from nasbench_lab.loaders.base import RowCheckingLoader
from nasbench_lab.loaders.csv_cells import parse_numbers, read_csv, value_bounds
from nasbench_lab.loaders.space_kinds import enumerable_space
from nasbench_lab.spaces.base import EnumerableSpace
from nasbench_lab.tables.table import BenchmarkTable, DatasetTable, MetricTable

_FID = re.compile(r"^(\d+)ep$")
_AGGREGATES = ("per_seed", "mean")
_UNIT_TOKENS = {"s": "s", "mb": "M"}


@dataclass(frozen=True)
class ColumnSpec:
    """A parsed metric column name."""

    column: str
    dataset: str
    metric: str
    fidelity: int | None
    aggregate: str  # "per_seed", "mean" or "" (a single value)
    unit: str


def parse_column(name: str) -> ColumnSpec | None:
    """Parses a metric column name; None for columns that are not metric columns."""
    tokens = name.split("_")
    if len(tokens) < 2:
        return None
    aggregate = ""
    if len(tokens) >= 3 and "_".join(tokens[-2:]) == "per_seed":
        aggregate, tokens = "per_seed", tokens[:-2]
    elif tokens[-1] == "mean":
        aggregate, tokens = "mean", tokens[:-1]
    unit = ""
    fid = next(((i, match) for i, t in enumerate(tokens) if i > 0 and (match := _FID.match(t))), None)
    if fid is None:
        if tokens[-1] in _UNIT_TOKENS and len(tokens) > 2:
            unit = _UNIT_TOKENS[tokens[-1]]
        metric_tokens, fidelity = tokens[1:], None
    else:
        fid_pos, fid_match = fid
        rest = tokens[fid_pos + 1:]
        if len(rest) > 1 or (rest and rest[0] not in _UNIT_TOKENS):
            return None
        unit = _UNIT_TOKENS[rest[0]] if rest else ""
        metric_tokens, fidelity = tokens[1:fid_pos], int(fid_match.group(1))
    if not metric_tokens:
        return None
    return ColumnSpec(name, tokens[0], "_".join(metric_tokens), fidelity, aggregate, unit)


#: maps a parsed column to (dataset, metric) in the benchmark's names, or None to skip it
ColumnMapper = Callable[[ColumnSpec], "tuple[str, str] | None"]


def identity_mapper(col: ColumnSpec) -> tuple[str, str]:
    return col.dataset, col.metric


#: the accepted (low, high) of a column's values given (metric, column), or None for any finite value
ValueRange = Callable[[str, ColumnSpec], "tuple[float, float] | None"]


def percent_range(metric: str, col: ColumnSpec) -> tuple[float, float] | None:
    """Accuracies are percentages in [0, 100] (fractions in [0, 1] fit too); other metrics are unbounded."""
    return value_bounds(metric)


class FlatCsvLoader(RowCheckingLoader):
    """A benchmark's flat CSV: its published column names (through ``mapper``) or our export layout.

    All datasets of one file must live in one search space (``space_for`` tells each dataset's).
    """

    accepts_description = "a flat CSV with an index or arch_str key column and {dataset}_{metric}_{N}ep columns"

    def __init__(self, benchmark: str, space_for: Callable[[str], str], mapper: ColumnMapper = identity_mapper):
        self.benchmark = benchmark
        self.name = f"{benchmark}-csv"
        self._space_for = space_for
        self._mapper = mapper

    def accepts(self, path: Path) -> bool:
        return path.is_file() and path.suffix.lower() == ".csv"

    def convert(self, path: Path, *, allow_partial: bool = False) -> BenchmarkTable:
        header, _ = _read_rows(path, header_only=True)
        datasets = {target[0] for c in header if (col := parse_column(c)) and (target := self._mapper(col))}
        spaces = sorted({self._space_for(ds) for ds in datasets})
        if len(spaces) > 1:
            raise DataFileError(f"{path}: datasets {sorted(datasets)} live in different search spaces "
                                f"({', '.join(spaces)}); put one space per CSV (export --dataset does)")
        if not spaces:
            raise DataFileError(f"{path}: no metric columns of benchmark {self.benchmark} "
                                "(named like {dataset}_{metric}_{N}ep[_per_seed|_mean])")
        tables = read_flat_csv(path, enumerable_space(spaces[0]), self._mapper, allow_partial=allow_partial)
        return BenchmarkTable(benchmark=self.benchmark, datasets=tables)


#: dataset note of a table converted with allow_partial that lacks rows (a cached copy is checked against it)
MISSING_NOTE = "missing_architectures"


def read_flat_csv(path: Path, space: EnumerableSpace, mapper: ColumnMapper = identity_mapper,
                  rename: Callable[[str], str] | None = None,
                  row_index: Callable[[list[str], list[list[str]]], np.ndarray] | None = None, *,
                  row_columns: Collection[str] = (), allow_partial: bool = False,
                  value_range: ValueRange = percent_range) -> dict[str, DatasetTable]:
    """Reads a flat CSV into one DatasetTable per dataset, rows placed at official indices.

    ``rename`` maps a published header name to the generic ``{dataset}_{metric}_{N}ep`` form first
    (for files whose column names follow another convention); ``row_index`` (header, rows) -> indices
    places rows by other columns than the space's key columns, named in ``row_columns``.
    Strict, so that a damaged file never gives a wrong number: the file must end with a newline, every
    field must be a plain number in ``value_range`` (empty = no value), every column must be understood,
    and a file that lacks rows of the space is refused unless ``allow_partial`` (then the number of
    missing cells is noted).
    """
    header, rows = _read_rows(path)
    published = list(header)  # errors name the columns as the file does
    if rename is not None:
        header = [rename(c) for c in header]
    if row_index is not None:
        index = row_index(header, rows)
    else:
        keys = [c for c in header if c in space.key_columns()]
        if not keys:
            raise DataFileError(f"{path}: no architecture key column; accepted: {', '.join(space.key_columns())}")
        index = _row_indices(path, header, rows, keys, space)
    not_metrics = set(space.key_columns()) | set(row_columns)
    parsed = [(i, parse_column(c)) for i, c in enumerate(header) if c not in not_metrics]
    groups: dict[tuple[str, str], list[tuple[int, ColumnSpec]]] = {}
    unknown = []
    for i, col in parsed:
        target = mapper(col) if col is not None else None
        if col is None or target is None:
            unknown.append(header[i])
        else:
            groups.setdefault(target, []).append((i, col))
    if not groups:
        raise DataFileError(f"{path}: no metric columns named like {{dataset}}_{{metric}}_{{N}}ep[_per_seed|_mean]")
    if unknown:
        raise DataFileError(f"{path}: columns not understood: {', '.join(unknown)}; accepted: key columns "
                            f"({', '.join(space.key_columns())}) and {{dataset}}_{{metric}}_{{N}}ep[_s|_mb]"
                            "[_per_seed|_mean] of this benchmark's datasets (remove or rename them)")
    missing = _check_complete(path, index, space, allow_partial)
    by_dataset: dict[str, dict[str, list[tuple[int, ColumnSpec]]]] = {}
    for (ds, metric), cols in groups.items():
        by_dataset.setdefault(ds, {})[metric] = cols
    out = {}
    for ds, metrics in by_dataset.items():
        fids = sorted({c.fidelity for cols in metrics.values() for _, c in cols if c.fidelity is not None})
        fids = fids or [0]
        out[ds] = DatasetTable(name=ds, space=space.name, fidelities=tuple(fids),
                               metrics={m: _metric(path, rows, index, cols, fids, space.size, value_range(m, c),
                                                   published)
                                        for m, cols in metrics.items() for c in [cols[0][1]]})
        if missing:
            out[ds].notes[MISSING_NOTE] = f"{missing} of the {space.size} architectures have no row (partial table)"
    return out


def _check_complete(path: Path, index: np.ndarray, space: EnumerableSpace, allow_partial: bool) -> int:
    """Refuses a file without a row for every architecture of the space unless the user said it is partial;
    returns how many architectures have no row."""
    missing = space.size - len(index)
    if missing == 0:
        return 0
    if not allow_partial:
        absent = np.setdiff1d(np.arange(space.size), index)[:3]
        raise DataFileError(f"{path}: {missing} of the {space.size} architectures of space {space.name} have no "
                            f"row (e.g. index {', '.join(map(str, absent))}; truncated file or deleted rows?); if the "
                            "table is partial on purpose, pass --allow-partial (allow_partial=True)")
    warnings.warn(f"{path}: partial table: {missing} of {space.size} architectures have no row (they query as NaN)",
                  DataNote, stacklevel=2)
    return missing


def read_header(path: Path) -> list[str]:
    """The column names of a CSV (a one-line DataFileError when it has none)."""
    return _read_rows(path, header_only=True)[0]


def _read_rows(path: Path, header_only: bool = False) -> tuple[list[str], list[list[str]]]:
    header, rows = read_csv(path, header_only)
    if not header:
        raise DataFileError(f"{path}: empty CSV file (no header row)")
    if not rows and not header_only:
        raise DataFileError(f"{path}: CSV has a header but no rows")
    return header, rows


def _row_indices(path: Path, header: list[str], rows: list[list[str]], keys: list[str],
                 space: EnumerableSpace) -> np.ndarray:
    index = _key_indices(path, header, rows, keys[0], space)  # the caller checked that keys is not empty
    for key in keys[1:]:
        found = _key_indices(path, header, rows, key, space)
        if not np.array_equal(index, found):
            bad = int(np.flatnonzero(index != found)[0])
            raise DataFileError(f"{path}: line {bad + 2}: key columns {keys} disagree about the architecture")
    if len(np.unique(index)) != len(index):
        raise DataFileError(f"{path}: the same architecture appears in more than one row")
    return index


def _key_indices(path: Path, header: list[str], rows: list[list[str]], key: str, space: EnumerableSpace) -> np.ndarray:
    """Official index of each row's architecture, read from key column ``key``."""
    col = header.index(key)
    try:
        return space.key_columns()[key]([r[col] for r in rows])
    except (InvalidArchitectureError, ValueError) as exc:
        raise DataFileError(f"{path}: bad value in key column {key!r}: {exc}") from None


def _column_block(path: Path, rows, i: int, col: ColumnSpec, bounds, label: str) -> np.ndarray:
    """One column as (rows, seeds) float64, NaN-padded (one seed unless it is a ``;``-joined per-seed column)."""
    texts = [r[i] for r in rows]
    lines = np.arange(2, len(rows) + 2)
    if col.aggregate != "per_seed":
        return parse_numbers(path, texts, lines, label, bounds)[:, None]
    parts = [t.split(";") if t.strip() else [""] for t in texts]
    counts = np.fromiter(map(len, parts), dtype=np.int64, count=len(parts))
    flat = [t for p in parts for t in p]
    values = parse_numbers(path, flat, np.repeat(lines, counts), label, bounds)
    present = np.where([bool(t.strip()) for t in texts], counts, 0)
    _check_seed_counts(path, present, label)
    block = np.full((len(rows), int(counts.max())), np.nan)
    row_of = np.repeat(np.arange(len(rows)), counts)
    block[row_of, np.arange(len(flat)) - np.repeat(np.cumsum(counts) - counts, counts)] = values
    return block


def _check_seed_counts(path: Path, counts: np.ndarray, column: str) -> None:
    """Refuses a row with more seeds than any count that other rows share (an extra value pasted in)."""
    most = int(counts.max())
    held = int((counts == most).sum())
    if held == len(counts) or held >= max(2, len(counts) // 1000):
        return
    usual = int(counts[counts < most].max())
    line = int(np.flatnonzero(counts == most)[0]) + 2
    raise DataFileError(f"{path}: line {line}, column {column!r}: {most} seeds where the other rows have at most "
                        f"{usual} (an extra value?)")


def _metric(path: Path, rows, index, cols, fids, n_archs, bounds: tuple[float, float] | None,
            published: list[str]) -> MetricTable:
    per_seed_fids = {c.fidelity for _, c in cols if c.aggregate == "per_seed"}
    used = [(i, c) for i, c in cols if c.aggregate == "per_seed" or c.fidelity not in per_seed_fids]
    blocks = {col.fidelity: _column_block(path, rows, i, col, bounds, published[i]) for i, col in used}
    n_seeds = max(b.shape[1] for b in blocks.values())
    values = np.full((n_archs, n_seeds, len(fids)), np.nan, dtype=np.float32)
    per_seed = [False] * len(fids)
    for fid, block in blocks.items():
        positions = range(len(fids)) if fid is None else [fids.index(fid)]
        for pos in positions:
            values[index, : block.shape[1], pos] = block
            per_seed[pos] = fid in per_seed_fids
    unit = next((c.unit for _, c in cols if c.unit), "")
    return MetricTable(values=values, per_seed=tuple(per_seed), unit=unit,
                       source=",".join(c.column for _, c in used))


def write_flat_csv(path: Path, space: EnumerableSpace, tables: dict[str, DatasetTable],
                   key: str = "arch_str") -> None:
    """Writes tables in the flat layout that :func:`read_flat_csv` reads (cells with no data skipped)."""
    indices = np.arange(space.size)
    columns: list[tuple[str, np.ndarray, bool]] = []
    for ds, table in tables.items():
        for metric, mt in table.metrics.items():
            for pos, fid in enumerate(table.fidelities):
                block = mt.values[:, :, pos]
                if np.isnan(block).all():
                    continue
                per_seed = mt.per_seed[pos] and block.shape[1] > 1
                suffix = "per_seed" if per_seed else "mean"
                columns.append((f"{ds}_{metric}_{fid}ep_{suffix}", block, per_seed))
    has_any = np.zeros(space.size, dtype=bool)
    for _, block, _ in columns:
        has_any |= ~np.isnan(block).all(axis=1)
    archs = space.all()
    with atomic_open(path, "w", newline="") as handle:  # never a partial CSV, even on a full disk
        writer = csv.writer(handle)
        writer.writerow(["index", key] + [c[0] for c in columns])
        for i in indices[has_any]:
            row = [str(i), space.key_of(archs[i], key)]
            for _, block, per_seed in columns:
                vals = block[i]
                if per_seed:
                    row.append(";".join(_text(v) for v in vals[~np.isnan(vals)]))
                else:
                    row.append("" if np.isnan(vals[0]) else _text(vals[0]))
            writer.writerow(row)


def _text(value: np.float32) -> str:
    """Shortest text that reads back to the same float32."""
    return np.format_float_positional(np.float32(value), unique=True, trim="-")
