"""NAS-Bench-101 cell graphs: validity rules, the official pruning, and the official graph hash.

A cell is a DAG of at most 7 vertices and 9 edges given by an upper-triangular 0/1
adjacency matrix and one op per vertex: ``input`` first, ``output`` last, and each
vertex between them one of ``conv3x3-bn-relu``, ``conv1x1-bn-relu``, ``maxpool3x3``.
Vertices not on an input-to-output path are pruned before anything else, as the
official API does. The hash is the official iterative MD5 (Weisfeiler-Lehman style)
fingerprint of the pruned graph, reimplemented here bit for bit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from nasbench_lab.errors import InvalidArchitectureError

INPUT = "input"
OUTPUT = "output"
#: interior ops in the official ``available_ops`` order; their position is the hash label
OPS = ("conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3")
OP_CODE = {op: i for i, op in enumerate(OPS)}
#: hash labels of the input and output vertex (the official labeling uses -1 and -2)
INPUT_LABEL, OUTPUT_LABEL = -1, -2
MAX_VERTICES = 7
MAX_EDGES = 9
#: upper-triangular entries of a 7x7 matrix in the official bit order: bit x + y(y-1)/2 is edge x -> y
TRIU_BITS = tuple((x, y) for y in range(1, MAX_VERTICES) for x in range(y))
NUM_EDGE_SLOTS = len(TRIU_BITS)  # 21


def bit_index(src: int, dst: int) -> int:
    """Official bit position of edge ``src -> dst`` (independent of the matrix size)."""
    return src + dst * (dst - 1) // 2


# ----------------------------------------------------------------------------- validation
def check_matrix(matrix: object) -> np.ndarray:
    """The matrix as an int8 array after shape/value checks; InvalidArchitectureError names the problem."""
    try:
        m = np.asarray(matrix)
    except (ValueError, TypeError) as exc:
        raise InvalidArchitectureError(f"nb101: adjacency matrix is not a rectangular array: {exc}") from None
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise InvalidArchitectureError(f"nb101: adjacency matrix must be square, got shape {m.shape}")
    if m.shape[0] < 2:
        raise InvalidArchitectureError(f"nb101: a cell needs at least 2 vertices (input, output), got {m.shape[0]}")
    if m.dtype.kind not in "biuf":
        raise InvalidArchitectureError(f"nb101: adjacency matrix entries must be 0 or 1, got dtype {m.dtype}")
    for src, row in enumerate(m.tolist()):  # plain lists: faster than numpy for 7x7
        for dst, x in enumerate(row):
            if x:
                if x != 1:
                    raise InvalidArchitectureError(f"nb101: adjacency matrix entries must be 0 or 1, got {x!r}")
                if dst <= src:
                    raise InvalidArchitectureError(
                        f"nb101: adjacency matrix must be upper triangular (edges only from a vertex to a later "
                        f"one); found edge {src} -> {dst}")
            elif x != 0:
                raise InvalidArchitectureError(f"nb101: adjacency matrix entries must be 0 or 1, got {x!r}")
    return m.astype(np.int8)


def check_ops(ops: Sequence[str], n_vertices: int) -> list[int]:
    """Hash labels of ``ops`` (-1 input, 0..2 interior, -2 output); errors name the bad op."""
    if isinstance(ops, str) or not isinstance(ops, Sequence):
        raise InvalidArchitectureError(f"nb101: ops must be a list of op names, got {type(ops).__name__}")
    if len(ops) != n_vertices:
        raise InvalidArchitectureError(
            f"nb101: {len(ops)} ops for a {n_vertices}x{n_vertices} matrix; give one op per vertex")
    if ops[0] != INPUT or ops[-1] != OUTPUT:
        raise InvalidArchitectureError(
            f"nb101: the first op must be {INPUT!r} and the last {OUTPUT!r}, got {ops[0]!r} and {ops[-1]!r}")
    labels = [INPUT_LABEL]
    for v, op in enumerate(ops[1:-1], start=1):
        code = OP_CODE.get(op) if isinstance(op, str) else None
        if code is None:
            raise InvalidArchitectureError(
                f"nb101: unknown op {op!r} at vertex {v}; accepted: {', '.join(OPS)}")
        labels.append(code)
    labels.append(OUTPUT_LABEL)
    return labels


def live_vertices(matrix: np.ndarray) -> np.ndarray:
    """Boolean mask of the vertices on some input-to-output path (the official pruning rule)."""
    rows = matrix.tolist()
    n = len(rows)
    from_input = [False] * n
    from_input[0] = True
    for v in range(1, n):
        from_input[v] = any(from_input[u] and rows[u][v] for u in range(v))
    to_output = [False] * n
    to_output[n - 1] = True
    for v in range(n - 2, -1, -1):
        to_output[v] = any(to_output[w] and rows[v][w] for w in range(v + 1, n))
    return np.array([a and b for a, b in zip(from_input, to_output)], dtype=bool)


def prune(matrix: object, ops: Sequence[str]) -> tuple[np.ndarray, list[int]]:
    """Checks a spec, drops vertices off every input-output path, and checks the limits.

    Returns the pruned matrix (int8) and hash labels. Like the official API, the vertex
    and edge limits apply to the pruned graph.
    """
    m = check_matrix(matrix)
    labels = check_ops(ops, m.shape[0])
    live = live_vertices(m)
    if not live[-1] or not live[0]:
        raise InvalidArchitectureError("nb101: no path from the input to the output vertex (disconnected cell)")
    keep = np.flatnonzero(live)
    pruned = m[np.ix_(keep, keep)]
    labels = [labels[i] for i in keep]
    if len(keep) > MAX_VERTICES:
        raise InvalidArchitectureError(
            f"nb101: {len(keep)} vertices after pruning; at most {MAX_VERTICES} (input and output included)")
    n_edges = int(pruned.sum())
    if n_edges > MAX_EDGES:
        raise InvalidArchitectureError(f"nb101: {n_edges} edges after pruning; at most {MAX_EDGES}")
    return pruned, labels


# ----------------------------------------------------------------------------- official hash
@lru_cache(maxsize=512)
def _vertex_seed(out_degree: int, in_degree: int, label: int) -> str:
    """First-round vertex hash: MD5 of the text of the Python tuple (out-degree, in-degree, label)."""
    return hashlib.md5(str((out_degree, in_degree, label)).encode("utf-8")).hexdigest()


def graph_hash(matrix: np.ndarray, labels: Sequence[int]) -> str:
    """The official NAS-Bench-101 fingerprint of a pruned graph with hash labels (hex MD5)."""
    n = len(labels)
    rows = matrix.tolist()
    succ = [[w for w in range(n) if rows[v][w]] for v in range(n)]
    pred = [[w for w in range(n) if rows[w][v]] for v in range(n)]
    hashes = [_vertex_seed(len(succ[v]), len(pred[v]), int(labels[v])) for v in range(n)]
    md5 = hashlib.md5
    for _ in range(n):
        hashes = [
            md5(("".join(sorted([hashes[w] for w in pred[v]])) + "|"
                 + "".join(sorted([hashes[w] for w in succ[v]])) + "|" + hashes[v]).encode("ascii")).hexdigest()
            for v in range(n)
        ]
    return md5(str(sorted(hashes)).encode("ascii")).hexdigest()


def spec_hash(matrix: object, ops: Sequence[str]) -> str:
    """Official hash of a (matrix, ops) spec after the official pruning and validity checks."""
    pruned, labels = prune(matrix, ops)
    return graph_hash(pruned, labels)


# ----------------------------------------------------------------------------- packed cells
#: A cell packs into one uint32: bits 0-20 the official edge bits, bits 21-28 the interior ops
#: as a base-3 number (vertex 1 most significant, as itertools.product counts), bits 29-31
#: the vertex count minus 2.
_OPS_SHIFT, _NV_SHIFT = 21, 29
_POW3 = 3 ** np.arange(MAX_VERTICES - 3, -1, -1, dtype=np.int64)  # 81, 27, 9, 3, 1


def pack(matrix: np.ndarray, labels: Sequence[int]) -> int:
    """Packs a pruned graph (matrix, hash labels) into its uint32 code."""
    n = len(labels)
    bits = 0
    for dst in range(1, n):
        for src in range(dst):
            if matrix[src, dst]:
                bits |= 1 << bit_index(src, dst)
    code = 0
    for label in labels[1:-1]:
        code = code * 3 + int(label)
    return bits | (code << _OPS_SHIFT) | ((n - 2) << _NV_SHIFT)


def unpack(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vectorised inverse of :func:`pack`.

    Returns (n_vertices (n,), padded matrices (n, 7, 7) int8, padded interior op codes
    (n, 7) int8). Matrices keep the cell's own vertex numbering in the top-left
    ``n_vertices`` block; op codes are -1 at the input, -2 at the output, -3 beyond.
    """
    c = np.asarray(codes, dtype=np.uint32).astype(np.int64)
    nv = ((c >> _NV_SHIFT) & 7) + 2
    bits = c & ((1 << _OPS_SHIFT) - 1)
    opcode = (c >> _OPS_SHIFT) & 0xFF
    mats = np.zeros((len(c), MAX_VERTICES, MAX_VERTICES), dtype=np.int8)
    for k, (src, dst) in enumerate(TRIU_BITS):
        mats[:, src, dst] = (bits >> k) & 1
    labels = np.full((len(c), MAX_VERTICES), -3, dtype=np.int8)
    labels[:, 0] = INPUT_LABEL
    for n_vert in range(2, MAX_VERTICES + 1):
        rows = np.flatnonzero(nv == n_vert)
        if not len(rows):
            continue
        k = n_vert - 2
        digits = (opcode[rows, None] // (3 ** np.arange(k - 1, -1, -1))[None, :]) % 3
        labels[rows, 1:1 + k] = digits
        labels[rows, n_vert - 1] = OUTPUT_LABEL
    return nv.astype(np.int8), mats, labels


# ----------------------------------------------------------------------------- padded batches
def to_padded(nv: np.ndarray, mats: np.ndarray, labels: np.ndarray, pad_label: int | np.ndarray = 0
              ) -> tuple[np.ndarray, np.ndarray]:
    """7-vertex form of pruned cells: the output moves to vertex 6, unused vertices get no edges.

    This is the form the official search scripts mutate (always 7x7) and the one
    NASLib/BANANAS encodings read. Unused vertices get op label ``pad_label``.
    """
    n = len(nv)
    out_m = np.zeros((n, MAX_VERTICES, MAX_VERTICES), dtype=np.int8)
    out_l = np.empty((n, MAX_VERTICES), dtype=np.int8)
    out_l[:] = np.asarray(pad_label, dtype=np.int8)
    out_l[:, 0] = INPUT_LABEL
    out_l[:, -1] = OUTPUT_LABEL
    for v in np.unique(nv):
        v = int(v)
        rows = np.flatnonzero(nv == v)
        keep = np.arange(v - 1)
        out_m[np.ix_(rows, keep, keep)] = mats[np.ix_(rows, keep, keep)]
        out_m[np.ix_(rows, keep, np.array([MAX_VERTICES - 1]))] = mats[np.ix_(rows, keep, np.array([v - 1]))]
        out_l[np.ix_(rows, keep[1:])] = labels[np.ix_(rows, keep[1:])]
    return out_m, out_l


def prune_padded(mats: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Vectorised official pruning of (n, 7, 7) upper-triangular graphs with hash labels.

    Returns (valid, nv, mats, labels): ``valid`` is False where the output is unreachable or
    the pruned graph has more than 9 edges; kept vertices move to the top-left in order.
    """
    adj = np.triu(np.asarray(mats).astype(bool), k=1)
    n, v, _ = adj.shape
    from_in = np.zeros((n, v), dtype=bool)
    from_in[:, 0] = True
    for j in range(1, v):
        from_in[:, j] = (from_in[:, :j] & adj[:, :j, j]).any(axis=1)
    to_out = np.zeros((n, v), dtype=bool)
    to_out[:, -1] = True
    for j in range(v - 2, -1, -1):
        to_out[:, j] = (to_out[:, j + 1:] & adj[:, j, j + 1:]).any(axis=1)
    live = from_in & to_out
    order = np.argsort(~live, axis=1, kind="stable")  # live vertices first, in order
    nv = live.sum(axis=1)
    rows = np.arange(n)[:, None, None]
    pruned = adj[rows, order[:, :, None], order[:, None, :]]
    keep = np.arange(v)[None, :] < nv[:, None]
    pruned &= keep[:, :, None] & keep[:, None, :]
    lab = np.take_along_axis(np.asarray(labels, dtype=np.int8), order, axis=1)
    lab = np.where(keep, lab, np.int8(-3))
    # the output vertex is live iff it is reachable: then it is the last kept vertex
    valid = live[:, -1] & (pruned.sum(axis=(1, 2)) <= MAX_EDGES)
    return valid, nv.astype(np.int8), pruned.astype(np.int8), lab


def pack_many(nv: np.ndarray, mats: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Vectorised :func:`pack` of pruned graphs stored top-left in (n, 7, 7) / (n, 7) arrays."""
    nv = np.asarray(nv, dtype=np.int64)
    m = np.asarray(mats).astype(np.int64)
    codes = np.zeros(len(nv), dtype=np.int64)
    for k, (src, dst) in enumerate(TRIU_BITS):
        codes |= (m[:, src, dst] & 1) << k
    lab = np.asarray(labels, dtype=np.int64)
    for v in np.unique(nv):
        v = int(v)
        rows = np.flatnonzero(nv == v)
        if v > 2:
            opcode = (lab[rows, 1:v - 1] * (3 ** np.arange(v - 3, -1, -1))[None, :]).sum(axis=1)
            codes[rows] |= opcode << _OPS_SHIFT
        codes[rows] |= (v - 2) << _NV_SHIFT
    return codes.astype(np.uint32)
