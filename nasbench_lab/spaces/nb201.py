"""NAS-Bench-201 / NATS-Bench topology space: 6 edges, 5 ops, 15,625 cells.

An architecture is 6 op codes in the official edge order
(1<-0, 2<-0, 2<-1, 3<-0, 3<-1, 3<-2) with codes in the official op order
``none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3``. Encodings: ``onehot``, ``path``
(BANANAS path counts), ``index``, and the ones predictors do best with: ``live`` (one-hot with dead
edges set to ``none``), ``counts`` (live op counts, connectivity, depths, paths), ``canon`` (one-hot
of the canonical form).
"""

from __future__ import annotations

import random
import re
from functools import cached_property

import numpy as np

from nasbench_lab.errors import InvalidArchitectureError
from nasbench_lab.spaces.base import EnumerableSpace, check_rng, check_sample_args, positional_codes
from nasbench_lab.spaces.registry import SPACES

OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
EDGES = ((1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2))  # (to, from) in official order
NUM_OPS = len(OPS)
NUM_EDGES = len(EDGES)
#: batches up to this many int8 rows are indexed through the bytes -> index dict (cheaper than array checks)
SMALL_BATCH = 8
_PLACE = NUM_OPS ** np.arange(NUM_EDGES - 1, -1, -1, dtype=np.int64)  # edge 0 most significant
#: the neighbours' changes in order: row k changes edge k // 4 by shift 1 + k % 4
_NEIGHBOUR_EDGES = np.repeat(np.arange(NUM_EDGES), NUM_OPS - 1)
_NEIGHBOUR_SHIFTS = np.tile(np.arange(1, NUM_OPS, dtype=np.int8), NUM_EDGES)
_NEIGHBOUR_ROWS = np.arange(NUM_EDGES * (NUM_OPS - 1))
_NODE_RE = re.compile(r"^\|(.+)\|$")
#: NAS-Bench-201 shuffled its generated cells with Python's ``random.seed(88)``; we replay it.
_OFFICIAL_SHUFFLE_SEED = 88
#: op codes by name (the encodings below read these, never bare numbers)
_NONE, _SKIP, _CONV_1X1, _CONV_3X3, _AVG_POOL = (
    OPS.index(op) for op in ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"))
#: input-to-output paths as edge numbers: 0->3, 0->1->3, 0->2->3, 0->1->2->3
_ROUTES = ((3,), (0, 4), (1, 5), (0, 2, 5))


def _official_order() -> np.ndarray:
    """Lexicographic code of each official index (the official generator's order, then its shuffle)."""
    order = list(range(NUM_OPS**NUM_EDGES))
    random.Random(_OFFICIAL_SHUFFLE_SEED).shuffle(order)
    return np.asarray(order, dtype=np.int64)


def _cell_function(ops: tuple[int, ...]) -> tuple:
    """The function a cell computes, as nested sorted tuples: equal iff the cells are isomorphic.

    A node is a sum of terms; ``skip_connect`` passes its input's terms through, ``none``
    contributes nothing, and any op applied to an empty (zero) node gives zero.
    """
    nodes: list[tuple] = [(("input",),)]
    for node in (1, 2, 3):
        terms: list = []
        for e, (to, src) in enumerate(EDGES):
            if to != node or ops[e] == _NONE or not nodes[src]:
                continue
            if ops[e] == _SKIP:
                terms.extend(nodes[src])
            else:
                terms.append((OPS[ops[e]], nodes[src]))
        nodes.append(tuple(sorted(terms, key=repr)))
    return nodes[3]


def official_unique_str(ops: tuple[int, ...] | np.ndarray) -> str:
    """The official NAS-Bench-201 identity string of a cell (``to_unique_str(consider_zero=True)`` semantics).

    Why: NAS-Bench-201 counts 6,466 "unique" cells by this string, coarser than nothing and finer
    than our functional classes. Per node, each incoming edge gives a term: ``#`` (zero) for
    ``none`` or an input whose string is exactly ``#``; the input's string for ``skip_connect``;
    else ``(input)@op``. The node's string is its terms sorted and joined by ``+``, so a zero
    term keeps a ``#`` placeholder and a node summing several zeros reads ``#+#``, not ``#``.
    """
    nodes = ["0"]
    for node in (1, 2, 3):
        terms = []
        for e, (to, src) in enumerate(EDGES):
            if to != node:
                continue
            op = int(ops[e])
            if op == _NONE or nodes[src] == "#":
                terms.append("#")
            elif op == _SKIP:
                terms.append(nodes[src])
            else:
                terms.append(f"({nodes[src]})@{OPS[op]}")
        nodes.append("+".join(sorted(terms)))
    return nodes[3]


class NB201Space(EnumerableSpace):
    """The NAS-Bench-201 cell space in official index order."""

    name = "nb201"
    arch_shape = (NUM_EDGES,)
    arch_dtype = np.dtype(np.int8)
    size = NUM_OPS**NUM_EDGES
    ops = OPS
    edges = EDGES

    def __init__(self) -> None:
        self._code_of_index = _official_order()
        self._index_of_code = np.empty_like(self._code_of_index)
        self._index_of_code[self._code_of_index] = np.arange(self.size)
        self._ops_of_index = np.ascontiguousarray(_digits(self._code_of_index))
        self._ops_of_index.flags.writeable = False
        # single-architecture fast path: the 6 bytes of an int8 array -> official index
        self._index_of_bytes = {row.tobytes(): i for i, row in enumerate(self._ops_of_index)}

    # ---------------------------------------------------------------- checks
    def _check_values(self, batch: np.ndarray) -> None:
        if batch.size and (batch.min() < 0 or batch.max() >= NUM_OPS):
            bad = batch[((batch < 0) | (batch >= NUM_OPS)).any(axis=1)][0]
            raise InvalidArchitectureError(
                f"nb201: op codes must be 0..{NUM_OPS - 1} ({', '.join(OPS)}), got {bad.tolist()}"
            )

    # --------------------------------------------------------------- indices
    def index(self, archs: object) -> np.ndarray | int:
        if type(archs) is np.ndarray and archs.dtype == np.int8:
            if archs.shape == (NUM_EDGES,):
                hit = self._index_of_bytes.get(archs.tobytes())
                if hit is not None:
                    return hit
            elif archs.ndim == 2 and archs.shape[1] == NUM_EDGES and len(archs) <= SMALL_BATCH:
                hits = [self._index_of_bytes.get(row.tobytes()) for row in archs]  # no array checks for a few
                if None not in hits:
                    return np.array(hits, dtype=self._index_of_code.dtype)
        batch, single = self.as_batch(archs)
        idx = self._index_of_code[_codes(batch)]
        return int(idx[0]) if single else idx

    def from_index(self, indices: object) -> np.ndarray:
        idx = self.check_indices(indices)
        return self._ops_of_index[idx].copy()

    def all(self) -> np.ndarray:
        return self._ops_of_index.copy()

    # -------------------------------------------------------------- sampling
    def sample(self, rng: np.random.Generator, n: int | None = None) -> np.ndarray:
        check_sample_args(self.name, rng, n)
        shape = (NUM_EDGES,) if n is None else (n, NUM_EDGES)
        return rng.integers(0, NUM_OPS, size=shape, dtype=np.int8)

    def mutate(self, archs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Changes one uniformly drawn edge of each architecture to one of its 4 other ops."""
        check_rng(self.name, rng)
        changes = NUM_EDGES * (NUM_OPS - 1)
        if type(archs) is np.ndarray and archs.dtype == np.int8 and archs.shape == (NUM_EDGES,) \
                and archs.tobytes() in self._index_of_bytes:  # one valid architecture: skip array checks
            change = int(rng.integers(changes))
            out = archs.copy()
            changed = change // (NUM_OPS - 1)
            out[changed] = (out[changed] + change % (NUM_OPS - 1) + 1) % NUM_OPS
            return out
        batch, single = self.as_batch(archs)
        out = batch.astype(np.int8, copy=True)
        draw = rng.integers(0, changes, size=len(out))
        rows, edge = np.arange(len(out)), draw // (NUM_OPS - 1)
        out[rows, edge] = (out[rows, edge] + draw % (NUM_OPS - 1) + 1) % NUM_OPS
        return out[0] if single else out

    def neighbours(self, arch: np.ndarray) -> np.ndarray:
        """The 24 architectures one op away, edge by edge, each edge's op shifted by 1..4 (mod 5)."""
        batch, _ = self.as_batch(arch)
        base = batch[0].astype(np.int8)
        out = np.repeat(base[None, :], NUM_EDGES * (NUM_OPS - 1), axis=0)
        out[_NEIGHBOUR_ROWS, _NEIGHBOUR_EDGES] = (base[_NEIGHBOUR_EDGES] + _NEIGHBOUR_SHIFTS) % NUM_OPS
        return out

    # ------------------------------------------------ categorical parameterisation
    def categorical_choices(self) -> tuple[int, ...]:
        """One op choice (of 5) per edge: the architecture array itself."""
        return (NUM_OPS,) * NUM_EDGES

    def to_categorical(self, archs: object) -> np.ndarray:
        return self.as_batch(archs)[0].astype(np.int64)

    def from_categorical(self, choices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        batch = self.as_batch(choices)[0].astype(np.int8)
        return batch, np.ones(len(batch), dtype=bool)

    # -------------------------------------------------------------- encodings
    def _encoders(self) -> dict:
        return {"onehot": self._onehot, "path": self._path, "index": self._index_feature,
                "live": self._live, "counts": _live_counts, "canon": self._canon}

    @staticmethod
    def _onehot(batch: np.ndarray) -> np.ndarray:
        out = np.zeros((len(batch), NUM_EDGES * NUM_OPS), dtype=np.float32)
        cols = np.arange(NUM_EDGES) * NUM_OPS + batch.astype(np.int64)
        np.put_along_axis(out, cols, 1.0, axis=1)
        return out

    @cached_property
    def _path_table(self) -> np.ndarray:
        """Path encoding of every lexicographic code (15625 x 84), built once."""
        codes = np.arange(self.size)
        ops = _digits(codes)
        return _path_counts(ops)

    def _path(self, batch: np.ndarray) -> np.ndarray:
        return self._path_table[_codes(batch)]

    def _index_feature(self, batch: np.ndarray) -> np.ndarray:
        return np.asarray(self.index(batch), dtype=np.float32).reshape(-1, 1)

    def _live(self, batch: np.ndarray) -> np.ndarray:
        """One-hot with every edge off all input-output paths set to ``none`` (dead edges change nothing)."""
        return self._onehot(np.where(live_mask(batch), batch, _NONE).astype(np.int8))

    def _canon(self, batch: np.ndarray) -> np.ndarray:
        """One-hot of the canonical form: isomorphic cells get equal rows."""
        return self._onehot(self.canonical(batch))

    # ---------------------------------------------------------------- strings
    def to_string(self, arch: np.ndarray) -> str:
        batch, single = self.as_batch(arch)
        if not single:
            raise InvalidArchitectureError("nb201: to_string takes one architecture; use a loop or strings()")
        names = [OPS[c] for c in batch[0]]
        return "|{}~0|+|{}~0|{}~1|+|{}~0|{}~1|{}~2|".format(*names)

    def strings(self, archs: np.ndarray) -> list[str]:
        """Official strings of a batch."""
        return [self.to_string(a) for a in self.validate(archs)]

    def from_string(self, text: str) -> np.ndarray:
        if not isinstance(text, str):
            raise InvalidArchitectureError(f"nb201: expected an architecture string, got {type(text).__name__}")
        nodes = text.strip().split("+")
        expected = "|op~0|+|op~0|op~1|+|op~0|op~1|op~2|"
        if len(nodes) != 3:
            raise InvalidArchitectureError(f"nb201: {text!r} has {len(nodes)} nodes; expected 3, as in {expected}")
        codes: list[int] = []
        for node_number, node in enumerate(nodes, start=1):
            match = _NODE_RE.match(node)
            parts = match.group(1).split("|") if match else []
            if len(parts) != node_number:
                raise InvalidArchitectureError(
                    f"nb201: node {node_number} of {text!r} should have {node_number} inputs; expected {expected}"
                )
            for src, part in enumerate(parts):
                op, _, inp = part.partition("~")
                if op not in OPS:
                    raise InvalidArchitectureError(f"nb201: unknown op {op!r} in {text!r}; accepted: {', '.join(OPS)}")
                if inp != str(src):
                    raise InvalidArchitectureError(
                        f"nb201: edge {part!r} of node {node_number} should read from node {src}; expected {expected}"
                    )
                codes.append(OPS.index(op))
        return np.asarray(codes, dtype=np.int8)

    # ------------------------------------------------------------ isomorphism
    @cached_property
    def _canonical_code(self) -> np.ndarray:
        """For each lexicographic code, the smallest code computing the same function."""
        first: dict[tuple, int] = {}
        out = np.empty(self.size, dtype=np.int64)
        for code, ops in enumerate(_digits(np.arange(self.size)).tolist()):
            out[code] = first.setdefault(_cell_function(tuple(ops)), code)
        return out

    def canonical(self, archs: np.ndarray) -> np.ndarray:
        """Smallest-code representative of each architecture's isomorphism class.

        Two cells are isomorphic when they compute the same function: same op terms
        over the same inputs, with ``none`` edges and zero nodes dropped and
        ``skip_connect`` folded into its input.
        """
        batch, single = self.as_batch(archs)
        code = self._canonical_code[_codes(batch)]
        out = _digits(code)
        return out[0] if single else out

    def functional_class_count(self) -> int:
        """Number of isomorphism classes under :meth:`canonical` (cells computing the same function): 4,930."""
        return len(np.unique(self._canonical_code))

    def official_unique_count(self) -> int:
        """Number of distinct official ``to_unique_str`` identity strings (NAS-Bench-201's count): 6,466."""
        return len({official_unique_str(ops) for ops in _digits(np.arange(self.size)).tolist()})

    def describe(self) -> dict:
        return {**super().describe(), "ops": list(OPS), "edges": [f"{a}<-{b}" for a, b in EDGES]}


def _codes(batch: np.ndarray) -> np.ndarray:
    """Lexicographic code (base-5 number, edge 0 most significant) of each validated row."""
    return positional_codes(batch, NUM_OPS)


def _digits(codes: np.ndarray) -> np.ndarray:
    """Op codes (int8, shape (n, 6)) of lexicographic codes: the inverse of :func:`_codes`."""
    return ((codes[:, None] // _PLACE[None, :]) % NUM_OPS).astype(np.int8)


def live_mask(batch: np.ndarray) -> np.ndarray:
    """(n, 6) bool: edge is not ``none`` and lies on a path from the input to the output node."""
    on = np.asarray(batch) != _NONE
    e10, e20, e21, e30, e31, e32 = (on[:, i] for i in range(NUM_EDGES))
    fwd1 = e10
    fwd2 = e20 | (fwd1 & e21)
    bwd2 = e32
    bwd1 = e31 | (e21 & bwd2)
    fwd = [np.ones(len(on), bool), fwd1, fwd2]
    bwd = [None, bwd1, bwd2, np.ones(len(on), bool)]
    return np.stack([on[:, i] & fwd[src] & bwd[to] for i, (to, src) in enumerate(EDGES)], axis=1)


def _live_counts(batch: np.ndarray) -> np.ndarray:
    """Live op counts, connectivity, conv depth along the longest path and the number of live paths."""
    live = live_mask(batch)
    ops = np.where(live, batch, _NONE)
    counts = [(ops == o).sum(axis=1) for o in (_SKIP, _CONV_1X1, _CONV_3X3, _AVG_POOL)]
    connected = live.any(axis=1)
    conv = (ops == _CONV_1X1) | (ops == _CONV_3X3)
    w3 = np.where(ops == _CONV_3X3, 2.0, np.where(ops == _CONV_1X1, 1.0, 0.0))
    depth = np.zeros(len(ops))
    depth3 = np.zeros(len(ops))
    n_paths = np.zeros(len(ops))
    for route in _ROUTES:
        alive = live[:, route].all(axis=1)
        n_paths += alive
        depth = np.maximum(depth, np.where(alive, conv[:, route].sum(axis=1), 0))
        depth3 = np.maximum(depth3, np.where(alive, w3[:, route].sum(axis=1), 0))
    return np.stack([*counts, connected, depth, depth3, n_paths], axis=1).astype(np.float32)


def _path_counts(ops: np.ndarray) -> np.ndarray:
    """Counts input-to-output paths per op sequence (ops other than ``none``), as BANANAS does."""
    live = [o for o in range(NUM_OPS) if o != _NONE]
    n_live = len(live)
    pos = {o: i for i, o in enumerate(live)}
    width = n_live + n_live**2 + n_live**3
    out = np.zeros((len(ops), width), dtype=np.float32)
    offsets = {1: 0, 2: n_live, 3: n_live + n_live**2}
    for route in _ROUTES:
        seq = ops[:, route]
        alive = np.all(seq != _NONE, axis=1)
        col = np.zeros(len(ops), dtype=np.int64)
        for j in range(len(route)):
            ops_j = np.where(seq[:, j] == _NONE, live[0], seq[:, j])
            col = col * n_live + np.vectorize(pos.get, otypes=[np.int64])(ops_j)
        col += offsets[len(route)]
        np.add.at(out, (np.nonzero(alive)[0], col[alive]), 1.0)
    return out


SPACES.add("nb201", NB201Space)
