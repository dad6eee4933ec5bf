"""NAS-Bench-201 search space: official order, conversions, sampling, mutation, encodings."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nasbench_lab
from nasbench_lab.errors import InvalidArchitectureError

SPACE = nasbench_lab.space("nb201")
BEST_C10 = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"


def test_size_and_official_first_and_best_indices():
    assert SPACE.size == 15625
    # index 0 of the official NAS-Bench-201 file, and the CIFAR-10 optimum at index 6111
    assert SPACE.to_string(SPACE.from_index(0)) == (
        "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|")
    assert SPACE.index(SPACE.from_string(BEST_C10)) == 6111


def test_all_is_a_permutation_of_every_cell():
    archs = SPACE.all()
    assert archs.shape == (15625, 6)
    assert len({a.tobytes() for a in archs}) == 15625
    np.testing.assert_array_equal(SPACE.index(archs), np.arange(15625))


@given(st.integers(0, 15624))
def test_index_string_opcode_round_trip(i):
    arch = SPACE.from_index(i)
    text = SPACE.to_string(arch)
    assert SPACE.index(SPACE.from_string(text)) == i
    np.testing.assert_array_equal(SPACE.from_string(text), arch)


@given(st.lists(st.integers(0, 4), min_size=6, max_size=6))
def test_opcodes_round_trip_any_dtype(codes):
    for dtype in (np.int8, np.int64, np.uint8):
        arch = np.asarray(codes, dtype=dtype)
        np.testing.assert_array_equal(SPACE.from_index(SPACE.index(arch)), codes)


@pytest.mark.parametrize("text, problem", [
    ("|nor_conv_3x3~0|+|nor_conv_3x3~0|", "nodes"),
    ("|conv9~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|", "unknown op"),
    ("|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|", "read from"),
    ("|nor_conv_3x3~0|+|nor_conv_3x3~0|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|", "inputs"),
])
def test_bad_strings_name_the_problem(text, problem):
    with pytest.raises(InvalidArchitectureError, match=problem):
        SPACE.from_string(text)


@pytest.mark.parametrize("bad, problem", [
    (np.array([0, 1, 2, 3, 4, 5]), "op codes"),
    (np.array([0, 1, 2]), "shape"),
    (np.array([-1, 0, 0, 0, 0, 0]), "op codes"),
    (np.array([[0.5, 0, 0, 0, 0, 0]]), "integer"),
])
def test_bad_arrays_name_the_problem(bad, problem):
    with pytest.raises(InvalidArchitectureError, match=problem):
        SPACE.index(bad)


def test_out_of_range_index_is_rejected():
    with pytest.raises(InvalidArchitectureError, match="0 to 15624"):
        SPACE.from_index(15625)


def test_sample_is_reproducible_and_uniformish():
    a = SPACE.sample(np.random.default_rng(7), 50_000)
    b = SPACE.sample(np.random.default_rng(7), 50_000)
    np.testing.assert_array_equal(a, b)
    counts = np.bincount(a.ravel(), minlength=5) / a.size
    assert np.allclose(counts, 0.2, atol=0.01)
    assert SPACE.sample(np.random.default_rng(0)).shape == (6,)


def test_mutate_changes_exactly_one_edge():
    rng = np.random.default_rng(1)
    archs = SPACE.sample(rng, 10_000)
    mutated = SPACE.mutate(archs, rng)
    assert ((archs != mutated).sum(axis=1) == 1).all()
    np.testing.assert_array_equal(SPACE.mutate(archs, np.random.default_rng(3)),
                                  SPACE.mutate(archs, np.random.default_rng(3)))


def test_neighbours_are_the_24_one_edge_changes():
    arch = SPACE.from_string(BEST_C10)
    nbrs = SPACE.neighbours(arch)
    assert nbrs.shape == (24, 6)
    assert len({n.tobytes() for n in nbrs}) == 24
    assert ((nbrs != arch).sum(axis=1) == 1).all()


def test_onehot_and_path_encodings():
    archs = SPACE.all()
    onehot = SPACE.encode(archs, "onehot")
    assert onehot.shape == (15625, 30) and (onehot.sum(axis=1) == 6).all()
    path = SPACE.encode(archs, "path")
    assert path.shape == (15625, 84)
    # all-skip cell: 4 input->output routes, each a path of skips
    all_skip = np.ones(6, dtype=np.int8)
    assert SPACE.encode(all_skip, "path").sum() == 4
    # a cell with only 'none' has no path at all
    assert SPACE.encode(np.zeros(6, dtype=np.int8), "path").sum() == 0
    with pytest.raises(nasbench_lab.UnknownNameError, match="onehot"):
        SPACE.encode(archs, "nope")


def test_isomorphism_classes():
    canonical = SPACE.canonical(SPACE.all())
    # 4,930 functionally distinct cells: 'none' edges dropped, ops on zero nodes dropped,
    # skip_connect folded into its input (multisets of parallel terms).
    assert len(np.unique(SPACE.index(canonical))) == 4930
    # two cells differing only by a dead edge into a zero node are the same class
    a = SPACE.from_string("|none~0|+|nor_conv_3x3~0|nor_conv_1x1~1|+|none~0|none~1|nor_conv_3x3~2|")
    b = SPACE.from_string("|none~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|none~0|none~1|nor_conv_3x3~2|")
    np.testing.assert_array_equal(SPACE.canonical(a), SPACE.canonical(b))
    # canonical form is idempotent
    np.testing.assert_array_equal(SPACE.canonical(canonical), canonical)


def test_two_isomorphism_definitions_and_their_counts():
    """Functional classes (zero terms dropped, skip folded): 4,930; official to_unique_str identity: 6,466."""
    from nasbench_lab.spaces.nb201 import official_unique_str

    assert SPACE.functional_class_count() == 4930
    assert SPACE.official_unique_count() == 6466
    every = SPACE.all()
    strings = [official_unique_str(ops) for ops in every.tolist()]
    classes = SPACE.index(SPACE.canonical(every))
    # the official identity is finer: cells with one identity string always compute the same function
    by_string: dict[str, set[int]] = {}
    for text, cls in zip(strings, classes.tolist()):
        by_string.setdefault(text, set()).add(cls)
    assert all(len(c) == 1 for c in by_string.values())
    # a convolution on a zero node keeps its zero input's '#+#' in the official string, so these two
    # cells are different strings yet compute the same function (one functional class)
    zero = SPACE.from_string("|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|")
    plain = SPACE.from_string("|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|nor_conv_3x3~2|")
    assert official_unique_str(zero) == "#+#+0"
    assert official_unique_str(plain) == "#+(#+#)@nor_conv_3x3+0"
    np.testing.assert_array_equal(SPACE.canonical(zero), SPACE.canonical(plain))
