"""Measured NAS-Bench-201 latencies on 27 devices: the original HELP files, read without torch, and the flat CSV.

HELP (HayeonLee/HELP, MIT; ``data/nasbench201/latency/``) ships one ``<device>.pt`` per device: a torch zip
archive whose ``<root>/data.pkl`` is a protocol-2 pickle of a plain list of 15,625 latencies (floats; whole
numbers as ints for some phones), and ``str_arch2idx.pt``, a pickle of a dict from the official architecture
string to the list position. The pickles are read with the restricted unpickler and no global at all allowed
(lists, dicts, strs, ints and floats need none), so a file asking for any class or function, or holding a tensor,
is refused with a DataFileError. Values are milliseconds of one forward pass of the CIFAR-100 network
(C=16, N=5) at the device's batch size (``<gpu>_<batch>``; batch 1 elsewhere).

``nb201_hw_latency.csv`` is the same data flattened (``<device>_latency_ms`` columns, official index order,
values rounded to 6 significant digits); :func:`read_latency_csv` returns the same structure as
:func:`read_help_folder`. Both map device names to float64 arrays in the official NB201 index order.
"""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
import zlib
from pathlib import Path

import numpy as np

from nasbench_lab.errors import DataFileError, InvalidArchitectureError, UnsafePickleError
from nasbench_lab.loaders.csv_cells import parse_counts, parse_numbers, read_csv
from nasbench_lab.loaders.safe_pickle import RestrictedUnpickler
from nasbench_lab.spaces.nb201 import OPS, NB201Space

N_ARCHS = 15_625
INDEX_FILE = "str_arch2idx.pt"
CSV_SUFFIX = "_latency_ms"
UNIT = "ms"
MEASURED_ON = "the NB201 CIFAR-100 network (C=16, N=5), one forward pass at the device's batch size"
_MAX_PICKLE_BYTES = 64 << 20  # the index pickle is 1.5 MB; anything near this is not a HELP file


def metric_name(device: str) -> str:
    """The metric name of a device's latency (``latency_gold_6226``)."""
    return f"latency_{device}"


class _PlainUnpickler(RestrictedUnpickler):
    """No globals (lists, dicts, strs and numbers need none) and no persistent ids (tensor storages)."""

    def persistent_load(self, pid: object) -> object:
        raise UnsafePickleError(f"{self._source} holds a tensor storage ({pid!r}); expected a plain list or dict")


def _torch_zip_payload(path: Path) -> object:
    """Unpickles the ``data.pkl`` of a torch zip archive allowing only plain Python containers and numbers."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = [i for i in archive.infolist() if i.filename.endswith("data.pkl")]
            if len(members) != 1:
                raise DataFileError(f"{path}: expected one <root>/data.pkl in the torch zip archive, "
                                    f"found {[i.filename for i in members]}")
            if members[0].file_size > _MAX_PICKLE_BYTES:
                raise DataFileError(f"{path}: data.pkl is {members[0].file_size} bytes; a HELP file is a few MB")
            data = archive.read(members[0])
    except FileNotFoundError:
        raise DataFileError(f"file not found: {path}") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, zlib.error, NotImplementedError) as exc:
        if isinstance(exc, DataFileError):
            raise
        raise DataFileError(f"{path}: not a readable torch zip archive ({type(exc).__name__}: {exc})") from None
    try:
        return _PlainUnpickler(io.BytesIO(data), allowed=(), source=str(path)).load()
    except UnsafePickleError as exc:  # no global is allowed, so drop the (empty) list of allowed ones
        reason = str(exc).split("; allowed:")[0]
        raise DataFileError(f"{reason}; a HELP file holds only plain lists or dicts of numbers and strings") from None
    except Exception as exc:  # corrupt pickles raise almost anything
        raise DataFileError(f"{path}: truncated or corrupted pickle ({type(exc).__name__}: {exc})") from None


def read_help_index(path: str | os.PathLike) -> np.ndarray:
    """Reads ``str_arch2idx.pt``: for each official NB201 index, the position of its latency in HELP's lists."""
    p = Path(path)
    mapping = _torch_zip_payload(p)
    if not isinstance(mapping, dict) or len(mapping) != N_ARCHS:
        size = len(mapping) if isinstance(mapping, (dict, list)) else "?"
        raise DataFileError(f"{p}: expected a dict of {N_ARCHS} architecture strings -> positions, "
                            f"got a {type(mapping).__name__} of {size}")
    space = NB201Space()
    position = np.full(N_ARCHS, -1, dtype=np.int64)
    for text, pos in mapping.items():
        if not isinstance(pos, int) or isinstance(pos, bool) or not 0 <= pos < N_ARCHS:
            raise DataFileError(f"{p}: position of {text!r} is {pos!r}; expected an int in 0..{N_ARCHS - 1}")
        try:
            index = int(space.index(space.from_string(text)))
        except InvalidArchitectureError as exc:
            raise DataFileError(f"{p}: {exc}") from None
        position[index] = pos
    if (position < 0).any() or len(np.unique(position)) != N_ARCHS:
        raise DataFileError(f"{p}: the architecture strings or positions repeat; expected each of the "
                            f"{N_ARCHS} NB201 cells once, at distinct positions")
    return position


def read_help_file(path: str | os.PathLike, position: np.ndarray | None = None) -> np.ndarray:
    """Reads one ``<device>.pt``: float64 latencies (ms) in official NB201 index order.

    ``position`` (from :func:`read_help_index`) maps each official index to its place in the file's list; by
    default the list is taken as already in official order (true of HELP's files, which the index confirms).
    """
    p = Path(path)
    values = _torch_zip_payload(p)
    if not isinstance(values, list) or len(values) != N_ARCHS:
        size = len(values) if isinstance(values, (dict, list)) else "?"
        raise DataFileError(f"{p}: expected a list of {N_ARCHS} latencies, got a {type(values).__name__} of {size}")
    bad = next((v for v in values if type(v) not in (float, int)), None)
    if bad is not None:
        raise DataFileError(f"{p}: latencies must be numbers, found {type(bad).__name__} {bad!r}")
    arr = np.asarray(values, dtype=np.float64)
    if not (np.isfinite(arr) & (arr >= 0)).all():
        i = int(np.flatnonzero(~(np.isfinite(arr) & (arr >= 0)))[0])
        raise DataFileError(f"{p}: latency at position {i} is {arr[i]}; expected a finite value >= 0 (ms)")
    return arr if position is None else arr[position]


def read_help_folder(folder: str | os.PathLike, devices: list[str] | None = None) -> dict[str, np.ndarray]:
    """Reads HELP's latency folder (``str_arch2idx.pt`` plus ``<device>.pt`` files): device -> latencies (ms)."""
    root = Path(folder)
    index_file = root / INDEX_FILE
    if not index_file.is_file():
        raise DataFileError(f"{root}: no {INDEX_FILE}; a HELP latency folder holds it and one <device>.pt per device")
    found = sorted(p.stem for p in root.glob("*.pt") if p.name != INDEX_FILE)
    if not found:
        raise DataFileError(f"{root}: no <device>.pt latency files beside {INDEX_FILE}")
    wanted = found if devices is None else list(devices)
    missing = [d for d in wanted if d not in found]
    if missing:
        raise DataFileError(f"{root}: no latency file for {', '.join(missing)}; found: {', '.join(found)}")
    position = read_help_index(index_file)
    return {device: read_help_file(root / f"{device}.pt", position) for device in wanted}


def read_latency_csv(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Reads the ``<device>_latency_ms`` columns of ``nb201_hw_latency.csv``: device -> latencies (ms).

    The file and its numbers pass the same strict checks as every CSV table (``csv_cells``: whole file, plain
    decimals that fit float32, no NUL byte); every field must hold a value."""
    p = Path(path)
    header, body = read_csv(p)
    if not header or "index" not in header:
        raise DataFileError(f"{p}: expected a header with 'index' and '<device>{CSV_SUFFIX}' columns")
    columns = {name[: -len(CSV_SUFFIX)]: j for j, name in enumerate(header) if name.endswith(CSV_SUFFIX)}
    if not columns:
        raise DataFileError(f"{p}: no '<device>{CSV_SUFFIX}' columns in the header")
    if len(body) != N_ARCHS:
        raise DataFileError(f"{p}: expected {N_ARCHS} rows of {len(header)} fields, got {len(body)} rows")
    lines = np.arange(2, N_ARCHS + 2)
    index = parse_counts(p, [r[header.index("index")] for r in body], "index")
    if not np.array_equal(index, np.arange(N_ARCHS)):
        raise DataFileError(f"{p}: rows must be in official NB201 index order 0..{N_ARCHS - 1}")
    latencies = {}
    for device, j in columns.items():
        values = parse_numbers(p, [r[j] for r in body], lines, header[j], None)
        if np.isnan(values).any():
            bad = int(np.flatnonzero(np.isnan(values))[0])
            raise DataFileError(f"{p}: a latency or index is not a number (line {lines[bad]}, column "
                                f"{header[j]!r} is empty)")
        latencies[device] = values
    if "arch_str" in header:
        j = header.index("arch_str")
        official = _official_strings()
        wrong = next((i for i, r in enumerate(body) if r[j].strip() != official[i]), None)
        if wrong is not None:
            raise DataFileError(f"{p}: row {wrong} has arch_str {body[wrong][j]!r}, which is not NB201 cell {wrong}")
    return dict(sorted(latencies.items()))


def _official_strings() -> list[str]:
    """The official string of every NB201 cell, in index order (vectorized: 0.3 s instead of 0.8 s)."""
    names = np.asarray(OPS)[NB201Space().all()].tolist()
    return ["|{}~0|+|{}~0|{}~1|+|{}~0|{}~1|{}~2|".format(*row) for row in names]


def help_file_digests(folder: str | os.PathLike) -> dict[str, str]:
    """SHA-256 of each ``.pt`` file of a HELP latency folder (file name -> hex digest), for download manifests."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(Path(folder).glob("*.pt"))}


__all__ = [
    "MEASURED_ON", "N_ARCHS", "UNIT", "help_file_digests", "metric_name", "read_help_file", "read_help_folder",
    "read_help_index", "read_latency_csv",
]
