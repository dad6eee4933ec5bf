"""NASLib nb201_*_full_training.pickle loader, on SYNTHETIC fixtures in NASLib's layout, and NASLib op-index keys.

No NASLib data file can be downloaded here; tests/fixtures/make_fixtures.py writes a few cells with
made-up numbers from ``make_fixtures.value``.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from fixtures.make_fixtures import NASLIB_CELLS, NASLIB_FILE, naslib_record, value, write_naslib
from hypothesis import given
from hypothesis import strategies as st

import nasbench_lab
from nasbench_lab.errors import DataFileError, InvalidArchitectureError, UnknownNameError
from nasbench_lab.loaders.naslib_nb201 import NaslibNb201Loader, dataset_of_file, naslib_to_ops, ops_to_naslib

SPACE = nasbench_lab.space("nb201")
# NASLib's conventions (naslib/search_spaces/nasbench201/conversions.py), restated to check ours against
NASLIB_OPS = ("skip_connect", "none", "nor_conv_3x3", "nor_conv_1x1", "avg_pool_3x3")
NASLIB_EDGES = ((1, 2), (1, 3), (1, 4), (2, 3), (2, 4), (3, 4))


def naslib_string(indices) -> str:
    """The official string of a NASLib op-index tuple, as NASLib's convert_op_indices_to_str builds it."""
    by_edge = {edge: NASLIB_OPS[i] for edge, i in zip(NASLIB_EDGES, indices)}
    parts = [f"{by_edge[(i, j)]}~{i - 1}" for i, j in sorted(by_edge, key=lambda e: e[1])]
    return "|{}|+|{}|{}|+|{}|{}|{}|".format(*parts)


@given(st.lists(st.integers(0, 4), min_size=6, max_size=6))
def test_naslib_tuple_conversion_agrees_with_naslib_strings(indices):
    ours = naslib_to_ops(np.array(indices))
    np.testing.assert_array_equal(ours, SPACE.from_string(naslib_string(indices)))
    np.testing.assert_array_equal(ops_to_naslib(ours), indices)


@given(st.integers(0, SPACE.size - 1))
def test_naslib_tuple_round_trip_from_official_index(index):
    arch = SPACE.from_index(index)
    assert SPACE.index(naslib_to_ops(ops_to_naslib(arch))) == index
    batch = SPACE.from_index([index, (index + 1) % SPACE.size])
    np.testing.assert_array_equal(naslib_to_ops(ops_to_naslib(batch)), batch)


def test_naslib_tuple_positions_two_and_three_are_swapped():
    # NASLib position 2 is edge (1,4) = node 3 <- node 0; the official string has 2 <- 1 there
    text = naslib_string((1, 1, 2, 3, 1, 1))
    assert text == "|none~0|+|none~0|nor_conv_1x1~1|+|nor_conv_3x3~0|none~1|none~2|"
    np.testing.assert_array_equal(naslib_to_ops((1, 1, 2, 3, 1, 1)), [0, 0, 2, 3, 0, 0])


@pytest.mark.parametrize("bad", [(0, 1, 2), (0, 1, 2, 3, 4, 5), (0.5, 0, 0, 0, 0, 0)])
def test_bad_naslib_tuples(bad):
    with pytest.raises(InvalidArchitectureError, match="NASLib"):
        naslib_to_ops(np.array(bad))


def test_one_file_loads_its_dataset(tmp_path):
    path = write_naslib(tmp_path, "cifar10")
    bench = nasbench_lab.load("nb201", dataset="cifar10", path=path, cache_dir=tmp_path / "cache")
    assert bench.fidelities == tuple(range(1, 201))
    for index in NASLIB_CELLS:
        arch = SPACE.from_index(index)
        assert bench.query(arch, "valid_acc", 200) == pytest.approx(
            value(index, "200", "cifar10-valid", 0, "x-valid", "acc", 199), rel=1e-6)
        assert bench.query(arch, "valid_acc", 1) == pytest.approx(
            value(index, "200", "cifar10-valid", 0, "x-valid", "acc", 0), rel=1e-6)
        assert bench.query(arch, "train_loss", 30) == pytest.approx(
            value(index, "200", "cifar10-valid", 0, "train", "loss", 29), rel=1e-6)
        # cumulative seconds: from train_times, or (cell 42) cost_info's seconds per epoch
        per_epoch = value(index, "200", "cifar10-valid", 0, "train", "epoch_time", 0)
        assert bench.cost(arch, 50) == pytest.approx(50 * per_epoch, rel=1e-6)
        assert bench.query(arch, "params") == pytest.approx(value(index, "200", "cifar10-valid", 0, "train",
                                                                  "params", 0), rel=1e-6)
    assert np.isnan(bench.query(SPACE.from_index(1), "valid_acc", 200))
    np.testing.assert_array_equal(bench.indices_with_data(), sorted(NASLIB_CELLS))
    # NASLib's one eval curve is validation only here: no test metric is invented from it
    with pytest.raises(UnknownNameError, match="valid_acc"):
        bench.query(SPACE.from_index(0), "test_acc", 200)
    assert "naslib_eval" in bench.describe()["notes"]
    with pytest.raises(UnknownNameError, match="cifar10"):
        nasbench_lab.load("nb201", dataset="cifar100", path=path, cache_dir=tmp_path / "cache")


def test_a_folder_loads_every_file_it_holds(tmp_path):
    for ds in NASLIB_FILE:
        write_naslib(tmp_path / "naslib", ds)
    (tmp_path / "naslib" / "README.txt").write_text("other files are ignored")
    loader = NaslibNb201Loader()
    assert loader.accepts(tmp_path / "naslib") and not loader.accepts(tmp_path)
    bench = nasbench_lab.load("nb201", dataset="ImageNet16-120", path=tmp_path / "naslib", cache_dir=tmp_path / "c")
    assert bench.query(SPACE.from_index(6111), "valid_acc", 200) == pytest.approx(
        value(6111, "200", "ImageNet16-120", 0, "x-valid", "acc", 199), rel=1e-6)
    assert dataset_of_file(tmp_path / "naslib" / "nb201_ImageNet16-120_full_training.pickle") == "ImageNet16-120"


def test_op_index_tuple_keys(tmp_path):
    # some NASLib files key cells by op-index tuples in NASLib's order instead of strings
    arch = SPACE.from_index(777)
    data = {tuple(int(x) for x in ops_to_naslib(arch)): {"cifar100": naslib_record(777, "cifar100")}}
    path = tmp_path / "nb201_cifar100_full_training.pickle"
    path.write_bytes(pickle.dumps(data, protocol=4))
    bench = nasbench_lab.load("nb201", dataset="cifar100", path=path, cache_dir=tmp_path / "cache")
    assert bench.query(arch, "valid_acc", 200) == pytest.approx(
        value(777, "200", "cifar100", 0, "x-valid", "acc", 199), rel=1e-6)
    np.testing.assert_array_equal(bench.indices_with_data(), [777])


@pytest.mark.parametrize("data, problem", [
    ({"|nor_conv_9x9~0|+|none~0|none~1|+|none~0|none~1|none~2|": {}}, "unknown op"),
    ({(0, 1, 2): {}}, "6 integers"),
    ({"|none~0|+|none~0|none~1|+|none~0|none~1|none~2|": {"cifar10-valid": {}}}, "name says cifar100"),
    ({"|none~0|+|none~0|none~1|+|none~0|none~1|none~2|": {"mnist": {}}}, "unknown run 'mnist'"),
    ({"|none~0|+|none~0|none~1|+|none~0|none~1|none~2|": {"cifar100": {"eval_acc1es": 3.5}}}, "layout"),
    ([1, 2, 3], "dict keyed by architecture"),
])
def test_bad_naslib_content(tmp_path, data, problem):
    path = tmp_path / "nb201_cifar100_full_training.pickle"
    path.write_bytes(pickle.dumps(data, protocol=4))
    with pytest.raises(DataFileError, match=problem):
        nasbench_lab.load("nb201", dataset="cifar100", path=path, cache_dir=tmp_path / "cache")
