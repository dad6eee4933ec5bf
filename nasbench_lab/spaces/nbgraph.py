"""NAS-Bench-Graph space: a 4-node GNN macro DAG (one of 9 link patterns) with one op per node.

An architecture is 5 small ints ``[link, op0, op1, op2, op3]``: ``link`` indexes :data:`LINKS`
(``LINKS[link][i]`` is the input of computing node ``i+1``: 0 the raw input, ``k`` node ``k``;
leaves feed the output) and the ops index the space's op list. Isomorphic architectures are
identified exactly as the package's ``Arch.valid_hash()`` does (reimplemented here as lookup
tables); the space lists the 26,206 canonical architectures (2,021 for the proteins op set) in
ascending official hash order.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from functools import cache, cached_property

import numpy as np

from nasbench_lab.errors import InvalidArchitectureError
from nasbench_lab.spaces.base import EnumerableSpace, check_rng, check_sample_args, positional_codes
from nasbench_lab.spaces.registry import SPACES

#: the 9 canonical link patterns, in the official hash order (the rooted trees on 4 computing nodes)
LINKS: tuple[tuple[int, ...], ...] = (
    (0, 0, 0, 0), (0, 0, 0, 1), (0, 0, 1, 1), (0, 0, 1, 2), (0, 0, 1, 3),
    (0, 1, 1, 1), (0, 1, 1, 2), (0, 1, 2, 2), (0, 1, 2, 3),
)
#: every link list the package accepts (node ``i`` reads from 0..i), in lexicographic order
ALL_LINKS: tuple[tuple[int, ...], ...] = tuple(itertools.product(range(1), range(2), range(3), range(4)))
#: the official op list; official hashes are base-10 numbers over these codes, for every dataset
GLOBAL_OPS: tuple[str, ...] = ("gat", "gcn", "gin", "cheb", "sage", "arma", "graph", "fc", "skip")
OPS = GLOBAL_OPS
PROTEINS_OPS: tuple[str, ...] = ("gcn", "sage", "arma", "fc", "skip")
NUM_NODES = 4
_SKIP = GLOBAL_OPS.index("skip")
_N_GLOBAL = len(GLOBAL_OPS)
_OP_PLACE = _N_GLOBAL ** np.arange(NUM_NODES - 1, -1, -1, dtype=np.int64)  # base-9 op code, op0 most significant
_HASH_PLACE = 10 ** np.arange(NUM_NODES, -1, -1, dtype=np.int64)  # official hash: link digit, then op digits
_LINK_POS = {link: i for i, link in enumerate(LINKS)}
_ALL_LINK_POS = {link: i for i, link in enumerate(ALL_LINKS)}
#: official hash of the all-skip architecture: the package leaves it out of every table
ALL_SKIP_HASH = 88888
_STRING_RE = re.compile(r"^\s*link\s*=\s*\[([^\]]*)\]\s*,?\s*ops\s*=\s*\[([^\]]*)\]\s*$")


# ------------------------------------------------------------------ canonicalisation, scalar part
def _relabel(link: tuple[int, ...], order: tuple[int, ...]) -> tuple[int, ...] | None:
    """Link list after putting old node ``order[j]`` at position ``j``; None unless topologically ordered."""
    new_pos = {old: new for new, old in enumerate(order)}
    out = tuple(0 if link[old] == 0 else new_pos[link[old] - 1] + 1 for old in order)
    return out if all(p <= j for j, p in enumerate(out)) else None


def _regular_form(link: tuple[int, ...]) -> tuple[int, tuple[int, ...]]:
    """(canonical link index, node order) of an accepted link list: the lexicographically first
    relabelling onto one of :data:`LINKS` (the package's fixed table makes the same choices)."""
    for order in itertools.permutations(range(NUM_NODES)):
        target = _relabel(link, order)
        if target in _LINK_POS:
            return _LINK_POS[target], order
    raise AssertionError(f"no canonical link pattern for {link}")  # every accepted list is a rooted tree


def _settle_skips(link: tuple[int, ...], is_skip: tuple[bool, ...]) -> tuple[int, tuple[int, ...]]:
    """(link index, node order) after the package's skip normalisation for one skip pattern.

    Scanning positions left to right, a ``skip`` node that has a child, has no sibling (another
    node with the same input), or passes the raw input through a chain of skips, is moved to the
    front: it then reads the raw input, its children read its former input, and every reference
    to the nodes it passed shifts by one. Two residual link lists are folded onto [0,1,1,2].
    """
    cur = list(link)
    order = list(range(NUM_NODES))
    for i in range(NUM_NODES):
        if not is_skip[order[i]]:
            continue
        child = any(p == i + 1 for p in cur)
        sibling = any(j != i and p == cur[i] for j, p in enumerate(cur))
        raw = True  # node i and all its ancestors are skips
        k = i
        while k > -1:
            if not is_skip[order[k]]:
                raw = False
                break
            k = cur[k] - 1
        if child or not sibling or raw:
            moved = []
            for p in cur:
                if p == i + 1:
                    moved.append(cur[i] + 1)  # children now read the skip's own (shifted) input
                elif p <= i:
                    moved.append(p + 1)
                else:
                    moved.append(p)
            cur = [0] + moved[:i] + moved[i + 1:]
            order = [order[i]] + order[:i] + order[i + 1:]
    folds: dict[tuple[int, ...], tuple[int, ...]] = {(0, 1, 2, 1): (0, 1, 3, 2), (0, 1, 1, 3): (0, 2, 1, 3)}
    if tuple(cur) in folds:
        perm = folds[tuple(cur)]
        cur = [0, 1, 1, 2]
        order = [order[p] for p in perm]
    return _LINK_POS[tuple(cur)], tuple(order)


#: positions of interchangeable sibling leaves, sorted by op code, per canonical link index
_EQUAL_PARTS: dict[int, tuple[int, ...]] = {0: (0, 1, 2, 3), 1: (1, 2), 2: (2, 3), 5: (1, 2, 3), 7: (2, 3)}
#: link [0,0,1,2] is two chains of two: the chains are swapped so that (op0, op2) <= (op1, op3)
_TWO_CHAINS = 3


@cache
def _canonical_table() -> np.ndarray:
    """(Read-only, computed once) official hash of every (accepted link list, 4 global op codes), indexed by
    ``link24 * 9**4 + base-9 op code``; the all-skip architecture gets :data:`ALL_SKIP_HASH`."""
    codes = np.arange(_N_GLOBAL**NUM_NODES, dtype=np.int64)
    ops_all = ((codes[:, None] // _OP_PLACE[None, :]) % _N_GLOBAL).astype(np.int64)
    bits = 1 << np.arange(NUM_NODES)
    settle_link = np.empty((len(LINKS), 1 << NUM_NODES), dtype=np.int64)
    settle_order = np.empty((len(LINKS), 1 << NUM_NODES, NUM_NODES), dtype=np.int64)
    for link_pos, link in enumerate(LINKS):
        for skips in range(1 << NUM_NODES):
            settle_link[link_pos, skips], settle_order[link_pos, skips] = _settle_skips(
                link, tuple(bool(skips & b) for b in bits))
    regular = [_regular_form(link) for link in ALL_LINKS]
    # all 24 x 6561 inputs at once: relabel onto a canonical link, settle skips, sort equal parts
    ops = np.concatenate([ops_all[:, list(order)] for _, order in regular])
    li = np.repeat(np.asarray([r[0] for r in regular], dtype=np.int64), len(codes))
    mask = (ops == _SKIP) @ bits
    ops = np.take_along_axis(ops, settle_order[li, mask], axis=1)
    final = settle_link[li, mask]
    ops = _sort_equal_parts(final, ops)
    out = final * 10**NUM_NODES + ops @ _HASH_PLACE[1:]
    out = out.reshape(-1)
    out.flags.writeable = False
    return out


def _sort_equal_parts(links: np.ndarray, ops: np.ndarray) -> np.ndarray:
    """Sorts the ops of interchangeable positions (the package's tie-breaking), vectorised."""
    ops = ops.copy()
    for li, cols in _EQUAL_PARTS.items():
        rows = links == li
        if rows.any():
            block = ops[np.ix_(rows, cols)]
            ops[np.ix_(rows, cols)] = np.sort(block, axis=1)
    rows = np.flatnonzero(links == _TWO_CHAINS)
    sub = ops[rows]
    swap = (sub[:, 0] > sub[:, 1]) | ((sub[:, 0] == sub[:, 1]) & (sub[:, 2] > sub[:, 3]))
    ops[rows[swap]] = sub[swap][:, [1, 0, 3, 2]]
    return ops


# --------------------------------------------------------------------------------- the space
class NBGraphSpace(EnumerableSpace):
    """NAS-Bench-Graph's canonical architectures in ascending official-hash order."""

    name = "nbgraph"
    arch_shape = (1 + NUM_NODES,)
    arch_dtype = np.dtype(np.int8)
    ops: tuple[str, ...] = GLOBAL_OPS
    links = LINKS

    def __init__(self) -> None:
        self._n_ops = len(self.ops)
        self._global_of_local = np.asarray([GLOBAL_OPS.index(o) for o in self.ops], dtype=np.int64)
        local_of_global = np.full(_N_GLOBAL, -1, dtype=np.int64)
        local_of_global[self._global_of_local] = np.arange(self._n_ops)
        self._canon = _canonical_table()
        # canonical hashes reachable with this op set (all-skip excluded), ascending = official index order
        g = np.asarray(list(itertools.product(self._global_of_local, repeat=NUM_NODES)), dtype=np.int64)
        reachable = self._canon.reshape(len(ALL_LINKS), -1)[:, g @ _OP_PLACE].ravel()
        present = np.zeros(10 ** (NUM_NODES + 1), dtype=bool)  # (np.unique would import numpy.ma: +70 ms)
        present[reachable] = True
        present[ALL_SKIP_HASH] = False
        self._hashes = np.flatnonzero(present)
        self._hashes.flags.writeable = False
        self.size = len(self._hashes)
        self._index_of_hash = np.full(10 ** (NUM_NODES + 1), -1, dtype=np.int64)
        self._index_of_hash[self._hashes] = np.arange(self.size)
        digits = (self._hashes[:, None] // _HASH_PLACE[None, :]) % 10
        archs = np.concatenate([digits[:, :1], local_of_global[digits[:, 1:]]], axis=1)
        self._arch_of_index = np.ascontiguousarray(archs.astype(np.int8))
        self._arch_of_index.flags.writeable = False
        # array code (link * n_ops**4 + base-n_ops op code) -> official hash / index
        n4 = self._n_ops**NUM_NODES
        place = self._n_ops ** np.arange(NUM_NODES, -1, -1, dtype=np.int64)
        codes = np.arange(len(LINKS) * n4, dtype=np.int64)
        local = (codes[:, None] // place[None, 1:]) % self._n_ops
        l24 = np.asarray([_ALL_LINK_POS[lk] for lk in LINKS], dtype=np.int64)[codes // n4]
        hash_of_code = self._canon[l24 * _N_GLOBAL**NUM_NODES + self._global_of_local[local] @ _OP_PLACE]
        self._index_of_code = self._index_of_hash[hash_of_code]
        self._index_of_code_list = self._index_of_code.tolist()  # single-architecture fast path (Python ints)

    # ---------------------------------------------------------------- checks
    def _check_values(self, batch: np.ndarray) -> None:
        """Range checks (the all-skip architecture is caught by every lookup, see :meth:`_lookup`)."""
        if not batch.size or (batch.min() >= 0 and batch.max() < min(len(LINKS), self._n_ops)):
            return
        links, ops = batch[:, 0], batch[:, 1:]
        bad_link = (links < 0) | (links >= len(LINKS))
        if bad_link.any():
            raise InvalidArchitectureError(
                f"{self.name}: link pattern index must be 0..{len(LINKS) - 1} "
                f"({', '.join(map(str, map(list, LINKS)))}), got {batch[bad_link][0].tolist()}")
        bad_op = ((ops < 0) | (ops >= self._n_ops)).any(axis=1)
        if bad_op.any():
            raise InvalidArchitectureError(
                f"{self.name}: op codes must be 0..{self._n_ops - 1} ({', '.join(self.ops)}), "
                f"got {batch[bad_op][0].tolist()}")

    def validate(self, archs: object) -> np.ndarray:
        batch = self.as_batch(archs)[0]
        self._lookup(batch)
        return batch

    def _codes(self, batch: np.ndarray) -> np.ndarray:
        """Array code of each range-checked row (base n_ops, link column most significant)."""
        return positional_codes(batch, self._n_ops)

    def _lookup(self, batch: np.ndarray) -> np.ndarray:
        """Official index of each range-checked row; InvalidArchitectureError for the all-skip one."""
        idx = self._index_of_code[self._codes(batch)]
        if len(idx) and idx.min() < 0:
            bad = batch[idx < 0][0]
            raise InvalidArchitectureError(
                f"{self.name}: the all-skip architecture {bad.tolist()} is not in NAS-Bench-Graph "
                "(it has no GNN layer); at least one op must be other than skip")
        return idx

    # --------------------------------------------------------------- indices
    def index(self, archs: object) -> np.ndarray | int:
        """Official index (position in ascending-hash order); non-canonical arrays map to their class."""
        if type(archs) is np.ndarray and archs.shape == self.arch_shape and archs.dtype.kind in "iu":
            link, a, b, c, d = archs.tolist()
            n = self._n_ops
            if 0 <= link < len(LINKS) and 0 <= a < n and 0 <= b < n and 0 <= c < n and 0 <= d < n:
                hit = self._index_of_code_list[(((link * n + a) * n + b) * n + c) * n + d]
                if hit >= 0:
                    return hit
        batch, single = self.as_batch(archs)
        idx = self._lookup(batch)
        return int(idx[0]) if single else idx

    def from_index(self, indices: object) -> np.ndarray:
        idx = self.check_indices(indices)
        return self._arch_of_index[idx].copy()

    def all(self) -> np.ndarray:
        return self._arch_of_index.copy()

    def canonical(self, archs: np.ndarray) -> np.ndarray:
        """The canonical representative (the architecture the official hash decodes to)."""
        batch, single = self.as_batch(archs)
        out = self._arch_of_index[self._lookup(batch)]
        return out[0] if single else out

    # ------------------------------------------------ categorical parameterisation
    def categorical_choices(self) -> tuple[int, ...]:
        """The link pattern (one of 9), then one op per node."""
        return (len(LINKS),) + (self._n_ops,) * NUM_NODES

    def to_categorical(self, archs: object) -> np.ndarray:
        return self.as_batch(archs)[0].astype(np.int64)

    def from_categorical(self, choices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Canonical architectures; the all-skip cell (not in the benchmark) is flagged absent."""
        batch = self.as_batch(choices)[0]
        idx = self._index_of_code[self._codes(batch)]
        return self._arch_of_index[np.maximum(idx, 0)].copy(), idx >= 0

    # ------------------------------------------------------------ official hash
    def hash(self, archs: object) -> np.ndarray | int:
        """Official NAS-Bench-Graph hash (the key of the package's tables), as ``Arch.valid_hash()``."""
        batch, single = self.as_batch(archs)
        h = self._hashes[self._lookup(batch)]
        return int(h[0]) if single else h

    @property
    def hashes(self) -> np.ndarray:
        """Every official hash of the space, ascending (row ``i`` of a table is ``hashes[i]``)."""
        return self._hashes

    def from_hash(self, hashes: object) -> np.ndarray:
        """Canonical architectures of official hashes; InvalidArchitectureError for any other number."""
        h = np.asarray(hashes)
        if h.dtype.kind not in "iu":
            raise InvalidArchitectureError(f"{self.name}: official hashes are integers, got dtype {h.dtype}")
        h = h.astype(np.int64)
        inside = (h >= 0) & (h < len(self._index_of_hash))
        idx = np.where(inside, self._index_of_hash[np.where(inside, h, 0)], -1)
        if (idx < 0).any():
            bad = int(h[idx < 0].ravel()[0])
            raise InvalidArchitectureError(
                f"{self.name}: {bad} is not an official hash of this space (the canonical hash of a "
                f"non-all-skip architecture with ops {', '.join(self.ops)}); see space.hashes for all {self.size}")
        return self._arch_of_index[idx].copy()

    def indices_of_hashes(self, hashes: object) -> np.ndarray:
        """Official indices of official hashes (vectorised; errors as :meth:`from_hash`)."""
        return np.atleast_1d(self.index(self.from_hash(np.atleast_1d(np.asarray(hashes)))))

    # ------------------------------------------------------ official (link, ops)
    def from_official(self, link: Sequence[int], ops: Sequence[str]) -> np.ndarray:
        """Canonical architecture of a (link list, op names) pair as the package's ``Arch`` takes it.

        Any of the 24 link lists in which node ``i`` reads from 0..i is accepted (the 15 outside
        :data:`LINKS` are relabelled first), and ops may be listed in any order consistent with it.
        """
        link_t = _parse_link(self.name, link)
        if isinstance(ops, str) or len(ops) != NUM_NODES:
            raise InvalidArchitectureError(f"{self.name}: expected {NUM_NODES} op names, got {ops!r}")
        codes = []
        for op in ops:
            if op not in self.ops:
                raise InvalidArchitectureError(f"{self.name}: unknown op {op!r}; accepted: {', '.join(self.ops)}")
            codes.append(GLOBAL_OPS.index(op))
        if all(c == _SKIP for c in codes):
            raise InvalidArchitectureError(f"{self.name}: the all-skip architecture is not in NAS-Bench-Graph")
        code = _ALL_LINK_POS[link_t] * _N_GLOBAL**NUM_NODES + int(np.dot(codes, _OP_PLACE))
        return self._arch_of_index[self._index_of_hash[self._canon[code]]].copy()

    def to_official(self, arch: np.ndarray) -> tuple[list[int], list[str]]:
        """(link list, op names) of one architecture, in canonical form."""
        batch, single = self.as_batch(arch)
        if not single:
            raise InvalidArchitectureError(f"{self.name}: to_official takes one architecture")
        a = self.canonical(batch)[0]
        return list(LINKS[int(a[0])]), [self.ops[int(c)] for c in a[1:]]

    # ---------------------------------------------------------------- strings
    def to_string(self, arch: np.ndarray) -> str:
        """``link=[0,1,2,3] ops=[gcn,gin,fc,cheb]`` of the canonical form."""
        link, ops = self.to_official(arch)
        return f"link=[{','.join(map(str, link))}] ops=[{','.join(ops)}]"

    def from_string(self, text: str) -> np.ndarray:
        """Parses ``link=[...] ops=[...]`` (any accepted link list and op order) to the canonical array."""
        if not isinstance(text, str):
            raise InvalidArchitectureError(f"{self.name}: expected an architecture string, got {type(text).__name__}")
        match = _STRING_RE.match(text)
        if not match:
            raise InvalidArchitectureError(
                f"{self.name}: cannot parse {text!r}; expected e.g. 'link=[0,1,2,1] ops=[gcn,gin,fc,cheb]'")
        try:
            link = [int(t) for t in match.group(1).split(",")]
        except ValueError:
            raise InvalidArchitectureError(f"{self.name}: link list of {text!r} must hold integers") from None
        ops = [t.strip().strip("'\"") for t in match.group(2).split(",")]
        return self.from_official(link, ops)

    def strings(self, archs: np.ndarray) -> list[str]:
        """Strings of a batch."""
        return [self.to_string(a) for a in self.validate(archs)]

    def key_columns(self) -> dict:
        return {**super().key_columns(), "hash": self._indices_from_hash_texts}

    def key_of(self, arch: np.ndarray, key: str) -> str:
        return str(self.hash(arch)) if key == "hash" else super().key_of(arch, key)

    def _indices_from_hash_texts(self, texts: list[str]) -> np.ndarray:
        try:
            values = np.array([int(t) for t in texts], dtype=np.int64)
        except ValueError as exc:
            raise InvalidArchitectureError(f"{self.name}: hash column holds a non-integer: {exc}") from None
        return self.indices_of_hashes(values)

    # -------------------------------------------------------------- sampling
    def sample(self, rng: np.random.Generator, n: int | None = None) -> np.ndarray:
        """Uniform over the canonical architectures (each isomorphism class once)."""
        check_sample_args(self.name, rng, n)
        idx = rng.integers(0, self.size, size=1 if n is None else n)
        out = self._arch_of_index[idx].copy()
        return out[0] if n is None else out

    @cached_property
    def _neighbour_table(self) -> tuple[np.ndarray, np.ndarray]:
        """(indices padded with -1, counts): the distinct canonical architectures one change away."""
        base = self._arch_of_index.astype(np.int64)
        n = len(base)
        variants = []
        for col in range(1 + NUM_NODES):
            for shift in range(1, len(LINKS) if col == 0 else self._n_ops):
                v = base.copy()
                v[:, col] = (v[:, col] + shift) % (len(LINKS) if col == 0 else self._n_ops)
                variants.append(v)
        cand = np.stack(variants, axis=1)  # (n, k, 5)
        # the all-skip variant gets index -1, like every non-member
        idx = self._index_of_code[self._codes(cand.reshape(-1, 1 + NUM_NODES))].reshape(n, -1)
        idx[idx == np.arange(n)[:, None]] = -1
        idx = np.sort(idx, axis=1)
        dup = np.zeros_like(idx, dtype=bool)
        dup[:, 1:] = idx[:, 1:] == idx[:, :-1]
        idx[dup] = -1
        big = np.iinfo(np.int64).max
        idx = np.sort(np.where(idx < 0, big, idx), axis=1)
        counts = (idx != big).sum(axis=1)
        width = int(counts.max())
        idx = np.where(idx[:, :width] == big, -1, idx[:, :width]).astype(np.int32)
        return idx, counts

    def neighbours(self, arch: np.ndarray) -> np.ndarray:
        """Distinct canonical architectures reachable by changing one op or the link pattern, by index."""
        i = self.index(np.asarray(arch))
        if not isinstance(i, int):
            raise InvalidArchitectureError(f"{self.name}: neighbours takes one architecture")
        table, counts = self._neighbour_table
        return self._arch_of_index[table[i, : counts[i]]].copy()

    def mutate(self, archs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One uniformly drawn neighbour (see :meth:`neighbours`) of each architecture."""
        check_rng(self.name, rng)
        idx = self.index(archs)
        single = isinstance(idx, int)
        idx = np.atleast_1d(np.asarray(idx, dtype=np.int64))
        table, counts = self._neighbour_table
        pick = (rng.random(len(idx)) * counts[idx]).astype(np.int64)
        out = self._arch_of_index[table[idx, pick]].copy()
        return out[0] if single else out

    # -------------------------------------------------------------- encodings
    def _encoders(self) -> dict:
        return {"onehot": self._onehot, "adjacency": self._adjacency, "index": self._index_feature}

    def _onehot(self, batch: np.ndarray) -> np.ndarray:
        """Link pattern one-hot (9) then each node's op one-hot (4 x ops), of the canonical form."""
        canon = self._arch_of_index[self._lookup(batch)].astype(np.int64)
        width = len(LINKS) + NUM_NODES * self._n_ops
        out = np.zeros((len(batch), width), dtype=np.float32)
        cols = np.concatenate([canon[:, :1], len(LINKS) + np.arange(NUM_NODES) * self._n_ops + canon[:, 1:]], axis=1)
        np.put_along_axis(out, cols, 1.0, axis=1)
        return out

    @cached_property
    def _link_adjacency(self) -> np.ndarray:
        """Upper triangle of the 6x6 adjacency (input, 4 nodes, output) of each link pattern, (9, 15)."""
        nodes = NUM_NODES + 2
        upper = np.triu_indices(nodes, k=1)
        out = np.zeros((len(LINKS), len(upper[0])), dtype=np.float32)
        for li, link in enumerate(LINKS):
            adj = np.zeros((nodes, nodes), dtype=np.float32)
            for node, src in enumerate(link, start=1):
                adj[src, node] = 1.0
            for node in range(1, NUM_NODES + 1):
                if node not in link:
                    adj[node, nodes - 1] = 1.0  # leaves feed the output
            out[li] = adj[upper]
        return out

    def _adjacency(self, batch: np.ndarray) -> np.ndarray:
        """DAG adjacency (upper triangle of input, 4 nodes, output) then per-node op one-hot."""
        onehot = self._onehot(batch)
        link = onehot[:, : len(LINKS)].argmax(axis=1)
        return np.concatenate([self._link_adjacency[link], onehot[:, len(LINKS):]], axis=1)

    def _index_feature(self, batch: np.ndarray) -> np.ndarray:
        return np.asarray(self.index(batch), dtype=np.float32).reshape(-1, 1)

    def describe(self) -> dict:
        return {**super().describe(), "ops": list(self.ops), "links": [list(lk) for lk in LINKS],
                "order": "ascending official hash (Arch.valid_hash())",
                "hash": "base-10 digits: link pattern index, then the 4 op indices in "
                        f"[{', '.join(GLOBAL_OPS)}] (for every op set)"}


class NBGraphProteinsSpace(NBGraphSpace):
    """The ogbn-proteins op set (gcn, sage, arma, fc, skip): 2,021 canonical architectures."""

    name = "nbgraph-proteins"
    ops = PROTEINS_OPS


def _parse_link(space_name: str, link: Sequence[int]) -> tuple[int, ...]:
    """Validates a link list as the package accepts it (length 4, node i reads from 0..i)."""
    try:
        link_t = tuple(int(x) for x in link)
    except (TypeError, ValueError):
        raise InvalidArchitectureError(f"{space_name}: a link list is {NUM_NODES} integers, got {link!r}") from None
    if link_t not in _ALL_LINK_POS:
        raise InvalidArchitectureError(
            f"{space_name}: invalid link list {list(link_t)}; expected {NUM_NODES} integers where entry i "
            "(0-based) is in 0..i (0 = raw input, k = computing node k), e.g. [0,1,2,1]")
    return link_t


SPACES.add("nbgraph", NBGraphSpace)
SPACES.add("nbgraph-proteins", NBGraphProteinsSpace)
