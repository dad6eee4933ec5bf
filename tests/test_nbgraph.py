"""NAS-Bench-Graph: space canonicalisation against the package, and the benchmark on its shipped tables.

The light tables come with the installed ``nas-bench-graph`` package (real published data, read in
place). The full per-seed layout cannot be downloaded here: its tests build a small fixture in the
official layout at test time, with SYNTHETIC values.
"""

from __future__ import annotations

import itertools
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nasbench_lab
from nasbench_lab.api import DEFAULT_BENCHMARK
from nasbench_lab.benchmarks.nbgraph import SPEC
from nasbench_lab.errors import (
    ConfigError,
    DataFileError,
    InvalidArchitectureError,
    UnknownNameError,
    UnsafePickleError,
)
from nasbench_lab.loaders.nbgraph import ALLOWED_GLOBALS, DATASETS, FINAL_FIDELITY, embedded_light_dir
from nasbench_lab.loaders.safe_pickle import safe_load
from nasbench_lab.metrics import MetricKind, metric_info
from nasbench_lab.spaces.nbgraph import ALL_LINKS, GLOBAL_OPS, LINKS, PROTEINS_OPS

pkg = pytest.importorskip("nas_bench_graph")

SPACE = nasbench_lab.space("nbgraph")
PSPACE = nasbench_lab.space("nbgraph-proteins")


def official_hash(link, ops) -> int:
    """The package's own canonical hash (test oracle only; the library never calls it)."""
    return pkg.Arch(list(link), list(ops)).valid_hash()


def space_of(dataset: str):
    return PSPACE if dataset == "proteins" else SPACE


@pytest.fixture(scope="module")
def light_dir():
    folder = embedded_light_dir()
    assert folder is not None and (folder / "cora.bench").is_file()
    return folder


@pytest.fixture(scope="module")
def raw(light_dir):
    """dataset -> the shipped light dict, read with the restricted unpickler."""
    return {d: safe_load(light_dir / f"{d}.bench", ALLOWED_GLOBALS) for d in DATASETS}


# --------------------------------------------------------------------------------- the space
def test_sizes_and_official_key_sets(raw):
    assert SPACE.size == 26206 and PSPACE.size == 2021
    for dataset, table in raw.items():
        assert sorted(table) == space_of(dataset).hashes.tolist(), dataset
    # proteins keys are base-10 digits of indices into the 9-op list, not the 5-op proteins list
    digits = {int(c) for k in raw["proteins"] for c in f"{k:05d}"[1:]}
    assert digits == {GLOBAL_OPS.index(o) for o in PROTEINS_OPS} == {1, 4, 5, 7, 8}


@pytest.mark.parametrize("space", [SPACE, PSPACE], ids=lambda s: s.name)
def test_every_official_key_round_trips(space):
    archs = space.from_hash(space.hashes)
    assert np.array_equal(space.hash(archs), space.hashes)
    assert np.array_equal(space.index(archs), np.arange(space.size))
    assert np.array_equal(space.all(), archs)
    assert np.array_equal(space.canonical(archs), archs)
    assert all(np.array_equal(space.from_string(space.to_string(a)), a) for a in archs)
    for a in archs[:: max(1, space.size // 500)]:  # the package agrees the decoded form is canonical
        link, ops = space.to_official(a)
        assert official_hash(link, ops) == space.hash(a)


def test_readme_example_and_string_format():
    arch = SPACE.from_string("link=[0,1,2,1] ops=[gcn,gin,fc,cheb]")
    assert SPACE.to_string(arch) == "link=[0,1,1,2] ops=[gcn,gin,cheb,fc]"
    assert SPACE.hash(arch) == official_hash([0, 1, 2, 1], ["gcn", "gin", "fc", "cheb"]) == 61237
    # the package README calls this the same network, but its fc follows cheb, not gin; valid_hash agrees
    other = SPACE.from_string("link = [0, 1, 1, 2], ops = ['gcn', 'cheb', 'gin', 'fc']")
    assert SPACE.hash(other) == official_hash([0, 1, 1, 2], ["gcn", "cheb", "gin", "fc"]) == 61327


op_lists = st.lists(st.sampled_from(GLOBAL_OPS), min_size=4, max_size=4).filter(lambda o: set(o) != {"skip"})
p_op_lists = st.lists(st.sampled_from(PROTEINS_OPS), min_size=4, max_size=4).filter(lambda o: set(o) != {"skip"})


@settings(max_examples=400, deadline=None)
@given(link=st.sampled_from(ALL_LINKS), ops=op_lists)
def test_canonicalisation_matches_package(link, ops):
    expected = official_hash(link, ops)
    arch = SPACE.from_official(link, ops)
    assert SPACE.hash(arch) == expected
    assert SPACE.hash(SPACE.from_string(f"link={list(link)} ops=[{','.join(ops)}]")) == expected
    if link in LINKS:  # a raw (possibly non-canonical) array maps to the same class
        raw_arch = np.array([LINKS.index(link), *[GLOBAL_OPS.index(o) for o in ops]], dtype=np.int8)
        assert SPACE.hash(raw_arch) == expected
        assert np.array_equal(SPACE.canonical(raw_arch), arch)


@settings(max_examples=200, deadline=None)
@given(link=st.sampled_from(ALL_LINKS), ops=p_op_lists)
def test_proteins_canonicalisation_matches_package(link, ops):
    arch = PSPACE.from_official(link, ops)
    assert PSPACE.hash(arch) == official_hash(link, ops) == SPACE.hash(SPACE.from_official(link, ops))


def test_canonicalisation_matches_package_exhaustively():
    """All 24 link lists x 9**4 op tuples (157,464 inputs), against the library's lookup table."""
    from nasbench_lab.spaces.nbgraph import _canonical_table

    ours = _canonical_table().reshape(len(ALL_LINKS), -1)
    for l24, link in enumerate(ALL_LINKS):
        theirs = [official_hash(link, ops) for ops in itertools.product(GLOBAL_OPS, repeat=4)]
        assert np.array_equal(ours[l24], theirs), link


def test_sample_is_uniform_over_canonical_and_reproducible():
    a = SPACE.sample(np.random.default_rng(7), 100_000)
    b = SPACE.sample(np.random.default_rng(7), 100_000)
    assert np.array_equal(a, b) and a.dtype == np.int8
    assert np.array_equal(SPACE.canonical(a), a)
    counts = np.bincount(SPACE.index(a), minlength=SPACE.size)
    # uniform over 26,206 classes: about 3.8 draws each; a skew towards big classes would show here
    assert counts.std() < 2.5 and counts.max() < 20
    assert SPACE.sample(np.random.default_rng(0)).shape == (5,)


def brute_neighbours(space, arch) -> set[int]:
    """Official hashes one change away, by the package's valid_hash."""
    link, ops = space.to_official(arch)
    out = set()
    for li in range(len(LINKS)):
        out.add(official_hash(LINKS[li], ops))
    for pos in range(4):
        for op in space.ops:
            out.add(official_hash(link, ops[:pos] + [op] + ops[pos + 1:]))
    return out - {space.hash(arch), 88888}


@settings(max_examples=25, deadline=None)
@given(i=st.integers(0, SPACE.size - 1), seed=st.integers(0, 2**32 - 1))
def test_neighbours_and_mutate(i, seed):
    arch = SPACE.from_index(i)
    nb = SPACE.neighbours(arch)
    hashes = SPACE.hash(nb)
    assert len(set(hashes.tolist())) == len(nb)
    assert set(hashes.tolist()) == brute_neighbours(SPACE, arch)
    batch = np.repeat(arch[None], 200, axis=0)
    m1 = SPACE.mutate(batch, np.random.default_rng(seed))
    assert np.array_equal(m1, SPACE.mutate(batch, np.random.default_rng(seed)))
    assert set(SPACE.hash(m1).tolist()) <= set(hashes.tolist())
    assert SPACE.mutate(arch, np.random.default_rng(seed)).shape == (5,)


def test_proteins_neighbours_stay_in_proteins_space():
    arch = PSPACE.from_index(100)
    nb = PSPACE.neighbours(arch)
    assert set(PSPACE.hash(nb).tolist()) == brute_neighbours(PSPACE, arch)
    assert nb[:, 1:].max() < len(PROTEINS_OPS)


def test_encodings_identify_isomorphic_inputs():
    raw_arch = np.array([0, 8, 1, 1, 2], dtype=np.int8)  # link [0,0,0,0]: any op order is the same network
    perm = np.array([0, 2, 8, 1, 1], dtype=np.int8)
    for kind in SPACE.encodings():
        assert np.array_equal(SPACE.encode(raw_arch, kind), SPACE.encode(perm, kind))
    onehot = SPACE.encode(SPACE.all(), "onehot")
    assert onehot.shape == (SPACE.size, 9 + 4 * 9) and np.all(onehot.sum(axis=1) == 5)
    adj = SPACE.encode(SPACE.from_string("link=[0,1,2,3] ops=[gcn,gcn,gcn,gcn]"), "adjacency")
    # a chain input->1->2->3->4->output: 5 edges, then 4 op one-hots
    assert adj.shape == (1, 15 + 36) and adj[0, :15].sum() == 5 and adj[0, 15:].sum() == 4
    assert PSPACE.encode(PSPACE.all(), "adjacency").shape == (2021, 15 + 4 * 5)


@pytest.mark.parametrize("bad", [
    "link=[0,2,0,0] ops=[gcn,gcn,gcn,gcn]",      # node 1 cannot read node 2
    "link=[1,0,0,0] ops=[gcn,gcn,gcn,gcn]",
    "link=[0,0,0] ops=[gcn,gcn,gcn]",
    "link=[0,0,0,0] ops=[gcn,gcn,gcn,conv]",
    "link=[0,0,0,0] ops=[skip,skip,skip,skip]",
    "link=[0,x,0,0] ops=[gcn,gcn,gcn,gcn]",
    "|nor_conv_3x3~0|",
])
def test_bad_strings(bad):
    with pytest.raises(InvalidArchitectureError):
        SPACE.from_string(bad)


def test_bad_arrays_and_hashes():
    with pytest.raises(InvalidArchitectureError, match="link pattern index"):
        SPACE.index(np.array([9, 0, 0, 0, 0]))
    with pytest.raises(InvalidArchitectureError, match="op codes"):
        SPACE.index(np.array([0, 0, 9, 0, 0]))
    with pytest.raises(InvalidArchitectureError, match="op codes"):
        PSPACE.hash(np.array([0, 0, 5, 0, 0]))
    with pytest.raises(InvalidArchitectureError, match="all-skip"):
        SPACE.index(np.array([[0, 1, 1, 1, 1], [8, 8, 8, 8, 8]]))
    with pytest.raises(InvalidArchitectureError, match="all-skip"):
        SPACE.validate(np.array([3, 8, 8, 8, 8]))
    with pytest.raises(InvalidArchitectureError, match="shape"):
        SPACE.index(np.array([0, 1, 1, 1]))
    with pytest.raises(InvalidArchitectureError, match="unknown op 'gat'"):
        PSPACE.from_string("link=[0,0,0,0] ops=[gat,gcn,gcn,gcn]")
    with pytest.raises(InvalidArchitectureError, match="not an official hash"):
        SPACE.from_hash(88888)
    with pytest.raises(InvalidArchitectureError, match="not an official hash"):
        SPACE.from_hash([1, 10])  # 00010 is link [0,0,0,0] with ops gat,gat,gin,gat: unsorted, not canonical
    with pytest.raises(InvalidArchitectureError, match="not an official hash"):
        SPACE.from_hash(10**6)
    with pytest.raises(InvalidArchitectureError, match="out of range"):
        SPACE.from_index(SPACE.size)


# ----------------------------------------------------------------------------- the benchmark
def test_default_benchmark_is_embedded_nbgraph_cora(light_dir):
    assert DEFAULT_BENCHMARK == "nbgraph" and SPEC.default_dataset == "cora"
    assert SPEC.embedded_path() == light_dir
    bench = nasbench_lab.load()
    assert (bench.name, bench.dataset, bench.space.name) == ("nbgraph", "cora", "nbgraph")
    assert nasbench_lab.load("nbgraph").dataset == "cora"
    assert bench.fidelities == (FINAL_FIDELITY,)


@pytest.mark.parametrize("dataset", DATASETS)
def test_query_equals_pickle_times_100(raw, dataset):
    bench = nasbench_lab.load("nbgraph", dataset=dataset)
    space = space_of(dataset)
    assert bench.space is space
    keys = np.array(sorted(raw[dataset]), dtype=np.int64)
    archs = space.from_hash(keys)
    for metric, key, scale in (("valid_acc", "valid_perf", 100.0), ("test_acc", "perf", 100.0),
                               ("latency", "latency", 1.0), ("params", "para", 1.0)):
        expected = np.array([float(raw[dataset][k][key]) * scale for k in keys]).astype(np.float32)
        assert np.array_equal(bench.query(archs, metric), expected), metric
        assert np.array_equal(bench.query(archs, metric, fidelity=FINAL_FIDELITY, seed=0), expected)
    one = archs[123]
    assert bench.query(one, "test_acc") == pytest.approx(100 * raw[dataset][int(keys[123])]["perf"], rel=1e-6)


def test_known_figures_cora():
    bench = nasbench_lab.load("nbgraph", dataset="cora")
    test = bench.query(bench.space.all(), "test_acc")
    valid = bench.query(bench.space.all(), "valid_acc")
    assert test.max() == pytest.approx(83.1333, abs=1e-3)
    assert valid.max() == pytest.approx(81.9333, abs=1e-3)
    # the architecture a search would pick (best validation) and what it reports
    assert bench.query(bench.space.from_index(int(np.argmax(valid))), "test_acc") <= test.max()


def test_describe_and_split_semantics():
    info = nasbench_lab.load("nbgraph", dataset="cora").describe()
    assert info["fidelities"] == [FINAL_FIDELITY] and info["architectures"] == 26206
    assert info["metrics"]["valid_acc"]["kind"] == "validation" and info["metrics"]["test_acc"]["kind"] == "test"
    assert info["metrics"]["valid_acc"]["unit"] == "%" and info["metrics"]["latency"]["unit"] == "s"
    assert info["metrics"]["params"]["unit"] == "M"
    assert info["metrics"]["test_acc"]["seeds"] == {str(FINAL_FIDELITY): "mean only"}
    assert {"search", "report", "split", "fidelity", "seeds", "cost"} <= set(info["notes"])
    assert "500 validation" in info["notes"]["split"]
    proteins = nasbench_lab.load("nbgraph", dataset="ogbn-proteins").describe()
    assert "ROC-AUC" in proteins["metrics"]["valid_acc"]["unit"] and proteins["space"] == "nbgraph-proteins"


def test_cost_needs_query_budgets():
    bench = nasbench_lab.load("nbgraph")
    with pytest.raises(ConfigError, match="queries"):
        bench.cost(bench.space.from_index(0))


def test_bad_benchmark_input():
    with pytest.raises(UnknownNameError, match="cora"):
        nasbench_lab.load("nbgraph", dataset="imagenet")
    bench = nasbench_lab.load("nbgraph")
    arch = bench.space.from_index(0)
    with pytest.raises(UnknownNameError, match="valid_acc"):
        bench.query(arch, "train_time")
    with pytest.raises(UnknownNameError, match="fidelity"):
        bench.query(arch, "valid_acc", fidelity=200)


def test_cached_table_is_reused(light_dir):
    from nasbench_lab.api import table_file

    first = table_file(SPEC, None)
    mtime = first.stat().st_mtime_ns
    assert table_file(SPEC, None) == first and first.stat().st_mtime_ns == mtime


# ------------------------------------------------------------------- loader and its bad input
def _write(path, obj):
    path.write_bytes(pickle.dumps(obj, protocol=3))


def test_unsafe_and_corrupted_pickles(tmp_path):
    import datetime

    key = int(SPACE.hashes[0])
    good = {key: {"valid_perf": 0.5, "perf": 0.5, "latency": 0.01, "para": np.float64(1.0)}}
    (tmp_path / "unsafe").mkdir()
    _write(tmp_path / "unsafe" / "cora.bench", {key: {**good[key], "perf": datetime.date(2020, 1, 1)}})
    with pytest.raises(UnsafePickleError, match="datetime"):
        nasbench_lab.load("nbgraph", path=tmp_path / "unsafe")
    (tmp_path / "cut").mkdir()
    (tmp_path / "cut" / "cora.bench").write_bytes(pickle.dumps(good, protocol=3)[:-9])
    with pytest.raises(DataFileError, match="truncated or corrupted"):
        nasbench_lab.load("nbgraph", path=tmp_path / "cut")
    (tmp_path / "badkey").mkdir()
    _write(tmp_path / "badkey" / "cora.bench", {10: good[key]})  # a non-canonical hash
    with pytest.raises(DataFileError, match="not an official hash"):
        nasbench_lab.load("nbgraph", path=tmp_path / "badkey")
    (tmp_path / "nofield").mkdir()
    _write(tmp_path / "nofield" / "cora.bench", {key: {"valid_perf": 0.5}})
    with pytest.raises(DataFileError, match="'perf'"):
        nasbench_lab.load("nbgraph", path=tmp_path / "nofield")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataFileError, match="not a file that benchmark nbgraph can read"):
        nasbench_lab.load("nbgraph", path=tmp_path / "empty")


def test_partial_light_folder(tmp_path):
    """A folder with one dataset (SYNTHETIC values): missing architectures are NaN, other datasets absent."""
    keys = SPACE.hashes[[0, 5, 9]]
    _write(tmp_path / "pubmed.bench", {int(k): {"valid_perf": 0.25 * i, "perf": 0.5, "latency": 0.01 * i,
                                                "para": np.float64(i)} for i, k in enumerate(keys)})
    bench = nasbench_lab.load("nbgraph", dataset="pubmed", path=tmp_path)
    values = bench.query(SPACE.all(), "valid_acc")
    assert np.array_equal(values[[0, 5, 9]], [0.0, 25.0, 50.0]) and np.isnan(values).sum() == SPACE.size - 3
    assert np.array_equal(bench.indices_with_data(), [0, 5, 9])
    with pytest.raises(UnknownNameError, match="pubmed"):
        nasbench_lab.load("nbgraph", dataset="cora", path=tmp_path)


# ------------------------------------------------------------------------ full per-seed layout
@pytest.fixture()
def full_dir(tmp_path):
    """Official full layout ({dataset}{seed}.bench with per-epoch 'dur' rows), SYNTHETIC values.

    Seed s, architecture row r, epoch e (1-based): train s/10 + e/100, valid e/100 + r/1000 + s/1000,
    test 0.5 + e/100 + s/1000, losses 1/e + s, best 0.9; 4 epochs, 6 architectures (5 in seed 2).
    A light cora.bench next to them provides latency and params.
    """
    keys = [int(k) for k in SPACE.hashes[[0, 1, 2, 100, 2000, 26205]]]
    for s in range(3):
        table = {}
        for r, k in enumerate(keys):
            if s == 2 and r == 5:
                continue
            dur = [[s / 10 + e / 100, e / 100 + r / 1000 + s / 1000, 0.5 + e / 100 + s / 1000,
                    1 / e + s, 1 / e + s, 1 / e + s, 0.9] for e in range(1, 5)]
            table[k] = {"dur": dur}
        _write(tmp_path / f"cora{s}.bench", table)
    _write(tmp_path / "cora.bench", {k: {"valid_perf": 0.5, "perf": 0.5, "latency": 0.001 * (r + 1),
                                         "para": np.float64(r + 1)} for r, k in enumerate(keys)})
    return tmp_path, keys


def test_full_per_seed_layout(full_dir):
    path, keys = full_dir
    bench = nasbench_lab.load("nbgraph", dataset="cora", path=path)
    archs = SPACE.from_hash(keys)
    assert bench.fidelities == (1, 2, 3, 4)
    assert {"train_acc", "valid_acc", "test_acc", "train_loss", "valid_loss", "test_loss", "best_test_acc",
            "latency", "params"} == set(bench.metrics)
    rows = np.arange(6)
    for s in range(3):
        v = bench.query(archs, "valid_acc", fidelity=3, seed=s)
        expected = (100 * (0.03 + rows / 1000 + s / 1000)).astype(np.float32)
        if s == 2:
            assert np.isnan(v[5])
            v, expected = v[:5], expected[:5]
        np.testing.assert_allclose(v, expected, rtol=1e-6)
    np.testing.assert_allclose(bench.query(archs[0], "valid_acc", fidelity=1), 100 * (0.01 + 0.001), rtol=1e-6)
    np.testing.assert_allclose(bench.query(archs[5], "valid_acc", fidelity=4), 100 * (0.04 + 0.005 + 0.0005),
                               rtol=1e-6)  # mean over the two seeds present
    np.testing.assert_allclose(bench.query(archs, "train_loss", fidelity=2, seed=1), 1.5)  # losses unscaled
    assert bench.query(archs[0], "valid_acc") == bench.query(archs[0], "valid_acc", fidelity=4)
    draws = bench.query(np.repeat(archs[5:], 300, axis=0), "test_acc", fidelity=4, seed=np.random.default_rng(1))
    assert np.all(np.isfinite(draws)) and len(np.unique(draws)) == 2  # only the seeds present
    np.testing.assert_allclose(bench.query(archs, "params"), np.arange(1, 7))
    with pytest.raises(ConfigError, match="fidelities with values: 4"):
        bench.query(archs, "latency", fidelity=2)
    assert metric_info("best_test_acc").kind is MetricKind.TEST
    info = bench.describe()
    assert info["metrics"]["valid_acc"]["seeds"]["4"] == 3 and "dur[f - 1]" in info["notes"]["fidelity"]


def test_full_layout_bad_dur(tmp_path):
    key = int(SPACE.hashes[0])
    _write(tmp_path / "cora0.bench", {key: {"dur": [[0.1, 0.2, 0.3]]}})
    with pytest.raises(DataFileError, match="expected \\(epochs, 7\\)"):
        nasbench_lab.load("nbgraph", path=tmp_path)
