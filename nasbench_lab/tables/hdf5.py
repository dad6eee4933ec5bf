"""Reading and writing BenchmarkTables as one HDF5 file (written atomically).

Layout: root attributes ``format``, ``format_version``, ``benchmark``, ``sources`` (JSON);
group ``/datasets/<name>`` with attributes ``space``, ``fidelities``, ``notes`` (JSON) and
one float32 dataset per metric shaped (architectures, seeds, fidelities) with attributes
``per_seed``, ``unit``, ``source``, ``crc32`` (of the numbers).

Integrity: the HDF5 user block (the file's first bytes, which HDF5 skips) holds a seal: the CRC of
every byte outside the metric arrays, plus the file size. It is checked before HDF5 parses anything,
because a damaged byte in HDF5's own metadata can make the HDF5 library loop forever; the arrays are
checked against their ``crc32`` attribute when read, so checking costs little more than reading.
"""

from __future__ import annotations

import json
import os
import struct
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path

import h5py
import numpy as np

from nasbench_lab.errors import ConfigError, DataFileError, UnknownNameError
from nasbench_lab.tables.table import BenchmarkTable, DatasetTable, MetricTable, SourceFile, SpaceRecord

FORMAT = "nasbench_lab.table"
FORMAT_VERSION = 1
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_SEAL = b"NBLSEAL1"  # then: user block size, number of array ranges, file size, CRC; then the ranges
_SEAL_HEAD = struct.Struct("<8sIIQI")
_RANGE = struct.Struct("<QQ")


def is_table_file(path: str | os.PathLike) -> bool:
    """Cheap sniff: an HDF5 file, sealed by :func:`write_table` or not."""
    p = Path(path)
    if not p.is_file() or p.suffix not in (".h5", ".hdf5"):
        return False
    with open(p, "rb") as handle:
        return handle.read(8) in (HDF5_SIGNATURE, _SEAL)


def check_table_target(path: str | os.PathLike, sources: tuple[str | os.PathLike, ...] = (), *,
                       option: str = "--out") -> None:
    """Refuses to write a table over one of its ``sources`` or over an existing file that is not one of our
    tables (a user's notes, a CSV): a table path chosen by the user replaces only a table."""
    target = Path(path)
    for source in sources:
        same = target.resolve() == Path(source).resolve() or (
            target.exists() and Path(source).exists() and os.path.samefile(source, target))  # links too
        if same:
            raise ConfigError(f"{option} {target} is the source file {source}; writing the table there would "
                              "replace the data it is made from: choose another output path (.h5)")
    if target.is_dir():
        raise ConfigError(f"{option} {target} is a directory, not a table file: choose a path ending in .h5")
    if target.exists() and not is_table_file(target):
        raise ConfigError(f"{option} {target} exists and is not a nasbench-lab table (.h5): refusing to replace it; "
                          "remove it or choose another output path")


def check_name(name: str, what: str) -> None:
    """Dataset and metric names are HDF5 names: refuse empty ones and ones with a '/' (which nest groups)."""
    if not name or "/" in name or name in (".", ".."):
        raise DataFileError(f"{what} name {name!r} cannot be stored in a table (accepted: a non-empty name "
                            "without '/')")


def write_table(table: BenchmarkTable, path: str | os.PathLike) -> Path:
    """Writes ``table`` to ``path`` atomically (a temporary file renamed into place)."""
    path = Path(path)
    for name, ds in table.datasets.items():
        check_name(name, "dataset")
        for metric in ds.metrics:
            check_name(metric, f"dataset {name}: metric")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        n_arrays = sum(len(ds.metrics) for ds in table.datasets.values()) + len(table.spaces)
        block = 512
        while block < _SEAL_HEAD.size + _RANGE.size * n_arrays:
            block *= 2
        with h5py.File(tmp, "w", userblock_size=block) as f:
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
                    values = np.ascontiguousarray(mt.values, dtype=np.float32)
                    d = g.create_dataset(metric, data=values, compression=None)
                    # a CRC of the numbers, so a damaged file fails to read instead of giving wrong values
                    # (HDF5's fletcher32 filter would do it too, but makes reads of large tables 4-10x slower)
                    d.attrs["crc32"] = zlib.crc32(values.data.cast("B"))
                    d.attrs["per_seed"] = np.asarray(mt.per_seed, dtype=bool)
                    d.attrs["unit"] = mt.unit
                    d.attrs["source"] = mt.source
            _write_spaces(f, table.spaces)
        _seal(tmp, block)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def _write_spaces(f: h5py.File, spaces: dict[str, SpaceRecord]) -> None:
    """Spaces defined by the table: ``/spaces/<name>`` with a JSON ``definition`` and optional ``members``."""
    for name, record in spaces.items():
        g = f.require_group("spaces").create_group(name)
        g.attrs["definition"] = json.dumps(record.definition)
        if record.members is not None:
            members = np.ascontiguousarray(record.members, dtype=np.int16)
            d = g.create_dataset("members", data=members)
            d.attrs["crc32"] = zlib.crc32(members.data.cast("B"))


def _read_spaces(f: h5py.File, path: str | os.PathLike) -> dict[str, SpaceRecord]:
    out = {}
    for name, g in f.get("spaces", {}).items():
        members = _checked(g["members"], path, f"space {name}", "members") if "members" in g else None
        out[name] = SpaceRecord(json.loads(g.attrs["definition"]), members)
    return out


def _array_ranges(path: Path) -> list[tuple[int, int]]:
    ranges = []
    with h5py.File(path, "r") as f:
        def visit(_name, obj):
            if isinstance(obj, h5py.Dataset) and obj.id.get_offset() is not None:
                ranges.append((obj.id.get_offset(), obj.id.get_storage_size()))
        f.visititems(visit)
    return sorted(ranges)


def _crc_outside(handle, start: int, end: int, ranges: list[tuple[int, int]]) -> int:
    """CRC of bytes ``start..end`` of the file, skipping the given (offset, size) ranges."""
    crc, pos = 0, start
    for offset, size in [*ranges, (end, 0)]:
        handle.seek(pos)
        remaining = offset - pos
        while remaining > 0:
            chunk = handle.read(min(remaining, 1 << 22))
            if not chunk:
                raise DataFileError(f"{handle.name}: truncated table file")
            crc = zlib.crc32(chunk, crc)
            remaining -= len(chunk)
        pos = max(pos, offset + size)
    return crc


def _seal(path: Path, block: int) -> None:
    """Writes the seal (see the module docstring) into the user block of a freshly written table."""
    ranges = _array_ranges(path)
    size = path.stat().st_size
    with open(path, "r+b") as handle:
        crc = _crc_outside(handle, block, size, ranges)
        handle.seek(0)
        handle.write(_SEAL_HEAD.pack(_SEAL, block, len(ranges), size, crc))
        handle.write(b"".join(_RANGE.pack(*r) for r in ranges))


def _check_seal(p: Path) -> None:
    """Raises DataFileError if a sealed table's size or bytes outside its arrays changed."""
    with open(p, "rb") as handle:
        head = handle.read(_SEAL_HEAD.size)
        if len(head) < _SEAL_HEAD.size or not head.startswith(_SEAL):
            return  # not sealed (written before seals existed): HDF5 itself checks what it can
        _, block, n, size, crc = _SEAL_HEAD.unpack(head)
        actual = os.fstat(handle.fileno()).st_size
        if actual != size:
            raise DataFileError(f"{p}: truncated or corrupted table file ({actual} bytes, written with {size})")
        if block < 512 or block & (block - 1) or _SEAL_HEAD.size + _RANGE.size * n > block:
            raise DataFileError(f"{p}: corrupted table file (bad seal)")
        ranges = [_RANGE.unpack(handle.read(_RANGE.size)) for _ in range(n)]
        if any(o < block or o + s > size for o, s in ranges) or _crc_outside(handle, block, size, ranges) != crc:
            raise DataFileError(f"{p}: corrupted table file (checksum mismatch); convert the source again")


def _open(path: str | os.PathLike) -> h5py.File:
    p = Path(path)
    if not p.is_file():
        raise DataFileError(f"table file not found: {p}")
    _check_seal(p)
    try:
        f = h5py.File(p, "r")
    except OSError as exc:
        raise DataFileError(f"{p} is not a readable HDF5 file (truncated or corrupted?): {exc}") from None
    try:
        fmt, version = f.attrs.get("format"), int(f.attrs.get("format_version", -1))
    except (OSError, KeyError, ValueError, TypeError, RuntimeError) as exc:
        f.close()  # a handle left open makes HDF5 reuse its stale state when the path is opened again
        raise DataFileError(f"{p}: truncated or corrupted table file: {exc}") from None
    if fmt != FORMAT:
        f.close()
        raise DataFileError(f"{p} is an HDF5 file but not a nasbench_lab table (no format={FORMAT!r} attribute)")
    if version != FORMAT_VERSION:
        f.close()
        raise DataFileError(f"{p} has table format version {version}; this nasbench_lab reads version {FORMAT_VERSION}")
    return f


@dataclass(frozen=True)
class TableHeader:
    """What a table file says about itself, read without any array: benchmark, sources, and each dataset's notes."""

    benchmark: str
    sources: list[SourceFile]
    notes: dict[str, dict[str, str]]

    @property
    def datasets(self) -> list[str]:
        return list(self.notes)


def read_table_header(path: str | os.PathLike) -> TableHeader:
    """The file's :class:`TableHeader` (one open, no array read)."""
    with _open(path) as f:
        try:
            notes = {name: json.loads(g.attrs.get("notes", "{}")) for name, g in f["datasets"].items()}
            return TableHeader(str(f.attrs["benchmark"]), _sources(f, path), notes)
        except (KeyError, ValueError, RuntimeError, TypeError) as exc:
            raise DataFileError(f"{path}: truncated or corrupted table file: {exc}") from None


def read_header(path: str | os.PathLike) -> tuple[str, list[SourceFile], list[str]]:
    """(benchmark name, source files, dataset names) without reading any array."""
    header = read_table_header(path)
    return header.benchmark, header.sources, header.datasets


def _sources(f: h5py.File, path: str | os.PathLike) -> list[SourceFile]:
    try:
        return [SourceFile(**s) for s in json.loads(f.attrs.get("sources", "[]"))]
    except (ValueError, TypeError) as exc:
        raise DataFileError(f"{path}: corrupted 'sources' attribute: {exc}") from None


def _checked(d: h5py.Dataset, path: str | os.PathLike, dataset: str, metric: str) -> np.ndarray:
    """The dataset's values, after checking them against the CRC recorded when they were written."""
    values = d[()]
    expected = d.attrs.get("crc32")
    if expected is not None and zlib.crc32(np.ascontiguousarray(values).data.cast("B")) != int(expected):
        raise DataFileError(f"{path}: the numbers of {dataset}/{metric} do not match their recorded checksum "
                            "(corrupted file); convert the source again")
    return values


def read_table(path: str | os.PathLike, datasets: list[str] | None = None) -> BenchmarkTable:
    """Reads the named datasets (all if None) into memory in one read per metric."""
    try:
        with _open(path) as f:
            available = list(f["datasets"].keys())
            wanted = available if datasets is None else datasets
            out: dict[str, DatasetTable] = {}
            for name in wanted:
                if name not in available:
                    raise UnknownNameError(f"dataset in {Path(path).name}", name, available)
                g = f["datasets"][name]
                metrics = {
                    m: MetricTable(
                        values=_checked(d, path, name, m),
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
                spaces=_read_spaces(f, path),
            )
    except (OSError, KeyError, ValueError, RuntimeError, TypeError) as exc:  # TypeError: h5py gives None for
        if isinstance(exc, (DataFileError, UnknownNameError)):                # objects it cannot resolve
            raise
        raise DataFileError(f"{path}: truncated or corrupted table file: {exc}") from None


def read_summary(path: str | os.PathLike) -> dict[str, dict]:
    """Per dataset: space, fidelities and metric names, without reading any array."""
    with _open(path) as f:
        try:
            return {
                name: {"space": str(g.attrs["space"]), "fidelities": [int(x) for x in g.attrs["fidelities"]],
                       "metrics": sorted(g.keys())}
                for name, g in f["datasets"].items()
            }
        except (KeyError, ValueError, TypeError) as exc:  # e.g. a dataset group written by an older version
            raise DataFileError(f"{path}: not a readable table (dataset entry: {exc})") from None
