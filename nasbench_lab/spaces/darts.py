"""DARTS / NAS-Bench-301 cell space: a normal and a reduction cell, 4 nodes with 2 inputs each.

An architecture is an int8 array shaped ``(2, 8, 2)``: ``[cell, slot, (input, op)]`` with cell 0
the normal and 1 the reduction cell; slots ``2j`` and ``2j+1`` are the two inputs of
intermediate node ``j + 2`` (nodes 0 and 1 are the cell inputs c_{k-2} and c_{k-1}); ``input``
is a node number < ``j + 2`` (the two inputs of a node differ) and ``op`` an index into
:data:`OPS`, NAS-Bench-301's order, which is also NASLib's compact encoding. So the array is
exactly NASLib's compact tuple ``((normal pairs), (reduce pairs))``. Every intermediate node is
concatenated into the cell output. About 1.08e18 distinct architectures (input order ignored).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from functools import cached_property
from itertools import combinations, product

import numpy as np

from nasbench_lab.errors import InvalidArchitectureError
from nasbench_lab.spaces.base import SearchSpace, check_rng, check_sample_args
from nasbench_lab.spaces.registry import SPACES

OPS = ("max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3", "sep_conv_5x5",
       "dil_conv_3x3", "dil_conv_5x5")
NUM_OPS = len(OPS)
CELLS = ("normal", "reduce")
NUM_NODES = 4  # intermediate nodes per cell
NUM_SLOTS = 2 * NUM_NODES
CONCAT = [2, 3, 4, 5]
_NODE_OF_SLOT = np.repeat(np.arange(NUM_NODES), 2)  # slot -> intermediate node j (node number j + 2)
_MAX_INPUT = _NODE_OF_SLOT + 2  # slot's input must be < this
#: (from, to) node pairs of the 14 possible edges, in NAS-Bench-301's ``edge_<cell>_<i>`` order
EDGES = tuple((i, j + 2) for j in range(NUM_NODES) for i in range(j + 2))
_EDGE_START = np.array([0, 2, 5, 9])  # first edge number of each intermediate node
#: the unordered input pairs of each node, in NAS-Bench-301's ``inputs_node_<cell>_<n>`` choice order
INPUT_PAIRS = tuple(tuple(combinations(range(j + 2), 2)) for j in range(NUM_NODES))
_PAIR_CODE = [{p: k for k, p in enumerate(pairs)} for pairs in INPUT_PAIRS]
_N_PAIR_COMBOS = int(np.prod([len(p) for p in INPUT_PAIRS]))  # 180 input choices per cell
_CELL_CODES = _N_PAIR_COMBOS * NUM_OPS**NUM_SLOTS  # 1,037,664,180 canonical cells
_OP_PLACE = NUM_OPS ** np.arange(NUM_SLOTS - 1, -1, -1, dtype=np.int64)
_PAIR_LUT = np.zeros((NUM_NODES, NUM_NODES + 1, NUM_NODES + 1), dtype=np.int64)  # [node, a, b] -> pair choice
for _j, _pairs in enumerate(INPUT_PAIRS):
    for _k, (_a, _b) in enumerate(_pairs):
        _PAIR_LUT[_j, _a, _b] = _k
_PAIR_RADIX = np.array([len(p) for p in INPUT_PAIRS], dtype=np.int64)
#: path encoding: op sequences of length 1..2 (longer paths counted by their last two ops)
_PATH_LEN = 2
_PATH_WIDTH = sum(NUM_OPS**k for k in range(1, _PATH_LEN + 1))
_GENOTYPE_RE = re.compile(
    r"^\s*Genotype\s*\(\s*normal\s*=\s*(?P<normal>\[.*?\])\s*,\s*normal_concat\s*=\s*(?P<nc>[\[\(].*?[\]\)])\s*,"
    r"\s*reduce\s*=\s*(?P<reduce>\[.*?\])\s*,\s*reduce_concat\s*=\s*(?P<rc>[\[\(].*?[\]\)])\s*\)\s*$",
    re.S,
)


class DartsSpace(SearchSpace):
    """The DARTS cell space of NAS-Bench-301 (not enumerable; keys are exact 64-bit codes)."""

    name = "darts"
    arch_shape = (2, NUM_SLOTS, 2)
    arch_dtype = np.dtype(np.int8)
    size = None
    ops = OPS
    #: number of distinct architectures up to the order of a node's two inputs
    n_architectures = _CELL_CODES**2

    # ---------------------------------------------------------------- checks
    def _check_values(self, batch: np.ndarray) -> None:
        inputs, ops = batch[..., 0], batch[..., 1]
        bad_op = (ops < 0) | (ops >= NUM_OPS)
        if bad_op.any():
            n, c, s = np.argwhere(bad_op)[0]
            raise InvalidArchitectureError(
                f"darts: op code {int(ops[n, c, s])} in slot {s} of the {CELLS[c]} cell is unknown; "
                f"accepted: 0..{NUM_OPS - 1} ({', '.join(OPS)})")
        bad_in = (inputs < 0) | (inputs >= _MAX_INPUT)
        if bad_in.any():
            n, c, s = np.argwhere(bad_in)[0]
            node = int(_NODE_OF_SLOT[s]) + 2
            raise InvalidArchitectureError(
                f"darts: node {node} of the {CELLS[c]} cell reads from node {int(inputs[n, c, s])}; "
                f"inputs must come from earlier nodes 0..{node - 1} (no self-loops or later nodes)")
        same = inputs[..., 0::2] == inputs[..., 1::2]
        if same.any():
            n, c, j = np.argwhere(same)[0]
            raise InvalidArchitectureError(
                f"darts: node {j + 2} of the {CELLS[c]} cell reads node {int(inputs[n, c, 2 * j])} twice; "
                "the two inputs of a node must differ")

    # -------------------------------------------------------------- sampling
    def sample(self, rng: np.random.Generator, n: int | None = None) -> np.ndarray:
        check_sample_args(self.name, rng, n)
        m = 1 if n is None else int(n)
        out = np.empty((m, 2, NUM_SLOTS, 2), dtype=np.int8)
        hi = np.repeat(np.arange(2, NUM_NODES + 2), 1)  # node j has j + 2 candidate inputs
        a = (rng.random((m, 2, NUM_NODES)) * hi).astype(np.int8)
        b = (rng.random((m, 2, NUM_NODES)) * (hi - 1)).astype(np.int8)
        b += b >= a  # a distinct second input, uniform over the rest
        out[..., 0::2, 0] = a
        out[..., 1::2, 0] = b
        out[..., 1] = rng.integers(0, NUM_OPS, size=(m, 2, NUM_SLOTS), dtype=np.int8)
        return out[0] if n is None else out

    def mutate(self, archs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Changes one op (to another op) or one input (to another earlier node) per architecture.

        Half of the mutations change an input where the slot allows it (slots of node 2 read
        both cell inputs, so only their ops can change); the result is in canonical form.
        """
        check_rng(self.name, rng)
        batch, single = self.as_batch(archs)
        out = batch.astype(np.int8, copy=True)
        m = len(out)
        rows = np.arange(m)
        cell = rng.integers(0, 2, size=m)
        slot = rng.integers(0, NUM_SLOTS, size=m)
        node = _NODE_OF_SLOT[slot]
        change_input = (rng.random(m) < 0.5) & (node > 0)
        # op change: shift by 1..6 so the op always differs
        shift = rng.integers(1, NUM_OPS, size=m)
        op_rows = rows[~change_input]
        out[op_rows, cell[op_rows], slot[op_rows], 1] = (
            out[op_rows, cell[op_rows], slot[op_rows], 1] + shift[op_rows]) % NUM_OPS
        # input change: pick among the node + 2 - 2 earlier nodes that are not already inputs
        r = rows[change_input]
        if len(r):
            c, s, j = cell[r], slot[r], node[r]
            mine = out[r, c, s, 0].astype(np.int64)
            other = out[r, c, s ^ 1, 0].astype(np.int64)
            k = (rng.random(len(r)) * j).astype(np.int64)  # j choices left for node j
            lo, hi = np.minimum(mine, other), np.maximum(mine, other)
            k += k >= lo
            k += k >= hi
            out[r, c, s, 0] = k
        out = _canonical(out)
        return out[0] if single else out

    def neighbours(self, arch: np.ndarray) -> np.ndarray:
        """Every architecture one op change or one input change away, canonical and deduplicated."""
        batch, _ = self.as_batch(arch)
        base = _canonical(batch)[0]
        rows = []
        for c in range(2):
            for s in range(NUM_SLOTS):
                for shift in range(1, NUM_OPS):
                    nb = base.copy()
                    nb[c, s, 1] = (nb[c, s, 1] + shift) % NUM_OPS
                    rows.append(nb)
                j = int(_NODE_OF_SLOT[s])
                taken = {int(base[c, s, 0]), int(base[c, s ^ 1, 0])}
                for new in range(j + 2):
                    if new not in taken:
                        nb = base.copy()
                        nb[c, s, 0] = new
                        rows.append(nb)
        out = _canonical(np.stack(rows))
        _, first = np.unique(_codes(out), return_index=True)
        return out[np.sort(first)]

    # -------------------------------------------------------------- encodings
    def _encoders(self) -> dict:
        return {"adjacency": _adjacency, "onehot": _adjacency, "path": _path, "counts": _counts,
                "compact": _compact_features}

    # ------------------------------------------------ categorical parameterisation
    def categorical_choices(self) -> tuple[int, ...]:
        """Per cell (normal, then reduce): the input pair of nodes 3-5 (3, 6, 10 pairs; node 2 has one), then
        the op of each of the 8 slots in canonical order (NAS-Bench-301's ``inputs_node_*`` and edge choices)."""
        return tuple([len(p) for p in INPUT_PAIRS[1:]] + [NUM_OPS] * NUM_SLOTS) * 2

    def to_categorical(self, archs: object) -> np.ndarray:
        canon = _canonical(self.as_batch(archs)[0].astype(np.int8)).astype(np.int64)
        pairs = [_PAIR_LUT[j, canon[:, :, 2 * j, 0], canon[:, :, 2 * j + 1, 0]] for j in range(1, NUM_NODES)]
        cells = np.concatenate([np.stack(pairs, axis=2), canon[..., 1]], axis=2)  # (n, 2, 11)
        return cells.reshape(len(canon), -1)

    def from_categorical(self, choices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Canonical architectures; every choice row is a member of the space."""
        rows = np.asarray(choices, dtype=np.int64)
        width = NUM_NODES - 1 + NUM_SLOTS
        if rows.ndim != 2 or rows.shape[1] != 2 * width:
            raise InvalidArchitectureError(f"darts: choice rows must have {2 * width} columns, got shape {rows.shape}")
        cells = rows.reshape(len(rows), 2, width)
        out = np.empty((len(rows), 2, NUM_SLOTS, 2), dtype=np.int8)
        out[:, :, 0:2, 0] = (0, 1)
        for j in range(1, NUM_NODES):
            out[:, :, 2 * j: 2 * j + 2, 0] = np.asarray(INPUT_PAIRS[j], dtype=np.int8)[cells[:, :, j - 1]]
        out[..., 1] = cells[:, :, NUM_NODES - 1:]
        self._check_values(out)
        return out, np.ones(len(rows), dtype=bool)

    # ------------------------------------------------------------ identities
    def canonical(self, archs: np.ndarray) -> np.ndarray:
        """Each node's two (input, op) pairs ordered by input: equal iff the cells are the same graph."""
        batch, single = self.as_batch(archs)
        out = _canonical(batch.astype(np.int8))
        return out[0] if single else out

    def keys(self, archs: np.ndarray) -> np.ndarray:
        """Exact int64 code of each architecture's canonical form (collision-free: < 1.08e18 < 2**63)."""
        batch, _ = self.as_batch(archs)
        return _codes(_canonical(batch.astype(np.int8)))

    def from_keys(self, keys: object) -> np.ndarray:
        """Inverse of :meth:`keys`: the canonical architectures with the given codes."""
        k = np.atleast_1d(np.asarray(keys))
        if k.dtype.kind not in "iu" or (k.size and (k.min() < 0 or k.max() >= self.n_architectures)):
            raise InvalidArchitectureError(
                f"darts: keys must be integers in 0..{self.n_architectures - 1}, got {k[:3].tolist()}")
        k = k.astype(np.int64)
        cells = np.stack([k // _CELL_CODES, k % _CELL_CODES], axis=1)
        pair_code, op_code = cells // NUM_OPS**NUM_SLOTS, cells % NUM_OPS**NUM_SLOTS
        out = np.empty((len(k), 2, NUM_SLOTS, 2), dtype=np.int8)
        out[..., 1] = (op_code[..., None] // _OP_PLACE) % NUM_OPS
        for j in reversed(range(NUM_NODES)):
            choice = pair_code % _PAIR_RADIX[j]
            pair_code //= _PAIR_RADIX[j]
            table = np.asarray(INPUT_PAIRS[j], dtype=np.int8)
            out[:, :, 2 * j: 2 * j + 2, 0] = table[choice]
        return out

    # ---------------------------------------------------------------- strings
    def to_string(self, arch: np.ndarray) -> str:
        """The DARTS ``Genotype(normal=[(op, input), ...], normal_concat=[2, 3, 4, 5], ...)`` string."""
        a = self._one(arch, "to_string")
        cells = [", ".join(f"('{OPS[op]}', {inp})" for inp, op in a[c]) for c in range(2)]
        return (f"Genotype(normal=[{cells[0]}], normal_concat={CONCAT}, "
                f"reduce=[{cells[1]}], reduce_concat={CONCAT})")

    def from_string(self, text: str) -> np.ndarray:
        """Parses a ``Genotype(...)`` string or a NASLib compact string ``[[(input, op), ...], [...]]``."""
        if not isinstance(text, str):
            raise InvalidArchitectureError(f"darts: expected a genotype string, got {type(text).__name__}")
        match = _GENOTYPE_RE.match(text)
        if match:
            parts = {key: _literal(match.group(key), text) for key in ("normal", "nc", "reduce", "rc")}
            return self.from_genotype(parts["normal"], parts["reduce"], parts["nc"], parts["rc"])
        if text.lstrip().startswith(("[", "(")):
            return self.from_compact(_literal(text, text))
        raise InvalidArchitectureError(
            f"darts: cannot parse {text[:80]!r}; expected 'Genotype(normal=[(op, input), ...], normal_concat=[2, 3, "
            "4, 5], reduce=[...], reduce_concat=[2, 3, 4, 5])' or a compact '[[(input, op), ...], [...]]'")

    def from_genotype(self, normal: object, reduce: object, normal_concat: Iterable[int] | None = CONCAT,
                      reduce_concat: Iterable[int] | None = CONCAT) -> np.ndarray:
        """Architecture from genotype lists of (op name, input node) pairs (a Genotype's fields)."""
        out = np.empty(self.arch_shape, dtype=np.int8)
        for c, (cell, concat) in enumerate(((normal, normal_concat), (reduce, reduce_concat))):
            if concat is not None and list(concat) != CONCAT:
                raise InvalidArchitectureError(
                    f"darts: {CELLS[c]}_concat is {list(concat)}; NAS-Bench-301 cells concatenate {CONCAT}")
            pairs = _pair_list(cell, CELLS[c])
            for s, pair in enumerate(pairs):
                if len(pair) != 2 or not isinstance(pair[0], str):
                    raise InvalidArchitectureError(
                        f"darts: entry {s} of the {CELLS[c]} cell is {pair!r}; expected (op name, input node)")
                op, inp = pair
                if op not in OPS:
                    raise InvalidArchitectureError(
                        f"darts: unknown op {op!r} in the {CELLS[c]} cell; accepted: {', '.join(OPS)}")
                out[c, s] = (_node_number(inp, CELLS[c]), OPS.index(op))
        return self.validate(out)[0]

    def to_genotype(self, arch: np.ndarray) -> dict:
        """The genotype fields as a dict (``normal``, ``normal_concat``, ``reduce``, ``reduce_concat``)."""
        a = self._one(arch, "to_genotype")
        cells = [[(OPS[op], int(inp)) for inp, op in a[c]] for c in range(2)]
        return {"normal": cells[0], "normal_concat": list(CONCAT), "reduce": cells[1], "reduce_concat": list(CONCAT)}

    def from_compact(self, compact: object) -> np.ndarray:
        """Architecture from NASLib's compact form ``((input, op) x 8, (input, op) x 8)``."""
        if not isinstance(compact, (list, tuple)) or len(compact) != 2:
            raise InvalidArchitectureError(
                f"darts: a compact architecture is a pair (normal, reduction) of 8 (input, op) pairs; got {compact!r}")
        out = np.empty(self.arch_shape, dtype=np.int8)
        for c in range(2):
            pairs = _pair_list(compact[c], CELLS[c])
            for s, pair in enumerate(pairs):
                if len(pair) != 2 or not all(isinstance(x, (int, np.integer)) for x in pair):
                    raise InvalidArchitectureError(
                        f"darts: entry {s} of the {CELLS[c]} cell is {pair!r}; expected (input node, op index)")
                if not (-128 <= pair[0] < 128 and -128 <= pair[1] < 128):
                    raise InvalidArchitectureError(f"darts: entry {s} of the {CELLS[c]} cell is out of range: {pair}")
                out[c, s] = pair
        return self.validate(out)[0]

    def to_compact(self, arch: np.ndarray) -> tuple:
        """NASLib's compact tuple (hashable), the key format of NAS-Bench-Suite-Zero's nb301 file."""
        a = self._one(arch, "to_compact")
        return tuple(tuple((int(i), int(o)) for i, o in a[c]) for c in range(2))

    def compact_string(self, arch: np.ndarray) -> str:
        """The compact form as NASLib writes it as a JSON key: ``[[(0, 0), (1, 5), ...], [...]]``."""
        a = self._one(arch, "compact_string")
        return "[" + ", ".join("[" + ", ".join(f"({int(i)}, {int(o)})" for i, o in a[c]) + "]" for c in range(2)) + "]"

    def to_config(self, arch: np.ndarray) -> dict[str, str]:
        """NAS-Bench-301's ConfigSpace dict (``NetworkSelectorDatasetInfo:darts:edge_normal_<e>`` ...)."""
        a = self._one(arch, "to_config")
        base = "NetworkSelectorDatasetInfo:darts:"
        config: dict[str, str] = {}
        for c, cell in enumerate(CELLS):
            for j in range(NUM_NODES):
                slots = a[c, 2 * j: 2 * j + 2]
                for inp, op in slots:
                    config[f"{base}edge_{cell}_{int(_EDGE_START[j] + inp)}"] = OPS[op]
                if j > 0:
                    lo, hi = sorted(int(x) for x in slots[:, 0])
                    config[f"{base}inputs_node_{cell}_{j + 2}"] = f"{lo}_{hi}"
        return config

    def from_config(self, config: dict) -> np.ndarray:
        """Inverse of :meth:`to_config` (other keys, e.g. training hyperparameters, are ignored)."""
        base = "NetworkSelectorDatasetInfo:darts:"
        out = np.empty(self.arch_shape, dtype=np.int8)
        for c, cell in enumerate(CELLS):
            for j in range(NUM_NODES):
                found = []
                for i in range(j + 2):
                    op = config.get(f"{base}edge_{cell}_{int(_EDGE_START[j] + i)}")
                    if op is not None:
                        if op not in OPS:
                            raise InvalidArchitectureError(
                                f"darts: unknown op {op!r} on edge {i}->{j + 2} of the {cell} cell; "
                                f"accepted: {', '.join(OPS)}")
                        found.append((i, OPS.index(op)))
                if len(found) != 2:
                    raise InvalidArchitectureError(
                        f"darts: node {j + 2} of the {cell} cell has {len(found)} active edges in the config; "
                        "expected exactly 2")
                out[c, 2 * j: 2 * j + 2] = found
        return self.validate(out)[0]

    def _one(self, arch: np.ndarray, what: str) -> np.ndarray:
        batch, single = self.as_batch(arch)
        if not single:
            raise InvalidArchitectureError(f"darts: {what} takes one architecture; loop over the batch")
        return batch[0]

    def describe(self) -> dict:
        return {**super().describe(), "size": None, "n_architectures": self.n_architectures, "ops": list(OPS),
                "layout": "int8 (2 cells: normal, reduce) x (8 slots: 2 per node 2..5) x (input node, op index)"}

    @cached_property
    def encoding_widths(self) -> dict[str, int]:
        """Feature count of each encoding."""
        probe = np.zeros((1, *self.arch_shape), dtype=np.int8)
        probe[0, :, 1::2, 0] = 1
        return {k: f(probe).shape[1] for k, f in self._encoders().items()}


# ------------------------------------------------------------------ helpers
def _literal(text: str, whole: str):
    try:
        return ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        raise InvalidArchitectureError(f"darts: cannot parse {text.strip()[:80]!r} in {whole[:120]!r}") from None


def _pair_list(cell: object, name: str) -> list:
    if not isinstance(cell, (list, tuple)):
        raise InvalidArchitectureError(f"darts: the {name} cell must be a list of pairs, got {type(cell).__name__}")
    if len(cell) != NUM_SLOTS:
        raise InvalidArchitectureError(
            f"darts: the {name} cell has {len(cell)} entries; expected {NUM_SLOTS}: 2 inputs for each of "
            f"{NUM_NODES} intermediate nodes")
    pairs = [tuple(p) if isinstance(p, (list, tuple)) else (p,) for p in cell]
    return pairs


def _node_number(value: object, cell: str) -> int:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool) and -128 <= value < 128:
        return int(value)
    raise InvalidArchitectureError(f"darts: input node {value!r} in the {cell} cell is not a node number")


def _canonical(batch: np.ndarray) -> np.ndarray:
    """Orders each node's two slots by input node (inputs differ, so this is a total order)."""
    out = batch.copy()
    first, second = out[..., 0::2, :], out[..., 1::2, :]
    swap = first[..., 0] > second[..., 0]
    tmp = first[swap].copy()
    first[swap] = second[swap]
    second[swap] = tmp
    out[..., 0::2, :] = first
    out[..., 1::2, :] = second
    return out


def _cell_codes(canon: np.ndarray) -> np.ndarray:
    """(n, 2) code of each cell: input-pair choice (mixed radix) then 8 ops in base 7."""
    inputs = canon[..., 0::2, 0].astype(np.int64), canon[..., 1::2, 0].astype(np.int64)
    pair = np.zeros(canon.shape[:2], dtype=np.int64)
    for j in range(NUM_NODES):
        lo, hi = inputs[0][..., j], inputs[1][..., j]
        # index of (lo, hi) among combinations(range(j + 2), 2) in lexicographic order
        n = j + 2
        idx = lo * (2 * n - lo - 1) // 2 + (hi - lo - 1)
        pair = pair * _PAIR_RADIX[j] + idx
    ops = canon[..., 1].astype(np.int64) @ _OP_PLACE
    return pair * NUM_OPS**NUM_SLOTS + ops


def _codes(canon: np.ndarray) -> np.ndarray:
    cells = _cell_codes(canon)
    return cells[:, 0] * _CELL_CODES + cells[:, 1]


def _adjacency(batch: np.ndarray) -> np.ndarray:
    """One-hot of (cell, edge from->to, op): 2 x 14 x 7 = 196 features, blind to input order."""
    n = len(batch)
    out = np.zeros((n, 2 * len(EDGES) * NUM_OPS), dtype=np.float32)
    edge = _EDGE_START[_NODE_OF_SLOT][None, None, :] + batch[..., 0].astype(np.int64)  # (n, 2, 8)
    col = (np.arange(2)[None, :, None] * len(EDGES) + edge) * NUM_OPS + batch[..., 1]
    np.put_along_axis(out, col.reshape(n, 2 * NUM_SLOTS), 1.0, axis=1)
    return out


def _path_templates() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The 80 slot chains a path can take in one cell, as padded arrays.

    A chain visits increasing intermediate nodes through one of each node's two slots; it is a
    real path when its first slot reads a cell input and each later slot reads the node before.
    Returns (slots, required source, valid mask, column weights) each shaped (80, 4), and the
    column offsets per template.
    """
    chains = [[2 * j + b for j, b in zip(nodes, pick)]
              for r in range(1, NUM_NODES + 1) for nodes in combinations(range(NUM_NODES), r)
              for pick in product((0, 1), repeat=r)]
    t = len(chains)
    slots = np.zeros((t, NUM_NODES), dtype=np.int64)
    need = np.full((t, NUM_NODES), -1, dtype=np.int64)
    valid = np.zeros((t, NUM_NODES), dtype=bool)
    weight = np.zeros((t, NUM_NODES), dtype=np.int64)
    offset = np.zeros(t, dtype=np.int64)
    starts = [sum(NUM_OPS**k for k in range(1, m)) for m in range(1, _PATH_LEN + 1)]
    for i, chain in enumerate(chains):
        n = len(chain)
        slots[i, :n] = chain
        valid[i, :n] = True
        need[i, 1:n] = [int(_NODE_OF_SLOT[s]) + 2 for s in chain[:-1]]
        kept = min(n, _PATH_LEN)  # the last ops name the column
        for k in range(n - kept, n):
            weight[i, k] = NUM_OPS ** (n - 1 - k)
        offset[i] = starts[kept - 1]
    return slots, need, valid, weight, offset


_TEMPLATES = _path_templates()


def _path(batch: np.ndarray) -> np.ndarray:
    """Counts of paths from the cell inputs to any intermediate node, per cell, by op sequence.

    Every intermediate node feeds the cell output, so each input->node path is an input->output
    path. Sequences of 1 or 2 ops get their own column (7 + 49 per cell); longer paths are
    counted under their last two ops (the ops nearest the output). Longer columns (3 ops, 399
    per cell) ranked held-out NB301 cells worse in our checks and cost 3x the time.
    """
    slots, need, valid, weight, offset = _TEMPLATES
    n = len(batch)
    out = np.zeros((n, 2 * _PATH_WIDTH), dtype=np.float32)
    for lo in range(0, n, 4096):
        part = batch[lo: lo + 4096]
        for c in range(2):
            src = part[:, c, :, 0][:, slots]  # (m, 80, 4)
            ops = part[:, c, :, 1][:, slots].astype(np.int64)
            alive = (src[:, :, 0] < 2) & ((src[:, :, 1:] == need[:, 1:]) | ~valid[:, 1:]).all(axis=2)
            col = c * _PATH_WIDTH + offset + (ops * weight).sum(axis=2)
            r, t = np.nonzero(alive)
            flat = np.bincount(r * out.shape[1] + col[r, t], minlength=len(part) * out.shape[1])
            out[lo: lo + len(part)] += flat.reshape(len(part), -1)
    return out


def _counts(batch: np.ndarray) -> np.ndarray:
    """Per cell: op counts (7), how often each node 0..5 is read (6), depth of nodes 2..5 (4): 34 features."""
    n = len(batch)
    rows = np.arange(n)
    parts = []
    for c in range(2):
        inputs, ops = batch[:, c, :, 0].astype(np.int64), batch[:, c, :, 1].astype(np.int64)
        parts.append((ops[:, :, None] == np.arange(NUM_OPS)).sum(axis=1))
        parts.append((inputs[:, :, None] == np.arange(NUM_NODES + 2)).sum(axis=1))
        depth = np.zeros((n, NUM_NODES + 2), dtype=np.int64)
        for s in range(NUM_SLOTS):
            node = int(_NODE_OF_SLOT[s]) + 2
            depth[:, node] = np.maximum(depth[:, node], depth[rows, inputs[:, s]] + 1)
        parts.append(depth[:, 2:])
    return np.concatenate(parts, axis=1).astype(np.float32)


def _compact_features(batch: np.ndarray) -> np.ndarray:
    """The canonical (input, op) integers as 32 numeric features."""
    return _canonical(batch).reshape(len(batch), 4 * NUM_SLOTS).astype(np.float32)


SPACES.add("darts", DartsSpace)
