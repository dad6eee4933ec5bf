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
from pathlib import Path

import numpy as np

from nasbench_lab.errors import ConfigError, DataFileError
from nasbench_lab.loaders.base import Loader
from nasbench_lab.loaders.flat_csv import read_flat_csv
from nasbench_lab.spaces.base import EnumerableSpace
from nasbench_lab.spaces.table_space import TableSpace
from nasbench_lab.tables.table import BenchmarkTable, DatasetTable, MetricTable, SpaceRecord

ARCH_PREFIX = "arch:"
TIDY_REQUIRED = ("metric", "value")
TIDY_OPTIONAL = ("dataset", "fidelity", "seed")
DEFAULT_DATASET = "default"


def sidecar_path(path: Path) -> Path:
    """``x.space.json`` beside ``x.csv``."""
    return path.with_name(f"{path.stem}.space.json")


def read_header(path: Path) -> list[str]:
    """The first row of a CSV file ([] for an empty or unreadable file)."""
    try:
        with open(path, newline="") as handle:
            return next(csv.reader(handle), [])
    except (OSError, UnicodeDecodeError, csv.Error):
        return []


def is_table_csv(path: Path) -> bool:
    """Cheap sniff: a ``.csv`` file whose header has an ``arch:`` column."""
    return path.is_file() and path.suffix.lower() == ".csv" and any(
        c.startswith(ARCH_PREFIX) for c in read_header(path))


def benchmark_name(path: Path) -> str:
    """The benchmark name of a table CSV: its file name without the suffix."""
    return path.stem


class TableCsvLoader(Loader):
    """Tidy or wide CSV with ``arch:`` columns -> a BenchmarkTable with its own space."""

    name = "table-csv"
    accepts_description = ("a CSV with arch:<name> columns and either metric,value[,dataset,fidelity,seed] "
                           "columns (tidy) or {dataset}_{metric}_{N}ep columns (wide)")

    def accepts(self, path: Path) -> bool:
        return is_table_csv(path)

    def convert(self, path: Path) -> BenchmarkTable:
        header, rows = _read_csv(path)
        arch_cols = [i for i, c in enumerate(header) if c.startswith(ARCH_PREFIX)]
        if not arch_cols:
            raise DataFileError(f"{path}: no architecture column; name each architecture choice arch:<name> "
                                f"(columns found: {', '.join(header)})")
        names = [header[i][len(ARCH_PREFIX):] for i in arch_cols]
        if len(set(names)) != len(names) or any(not n for n in names):
            raise DataFileError(f"{path}: arch: columns must have distinct non-empty names, got {names}")
        choices = _choices(path, names, [[r[i] for r in rows] for i in arch_cols])
        codes = np.stack([np.array([lookup[r[i]] for r in rows], dtype=np.int16)
                          for i, lookup in zip(arch_cols, (dict(zip(ch, range(len(ch)))) for ch in choices))], axis=1)
        space = TableSpace(f"table-{benchmark_name(path)}", list(zip(names, choices)), members=codes)
        index = np.asarray(space.index(codes), dtype=np.int64)
        if all(c in header for c in TIDY_REQUIRED):
            datasets = _tidy_tables(path, header, rows, index, space)
        else:
            datasets = _wide_tables(path, header, index, space)
        record = SpaceRecord(space.definition(), space.members())
        return BenchmarkTable(benchmark=benchmark_name(path), datasets=datasets, spaces={space.name: record},
                              attrs={"layout": "tidy" if "value" in header else "wide"})


# ------------------------------------------------------------------ reading
def _read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    try:
        with open(path, newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            rows = list(reader)
    except FileNotFoundError:
        raise DataFileError(f"file not found: {path}") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise DataFileError(f"{path}: not a readable CSV file: {exc}") from None
    if not header:
        raise DataFileError(f"{path}: empty file (no header row)")
    if not rows:
        raise DataFileError(f"{path}: the file has a header but no rows")
    for n, row in enumerate(rows, start=2):
        if len(row) != len(header):
            raise DataFileError(f"{path}: line {n} has {len(row)} fields but the header has {len(header)}")
    return [c.strip() for c in header], rows


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
    except (OSError, ValueError, KeyError, TypeError) as exc:
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
                 space: TableSpace) -> dict[str, DatasetTable]:
    col = {c: header.index(c) for c in (*TIDY_REQUIRED, *TIDY_OPTIONAL) if c in header}
    values = _numbers(path, [r[col["value"]] for r in rows])
    metric_names, metric_id = _labels([r[col["metric"]] for r in rows])
    if "" in metric_names:
        raise DataFileError(f"{path}: line {int(np.flatnonzero(metric_id == metric_names.index(''))[0]) + 2}: "
                            "empty metric name")
    ds_names, ds_id = _labels([r[col["dataset"]] for r in rows]) if "dataset" in col else \
        ([DEFAULT_DATASET], np.zeros(len(rows), dtype=np.int64))
    fid_values = _integers(path, [r[col["fidelity"]] for r in rows], "fidelity") if "fidelity" in col else \
        np.zeros(len(rows), dtype=np.int64)
    seed_texts = [r[col["seed"]] for r in rows] if "seed" in col else None
    if seed_texts is None:
        seed_names, seed_id = ["0"], np.zeros(len(rows), dtype=np.int64)
    else:
        seed_names, seed_id = _labels(seed_texts, numeric_order=True)
    _check_unique(path, np.stack([index, ds_id, metric_id, fid_values, seed_id], axis=1))
    out = {}
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
            metrics[metric] = MetricTable(values=block, per_seed=per_seed, source=f"{path.name}: metric={metric}")
        out[ds] = DatasetTable(name=ds, space=space.name, fidelities=fids, metrics=metrics,
                               notes={"source": f"tidy CSV {path.name}; seeds {', '.join(seed_names)}"})
    return out


def _wide_tables(path: Path, header: list[str], index: np.ndarray, space: TableSpace) -> dict[str, DatasetTable]:
    """The wide layout, read by the flat CSV reader with rows placed by their arch: columns."""

    distinct, first = np.unique(index, return_index=True)
    if len(distinct) != len(index):
        again = int(np.setdiff1d(np.arange(len(index)), first)[0])
        raise DataFileError(f"{path}: line {again + 2} repeats the architecture of an earlier line; the wide "
                            "layout has one row per architecture (use the tidy layout for seeds)")
    arch_columns = [c for c in header if c.startswith(ARCH_PREFIX)]
    return read_flat_csv(path, space, row_index=lambda _header, _rows: index, row_columns=arch_columns)


def _labels(texts: list[str], numeric_order: bool = False) -> tuple[list[str], np.ndarray]:
    """Distinct labels (first-appearance order, or numeric order when every label is an integer) and ids."""
    names = list(dict.fromkeys(t.strip() for t in texts))
    if numeric_order and all(_is_int(n) for n in names):
        names.sort(key=int)
    lookup = {n: i for i, n in enumerate(names)}
    return names, np.array([lookup[t.strip()] for t in texts], dtype=np.int64)


def _is_int(text: str) -> bool:
    try:
        int(text)
        return True
    except ValueError:
        return False


def _numbers(path: Path, texts: list[str]) -> np.ndarray:
    try:
        out = np.array(texts, dtype=np.float64)
    except ValueError:
        out = None
    if out is None or not np.isfinite(out).all():
        for n, text in enumerate(texts, start=2):
            try:
                ok = np.isfinite(float(text))
            except ValueError:
                ok = False
            if not ok:
                raise DataFileError(f"{path}: line {n}, column 'value': {text!r} is not a finite number") from None
        # numpy parses text as float() does, so a bad value was named above; this only guards that assumption
        raise DataFileError(f"{path}: column 'value' does not read as finite numbers")
    return out


def _integers(path: Path, texts: list[str], column: str) -> np.ndarray:
    out = np.empty(len(texts), dtype=np.int64)
    for n, text in enumerate(texts):
        try:
            out[n] = int(text)
        except ValueError:
            raise DataFileError(f"{path}: line {n + 2}, column {column!r}: {text!r} is not an integer") from None
    if (out < 0).any():
        raise DataFileError(f"{path}: line {int(np.flatnonzero(out < 0)[0]) + 2}, column {column!r}: "
                            "must be >= 0")
    return out


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
