"""NAS-Bench-101 space: the 423,624 unique cells, addressed by their index in the canonical table.

An architecture is a 1-element int32 array holding the cell's index (``arch_shape ==
(1,)``), so it batches like every other space (a batch is (n, 1)); a bare int is
accepted as one architecture. Index order is the official generator's order of first
appearance (see :mod:`nasbench_lab.spaces.nb101_enum`). Each index converts to the
pruned (matrix, ops) spec the official files store, and to the official hash.

String notation (``to_string``/``from_string``): ``"<adjacency>|<ops>"`` where
``<adjacency>`` is the V*V row-major 0/1 string and ``<ops>`` the comma-separated op names,
i.e. the official tfrecord's ``raw_adjacency`` and ``raw_operations`` fields joined by
``|``. ``from_string`` also accepts a bare 32-hex official hash.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np

from nasbench_lab.errors import DataFileError, InvalidArchitectureError, UnknownNameError
from nasbench_lab.spaces.base import EnumerableSpace, check_rng, check_sample_args
from nasbench_lab.spaces.nb101_enum import NUM_CELLS, CellTable, load_cells
from nasbench_lab.spaces.nb101_graph import (
    INPUT,
    INPUT_LABEL,
    MAX_EDGES,
    MAX_VERTICES,
    OPS,
    OUTPUT,
    OUTPUT_LABEL,
    TRIU_BITS,
    graph_hash,
    prune,
    prune_padded,
    to_padded,
    unpack,
)
from nasbench_lab.spaces.nb101_hash_batch import hash_padded
from nasbench_lab.spaces.registry import SPACES

_HEX = re.compile(r"^[0-9a-f]{32}$")
_OP_SPOTS = MAX_VERTICES - 2
#: below this batch size the one-graph hash beats the batched one (numpy overhead per group)
_BATCH_HASH_MIN = 256
#: BANANAS path encoding: paths of 0..5 interior ops, each op one of 3 -> 3^0 + ... + 3^5 columns
NUM_PATHS = sum(3**i for i in range(_OP_SPOTS + 1))  # 364
#: BANANAS' default truncation keeps the paths of at most 3 ops: 1 + 3 + 9 + 27 columns
TRUNC_PATHS = 40
_ROW_MAJOR_TRIU = [(i, j) for i in range(MAX_VERTICES - 1) for j in range(i + 1, MAX_VERTICES)]


def _path_extension() -> np.ndarray:
    """ext[op, idx]: index of path ``idx`` extended by ``op`` (-1 beyond 5 ops); BANANAS' path numbering."""
    length = np.zeros(NUM_PATHS, dtype=np.int64)
    start = 0
    for n_ops in range(_OP_SPOTS + 1):
        length[start:start + 3**n_ops] = n_ops
        start += 3**n_ops
    ext = np.full((3, NUM_PATHS), -1, dtype=np.int64)
    for op in range(3):
        ok = length < _OP_SPOTS
        ext[op, ok] = np.arange(NUM_PATHS)[ok] + 3 ** length[ok] * (op + 1)
    return ext


_PATH_EXT = _path_extension()


class NB101Space(EnumerableSpace):
    """The NAS-Bench-101 cell space (7 vertices, 9 edges, 3 ops) as indices into the canonical table."""

    name = "nb101"
    arch_shape = (1,)
    arch_dtype = np.dtype(np.int32)
    size = NUM_CELLS
    ops = OPS

    def __init__(self, table: CellTable | None = None) -> None:
        table = table or load_cells()
        self._codes = table.codes
        self._digests = table.digests
        halves = np.ascontiguousarray(table.digests).view(">u8").astype(np.uint64)
        self._order = np.argsort(halves[:, 0], kind="stable")  # the leading 64 bits are distinct in the table
        self._hi_sorted = halves[self._order, 0]
        if (self._hi_sorted[1:] == self._hi_sorted[:-1]).any():
            raise DataFileError("nb101 cell table: two cells share the leading 64 bits of their hash")
        self._lo_sorted = halves[self._order, 1]

    # ---------------------------------------------------------------- checks
    def as_batch(self, archs: object) -> tuple[np.ndarray, bool]:
        """Like the base, and a bare integer is one architecture."""
        if isinstance(archs, (int, np.integer)) and not isinstance(archs, bool):
            archs = np.asarray([archs])
        return super().as_batch(archs)

    @property
    def cell_codes(self) -> np.ndarray:
        """Packed uint32 code of every cell in index order (layout in :mod:`nasbench_lab.spaces.nb101_graph`)."""
        return self._codes

    def _check_values(self, batch: np.ndarray) -> None:
        if batch.size and (batch.min() < 0 or batch.max() >= NUM_CELLS):
            bad = int(batch[(batch < 0) | (batch >= NUM_CELLS)][0])
            raise InvalidArchitectureError(f"nb101: cell index {bad} out of range; accepted: 0 to {NUM_CELLS - 1}")

    def _indices(self, archs: object) -> tuple[np.ndarray, bool]:
        batch, single = self.as_batch(archs)
        return batch[:, 0].astype(np.int64), single

    # --------------------------------------------------------------- indices
    def index(self, archs: object) -> np.ndarray | int:
        idx, single = self._indices(archs)
        return int(idx[0]) if single else idx

    def from_index(self, indices: object) -> np.ndarray:
        idx = self.check_indices(indices)
        out = idx.astype(np.int32).reshape(-1, 1)
        return out[0] if idx.ndim == 0 else out

    def all(self) -> np.ndarray:
        return np.arange(NUM_CELLS, dtype=np.int32).reshape(-1, 1)

    # ------------------------------------------------------------------ specs
    def to_spec(self, arch: object) -> tuple[np.ndarray, list[str]]:
        """(adjacency matrix, ops) of one cell, pruned, exactly as the official files store it."""
        idx, single = self._indices(arch)
        if not single:
            raise InvalidArchitectureError("nb101: to_spec takes one architecture; use specs() for a batch")
        return self.specs(idx.reshape(-1, 1))[0]

    def specs(self, archs: object) -> list[tuple[np.ndarray, list[str]]]:
        """(matrix, ops) of every cell of a batch."""
        idx, _ = self._indices(archs)
        nv, mats, labels = unpack(self._codes[idx])
        out = []
        for k in range(len(idx)):
            n = int(nv[k])
            out.append((mats[k, :n, :n].copy(), [INPUT] + [OPS[c] for c in labels[k, 1:n - 1]] + [OUTPUT]))
        return out

    def from_spec(self, matrix: object, ops: Sequence[str]) -> np.ndarray:
        """The architecture of a (matrix, ops) spec; pruned first, then checked against the official limits."""
        pruned, labels = prune(matrix, ops)
        digest = bytes.fromhex(graph_hash(pruned, labels))
        idx = self._lookup(np.frombuffer(digest, dtype=np.uint8).reshape(1, 16))
        if idx[0] < 0:  # cannot happen for a valid spec; guards a damaged table
            raise InvalidArchitectureError(f"nb101: valid cell with hash {digest.hex()} is missing from the table")
        return np.asarray([idx[0]], dtype=np.int32)

    def hash(self, matrix: object, ops: Sequence[str]) -> str:
        """Official NAS-Bench-101 hash (hex MD5) of a spec, after the official pruning."""
        pruned, labels = prune(matrix, ops)
        return graph_hash(pruned, labels)

    def hash_of(self, archs: object) -> str | list[str]:
        """Official hash of each architecture (a str for one, a list for a batch)."""
        idx, single = self._indices(archs)
        hexes = [bytes(d).hex() for d in self._digests[idx]]
        return hexes[0] if single else hexes

    def from_hash(self, text: str) -> np.ndarray:
        """The architecture with official hash ``text``; InvalidArchitectureError if no cell has it."""
        if not isinstance(text, str) or not _HEX.match(text.strip().lower()):
            raise InvalidArchitectureError(f"nb101: {text!r} is not an official hash (32 lowercase hex digits)")
        idx = self.indices_of_hashes([text.strip().lower()])
        if idx[0] < 0:
            raise InvalidArchitectureError(f"nb101: no cell of the space has hash {text!r}")
        return np.asarray([idx[0]], dtype=np.int32)

    def indices_of_hashes(self, hashes: Sequence[str]) -> np.ndarray:
        """Index of each official hex hash, -1 where no cell has it (for joins that report misses)."""
        if not len(hashes):
            return np.zeros(0, dtype=np.int64)
        try:
            raw = bytes.fromhex("".join(hashes))
        except ValueError:
            raw = b""
        if len(raw) != 16 * len(hashes) or any(len(h) != 32 for h in hashes):
            bad = next((h for h in hashes if not (isinstance(h, str) and _HEX.match(h.lower()))), hashes[0])
            raise InvalidArchitectureError(f"nb101: {bad!r} is not an official hash (32 hex digits)")
        return self._lookup(np.frombuffer(raw, dtype=np.uint8).reshape(-1, 16))

    def _lookup(self, digests: np.ndarray) -> np.ndarray:
        halves = np.ascontiguousarray(digests).view(">u8").astype(np.uint64)
        pos = np.searchsorted(self._hi_sorted, halves[:, 0])
        pos = np.minimum(pos, NUM_CELLS - 1)
        hit = (self._hi_sorted[pos] == halves[:, 0]) & (self._lo_sorted[pos] == halves[:, 1])
        return np.where(hit, self._order[pos], -1).astype(np.int64)

    def lookup_padded(self, mats: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """Index of each (n, 7, 7) graph with hash labels after official pruning; -1 where invalid."""
        valid, nv, pruned, lab = prune_padded(mats, labels)
        out = np.full(len(valid), -1, dtype=np.int64)
        rows = np.flatnonzero(valid)
        if not len(rows):
            return out
        if len(rows) >= _BATCH_HASH_MIN:
            digests = hash_padded(nv[rows], pruned[rows], lab[rows])
        else:
            digests = np.frombuffer(b"".join(
                bytes.fromhex(graph_hash(pruned[r, :nv[r], :nv[r]], lab[r, :nv[r]].tolist())) for r in rows),
                dtype=np.uint8).reshape(len(rows), 16)
        out[rows] = self._lookup(digests)
        return out

    def padded(self, archs: object, pad_label: int | np.ndarray = 0) -> tuple[np.ndarray, np.ndarray]:
        """7x7 matrices (output at vertex 6) and labels (-1 input, 0..2 ops, -2 output) of a batch."""
        idx, _ = self._indices(archs)
        nv, mats, labels = unpack(self._codes[idx])
        return to_padded(nv, mats, labels, pad_label)

    # ------------------------------------------------ categorical parameterisation
    def categorical_choices(self) -> tuple[int, ...]:
        """The 21 edge bits of the 7-vertex upper-triangular matrix (NB101's order), then 5 interior ops."""
        return (2,) * len(TRIU_BITS) + (len(OPS),) * _OP_SPOTS

    def to_categorical(self, archs: object) -> np.ndarray:
        """Choice rows of the 7-vertex form (unused vertices carry op 0)."""
        mats, labels = self.padded(archs, pad_label=0)
        src, dst = np.array(TRIU_BITS).T
        return np.concatenate([mats[:, src, dst], labels[:, 1:-1]], axis=1).astype(np.int64)

    def from_categorical(self, choices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Cells after official pruning; graphs NB101 rejects (output unreachable, > 9 edges) are absent."""
        rows = np.asarray(choices, dtype=np.int64)
        if rows.ndim != 2 or rows.shape[1] != len(TRIU_BITS) + _OP_SPOTS:
            raise InvalidArchitectureError(f"nb101: choice rows must have {len(TRIU_BITS) + _OP_SPOTS} "
                                           f"columns (21 edge bits, 5 ops), got shape {rows.shape}")
        n = len(rows)
        src, dst = np.array(TRIU_BITS).T
        mats = np.zeros((n, MAX_VERTICES, MAX_VERTICES), dtype=np.int8)
        mats[:, src, dst] = rows[:, :len(TRIU_BITS)]
        labels = np.empty((n, MAX_VERTICES), dtype=np.int8)
        labels[:, 0], labels[:, -1] = INPUT_LABEL, OUTPUT_LABEL
        labels[:, 1:-1] = rows[:, len(TRIU_BITS):]
        idx = self.lookup_padded(mats, labels)
        return np.maximum(idx, 0).astype(np.int32).reshape(-1, 1), idx >= 0

    # -------------------------------------------------------------- sampling
    def sample(self, rng: np.random.Generator, n: int | None = None) -> np.ndarray:
        """Uniform over the unique cells (each isomorphism class once)."""
        check_sample_args(self.name, rng, n)
        idx = rng.integers(0, NUM_CELLS, size=1 if n is None else n)
        out = idx.astype(np.int32).reshape(-1, 1)
        return out[0] if n is None else out

    def mutate(self, archs: np.ndarray, rng: np.random.Generator, mutation_rate: float = 1.0,
               max_tries: int = 1000) -> np.ndarray:
        """The official search scripts' mutation, retried until the child is valid and differs from its parent.

        On the 7-vertex form each of the 21 possible edges flips with probability
        ``mutation_rate / 7`` and each of the 5 interior ops changes to one of the two other
        ops with probability ``mutation_rate / 5``; unused vertices carry random ops, so two
        flips can bring one into the cell. Children that prune to an invalid graph or to
        the parent's own cell are drawn again.
        """
        check_rng(self.name, rng)
        idx, single = self._indices(archs)
        n = len(idx)
        mats, labels = self.padded(idx.reshape(-1, 1), pad_label=rng.integers(0, 3, size=(n, MAX_VERTICES)))
        out = np.full(n, -1, dtype=np.int64)
        pending = np.arange(n)
        src = np.array([s for s, _ in TRIU_BITS])
        dst = np.array([d for _, d in TRIU_BITS])
        for _ in range(max_tries):
            k = len(pending)
            m = mats[pending].copy()
            lab = labels[pending].copy()
            flips = rng.random((k, len(TRIU_BITS))) < mutation_rate / MAX_VERTICES
            m[:, src, dst] ^= flips.astype(np.int8)
            change = rng.random((k, _OP_SPOTS)) < mutation_rate / _OP_SPOTS
            shift = rng.integers(1, 3, size=(k, _OP_SPOTS))
            lab[:, 1:-1] = np.where(change, (lab[:, 1:-1] + shift) % 3, lab[:, 1:-1])
            child = self.lookup_padded(m, lab)
            ok = (child >= 0) & (child != idx[pending])
            out[pending[ok]] = child[ok]
            pending = pending[~ok]
            if not len(pending):
                break
        if len(pending):
            raise InvalidArchitectureError(f"nb101: no valid mutation found in {max_tries} tries "
                                           f"for cell {int(idx[pending[0]])}; raise mutation_rate")
        result = out.astype(np.int32).reshape(-1, 1)
        return result[0] if single else result

    def neighbours(self, arch: np.ndarray) -> np.ndarray:
        """Distinct valid cells one edge flip or one op change away (on the 7-vertex form), in that order."""
        idx, single = self._indices(arch)
        if not single:
            raise InvalidArchitectureError("nb101: neighbours takes one architecture")
        mats, labels = self.padded(idx.reshape(-1, 1))
        cands_m = [mats[0].copy() for _ in TRIU_BITS]
        cands_l = [labels[0].copy() for _ in TRIU_BITS]
        for c, (s, d) in enumerate(TRIU_BITS):
            cands_m[c][s, d] ^= 1
        for v in range(1, MAX_VERTICES - 1):
            for shift in (1, 2):
                lab = labels[0].copy()
                lab[v] = (lab[v] + shift) % 3
                cands_m.append(mats[0])
                cands_l.append(lab)
        found = self.lookup_padded(np.stack(cands_m), np.stack(cands_l))
        seen: set[int] = {int(idx[0])}
        keep = []
        for f in found.tolist():
            if f >= 0 and f not in seen:
                seen.add(f)
                keep.append(f)
        return np.asarray(keep, dtype=np.int32).reshape(-1, 1)

    # -------------------------------------------------------------- encodings
    def _encoders(self) -> dict:
        return {"onehot": self._onehot, "path": self._path, "trunc_path": self._trunc_path}

    def _onehot(self, batch: np.ndarray) -> np.ndarray:
        """Adjacency one-hot (NASLib's ``adjacency_one_hot``): 21 edge bits of the 7-vertex form, then
        5 x 3 op indicators (conv3x3, conv1x1, maxpool; all zero for unused vertices)."""
        mats, labels = self.padded(batch, pad_label=-3)
        rows_i = [i for i, _ in _ROW_MAJOR_TRIU]
        cols_j = [j for _, j in _ROW_MAJOR_TRIU]
        edges = mats[:, rows_i, cols_j].astype(np.float32)
        ops = labels[:, 1:-1].astype(np.int64)
        onehot = (ops[:, :, None] == np.arange(3)[None, None, :]).astype(np.float32).reshape(len(batch), -1)
        return np.concatenate([edges, onehot], axis=1)

    def _path(self, batch: np.ndarray) -> np.ndarray:
        """BANANAS path encoding: one indicator per op sequence along some input-to-output path (364)."""
        mats, labels = self.padded(batch, pad_label=-3)
        n = len(batch)
        through = np.zeros((n, MAX_VERTICES, NUM_PATHS), dtype=bool)  # paths from input ending at v
        through[:, 0, 0] = True
        for v in range(1, MAX_VERTICES):
            reach = np.zeros((n, NUM_PATHS), dtype=bool)
            for u in range(v):
                reach |= through[:, u] & mats[:, u, v, None].astype(bool)
            if v == MAX_VERTICES - 1:
                through[:, v] = reach
                break
            for op in range(3):
                rows = np.flatnonzero(labels[:, v] == op)
                if not len(rows):
                    continue
                src = np.flatnonzero(_PATH_EXT[op] >= 0)
                block = np.zeros((len(rows), NUM_PATHS), dtype=bool)
                block[:, _PATH_EXT[op, src]] = reach[rows][:, src]
                through[rows, v] = block
        return through[:, -1].astype(np.float32)

    def _trunc_path(self, batch: np.ndarray) -> np.ndarray:
        """BANANAS truncated path encoding: the first 40 path columns (paths of at most 3 ops)."""
        return self._path(batch)[:, :TRUNC_PATHS]

    # ---------------------------------------------------------------- strings
    def to_string(self, arch: np.ndarray) -> str:
        matrix, ops = self.to_spec(arch)
        return "".join(str(int(x)) for x in matrix.ravel()) + "|" + ",".join(ops)

    def from_string(self, text: str) -> np.ndarray:
        if not isinstance(text, str):
            raise InvalidArchitectureError(f"nb101: expected a cell string, got {type(text).__name__}")
        text = text.strip()
        if _HEX.match(text.lower()):
            return self.from_hash(text.lower())
        adjacency, sep, ops_text = text.partition("|")
        form = "'<V*V 0/1 adjacency, row-major>|input,<op>,...,output' or a 32-hex official hash"
        if not sep or not adjacency or set(adjacency) - {"0", "1"}:
            raise InvalidArchitectureError(f"nb101: cannot parse {text!r}; expected {form}")
        dim = int(round(len(adjacency) ** 0.5))
        if dim * dim != len(adjacency):
            raise InvalidArchitectureError(
                f"nb101: adjacency of {text!r} has {len(adjacency)} digits, not a square number; expected {form}")
        matrix = np.array([int(c) for c in adjacency], dtype=np.int8).reshape(dim, dim)
        return self.from_spec(matrix, [o.strip() for o in ops_text.split(",")])

    # ----------------------------------------------------------- identities
    def canonical(self, archs: np.ndarray) -> np.ndarray:
        """Identity: every index already names one isomorphism class."""
        return self.validate(archs).copy()

    def key_columns(self) -> dict[str, Callable[[list[str]], np.ndarray]]:
        return {**super().key_columns(), "nb101_hash": self._indices_from_hashes}

    def key_of(self, arch: np.ndarray, key: str) -> str:
        if key == "nb101_hash":
            text = self.hash_of(arch)
            if not isinstance(text, str):
                raise InvalidArchitectureError("nb101: key_of takes one architecture")
            return text
        if key in ("index", "arch_str"):
            return super().key_of(arch, key)
        raise UnknownNameError(f"key column of space {self.name}", key, list(self.key_columns()))

    def _indices_from_hashes(self, texts: list[str]) -> np.ndarray:
        idx = self.indices_of_hashes([t.strip().lower() for t in texts])
        if (idx < 0).any():
            missing = [t for t, i in zip(texts, idx) if i < 0]
            raise InvalidArchitectureError(
                f"nb101: {len(missing)} hash(es) name no cell of the space, e.g. {missing[0]!r}")
        return idx

    def describe(self) -> dict:
        return {**super().describe(), "ops": list(OPS), "max_vertices": MAX_VERTICES, "max_edges": MAX_EDGES,
                "index_order": "official generator order of first appearance"}


SPACES.add("nb101", NB101Space)
