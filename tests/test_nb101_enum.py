"""Enumeration of the NAS-Bench-101 cells and the shipped/cached cell table."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from nasbench_lab.errors import DataFileError
from nasbench_lab.spaces import nb101_enum
from nasbench_lab.spaces.nb101_enum import (
    NUM_CELLS,
    NUM_LABELED_GRAPHS,
    CellTable,
    check_table,
    enumerate_cells,
    full_dag_bits,
    labeled_graphs,
    load_cells,
    read_cells,
    shipped_path,
    wl_keys,
    write_cells,
)
from nasbench_lab.spaces.nb101_graph import graph_hash, unpack


@pytest.fixture(scope="module")
def shipped():
    return read_cells(shipped_path())


def test_full_dag_counts_and_labeled_total():
    counts = [len(full_dag_bits(v)) for v in range(2, 8)]
    assert counts == [1, 2, 10, 121, 1545, 4793]
    assert sum(c * 3 ** (v - 2) for c, v in zip(counts, range(2, 8))) == NUM_LABELED_GRAPHS


def test_small_cells_dedup_like_the_official_hash(shipped):
    """Up to 5 vertices: the 64-bit keys partition labeled graphs exactly as the official hash does, and the
    first graph of each class (generator order) is the table's representative, at the same index."""
    codes = np.concatenate([c for c in itertools.islice(labeled_graphs(chunk=10_000), 4)])
    nv, mats, labels = unpack(codes)
    codes, nv, mats, labels = (a[nv <= 5] for a in (codes, nv, mats, labels))
    assert len(codes) == 1 + 6 + 90 + 3267
    official = [graph_hash(m[:n, :n], lab[:n].tolist()) for n, m, lab in zip(nv, mats, labels)]
    keys = np.empty(len(codes), dtype=np.uint64)
    for v in (2, 3, 4, 5):
        rows = np.flatnonzero(nv == v)
        keys[rows] = wl_keys(mats[rows, :v, :v], labels[rows, :v])
    first_official = {}
    for i, h in enumerate(official):
        first_official.setdefault(h, i)
    _, first_key = np.unique(keys, return_index=True)
    assert sorted(first_official.values()) == sorted(first_key.tolist())
    reps = codes[sorted(first_official.values())]
    assert np.array_equal(shipped.codes[:len(reps)], reps)
    firsts = sorted(first_official.values())
    assert [bytes(d).hex() for d in shipped.digests[:len(reps)]] == [official[i] for i in firsts]


def test_wl_keys_are_invariant_and_separating():
    mats = np.zeros((3, 4, 4), dtype=np.int8)
    mats[0][[0, 0, 1, 2], [1, 2, 3, 3]] = 1  # 0 -> 1 -> 3, 0 -> 2 -> 3
    mats[1] = mats[0]
    mats[2] = mats[0]
    labels = np.array([[-1, 0, 2, -2], [-1, 2, 0, -2], [-1, 0, 0, -2]])
    keys = wl_keys(mats, labels)
    assert keys[0] == keys[1] != keys[2]


def test_shipped_table_is_consistent(shipped):
    check_table(shipped)
    assert shipped.codes.dtype == np.uint32 and len(shipped.codes) == NUM_CELLS
    assert shipped_path().stat().st_size < 8_000_000


def test_write_read_round_trip_and_damage(tmp_path, shipped):
    path = write_cells(shipped, tmp_path / "cells.h5")
    back = read_cells(path)
    assert np.array_equal(back.codes, shipped.codes) and np.array_equal(back.digests, shipped.digests)
    path.write_bytes(path.read_bytes()[:5000])
    with pytest.raises(DataFileError, match="unreadable nb101 cell table"):
        read_cells(path)
    with pytest.raises(DataFileError, match="expected 423624"):
        check_table(CellTable(shipped.codes[:10], shipped.digests[:10]))


def test_load_cells_falls_back_to_the_cache(tmp_path, monkeypatch, shipped):
    monkeypatch.setattr(nb101_enum, "shipped_path", lambda: tmp_path / "absent.h5")
    monkeypatch.setenv("NASBENCH_LAB_CACHE", str(tmp_path / "cache"))
    write_cells(shipped, tmp_path / "cache" / nb101_enum.TABLE_NAME)
    assert np.array_equal(load_cells().codes, shipped.codes)


@pytest.mark.slow
def test_enumeration_regenerates_the_shipped_table(shipped):
    """Full enumeration (about 1.5-4 minutes on 2 shared cores): 423,624 cells, identical to the shipped file."""
    fresh = enumerate_cells()
    assert len(fresh.codes) == NUM_CELLS
    assert np.array_equal(fresh.codes, shipped.codes)
    assert np.array_equal(fresh.digests, shipped.digests)
