"""Reading and writing BenchmarkTables as one HDF5 file (written atomically).

Layout: root attributes ``format``, ``format_version``, ``benchmark``, ``sources`` (JSON);
group ``/datasets/<name>`` with attributes ``space``, ``fidelities``, ``notes`` (JSON) and
one float32 dataset per metric shaped (architectures, seeds, fidelities) with attributes
``per_seed``, ``unit``, ``source``.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path

import h5py
import numpy as np

from nasbench_lab.errors import DataFileError, UnknownNameError
from nasbench_lab.tables.table import BenchmarkTable, DatasetTable, MetricTable, SourceFile

FORMAT = "nasbench_lab.table"
FORMAT_VERSION = 1


def write_table(table: BenchmarkTable, path: str | os.PathLike) -> Path:
    """Writes ``table`` to ``path`` atomically (a temporary file renamed into place)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with h5py.File(tmp, "w") as f:
            f.attrs["format"] = FORMAT
            f.attrs["format_version"] = FORMAT_VERSION
            f.attrs["benchmark"] = table.benchmark
            f.attrs["sources"] = json.dumps([asdict(s) for s in table.sources])
            f.attrs["attrs"] = json.dumps(table.attrs)
            root = f.create_group("datasets")
            for name, ds in table.datasets.items():
                ds.check()
                g = root.create_group(name)
                g.attrs["space"] = ds.space
                g.attrs["fidelities"] = np.asarray(ds.fidelities, dtype=np.int64)
                g.attrs["notes"] = json.dumps(ds.notes)
                for metric, mt in ds.metrics.items():
                    d = g.create_dataset(metric, data=mt.values.astype(np.float32), compression=None)
                    d.attrs["per_seed"] = np.asarray(mt.per_seed, dtype=bool)
                    d.attrs["unit"] = mt.unit
                    d.attrs["source"] = mt.source
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def _open(path: str | os.PathLike) -> h5py.File:
    p = Path(path)
    if not p.is_file():
        raise DataFileError(f"table file not found: {p}")
    try:
        f = h5py.File(p, "r")
    except OSError as exc:
        raise DataFileError(f"{p} is not a readable HDF5 file (truncated or corrupted?): {exc}") from None
    if f.attrs.get("format") != FORMAT:
        f.close()
        raise DataFileError(f"{p} is an HDF5 file but not a nasbench_lab table (no format={FORMAT!r} attribute)")
    version = int(f.attrs.get("format_version", -1))
    if version != FORMAT_VERSION:
        f.close()
        raise DataFileError(f"{p} has table format version {version}; this nasbench_lab reads version {FORMAT_VERSION}")
    return f


def read_header(path: str | os.PathLike) -> tuple[str, list[SourceFile], list[str]]:
    """(benchmark name, source files, dataset names) without reading any array."""
    with _open(path) as f:
        return f.attrs["benchmark"], _sources(f, path), list(f["datasets"].keys())


def _sources(f: h5py.File, path: str | os.PathLike) -> list[SourceFile]:
    try:
        return [SourceFile(**s) for s in json.loads(f.attrs.get("sources", "[]"))]
    except (ValueError, TypeError) as exc:
        raise DataFileError(f"{path}: corrupted 'sources' attribute: {exc}") from None


def read_table(path: str | os.PathLike, datasets: list[str] | None = None) -> BenchmarkTable:
    """Reads the named datasets (all if None) into memory in one read per metric."""
    try:
        with _open(path) as f:
            available = list(f["datasets"].keys())
            wanted = available if datasets is None else datasets
            out: dict[str, DatasetTable] = {}
            for name in wanted:
                if name not in f["datasets"]:
                    raise UnknownNameError(f"dataset in {Path(path).name}", name, available)
                g = f["datasets"][name]
                metrics = {
                    m: MetricTable(
                        values=d[()],
                        per_seed=tuple(bool(x) for x in np.atleast_1d(d.attrs.get("per_seed", True))),
                        unit=str(d.attrs.get("unit", "")),
                        source=str(d.attrs.get("source", "")),
                    )
                    for m, d in g.items()
                }
                out[name] = DatasetTable(
                    name=name,
                    space=str(g.attrs["space"]),
                    fidelities=tuple(int(x) for x in g.attrs["fidelities"]),
                    metrics=metrics,
                    notes=json.loads(g.attrs.get("notes", "{}")),
                )
                out[name].check()
            return BenchmarkTable(
                benchmark=str(f.attrs["benchmark"]),
                datasets=out,
                sources=_sources(f, path),
                attrs=json.loads(f.attrs.get("attrs", "{}")),
            )
    except (OSError, KeyError, ValueError) as exc:
        if isinstance(exc, (DataFileError, UnknownNameError)):
            raise
        raise DataFileError(f"{path}: truncated or corrupted table file: {exc}") from None


def read_summary(path: str | os.PathLike) -> dict[str, dict]:
    """Per dataset: space, fidelities and metric names, without reading any array."""
    with _open(path) as f:
        return {
            name: {"space": str(g.attrs["space"]), "fidelities": [int(x) for x in g.attrs["fidelities"]],
                   "metrics": sorted(g.keys())}
            for name, g in f["datasets"].items()
        }
