"""NAS-Bench-101 space: official hash (real records), pruning, validity errors, search operators, encodings."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

import nasbench_lab
from nasbench_lab.errors import InvalidArchitectureError, UnknownNameError
from nasbench_lab.spaces.nb101_graph import (
    INPUT,
    OPS,
    OUTPUT,
    graph_hash,
    prune,
    spec_hash,
    unpack,
)
from nasbench_lab.spaces.nb101_hash_batch import hash_padded, hex_strings
from tests.conftest import shared_file

C3, C1, MP = OPS


@pytest.fixture(scope="module")
def space():
    return nasbench_lab.space("nb101")


@pytest.fixture(scope="module")
def records():
    with open(shared_file("nb101/nb101_full_records_30.json")) as f:
        return json.load(f)


def _inception():
    """The official API's example cell (5x5 conv replaced by two 3x3)."""
    matrix = [[0, 1, 1, 1, 0, 1, 0],
              [0, 0, 0, 0, 0, 0, 1],
              [0, 0, 0, 0, 0, 0, 1],
              [0, 0, 0, 0, 1, 0, 0],
              [0, 0, 0, 0, 0, 0, 1],
              [0, 0, 0, 0, 0, 0, 1],
              [0, 0, 0, 0, 0, 0, 0]]
    return np.array(matrix), [INPUT, C1, C3, C3, C3, MP, OUTPUT]


# ------------------------------------------------------------------------------- real data
@pytest.mark.realdata
def test_hash_of_every_real_record_equals_its_key(space, records):
    for key, rec in records.items():
        assert space.hash(rec["module_adjacency"], rec["module_operations"]) == key


@pytest.mark.realdata
def test_real_records_are_the_table_representatives(space, records):
    """The official files store the generator's first representative: our table holds exactly that graph."""
    for key, rec in records.items():
        arch = space.from_hash(key)
        matrix, ops = space.to_spec(arch)
        assert matrix.tolist() == rec["module_adjacency"]
        assert ops == rec["module_operations"]
        assert np.array_equal(space.from_spec(rec["module_adjacency"], rec["module_operations"]), arch)


@pytest.mark.realdata
def test_batch_hash_equals_one_graph_hash_on_real_records(records):
    nv, mats, labels = [], np.zeros((len(records), 7, 7), np.int8), np.full((len(records), 7), -3)
    for i, rec in enumerate(records.values()):
        m, lab = prune(rec["module_adjacency"], rec["module_operations"])
        nv.append(len(lab))
        mats[i, :len(lab), :len(lab)] = m
        labels[i, :len(lab)] = lab
    assert hex_strings(hash_padded(np.array(nv), mats, labels)) == list(records)


# ------------------------------------------------------------------------------- the table
def test_table_size_order_and_uniqueness(space):
    assert space.size == 423_624
    codes = space.cell_codes
    assert len(np.unique(codes)) == space.size
    digests = np.asarray([bytes.fromhex(h) for h in space.hash_of(space.all()[::997])])
    assert len(digests) == len(set(digests.tolist()))
    # index 0 is the smallest cell (input -> output), first in the official generator's order
    matrix, ops = space.to_spec(space.from_index(0))
    assert matrix.tolist() == [[0, 1], [0, 0]] and ops == [INPUT, OUTPUT]
    nv, _, _ = unpack(codes)
    assert np.all(np.diff(nv.astype(int)) >= 0)  # vertex counts ascend, as the generator loops


def test_stored_hashes_match_recomputed_ones(space):
    rng = np.random.default_rng(3)
    sample = space.sample(rng, 150)
    for arch, stored in zip(sample, space.hash_of(sample)):
        matrix, ops = space.to_spec(arch)
        assert spec_hash(matrix, ops) == stored
    nv, mats, labels = unpack(space.cell_codes[sample[:, 0]])
    assert hex_strings(hash_padded(nv, mats, labels)) == space.hash_of(sample)


def test_space_registered_and_described(space):
    assert nasbench_lab.space("nb101") is space
    info = space.describe()
    assert info["size"] == 423_624 and info["max_edges"] == 9 and info["ops"] == list(OPS)
    assert set(space.encodings()) == {"onehot", "path", "trunc_path"}


# ------------------------------------------------------------------------- pruning, identity
def test_dangling_vertex_is_pruned_to_the_same_cell(space):
    matrix, ops = _inception()
    base = space.from_spec(matrix, ops)
    # add vertex 4 -> nothing reachable: drop edge 4 -> 6, so vertex 4 and the chain 3 -> 4 dangle
    dangling = matrix.copy()
    dangling[4, 6] = 0
    pruned = np.delete(np.delete(dangling, [3, 4], 0), [3, 4], 1)
    pruned_ops = [o for i, o in enumerate(ops) if i not in (3, 4)]
    assert space.hash(dangling, ops) == space.hash(pruned, pruned_ops)
    assert np.array_equal(space.from_spec(dangling, ops), space.from_spec(pruned, pruned_ops))
    assert not np.array_equal(space.from_spec(dangling, ops), base)


def test_isomorphic_relabelings_share_hash_and_index(space):
    matrix, ops = _inception()
    base = space.from_spec(matrix, ops)
    tested = 0
    for interior in itertools.permutations(range(1, 6)):
        inv = np.array((0, *interior, 6))
        new = matrix[np.ix_(inv, inv)]
        if np.tril(new).any() or tuple(interior) == (1, 2, 3, 4, 5):
            continue  # relabelings must keep the matrix upper triangular
        new_ops = [ops[i] for i in inv]
        assert space.hash(new, new_ops) == space.hash(matrix, ops)
        assert np.array_equal(space.from_spec(new, new_ops), base)
        tested += 1
    assert tested >= 5
    other_ops = list(ops)
    other_ops[1], other_ops[3] = ops[3], ops[1]  # not an isomorphism: a branch op moves into the chain
    assert space.hash(matrix, other_ops) != space.hash(matrix, ops)


def test_larger_matrix_that_prunes_into_the_space_is_accepted(space):
    matrix, ops = _inception()
    big = np.zeros((8, 8), dtype=int)
    big[:7, :7] = matrix
    big[:, 7], big[:, 6] = big[:, 6].copy(), 0  # output moves to vertex 7; vertex 6 has no edges
    big_ops = ops[:6] + [C3, OUTPUT]
    assert space.hash(big, big_ops) == space.hash(matrix, ops)


# ------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("matrix, ops, message", [
    (np.zeros((3, 4)), [INPUT, C3, OUTPUT], "square"),
    ([[0, 1, 0], [1, 0, 1], [0, 0, 0]], [INPUT, C3, OUTPUT], "upper triangular"),
    ([[1, 1], [0, 0]], [INPUT, OUTPUT], "upper triangular"),
    ([[0, 2], [0, 0]], [INPUT, OUTPUT], "0 or 1"),
    ([[0, 1], [0, 0]], [INPUT, C3, OUTPUT], "3 ops for a 2x2 matrix"),
    ([[0, 1, 0], [0, 0, 1], [0, 0, 0]], [INPUT, "conv5x5", OUTPUT], "unknown op 'conv5x5'"),
    ([[0, 1, 0], [0, 0, 1], [0, 0, 0]], [C3, C3, OUTPUT], "first op must be 'input'"),
    ([[0, 1, 0], [0, 0, 0], [0, 0, 0]], [INPUT, C3, OUTPUT], "no path from the input"),
    (np.triu(np.ones((7, 7), dtype=int), 1), [INPUT] + [C3] * 5 + [OUTPUT], "21 edges after pruning; at most 9"),
    (np.eye(8, k=1, dtype=int), [INPUT] + [C3] * 6 + [OUTPUT], "8 vertices after pruning; at most 7"),
])
def test_invalid_specs_name_the_problem(space, matrix, ops, message):
    with pytest.raises(InvalidArchitectureError, match=message):
        space.hash(matrix, ops)
    with pytest.raises(InvalidArchitectureError, match=message):
        space.from_spec(matrix, ops)


def test_bad_hashes_indices_and_strings(space):
    with pytest.raises(InvalidArchitectureError, match="no cell of the space"):
        space.from_hash("0" * 32)
    with pytest.raises(InvalidArchitectureError, match="not an official hash"):
        space.from_hash("xyz")
    with pytest.raises(InvalidArchitectureError, match="out of range"):
        space.index(np.array([423_624]))
    with pytest.raises(InvalidArchitectureError, match="not a square number"):
        space.from_string("011|input,output")
    with pytest.raises(InvalidArchitectureError, match="expected '<V"):
        space.from_string("0100")
    with pytest.raises(InvalidArchitectureError, match="unknown op"):
        space.from_string("011001000|input,pool,output")
    assert (space.indices_of_hashes(["0" * 32, space.hash_of(5)]) == [-1, 5]).all()


# ----------------------------------------------------------------------- strings and keys
def test_string_round_trip_and_hash_strings(space):
    rng = np.random.default_rng(0)
    for arch in space.sample(rng, 20):
        text = space.to_string(arch)
        assert np.array_equal(space.from_string(text), arch)
        assert np.array_equal(space.from_string(space.hash_of(arch)), arch)
    assert space.to_string(space.from_index(0)) == "0100|input,output"


def test_key_columns(space):
    arch = space.from_index(1234)
    assert "nb101_hash" in space.key_columns()
    assert space.key_of(arch, "nb101_hash") == space.hash_of(arch)
    assert space.key_columns()["nb101_hash"]([space.hash_of(arch).upper()]).tolist() == [1234]
    with pytest.raises(InvalidArchitectureError, match="name no cell"):
        space.key_columns()["nb101_hash"](["f" * 32])
    with pytest.raises(UnknownNameError):
        space.key_of(arch, "genotype")


def test_scalar_is_one_architecture(space):
    assert space.index(7) == 7
    assert space.from_index(7).shape == (1,)
    assert space.from_index([7, 8]).shape == (2, 1)


# --------------------------------------------------------------------------- search operators
def test_sample_is_uniform_over_indices_and_reproducible(space):
    a = space.sample(np.random.default_rng(11), 1000)
    b = space.sample(np.random.default_rng(11), 1000)
    assert a.shape == (1000, 1) and a.dtype == np.int32
    assert np.array_equal(a, b)
    assert space.sample(np.random.default_rng(1)).shape == (1,)
    assert a.min() >= 0 and a.max() < space.size and len(np.unique(a)) > 990


def test_mutate_gives_valid_different_children_reproducibly(space):
    parents = space.sample(np.random.default_rng(5), 300)
    kids = space.mutate(parents, np.random.default_rng(6))
    again = space.mutate(parents, np.random.default_rng(6))
    assert np.array_equal(kids, again)
    assert kids.shape == parents.shape
    assert (kids != parents).all()
    one = space.mutate(parents[0], np.random.default_rng(1))
    assert one.shape == (1,) and one[0] != parents[0, 0]
    # most low-rate mutations are single edits, i.e. neighbours
    low = space.mutate(parents[:40], np.random.default_rng(2), mutation_rate=0.3)
    hits = sum(int(k[0]) in set(space.neighbours(p).ravel().tolist()) for p, k in zip(parents[:40], low))
    assert hits >= 25


def _neighbours_brute_force(space, arch):
    """Every single edge flip / op change of the 7-vertex form, through the one-graph pruning and hash."""
    matrix, ops = space.to_spec(arch)
    n = len(ops)
    full = np.zeros((7, 7), dtype=int)
    full[:n - 1, :n - 1] = matrix[:n - 1, :n - 1]
    full[:n - 1, 6] = matrix[:n - 1, n - 1]
    full_ops = ops[:-1] + [C3] * (7 - n) + [OUTPUT]
    found = set()
    for s, d in itertools.combinations(range(7), 2):
        m = full.copy()
        m[s, d] ^= 1
        try:
            found.add(spec_hash(m, full_ops))
        except InvalidArchitectureError:
            pass
    for v in range(1, n - 1):
        for op in OPS:
            if op != full_ops[v]:
                found.add(spec_hash(full, full_ops[:v] + [op] + full_ops[v + 1:]))
    found.discard(space.hash_of(arch))
    return found


def test_neighbours_equal_brute_force(space):
    for arch in space.sample(np.random.default_rng(9), 12):
        nbrs = space.neighbours(arch)
        hashes = space.hash_of(nbrs)
        assert len(set(hashes)) == len(hashes)
        assert set(hashes) == _neighbours_brute_force(space, arch)


# --------------------------------------------------------------------------------- encodings
def _paths_brute_force(matrix, ops):
    """BANANAS path indices: op sequences of every input-to-output path, numbered by length then ops."""
    n = len(ops)
    out = set()

    def walk(v, seq):
        if v == n - 1:
            index = sum(3 ** i * (OPS.index(op) + 1) for i, op in enumerate(seq))
            out.add(index)
            return
        for w in range(v + 1, n):
            if matrix[v][w]:
                walk(w, seq + ([ops[w]] if w != n - 1 else []))

    walk(0, [])
    return out


def test_path_encodings_match_brute_force(space):
    archs = space.sample(np.random.default_rng(4), 60)
    path = space.encode(archs, "path")
    assert path.shape == (60, 364) and path.dtype == np.float32
    for arch, row in zip(archs, path):
        matrix, ops = space.to_spec(arch)
        assert set(np.flatnonzero(row).tolist()) == _paths_brute_force(matrix, ops)
    assert np.array_equal(space.encode(archs, "trunc_path"), path[:, :40])


def test_onehot_encoding_counts_edges_and_ops(space):
    archs = space.sample(np.random.default_rng(8), 50)
    enc = space.encode(archs, "onehot")
    assert enc.shape == (50, 36)
    for arch, row in zip(archs, enc):
        matrix, ops = space.to_spec(arch)
        assert row[:21].sum() == matrix.sum()
        assert row[21:].sum() == len(ops) - 2
        assert row[21:24].tolist() == [float(ops[1] == op) for op in OPS] or len(ops) == 2
    with pytest.raises(UnknownNameError, match="accepted: onehot, path, trunc_path"):
        space.encode(archs, "gcn")


def test_lookup_padded_marks_invalid_graphs(space):
    mats = np.zeros((2, 7, 7), dtype=np.int8)
    labels = np.array([[-1, 0, 0, 0, 0, 0, -2]] * 2)
    mats[1, 0, 6] = 1
    got = space.lookup_padded(mats, labels)
    assert got[0] == -1
    assert got[1] == space.index(space.from_spec([[0, 1], [0, 0]], [INPUT, OUTPUT]))


def test_graph_hash_is_independent_of_label_types():
    matrix = np.array([[0, 1, 1], [0, 0, 1], [0, 0, 0]])
    assert graph_hash(matrix, [-1, np.int64(0), -2]) == graph_hash(matrix, [-1, 0, -2])


def test_neighbour_order_falls_back_to_all_128_bits():
    """Two different hashes sharing their leading 64 bits must still sort as their hex strings do."""
    from nasbench_lab.spaces.nb101_hash_batch import _sorted_neighbours

    hi = np.array([[5, 5, 5, 2**64 - 1]], dtype=np.uint64)
    lo = np.array([[3, 1, 2, 0]], dtype=np.uint64)
    adj = np.ones((1, 4, 4), dtype=bool)
    assert _sorted_neighbours(adj, hi, lo)[0, 0].tolist() == [1, 2, 0, 3]
    adj[0, 0] = [False, True, False, True]
    assert _sorted_neighbours(adj, hi, lo)[0, 0, :2].tolist() == [1, 3]
