"""Any tabular benchmark from one CSV whose architecture columns are named ``arch:<name>``.

Two layouts, told apart by their header:

* **tidy**: columns ``arch:*``, ``metric`` and ``value``, plus optional ``dataset``, ``fidelity`` (integer)
  and ``seed``; one row per value. Rows that differ only in ``seed`` are that cell's seeds.
* **wide**: columns ``arch:*`` and ``{dataset}_{metric}_{N}ep[_per_seed|_mean]`` as in the flat CSV
  layout (:mod:`nasbench_lab.loaders.flat_csv`), one row per architecture.

Choices of a column are read as strings, ordered by first appearance unless a sidecar
``<file>.space.json`` (``{"choices": {"<name>": [...]}}``) lists them. The space is the complete
product of the choices when every combination is present, otherwise the listed space of the rows
present (:class:`~nasbench_lab.spaces.table_space.TableSpace`).
"""

from __future__ import annotations

import csv
import json
import warnings
from pathlib import Path

import numpy as np

from nasbench_lab.errors import ConfigError, DataFileError, DataNote
from nasbench_lab.loaders.base import RowCheckingLoader
from nasbench_lab.loaders.csv_cells import is_count, parse_counts, parse_numbers, read_csv, value_bounds
from nasbench_lab.loaders.csv_cells import read_header as read_header
from nasbench_lab.loaders.flat_csv import MISSING_NOTE, parse_column, read_flat_csv
from nasbench_lab.spaces.base import EnumerableSpace
from nasbench_lab.spaces.table_space import TableSpace
from nasbench_lab.tables.table import BenchmarkTable, DatasetTable, MetricTable, SpaceRecord

ARCH_PREFIX = "arch:"
TIDY_REQUIRED = ("metric", "value")
TIDY_OPTIONAL = ("dataset", "fidelity", "seed")
ACCEPTED_TIDY = "arch:<name> columns, metric and value (required), dataset, fidelity and seed (optional)"
DEFAULT_DATASET = "default"


def sidecar_path(path: Path) -> Path:
    """``x.space.json`` beside ``x.csv``."""
    return path.with_name(f"{path.stem}.space.json")


def is_table_csv(path: Path) -> bool:
    """Cheap sniff: a ``.csv`` file whose header has an ``arch:`` column."""
    return path.is_file() and path.suffix.lower() == ".csv" and any(
        c.startswith(ARCH_PREFIX) for c in read_header(path))


def benchmark_name(path: Path) -> str:
    """The benchmark name of a table CSV: its file name without the suffix."""
    return path.stem


class TableCsvLoader(RowCheckingLoader):
    """Tidy or wide CSV with ``arch:`` columns -> a BenchmarkTable with its own space."""

    name = "table-csv"
    accepts_description = ("a CSV with arch:<name> columns and either metric,value[,dataset,fidelity,seed] "
                           "columns (tidy) or {dataset}_{metric}_{N}ep columns (wide)")

    def accepts(self, path: Path) -> bool:
        return is_table_csv(path)

    def convert(self, path: Path, *, allow_partial: bool = False) -> BenchmarkTable:
        header, rows = _read_csv(path)
        arch_cols = [i for i, c in enumerate(header) if c.startswith(ARCH_PREFIX)]
        if not arch_cols:
            raise DataFileError(f"{path}: no architecture column; name each architecture choice arch:<name> "
                                f"(columns found: {', '.join(header)})")
        layout = _layout(path, header)
        names = [header[i][len(ARCH_PREFIX):] for i in arch_cols]
        if len(set(names)) != len(names) or any(not n for n in names):
            raise DataFileError(f"{path}: arch: columns must have distinct non-empty names, got {names}")
        texts = [[r[i].strip() for r in rows] for i in arch_cols]  # ' 16' and '16' are one choice
        choices = _choices(path, names, texts)
        codes = np.stack([np.array([lookup[t] for t in col], dtype=np.int16)
                          for col, lookup in zip(texts, (dict(zip(ch, range(len(ch)))) for ch in choices))], axis=1)
        space = TableSpace(f"table-{benchmark_name(path)}", list(zip(names, choices)), members=codes)
        index = np.asarray(space.index(codes), dtype=np.int64)
        if layout == "tidy":
            datasets = _tidy_tables(path, header, rows, index, space, allow_partial)
        else:
            datasets = _wide_tables(path, header, index, space, allow_partial)
        record = SpaceRecord(space.definition(), space.members())
        return BenchmarkTable(benchmark=benchmark_name(path), datasets=datasets, spaces={space.name: record},
                              attrs={"layout": layout})


# ------------------------------------------------------------------ reading
def _read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    header, rows = read_csv(path)
    if not header:
        raise DataFileError(f"{path}: empty file (no header row)")
    if not rows:
        raise DataFileError(f"{path}: the file has a header but no rows")
    return header, rows


def _layout(path: Path, header: list[str]) -> str:
    """"tidy" or "wide", after refusing repeated and unknown columns (naming them with the accepted ones)."""
    repeated = sorted({c for c in header if header.count(c) > 1})
    if repeated:
        raise DataFileError(f"{path}: column(s) {', '.join(repeated)} appear more than once; name each column once")
    others = [c for c in header if not c.startswith(ARCH_PREFIX)]
    tidy = (*TIDY_REQUIRED, *TIDY_OPTIONAL)
    if any(c in TIDY_REQUIRED for c in others) or not any(parse_column(c) for c in others if c not in tidy):
        unknown = [c for c in others if c not in tidy]
        missing = [c for c in TIDY_REQUIRED if c not in others]
        if unknown or missing:
            found = "; ".join(part for part in (f"unknown column(s) {', '.join(unknown)}" if unknown else "",
                                                 f"no {' or '.join(missing)} column" if missing else "") if part)
            raise DataFileError(f"{path}: {found}; accepted in the tidy layout: {ACCEPTED_TIDY} (or the wide "
                                "layout's {dataset}_{metric}_{N}ep columns)")
        return "tidy"
    unknown = [c for c in others if parse_column(c) is None]
    if unknown:
        raise DataFileError(f"{path}: unknown column(s) {', '.join(unknown)}; accepted in the wide layout: arch:<name> "
                            "columns and {dataset}_{metric}_{N}ep[_s|_mb][_per_seed|_mean] columns (or the tidy "
                            f"layout: {ACCEPTED_TIDY})")
    return "wide"


def _choices(path: Path, names: list[str], columns: list[list[str]]) -> list[tuple[str, ...]]:
    """Choices of each column: the sidecar's lists, else values in order of first appearance."""
    found = [tuple(dict.fromkeys(col)) for col in columns]
    side = sidecar_path(path)
    if not side.is_file():
        return found
    try:
        listed = json.loads(side.read_text())["choices"]
        if not isinstance(listed, dict) or not all(isinstance(v, list) for v in listed.values()):
            raise TypeError("'choices' must map column names to lists")
    except (OSError, ValueError, KeyError, TypeError, RecursionError) as exc:
        raise DataFileError(f"{side}: not a space file of the form {{\"choices\": {{\"<name>\": [...]}}}}: "
                            f"{exc}") from None
    unknown = sorted(set(listed) - set(names))
    if unknown:
        raise DataFileError(f"{side}: lists choices of column(s) {', '.join(unknown)} that {path.name} lacks; "
                            f"its arch: columns are {', '.join(names)}")
    out = []
    for name, present in zip(names, found):
        if name not in listed:
            out.append(present)
            continue
        choices = tuple(str(v) for v in listed[name])
        if len(set(choices)) != len(choices):
            raise DataFileError(f"{side}: column {name!r} lists a choice twice: {list(choices)}")
        extra = [v for v in present if v not in choices]
        if extra:
            raise DataFileError(f"{side}: column {name!r} lists {list(choices)} but {path.name} also has "
                                f"{extra[0]!r}")
        out.append(choices)
    return out


def _tidy_tables(path: Path, header: list[str], rows: list[list[str]], index: np.ndarray,
                 space: TableSpace, allow_partial: bool) -> dict[str, DatasetTable]:
    col = {c: header.index(c) for c in (*TIDY_REQUIRED, *TIDY_OPTIONAL) if c in header}
    metric_names, metric_id = _labels([r[col["metric"]] for r in rows])
    _check_names(path, "metric", metric_names, metric_id)
    values = _values(path, [r[col["value"]] for r in rows], metric_names, metric_id)
    ds_names, ds_id = _labels([r[col["dataset"]] for r in rows]) if "dataset" in col else \
        ([DEFAULT_DATASET], np.zeros(len(rows), dtype=np.int64))
    _check_names(path, "dataset", ds_names, ds_id)
    fid_values = parse_counts(path, [r[col["fidelity"]] for r in rows], "fidelity") if "fidelity" in col else \
        np.zeros(len(rows), dtype=np.int64)
    seed_texts = [r[col["seed"]] for r in rows] if "seed" in col else None
    if seed_texts is None:
        seed_names, seed_id = ["0"], np.zeros(len(rows), dtype=np.int64)
    else:
        seed_names, seed_id = _labels(seed_texts, numeric_order=True)
    _check_unique(path, np.stack([index, ds_id, metric_id, fid_values, seed_id], axis=1))
    out = {}
    gaps: list[tuple[str, str, int, int, int]] = []  # (dataset, metric, fidelity, missing, an absent index)
    for d, ds in enumerate(ds_names):
        in_ds = ds_id == d
        fids = tuple(int(f) for f in np.unique(fid_values[in_ds]))
        fid_pos = np.searchsorted(np.asarray(fids), fid_values)
        metrics = {}
        for m, metric in enumerate(metric_names):
            mask = in_ds & (metric_id == m)
            if not mask.any():
                continue
            block = np.full((space.size, len(seed_names), len(fids)), np.nan, dtype=np.float32)
            block[index[mask], seed_id[mask], fid_pos[mask]] = values[mask]
            # a fidelity where every value has the same seed holds one value per cell: as a mean-only source
            # does, every seed choice returns it (stored at seed 0)
            per_seed = tuple(len(np.unique(seed_id[mask & (fid_pos == p)])) > 1 for p in range(len(fids)))
            for p in np.flatnonzero(~np.asarray(per_seed)):
                present = np.isfinite(block[:, :, p]).any(axis=1)
                block[:, 0, p] = np.where(present, np.nansum(block[:, :, p], axis=1), np.nan)
                block[:, 1:, p] = np.nan
            for p in np.unique(fid_pos[mask]):  # a (metric, fidelity) with rows must have one for every architecture
                absent = np.flatnonzero(~np.isfinite(block[:, :, p]).any(axis=1))
                if len(absent):
                    gaps.append((ds, metric, fids[p], len(absent), int(absent[0])))
            metrics[metric] = MetricTable(values=block, per_seed=per_seed, source=f"{path.name}: metric={metric}")
        out[ds] = DatasetTable(name=ds, space=space.name, fidelities=fids, metrics=metrics,
                               notes={"source": f"tidy CSV {path.name}; seeds {', '.join(seed_names)}"})
    if gaps:
        _refuse_or_note_gaps(path, gaps, out, space, allow_partial, named=set(col))
    return out


def _refuse_or_note_gaps(path: Path, gaps: list[tuple[str, str, int, int, int]], out: dict[str, DatasetTable],
                         space: TableSpace, allow_partial: bool, named: set[str]) -> None:
    """Refuses (dataset, metric, fidelity) groups that lack architectures unless the user said the table is
    partial; then notes the count on each dataset (a cached copy is checked against the note)."""
    def where(ds: str, metric: str, fid: int) -> str:
        return ", ".join([f"dataset {ds}"] * ("dataset" in named) + [f"metric {metric}"]
                         + [f"fidelity {fid}"] * ("fidelity" in named))

    missing = sum(g[3] for g in gaps)
    if not allow_partial:
        listed = "; ".join(f"{where(ds, m, f)} lacks {n} of the {space.size} architectures (e.g. "
                           f"{space.to_string(space.from_index(i))})" for ds, m, f, n, i in gaps[:3])
        more = f"; and {len(gaps) - 3} more" if len(gaps) > 3 else ""
        raise DataFileError(f"{path}: {missing} cell(s) without a value: {listed}{more} (deleted rows or a "
                            "mistyped name?); if the table is partial on purpose, pass --allow-partial "
                            "(allow_partial=True)")
    warnings.warn(f"{path}: partial table: {missing} cell(s) without a value in {len(gaps)} (metric, fidelity) "
                  f"group(s) of {space.size} architectures (they query as NaN)", DataNote, stacklevel=4)
    for ds in {g[0] for g in gaps}:
        count = sum(g[3] for g in gaps if g[0] == ds)
        out[ds].notes[MISSING_NOTE] = f"{count} cell(s) of the {space.size} architectures have no value (partial table)"


def _values(path: Path, texts: list[str], metric_names: list[str], metric_id: np.ndarray) -> np.ndarray:
    """The value column, each metric's rows checked as the flat reader checks a column (plain numbers that fit
    float32, accuracies in [0, 100]); an empty value is refused (a tidy file leaves out a row instead)."""
    values = np.empty(len(texts), dtype=np.float64)
    lines = np.arange(2, len(texts) + 2)
    for m, metric in enumerate(metric_names):
        rows = np.flatnonzero(metric_id == m)
        values[rows] = parse_numbers(path, [texts[r] for r in rows], lines[rows], "value", value_bounds(metric))
    empty = np.flatnonzero(np.isnan(values))
    if len(empty):
        raise DataFileError(f"{path}: line {int(empty[0]) + 2}, column 'value': empty (each row holds one number; "
                            "leave the row out when there is no value)")
    return values


def _check_names(path: Path, column: str, names: list[str], ids: np.ndarray) -> None:
    """Dataset and metric names become names in the table file: refuse empty ones and ones with a '/'."""
    for k, name in enumerate(names):
        if not name or "/" in name or name in (".", ".."):
            line = int(np.flatnonzero(ids == k)[0]) + 2
            raise DataFileError(f"{path}: line {line}, column {column!r}: {name!r} is not a usable {column} name "
                                "(accepted: a non-empty name without '/')")


def _wide_tables(path: Path, header: list[str], index: np.ndarray, space: TableSpace,
                 allow_partial: bool) -> dict[str, DatasetTable]:
    """The wide layout, read by the flat CSV reader with rows placed by their arch: columns."""

    distinct, first = np.unique(index, return_index=True)
    if len(distinct) != len(index):
        again = int(np.setdiff1d(np.arange(len(index)), first)[0])
        raise DataFileError(f"{path}: line {again + 2} repeats the architecture of an earlier line; the wide "
                            "layout has one row per architecture (use the tidy layout for seeds)")
    arch_columns = [c for c in header if c.startswith(ARCH_PREFIX)]
    return read_flat_csv(path, space, row_index=lambda _header, _rows: index, row_columns=arch_columns,
                         allow_partial=allow_partial)


def _labels(texts: list[str], numeric_order: bool = False) -> tuple[list[str], np.ndarray]:
    """Distinct labels (first-appearance order, or numeric order when every label is an integer) and ids."""
    names = list(dict.fromkeys(t.strip() for t in texts))
    if numeric_order and all(is_count(n) for n in names):
        names.sort(key=int)
    lookup = {n: i for i, n in enumerate(names)}
    return names, np.array([lookup[t.strip()] for t in texts], dtype=np.int64)


def _check_unique(path: Path, keys: np.ndarray) -> None:
    """Raises naming the first line that repeats an (arch, dataset, metric, fidelity, seed) of an earlier one."""
    order = np.lexsort(keys.T[::-1])
    same = (keys[order[1:]] == keys[order[:-1]]).all(axis=1)
    if same.any():
        k = int(np.flatnonzero(same)[0])
        first, again = sorted((int(order[k]), int(order[k + 1])))
        raise DataFileError(f"{path}: line {again + 2} repeats line {first + 2} (same architecture, dataset, "
                            "metric, fidelity and seed); give repeated runs distinct seeds")


# ------------------------------------------------------------------ writing
def arch_columns(space: EnumerableSpace) -> list[tuple[str, tuple[str, ...]]]:
    """(name, choices) of each architecture position: a TableSpace's own, else ``p<i>`` with codes as text."""
    if isinstance(space, TableSpace):
        return space.choice_columns()
    if len(space.arch_shape) != 1:
        raise ConfigError(f"space {space.name} has {len(space.arch_shape)}-D architectures; only spaces of flat "
                          "choice vectors export to a tidy CSV")
    every = space.all()
    return [(f"p{j}", tuple(str(v) for v in range(int(every[:, j].min()), int(every[:, j].max()) + 1)))
            for j in range(every.shape[1])]


def write_tidy_csv(path: Path, space: EnumerableSpace, tables: dict[str, DatasetTable],
                   rows: np.ndarray | None = None) -> None:
    """Writes tables in the tidy layout (one row per present value) plus a sidecar listing every choice.

    ``rows``: the architecture indices to write (default: all). Reading the file back gives the same
    values for the same architectures (codes included, through the sidecar).
    """
    columns = arch_columns(space)
    indices = np.arange(space.size) if rows is None else np.asarray(rows, dtype=np.int64)
    archs = space.from_index(indices)
    offset = [0 if isinstance(space, TableSpace) else int(ch[0]) for _, ch in columns]
    arch_text = [[ch[int(v) - off] for v in archs[:, j]] for j, ((_, ch), off) in enumerate(zip(columns, offset))]
    arch_text = [list(r) for r in zip(*arch_text)]
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([f"{ARCH_PREFIX}{c}" for c, _ in columns] + ["dataset", "metric", "fidelity", "seed", "value"])
        for ds, table in tables.items():
            for metric, mt in table.metrics.items():
                block = mt.values[indices]
                for pos, fid in enumerate(table.fidelities):
                    for seed in range(block.shape[1]):
                        for r in np.flatnonzero(np.isfinite(block[:, seed, pos])):
                            writer.writerow(arch_text[r] + [ds, metric, fid, seed, _text(block[r, seed, pos])])
    side = sidecar_path(path)
    side.write_text(json.dumps({"choices": {c: list(ch) for c, ch in columns}}, indent=1) + "\n")


def _text(value: np.float32) -> str:
    """Shortest text that reads back to the same float32."""
    return np.format_float_positional(np.float32(value), unique=True, trim="-")
