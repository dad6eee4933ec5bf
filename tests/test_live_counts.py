"""Parameter counts of the live networks against the official figures (real data, read in place)."""

from __future__ import annotations

import ast
import csv
import json

import numpy as np
import pytest

import nasbench_lab
from nasbench_lab.errors import InvalidArchitectureError
from nasbench_lab.live.counts import nb101_params, nb201_params
from tests.conftest import shared_file

torch = pytest.importorskip("torch")

from nasbench_lab.live import build_network  # noqa: E402

#: NASLib op index -> our op code; NASLib's tuple position -> our edge position (its positions 2 and 3
#: are the edges 0->3 and 1->2, i.e. swapped relative to the official string)
NASLIB_OP = np.array([1, 0, 3, 2, 4])
NASLIB_EDGE = [0, 1, 3, 2, 4, 5]


def naslib_key_to_arch(key: str) -> np.ndarray:
    return NASLIB_OP[np.asarray(ast.literal_eval(key))[NASLIB_EDGE]].astype(np.int8)


def n_params(net) -> int:
    return sum(p.numel() for p in net.parameters() if p.requires_grad)


@pytest.fixture(scope="module")
def nb201_rows():
    with open(shared_file("nb201/nb201_tables.csv")) as f:
        return list(csv.DictReader(f))


@pytest.mark.realdata
@pytest.mark.parametrize("column,classes", [("cifar10_params_mb", 10), ("cifar100_params_mb", 100),
                                            ("imagenet16_params_mb", 120)])
def test_nb201_params_equal_official_for_all_cells(nb201_rows, column, classes):
    """The corrected shared table holds the official network's size for every cell: exact equality."""
    space = nasbench_lab.space("nb201")
    assert [int(r["index"]) for r in nb201_rows] == list(range(space.size))
    ref = np.array([float(r[column]) for r in nb201_rows])
    ours = nb201_params(space.all(), num_classes=classes) / 1e6
    bad = np.flatnonzero(np.abs(ours - ref) > 1e-6)
    assert bad.size == 0, [nb201_rows[i]["arch_str"] for i in bad[:5]]


@pytest.mark.realdata
@pytest.mark.parametrize("dataset,classes", [("cifar10", 10), ("cifar100", 100), ("ImageNet16-120", 120)])
def test_nb201_params_equal_naslib_measured_params(dataset, classes):
    with open(shared_file("nb201/nb201_zero_cost_subset.json")) as f:
        subset = json.load(f)[dataset]
    archs = np.stack([naslib_key_to_arch(k) for k in subset])
    ref = np.array([v["params"]["score"] for v in subset.values()])
    np.testing.assert_allclose(nb201_params(archs, num_classes=classes) / 1e6, ref, atol=1e-6, rtol=0)


def test_nb201_analytic_count_equals_torch_modules():
    rng = np.random.default_rng(0)
    space = nasbench_lab.space("nb201")
    for arch, (C, N, classes, in_ch) in zip(space.sample(rng, 12), [(16, 5, 10, 3), (8, 1, 10, 1), (4, 2, 7, 2)] * 4):
        with torch.device("meta"):
            net = build_network("nb201", arch, classes, C=C, N=N, in_channels=in_ch)
        assert n_params(net) == nb201_params(arch, num_classes=classes, C=C, N=N, in_channels=in_ch)


@pytest.mark.realdata
def test_nb101_params_equal_official_full_records():
    with open(shared_file("nb101/nb101_full_records_30.json")) as f:
        records = json.load(f)
    assert len(records) == 30
    for k, rec in enumerate(records.values()):
        assert nb101_params(rec["module_adjacency"], rec["module_operations"]) == rec["trainable_parameters"]
        if k % 3:
            continue  # the torch modules of every third record (the analytic count covers all 30)
        with torch.device("meta"):
            net = build_network("nb101", (rec["module_adjacency"], rec["module_operations"]))
        assert n_params(net) == rec["trainable_parameters"]


def _nb101_30k(sample: int | None):
    from nasbench_lab.live.networks import _registered_space

    with open(shared_file("nb101/nb101_validation_by_hash_30k.csv")) as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 30_001
    if sample is not None:
        rows = [rows[i] for i in np.random.default_rng(0).choice(len(rows), sample, replace=False)]
    space = _registered_space("nb101")
    if space is None:
        pytest.skip("the nb101 search space is not available")
    idx = space.indices_of_hashes([r["nb101_hash"] for r in rows])
    assert (idx >= 0).all()
    ours = np.array([nb101_params(m, o) for m, o in space.specs(idx.reshape(-1, 1))])
    ref = np.array([int(r["trainable_parameters"]) for r in rows])
    np.testing.assert_array_equal(ours, ref)


@pytest.mark.realdata
def test_nb101_params_equal_official_30k_sample():
    _nb101_30k(sample=2000)


@pytest.mark.realdata
@pytest.mark.slow
def test_nb101_params_equal_official_all_30k():
    _nb101_30k(sample=None)


def _darts_vs_naslib(step: int) -> None:
    """NASLib built NB301's proxy networks with C=32, 8 cells and BN without affine weights inside the ops."""
    with open(shared_file("nb301/nb301_zero_cost_subset.json")) as f:
        subset = json.load(f)["cifar10"]
    assert len(subset) == 725
    for key in list(subset)[::step]:
        arch = np.asarray(ast.literal_eval(key), dtype=np.int8)
        with torch.device("meta"):
            net = build_network("darts", arch, op_affine=False)
        assert n_params(net) == round(subset[key]["params"]["score"] * 1e6), key


@pytest.mark.realdata
def test_darts_params_equal_naslib_nb301_networks_sample():
    _darts_vs_naslib(step=60)


@pytest.mark.realdata
@pytest.mark.slow
def test_darts_params_equal_naslib_nb301_networks_all():
    _darts_vs_naslib(step=1)


def test_nb101_bad_cells_raise_clear_errors():
    ops = ["input", "conv3x3-bn-relu", "output"]
    with pytest.raises(InvalidArchitectureError, match="upper triangular"):
        nb101_params([[0, 1, 0], [1, 0, 1], [0, 0, 0]], ops)
    with pytest.raises(InvalidArchitectureError, match="unknown op"):
        nb101_params([[0, 1, 0], [0, 0, 1], [0, 0, 0]], ["input", "conv5x5", "output"])
    with pytest.raises(InvalidArchitectureError, match="no path from the input to the output"):
        nb101_params([[0, 1, 0], [0, 0, 0], [0, 0, 0]], ops)
    with pytest.raises(InvalidArchitectureError, match="square"):
        nb101_params(np.zeros((3, 4), dtype=int), ops)
    chain = np.eye(8, k=1, dtype=int)  # 8 vertices on one path: too many even after pruning
    with pytest.raises(InvalidArchitectureError, match="at most 7"):
        nb101_params(chain, ["input"] + ["maxpool3x3"] * 6 + ["output"])
    with pytest.raises(InvalidArchitectureError, match="op codes"):
        nb201_params([0, 1, 2, 3, 4, 5])
