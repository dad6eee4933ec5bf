"""A folder of NAS-Bench-201 CSVs read together: ``nb201_tables.csv`` plus the files that add columns to it.

Why: the shared/published NB201 data comes as several flat CSVs keyed by the same official index, each
adding metrics (per-seed 200-epoch x-valid accuracy and GPU latency, device latencies, ...). One
:class:`FolderPart` per file says what it must hold; a new file joins by adding a part to ``PARTS``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import numpy as np

from nasbench_lab.errors import DataFileError
from nasbench_lab.loaders.base import RowCheckingLoader
from nasbench_lab.loaders.flat_csv import parse_column, read_flat_csv, read_header
from nasbench_lab.loaders.help_latency import MEASURED_ON, UNIT, metric_name, read_help_folder, read_latency_csv
from nasbench_lab.loaders.nb201_csv import csv_mapper, derive_x_valid, describe_valid_sources
from nasbench_lab.loaders.space_kinds import enumerable_space
from nasbench_lab.tables.table import BenchmarkTable, DatasetTable, MetricTable

MAIN_FILE = "nb201_tables.csv"
SEED_FILE = "nb201_seed_valid_latency.csv"
LATENCY_FILE = "nb201_hw_latency.csv"
HELP_FOLDER = "HELP-latency"


@dataclass(frozen=True)
class SharedMetrics:
    """A part that is not a flat NB201 CSV: metrics read per cell (official order) that hold for every dataset and
    fidelity, with their unit and the note ``describe()`` shows under ``note_key``."""

    read: Callable[[Path], dict[str, np.ndarray]]
    unit: str
    note_key: str
    note: str


@dataclass(frozen=True)
class FolderPart:
    """One file (or subfolder) of the folder: its name, whether the folder must have it, and the columns it must
    hold; ``shared`` reads it when it is not a flat NB201 CSV; it is skipped when the file ``unless`` is there."""

    file: str
    required: bool
    columns: tuple[str, ...] = ()
    shared: SharedMetrics | None = None
    unless: str = ""


def device_metrics(read: Callable[[Path], dict[str, np.ndarray]]) -> Callable[[Path], dict[str, np.ndarray]]:
    """``read`` (device -> latencies) with each device renamed to its metric (``latency_<device>``)."""
    return lambda path: {metric_name(device): values for device, values in read(path).items()}


def latency_note(file: str) -> str:
    """The ``describe()`` note of the device latencies read from ``file`` (what they measure, where from)."""
    return (f"latency_<device>: measured inference latency ({UNIT}) of {MEASURED_ON}, one metric per device, read "
            f"from {file} (HayeonLee/HELP, MIT); measured on the CIFAR-100 network only, so every dataset and "
            "fidelity shows the same values; the 341 cells with no path from input to output have near-zero latency "
            "on some devices (optimized away there)")


#: the device latencies of HELP: the flat CSV, or else the original files (the CSV is preferred where both are)
LATENCY_PARTS: tuple[FolderPart, ...] = (
    FolderPart(LATENCY_FILE, required=False,
               shared=SharedMetrics(device_metrics(read_latency_csv), UNIT, "latency", latency_note(LATENCY_FILE))),
    FolderPart(HELP_FOLDER, required=False, unless=LATENCY_FILE,
               shared=SharedMetrics(device_metrics(read_help_folder), UNIT, "latency",
                                    latency_note(f"{HELP_FOLDER}/<device>.pt"))),
)


#: the files a folder is read from, in merge order (the first is the base table)
PARTS: tuple[FolderPart, ...] = (
    FolderPart(MAIN_FILE, required=True),
    FolderPart(SEED_FILE, required=False, columns=(
        "cifar10valid_valid_acc_200ep_per_seed", "cifar100_valid_acc_200ep_per_seed",
        "imagenet16_valid_acc_200ep_per_seed", "cifar10_latency_s", "cifar100_latency_s", "imagenet16_latency_s")),
    *LATENCY_PARTS,
)


def parts_present(path: Path) -> list[tuple[FolderPart, Path]]:
    """The parts a folder has and that are read (a part whose ``unless`` file is there is not)."""
    return [(part, path / part.file) for part in PARTS
            if (path / part.file).exists() and not (part.unless and (path / part.unless).exists())]


class Nb201FolderLoader(RowCheckingLoader):
    """A folder laid out like the shared ``nb201/`` data: ``nb201_tables.csv`` and the CSVs of ``PARTS`` beside it."""

    name = "nb201-folder"
    accepts_description = (f"a folder with {MAIN_FILE} (and optionally {', '.join(p.file for p in PARTS[1:])}), "
                           "read together")

    def accepts(self, path: Path) -> bool:
        return path.is_dir() and (path / MAIN_FILE).is_file()

    def source_files(self, path: Path) -> list[Path]:
        return [file for _, file in parts_present(path)]

    def convert(self, path: Path, *, allow_partial: bool = False) -> BenchmarkTable:
        space = enumerable_space("nb201")
        merged: dict[str, DatasetTable] = {}
        read_from: dict[tuple[str, str, int], list[str]] = {}
        present = dict(parts_present(path))
        for part in PARTS:
            file = present.get(part)
            if file is None:
                if part.required:
                    raise DataFileError(f"{path}: no {part.file} (the folder's main table)")
                continue
            if part.shared is not None:
                add_shared_metrics(merged, file, part.shared)
                continue
            header = read_header(file)
            missing = [c for c in part.columns if c not in header]
            if missing:
                raise DataFileError(f"{file}: missing column(s) {', '.join(missing)}; expected: "
                                    f"{', '.join(part.columns)}")
            tables = read_flat_csv(file, space, csv_mapper, allow_partial=allow_partial)
            if merged:
                _check_same_cells(file, tables, header, _present(merged, space.size))
            constant = _constant_metrics(header)
            for ds, table in tables.items():
                _note_files(read_from, table, part.file)
                merged[ds] = table if ds not in merged else merge_datasets(merged[ds], table, constant, file)
        for ds, table in merged.items():
            derived = derive_x_valid(table)
            describe_valid_sources(table, derived, ", ".join(read_from.get((ds, "valid_acc", 200), [])))
        return BenchmarkTable(benchmark="nb201", datasets=merged)


def add_shared_metrics(merged: dict[str, DatasetTable], file: Path, shared: SharedMetrics) -> None:
    """Adds the metrics ``shared`` reads from ``file`` to every dataset, the same at each fidelity (mean only)."""
    columns = shared.read(file)
    for table in merged.values():
        clash = sorted(set(columns) & set(table.metrics))
        if clash:
            raise DataFileError(f"{file}: metric(s) {', '.join(clash)} also come from the files read before it; "
                                "each metric must come from one file")
        for name, column in columns.items():
            if len(column) != table.n_archs:
                raise DataFileError(f"{file}: {name} has {len(column)} values; expected one per cell "
                                    f"({table.n_archs}, official index order)")
            values = np.repeat(np.asarray(column, dtype=np.float32)[:, None, None], len(table.fidelities), axis=2)
            table.metrics[name] = MetricTable(values, False, shared.unit, file.name)
        table.notes[shared.note_key] = shared.note


def _note_files(read_from: dict[tuple[str, str, int], list[str]], table: DatasetTable, file: str) -> None:
    """Records ``file`` as a source of each (dataset, metric, fidelity) it gives values for."""
    for metric, mt in table.metrics.items():
        for pos, fid in enumerate(table.fidelities):
            if np.isfinite(mt.values[:, :, pos]).any():
                read_from.setdefault((table.name, metric, fid), []).append(file)


def _constant_metrics(header: list[str]) -> set[tuple[str, str]]:
    """(dataset, metric) of the columns without an ``{N}ep`` token: they hold for every fidelity."""
    out = set()
    for name in header:
        col = parse_column(name)
        target = csv_mapper(col) if col is not None else None
        if col is not None and target is not None and col.fidelity is None:
            out.add(target)
    return out


def _present(tables: dict[str, DatasetTable], n: int) -> np.ndarray:
    """Which cells have any value in ``tables`` (the rows a file holds)."""
    out = np.zeros(n, dtype=bool)
    for table in tables.values():
        for mt in table.metrics.values():
            out |= np.isfinite(mt.values).any(axis=(1, 2))
    return out


def _check_same_cells(file: Path, tables: dict[str, DatasetTable], header: list[str], cells: np.ndarray) -> None:
    """Refuses an added file unless every column gives a value for exactly the cells of the main table
    (a missing row or an empty field would silently lose the metric for that cell)."""
    for name in header:
        col = parse_column(name)
        target = csv_mapper(col) if col is not None else None
        if col is None or target is None:
            continue
        table = tables[target[0]]
        pos = table.fidelities.index(col.fidelity) if col.fidelity is not None else 0
        has = np.isfinite(table.metrics[target[1]].values[:, :, pos]).any(axis=1)
        lacking, extra = np.flatnonzero(cells & ~has), np.flatnonzero(has & ~cells)
        if len(lacking):
            raise DataFileError(f"{file}: column {name!r} has no value for {len(lacking)} cell(s) of {MAIN_FILE} "
                                f"(e.g. index {lacking[0]}: a missing row or an empty field)")
        if len(extra):
            raise DataFileError(f"{file}: column {name!r} has values for {len(extra)} cell(s) that {MAIN_FILE} "
                                f"lacks (e.g. index {extra[0]}); both files must hold the same cells")


def merge_datasets(base: DatasetTable, extra: DatasetTable, constant: set[tuple[str, str]],
                   where: Path) -> DatasetTable:
    """``base`` with ``extra``'s metrics added, over the union of their fidelities.

    A metric of ``constant`` (a column without a fidelity) holds at every fidelity; a value both tables give
    must agree (else the files contradict each other: an error naming ``where``).
    """
    fids = tuple(sorted(set(base.fidelities) | set(extra.fidelities)))
    out = DatasetTable(name=base.name, space=base.space, fidelities=fids, notes={**base.notes, **extra.notes})
    for name in list(base.metrics) + [m for m in extra.metrics if m not in base.metrics]:
        old = _spread(base.metrics.get(name), base.fidelities, fids, False)
        new = _spread(extra.metrics.get(name), extra.fidelities, fids, (base.name, name) in constant)
        if old is None or new is None:
            out.metrics[name] = cast(MetricTable, old or new)  # one of them has it: the metric comes from one file
        else:
            out.metrics[name] = _combine(old, new, name, out, where)
    return out


def _spread(mt: MetricTable | None, fids: tuple[int, ...], to: tuple[int, ...], constant: bool) -> MetricTable | None:
    """``mt`` re-placed on fidelities ``to`` (NaN where it has none; at every one when ``constant``)."""
    if mt is None:
        return None
    n, seeds, _ = mt.values.shape
    values = np.full((n, seeds, len(to)), np.nan, dtype=np.float32)
    flags = [False] * len(to)
    for j, fid in enumerate(to):
        i = 0 if constant else fids.index(fid) if fid in fids else None
        if i is not None:
            values[:, :, j] = mt.values[:, :, i]
            flags[j] = mt.per_seed[i]
    return MetricTable(values, tuple(flags), mt.unit, mt.source)


def _combine(old: MetricTable, new: MetricTable, name: str, table: DatasetTable, where: Path) -> MetricTable:
    """Both files' values of one metric: each fidelity from whichever has it; where both do, they must agree."""
    seeds = max(old.values.shape[1], new.values.shape[1])
    values = _pad(old.values, seeds)
    extra = _pad(new.values, seeds)
    flags = list(old.per_seed)
    for j, fid in enumerate(table.fidelities):
        has_old, has_new = np.isfinite(values[:, :, j]).any(), np.isfinite(extra[:, :, j]).any()
        if has_old and has_new:
            a, b = values[:, :, j], extra[:, :, j]
            same = np.isclose(a, b, rtol=0, atol=1e-4) | (np.isnan(a) & np.isnan(b))
            if not same.all():
                cell = int(np.flatnonzero(~same.all(axis=1))[0])
                raise DataFileError(f"{where}: {table.name} {name} at {fid} epochs of cell {cell} differs from the "
                                    f"files read before it ({a[cell].tolist()} vs {b[cell].tolist()})")
        elif has_new:
            values[:, :, j] = extra[:, :, j]
            flags[j] = new.per_seed[j]
    return MetricTable(values, tuple(flags), old.unit or new.unit, f"{old.source},{new.source}")


def _pad(values: np.ndarray, seeds: int) -> np.ndarray:
    """``values`` with its seed axis NaN-padded to ``seeds`` (a copy)."""
    out = np.full((values.shape[0], seeds, values.shape[2]), np.nan, dtype=np.float32)
    out[:, : values.shape[1]] = values
    return out
