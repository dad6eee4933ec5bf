"""DARTS / NAS-Bench-301 space: conversions, canonical form, keys, sampling, mutation, encodings."""

from __future__ import annotations

import ast
import json

import numpy as np
import pytest

import nasbench_lab as nl
from nasbench_lab.errors import InvalidArchitectureError
from nasbench_lab.spaces.darts import OPS
from tests.conftest import shared_file

# the DARTS-V2 normal/reduction cells from the DARTS paper's genotypes file (published notation)
DARTS_V2 = ("Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), "
            "('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], "
            "normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), "
            "('max_pool_3x3', 1), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), "
            "('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])")


@pytest.fixture(scope="module")
def sp():
    return nl.space("darts")


def test_genotype_round_trip_and_op_order(sp):
    arch = sp.from_string(DARTS_V2)
    assert arch.shape == (2, 8, 2) and arch.dtype == np.int8
    assert arch[0, 0].tolist() == [0, OPS.index("sep_conv_3x3")] == [0, 3]
    assert arch[1, 7].tolist() == [1, 0]  # max_pool_3x3 is op 0 in NB301/NASLib order
    assert sp.to_string(arch) == DARTS_V2
    assert sp.to_genotype(arch)["normal"][7] == ("dil_conv_3x3", 2)


def test_compact_and_config_round_trips(sp):
    rng = np.random.default_rng(1)
    for arch in sp.sample(rng, 20):
        assert np.array_equal(sp.from_compact(sp.to_compact(arch)), arch)
        assert np.array_equal(sp.from_string(sp.compact_string(arch)), arch)
        assert np.array_equal(sp.canonical(sp.from_config(sp.to_config(arch))), sp.canonical(arch))
    cfg = sp.to_config(sp.from_string(DARTS_V2))
    base = "NetworkSelectorDatasetInfo:darts:"
    # node 5 of the normal cell reads nodes 0 and 2: edges 9 + 0 and 9 + 2, input pair "0_2"
    assert cfg[base + "edge_normal_9"] == "skip_connect" and cfg[base + "edge_normal_11"] == "dil_conv_3x3"
    assert cfg[base + "inputs_node_normal_5"] == "0_2"
    assert len(cfg) == 2 * (8 + 3)


def test_real_nb301_keys_parse_to_their_compact_form(sp):
    data = json.loads(shared_file("nb301/nb301_zero_cost_subset.json").read_text())["cifar10"]
    archs = np.stack([sp.from_string(k) for k in data])
    assert archs.shape == (725, 2, 8, 2)
    for key, arch in zip(list(data)[:50], archs[:50]):
        assert sp.compact_string(arch) == key
        assert [list(c) for c in sp.to_compact(arch)] == [[tuple(p) for p in c] for c in ast.literal_eval(key)]
    assert len(np.unique(sp.keys(archs))) == 725


def test_canonical_ignores_input_order_and_keys_are_exact(sp):
    arch = sp.from_string(DARTS_V2)
    swapped = arch.copy()
    swapped[:, [0, 1]] = swapped[:, [1, 0]]
    swapped[:, [6, 7]] = swapped[:, [7, 6]]
    assert not np.array_equal(arch, swapped)
    assert sp.keys(arch)[0] == sp.keys(swapped)[0]
    assert np.array_equal(sp.canonical(arch), sp.canonical(swapped))
    batch = sp.sample(np.random.default_rng(2), 500)
    keys = sp.keys(batch)
    assert keys.dtype == np.int64 and keys.min() >= 0 and keys.max() < sp.n_architectures < 2**63
    assert np.array_equal(sp.from_keys(keys), sp.canonical(batch))
    changed = sp.mutate(batch, np.random.default_rng(3))
    assert (sp.keys(changed) != keys).all()


def test_sampling_is_valid_uniform_and_reproducible(sp):
    a = sp.sample(np.random.default_rng(7), 20000)
    b = sp.sample(np.random.default_rng(7), 20000)
    assert np.array_equal(a, b)
    sp.validate(a)  # raises if any sample is outside the space
    ops = np.bincount(a[..., 1].ravel(), minlength=7) / a[..., 1].size
    assert np.allclose(ops, 1 / 7, atol=0.01)
    # node 5 (slots 6, 7) chooses its unordered input pair uniformly among the 10 pairs
    pairs = np.sort(a[:, 0, 6:8, 0], axis=1)
    codes = pairs[:, 0] * 5 + pairs[:, 1]
    counts = np.unique(codes, return_counts=True)[1]
    assert len(counts) == 10 and counts.min() > 0.08 * len(a) and counts.max() < 0.12 * len(a)
    assert sp.sample(np.random.default_rng(0)).shape == (2, 8, 2)


def test_mutation_is_one_change(sp):
    rng = np.random.default_rng(4)
    batch = sp.canonical(sp.sample(rng, 300))
    out = sp.mutate(batch, rng)
    sp.validate(out)
    canon_out = sp.canonical(out)
    # exactly one (input, op) pair differs between the two canonical cells as multisets
    for x, y in zip(batch, canon_out):
        diff = 0
        for c in range(2):
            for j in range(4):
                before = sorted(map(tuple, x[c, 2 * j: 2 * j + 2].tolist()))
                after = sorted(map(tuple, y[c, 2 * j: 2 * j + 2].tolist()))
                diff += sum(p not in after for p in before)
        assert diff == 1
    assert np.mean([(x[..., 1] != y[..., 1]).any() for x, y in zip(batch, canon_out)]) > 0.5


def test_neighbours(sp):
    arch = sp.from_string(DARTS_V2)
    nbs = sp.neighbours(arch)
    # 2 cells x 8 slots x 6 other ops = 96 op changes; input changes: 2 cells x (0 + 2*1 + 2*2 + 2*3) = 24
    assert len(nbs) == 120
    assert len(np.unique(sp.keys(nbs))) == 120
    assert sp.keys(arch)[0] not in set(sp.keys(nbs).tolist())


def test_encodings(sp):
    arch = sp.from_string(DARTS_V2)
    adj = sp.encode(arch, "adjacency")
    assert adj.shape == (1, 196) and adj.sum() == 16
    path = sp.encode(arch, "path")
    # normal cell: nodes 2, 3 read both inputs (2 + 2 paths); node 4 reads 1 and 0 (2);
    # node 5 reads 0 and node 2 (1 + 2): 9 paths. Reduction: node 2: 2, node 3: 1 + 2,
    # node 4: 2 + 1, node 5: 2 + 1: 11 paths.
    assert path.sum() == 20
    assert sp.encode(arch, "counts").shape == (1, 34)
    swapped = arch.copy()
    swapped[:, [0, 1]] = swapped[:, [1, 0]]
    for kind in ("adjacency", "path", "counts"):
        assert np.array_equal(sp.encode(arch, kind), sp.encode(swapped, kind))


@pytest.mark.parametrize("text, fragment", [
    (DARTS_V2.replace("('dil_conv_3x3', 2)], normal_concat", "], normal_concat"), "has 7 entries; expected 8"),
    (DARTS_V2.replace("('dil_conv_3x3', 2)", "('dil_conv_3x3', 5)"), "reads from node 5"),
    (DARTS_V2.replace("('skip_connect', 0), ('skip_connect', 0)", "('skip_connect', 0), ('skip_connect', 2)")
     .replace("('sep_conv_3x3', 1), ('skip_connect', 0)", "('sep_conv_3x3', 1), ('skip_connect', 4)"),
     "reads from node 4"),
    (DARTS_V2.replace("'dil_conv_3x3'", "'none'"), "unknown op 'none'"),
    (DARTS_V2.replace("('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0)",
                      "('sep_conv_3x3', 0), ('sep_conv_3x3', 0), ('sep_conv_3x3', 0)", 1), "reads node 0 twice"),
    (DARTS_V2.replace("normal_concat=[2, 3, 4, 5]", "normal_concat=[4, 5]"), "normal_concat is [4, 5]"),
    ("Genotype(normal=[", "cannot parse"),
    ("[[(0, 9), (1, 0)], []]", "has 2 entries"),
])
def test_bad_genotypes_name_the_problem(sp, text, fragment):
    with pytest.raises(InvalidArchitectureError, match=fragment.replace("(", r"\(").replace("[", r"\[")):
        sp.from_string(text)


def test_bad_arrays(sp):
    arch = sp.from_string(DARTS_V2)
    bad = arch.copy()
    bad[0, 3, 1] = 7
    with pytest.raises(InvalidArchitectureError, match="op code 7"):
        sp.validate(bad)
    bad = arch.copy()
    bad[1, 2, 0] = 3  # node 3 reading itself
    with pytest.raises(InvalidArchitectureError, match="node 3 of the reduce cell reads from node 3"):
        sp.validate(bad)
    with pytest.raises(InvalidArchitectureError, match="shape"):
        sp.validate(np.zeros((2, 7, 2), dtype=np.int8))
