"""Enumeration of the 423,624 unique NAS-Bench-101 cells, and the table file that stores them.

Order: the official generator's (``nasbench/scripts/generate_graphs.py``): vertex count
2..7, then the adjacency bit string counted upwards, then the op labelings in
``itertools.product`` order; every full DAG of at most 9 edges (all vertices on an
input-output path) with every labeling: 1,293,208 labeled graphs. A cell's
representative is the first labeled graph of its class in that order, as the official
generator keeps it.

Deduplication uses a 64-bit Weisfeiler-Lehman key with the same structure as the
official hash (initial colour from out-degree, in-degree and label; V rounds mixing the
multisets of in- and out-neighbour colours; the multiset of final colours). Each
round's colour is a function of the official round's hash, so the key partition is at
most as fine as the official one; it is *equal* when it yields the official 423,624
classes, which :func:`enumerate_cells` checks. Only the representatives then get their
official MD5 hash.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from nasbench_lab.errors import DataFileError
from nasbench_lab.spaces.nb101_graph import _NV_SHIFT, _OPS_SHIFT, MAX_EDGES, MAX_VERTICES, unpack
from nasbench_lab.spaces.nb101_hash_batch import hash_padded

NUM_CELLS = 423_624
NUM_LABELED_GRAPHS = 1_293_208
TABLE_FORMAT = "nasbench_lab.nb101_cells"
TABLE_VERSION = 1
TABLE_NAME = "nb101_cells.h5"

_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_SALT_IN = np.uint64(0x9E3779B97F4A7C15)
_SALT_OUT = np.uint64(0xD6E8FEB86659FD93)
_SALT_SELF = np.uint64(0xA0761D6478BD642F)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: a bijective scramble of uint64 values (wrapping arithmetic)."""
    x = x ^ (x >> np.uint64(30))
    x = x * _M1
    x = x ^ (x >> np.uint64(27))
    x = x * _M2
    return x ^ (x >> np.uint64(31))


def wl_keys(mats: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """64-bit isomorphism-invariant keys of n graphs with the same vertex count (see module docstring)."""
    adj = np.asarray(mats).astype(np.uint64)  # (n, V, V), adj[g, v, w] = edge v -> w
    n, nv, _ = adj.shape
    out_deg = adj.sum(axis=2)
    in_deg = adj.sum(axis=1)
    colour = _mix(out_deg * np.uint64(64) + in_deg * np.uint64(8) + (labels.astype(np.int64) + 3).astype(np.uint64))
    for _ in range(nv):
        f_in = _mix(colour ^ _SALT_IN)
        f_out = _mix(colour ^ _SALT_OUT)
        in_sum = np.einsum("gwv,gw->gv", adj, f_in)  # over predecessors w of v
        out_sum = np.einsum("gvw,gw->gv", adj, f_out)  # over successors w of v
        colour = _mix(_mix(colour ^ _SALT_SELF) + _mix(in_sum) * np.uint64(3) + _mix(out_sum ^ _SALT_IN))
    return _mix(_mix(colour).sum(axis=1, dtype=np.uint64) + np.uint64((nv * int(_SALT_OUT)) % 2**64))


def full_dag_bits(n_vertices: int) -> np.ndarray:
    """Edge bit strings (ascending) of the n-vertex full DAGs with at most 9 edges."""
    pairs = [(x, y) for y in range(1, n_vertices) for x in range(y)]
    bits = np.arange(2 ** len(pairs), dtype=np.int64)
    edge = ((bits[:, None] >> np.arange(len(pairs))) & 1).astype(bool)
    has_out = np.zeros((len(bits), n_vertices), dtype=bool)
    has_in = np.zeros((len(bits), n_vertices), dtype=bool)
    for k, (x, y) in enumerate(pairs):
        has_out[:, x] |= edge[:, k]
        has_in[:, y] |= edge[:, k]
    ok = has_out[:, :-1].all(axis=1) & has_in[:, 1:].all(axis=1) & (edge.sum(axis=1) <= MAX_EDGES)
    return bits[ok]


def labeled_graphs(chunk: int = 200_000) -> Iterator[np.ndarray]:
    """Packed codes of all labeled full DAGs in the official generator's order, in chunks."""
    for nv in range(2, MAX_VERTICES + 1):
        bits = full_dag_bits(nv)
        n_lab = 3 ** (nv - 2)
        codes = ((bits[:, None] | (np.arange(n_lab, dtype=np.int64)[None, :] << _OPS_SHIFT))
                 | ((nv - 2) << _NV_SHIFT)).ravel()
        for start in range(0, len(codes), chunk):
            yield codes[start:start + chunk].astype(np.uint32)


def _keys_of_codes(codes: np.ndarray) -> np.ndarray:
    nv, mats, labels = unpack(codes)
    keys = np.empty(len(codes), dtype=np.uint64)
    for v in np.unique(nv):
        rows = np.flatnonzero(nv == v)
        keys[rows] = wl_keys(mats[rows, :v, :v], labels[rows, :v])
    return keys


@dataclass(frozen=True)
class CellTable:
    """The canonical cells in index order: packed codes (uint32) and official digests (n, 16) uint8."""

    codes: np.ndarray
    digests: np.ndarray


def enumerate_cells(progress: Callable[[str, int, int], None] | None = None) -> CellTable:
    """Enumerates every unique cell (about a minute on 2 cores); ``progress(stage, done, total)`` is optional."""
    all_codes, all_keys = [], []
    done = 0
    for codes in labeled_graphs():
        all_codes.append(codes)
        all_keys.append(_keys_of_codes(codes))
        done += len(codes)
        if progress:
            progress("deduplicate", done, NUM_LABELED_GRAPHS)
    codes = np.concatenate(all_codes)
    keys = np.concatenate(all_keys)
    if len(codes) != NUM_LABELED_GRAPHS:
        raise DataFileError(f"nb101 enumeration produced {len(codes)} labeled graphs, expected {NUM_LABELED_GRAPHS}")
    _, first = np.unique(keys, return_index=True)
    reps = codes[np.sort(first)]
    if len(reps) != NUM_CELLS:
        raise DataFileError(f"nb101 enumeration found {len(reps)} unique cells, expected {NUM_CELLS} "
                            "(64-bit key collision?)")
    digests = np.empty((len(reps), 16), dtype=np.uint8)
    step = 20_000
    for start in range(0, len(reps), step):
        nv, mats, labels = unpack(reps[start:start + step])
        digests[start:start + step] = hash_padded(nv, mats, labels)
        if progress:
            progress("hash", min(start + step, len(reps)), len(reps))
    table = CellTable(codes=reps, digests=digests)
    check_table(table)
    return table


def check_table(table: CellTable) -> None:
    """Raises DataFileError unless the table has 423,624 cells with distinct codes and hashes."""
    if len(table.codes) != NUM_CELLS or table.digests.shape != (NUM_CELLS, 16):
        raise DataFileError(f"nb101 cell table has {len(table.codes)} cells; expected {NUM_CELLS}")
    if len(np.unique(table.digests.view("V16").ravel())) != NUM_CELLS:
        raise DataFileError("nb101 cell table: official hashes are not all distinct")


def write_cells(table: CellTable, path: str | os.PathLike) -> Path:
    """Writes the cell table as a small compressed HDF5 file (atomically)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with h5py.File(tmp, "w") as f:
            f.attrs["format"] = TABLE_FORMAT
            f.attrs["format_version"] = TABLE_VERSION
            f.attrs["cells"] = len(table.codes)
            f.attrs["layout"] = ("codes: uint32, bits 0-20 edge x->y at bit x+y(y-1)/2, bits 21-28 interior ops "
                                 "base 3 (0 conv3x3-bn-relu, 1 conv1x1-bn-relu, 2 maxpool3x3; vertex 1 most "
                                 "significant), bits 29-31 vertices-2; hashes: official MD5 digests")
            f.create_dataset("codes", data=table.codes, compression="gzip", compression_opts=9, shuffle=True)
            f.create_dataset("hashes", data=table.digests)  # MD5 digests do not compress
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def read_cells(path: str | os.PathLike) -> CellTable:
    """Reads a cell table written by :func:`write_cells`; DataFileError when damaged."""
    try:
        with h5py.File(path, "r") as f:
            if f.attrs.get("format") != TABLE_FORMAT or int(f.attrs.get("format_version", -1)) != TABLE_VERSION:
                raise DataFileError(f"{path} is not a version-{TABLE_VERSION} nb101 cell table")
            table = CellTable(codes=f["codes"][()], digests=f["hashes"][()])
    except (OSError, KeyError) as exc:
        raise DataFileError(f"{path}: unreadable nb101 cell table ({exc})") from None
    if len(table.codes) != NUM_CELLS or table.digests.shape != (NUM_CELLS, 16):
        raise DataFileError(f"{path}: nb101 cell table has {len(table.codes)} cells; expected {NUM_CELLS}")
    return table


def shipped_path() -> Path:
    """Where the package ships its pre-built cell table."""
    return Path(__file__).resolve().parents[1] / "data" / TABLE_NAME


def load_cells(progress: Callable[[str, int, int], None] | None = None) -> CellTable:
    """The cell table: the shipped file, else the user cache, else enumerated now and cached."""
    from nasbench_lab.paths import cache_dir

    for path in (shipped_path(), cache_dir() / TABLE_NAME):
        if path.is_file():
            try:
                return read_cells(path)
            except DataFileError:
                continue  # damaged: fall through to the next source or a rebuild
    table = enumerate_cells(progress)
    write_cells(table, cache_dir() / TABLE_NAME)
    return table
