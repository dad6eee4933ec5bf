"""NATS-Bench topology loader, on SYNTHETIC fixtures in the official layout (tests/fixtures/make_fixtures.py).

No official NATS-tss-v1_0-3ffb9-simple archive can be downloaded here; the fixture cells hold made-up
numbers from ``make_fixtures.value`` so each test knows exactly what must land where.
"""

from __future__ import annotations

import numpy as np
import pytest
from fixtures.make_fixtures import NATS_CELLS, value, write_nats_simple, write_nats_single_file

import nasbench_lab
from nasbench_lab.api import table_file
from nasbench_lab.benchmarks.spec import BENCHMARKS
from nasbench_lab.errors import ConfigError, UnknownNameError
from nasbench_lab.loaders.nats import METRIC_SOURCES, NatsTopologyLoader, Source

SPACE = nasbench_lab.space("nb201")


@pytest.fixture(scope="module")
def nats(tmp_path_factory):
    """(folder, cache dir) with the folder converted once for the whole module."""
    root = tmp_path_factory.mktemp("nats")
    folder = write_nats_simple(root / "NATS-tss-v1_0-3ffb9-simple")
    cache = root / "cache"
    table_file(BENCHMARKS.get("nb201"), folder, cache_dir=cache)  # converts (and caches) once
    return folder, cache


@pytest.fixture(scope="module")
def loaded(nats):
    """Benchmarks loaded through ``nasbench_lab.load`` from the converted folder, one per dataset."""
    folder, cache = nats
    benches: dict = {}
    yield lambda ds: benches.setdefault(ds, nasbench_lab.load("nb201", dataset=ds, path=folder, cache_dir=cache))
    benches.clear()


def test_official_order_spot_checks_from_the_nats_source():
    # tss-collect.py asserts these strings at indices 0, 9 and 123 of the official order
    assert SPACE.to_string(SPACE.from_index(9)) == (
        "|avg_pool_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|nor_conv_3x3~2|")
    assert SPACE.to_string(SPACE.from_index(123)) == (
        "|avg_pool_3x3~0|+|avg_pool_3x3~0|nor_conv_1x1~1|+|none~0|avg_pool_3x3~1|nor_conv_3x3~2|")


def test_cifar10_values_land_at_index_metric_fidelity_seed(loaded):
    bench = loaded("cifar10")
    assert bench.fidelities == tuple(range(1, 201))
    arch = SPACE.from_index(0)
    for slot, seed in enumerate((777, 888, 999)):
        # search metric: the 'cifar10-valid' runs' x-valid split; epoch e is fidelity e + 1
        assert bench.query(arch, "valid_acc", 200, seed=slot) == pytest.approx(
            value(0, "200", "cifar10-valid", seed, "x-valid", "acc", 199), rel=1e-6)
        assert bench.query(arch, "valid_acc", 1, seed=slot) == pytest.approx(
            value(0, "200", "cifar10-valid", seed, "x-valid", "acc", 0), rel=1e-6)
        assert bench.query(arch, "valid_loss", 50, seed=slot) == pytest.approx(
            value(0, "200", "cifar10-valid", seed, "x-valid", "loss", 49), rel=1e-6)
        # fidelity 12 is the final epoch of the separate 12-epoch schedule, not epoch 12 of the long one
        assert bench.query(arch, "valid_acc", 12, seed=slot) == pytest.approx(
            value(0, "12", "cifar10-valid", seed, "x-valid", "acc", 11), rel=1e-6)
        # report metric: the 'cifar10' runs (all 50k training images), original test set
        assert bench.query(arch, "test_acc", 200, seed=slot) == pytest.approx(
            value(0, "200", "cifar10", seed, "ori-test", "acc", 199), rel=1e-6)
        assert bench.query(arch, "train_acc", 100, seed=slot) == pytest.approx(
            value(0, "200", "cifar10", seed, "train", "acc", 99), rel=1e-6)
    mean = np.mean([value(0, "200", "cifar10-valid", s, "x-valid", "acc", 199) for s in (777, 888, 999)])
    assert bench.query(arch, "valid_acc", 200) == pytest.approx(mean, rel=1e-6)
    # cumulative training seconds of the 'cifar10' runs; fidelity 12 from the 12-epoch schedule
    per_epoch = value(0, "200", "cifar10", 777, "train", "epoch_time", 0)
    assert bench.query(arch, "train_time", 37) == pytest.approx(37 * per_epoch, rel=1e-6)
    assert bench.cost(arch, 12) == pytest.approx(12 * per_epoch, rel=1e-6)
    assert bench.query(arch, "params", 200) == pytest.approx(value(0, "200", "cifar10", 777, "train", "params", 0))
    assert bench.query(arch, "flops", 1) == pytest.approx(value(0, "200", "cifar10", 777, "train", "flops", 0))
    assert bench.query(arch, "latency") == pytest.approx(value(0, "200", "cifar10", 777, "train", "latency", 0))
    assert "777, 888, 999" in bench.describe()["notes"]["seeds"]


def test_missing_cells_and_seeds_are_nan(loaded):
    bench = loaded("cifar10")
    np.testing.assert_array_equal(bench.indices_with_data("valid_acc", 200), sorted(NATS_CELLS))
    assert np.isnan(bench.query(SPACE.from_index(1), "valid_acc", 200))
    assert not bench.has_data(SPACE.from_index(1))
    # cell 6111 has seeds 777, 888 in the 200-epoch runs and only 777 in the 12-epoch ones
    arch = SPACE.from_index(6111)
    assert np.isnan(bench.query(arch, "valid_acc", 200, seed=2))
    assert np.isnan(bench.query(arch, "valid_acc", 12, seed=1))
    assert bench.query(arch, "valid_acc", 12) == pytest.approx(
        value(6111, "12", "cifar10-valid", 777, "x-valid", "acc", 11), rel=1e-6)
    assert bench.query(arch, "valid_acc", 200, seed=1) == pytest.approx(
        value(6111, "200", "cifar10-valid", 888, "x-valid", "acc", 199), rel=1e-6)


def test_cifar100_splits(loaded):
    bench = loaded("cifar100")
    arch = SPACE.from_index(15624)
    for metric, split in (("valid_acc", "x-valid"), ("test_acc", "x-test"), ("valtest_acc", "ori-test")):
        assert bench.query(arch, metric, 200, seed=0) == pytest.approx(
            value(15624, "200", "cifar100", 777, split, "acc", 199), rel=1e-6)
    info = bench.describe()["metrics"]
    assert info["valtest_acc"]["kind"] == "test" and info["valid_acc"]["kind"] == "validation"
    # cell 123 records x-test only after the final epoch (old-style records): NaN elsewhere
    cell = SPACE.from_index(123)
    assert np.isfinite(bench.query(cell, "test_acc", 200))
    assert np.isnan(bench.query(cell, "test_acc", 100))
    assert np.isfinite(bench.query(cell, "valid_acc", 100))


def test_imagenet_uses_the_same_split_names_as_cifar100():
    # (loading a third 400 MB dataset here would only repeat test_cifar100_splits)
    for metric, src in METRIC_SOURCES["cifar100"].items():
        assert METRIC_SOURCES["ImageNet16-120"][metric] == Source("ImageNet16-120", src.split, src.quantity)
    assert METRIC_SOURCES["cifar10"]["valid_acc"] == Source("cifar10-valid", "x-valid", "acc")
    assert METRIC_SOURCES["cifar10"]["test_acc"] == Source("cifar10", "ori-test", "acc")


def test_bad_queries_on_nats_table(loaded):
    bench = loaded("cifar100")
    arch = SPACE.from_index(0)
    with pytest.raises(UnknownNameError, match="fidelity"):
        bench.query(arch, "valid_acc", 201)
    with pytest.raises(UnknownNameError, match="valtest_acc"):
        bench.query(arch, "accuracy", 200)
    with pytest.raises(ConfigError, match="0..2"):
        bench.query(arch, "valid_acc", 200, seed=3)


@pytest.mark.slow  # a second full conversion (about 1 GB of dense arrays)
def test_single_file_form_matches_the_folder(nats, loaded, tmp_path):
    cells = {0: {}, 6111: NATS_CELLS[6111]}
    single = write_nats_single_file(tmp_path / "NATS-tss-v1_0-3ffb9.pickle.pbz2", cells)
    loader = NatsTopologyLoader()
    assert loader.accepts(single) and loader.accepts(nats[0])
    table = loader.convert(single).datasets["cifar10"]
    folder = loaded("cifar10").table
    for metric in ("valid_acc", "test_acc", "train_time", "params"):
        np.testing.assert_array_equal(table.metrics[metric].values[[0, 6111]], folder.metrics[metric].values[[0, 6111]])
    assert np.isnan(table.metrics["valid_acc"].values[15624]).all()
