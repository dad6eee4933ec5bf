"""The NB201 data folder read as one table (nb201_tables.csv + nb201_seed_valid_latency.csv), on the real files.

Per-seed 200-epoch x-valid accuracy of CIFAR-100 and ImageNet16-120 replaces the seed-mean identity
``2 * valtest - test``, so ``valid_seed="random"`` sees seed noise on every dataset, as on CIFAR-10.
"""

from __future__ import annotations

import shutil
import warnings

import numpy as np
import pytest
from conftest import assert_tables_equal, shared_file

import nasbench_lab
from nasbench_lab.errors import DataNote
from nasbench_lab.search import run

SEED_FILE = "nb201_seed_valid_latency.csv"


@pytest.fixture(scope="module")
def folder():
    shared_file(f"nb201/{SEED_FILE}")
    return shared_file("nb201/nb201_tables.csv").parent


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("nb201_folder_cache")


def _pair(folder, cache, dataset):
    """(from the folder, from nb201_tables.csv alone) for ``dataset``."""
    return (nasbench_lab.load("nb201", dataset, path=folder, cache_dir=cache),
            nasbench_lab.load("nb201", dataset, path=folder / "nb201_tables.csv", cache_dir=cache))


@pytest.mark.parametrize(("dataset", "max_off", "best", "best_index"),
                         [("cifar100", 0.011, 73.49, 9930), ("ImageNet16-120", 0.085, 46.73, 10676)])
def test_seed_means_agree_with_the_identity(folder, cache, dataset, max_off, best, best_index):
    seeds, identity = _pair(folder, cache, dataset)
    every = np.arange(15625)
    got = seeds.query_index(every, "valid_acc", 200)
    expected = identity.query_index(every, "valid_acc", 200)
    off = np.abs(got - expected)
    assert np.isfinite(got).all()
    assert off.mean() < 2e-4  # README: 1e-4 on average
    assert off.max() <= max_off  # cells whose two sources' seed sets differ: at most 0.01 / 0.08
    assert 50 < int((off > 1e-3).sum()) < 400  # 174 CIFAR-100 and 126 ImageNet16-120 cells today
    assert got.max() == pytest.approx(best, abs=0.005) and int(got.argmax()) == best_index
    # every other metric (12-epoch valid, test, valtest, times, sizes) is that of the single file
    for metric in ("test_acc", "valtest_acc", "train_time", "params"):
        for fid in seeds.metric_fidelities(metric):
            np.testing.assert_array_equal(seeds.query_index(every, metric, fid),
                                          identity.query_index(every, metric, fid))
    np.testing.assert_array_equal(seeds.query_index(every, "valid_acc", 12),
                                  identity.query_index(every, "valid_acc", 12))


@pytest.mark.parametrize("dataset", ["cifar100", "ImageNet16-120"])
def test_describe_says_which_source_valid_acc_uses(folder, cache, dataset):
    seeds, identity = _pair(folder, cache, dataset)
    note = seeds.describe()["notes"]["valid_acc@200"]
    assert f"valid_acc @200 on {dataset}: per-seed x-valid (2 or 3 seeds per cell" in note
    assert "from nb201_seed_valid_latency.csv" in note and "nb201_tables.csv" not in note
    assert "derived" not in seeds.describe()["notes"]
    assert seeds.describe()["metrics"]["valid_acc"]["seeds"] == {"12": "mean only", "200": 3}
    assert "the mean of seeds via 2*valtest - test" in identity.describe()["notes"]["valid_acc@200"]
    assert identity.describe()["metrics"]["valid_acc"]["seeds"] == {"12": "mean only", "200": "mean only"}


@pytest.mark.parametrize("dataset", ["cifar100", "ImageNet16-120"])
def test_random_valid_seed_draws_a_real_seed(folder, cache, dataset):
    bench, identity = _pair(folder, cache, dataset)
    noisy = run(bench, "rs", seed=3, budget=60, valid_seed="random")
    mean = run(bench, "rs", seed=3, budget=60, valid_seed="mean")
    np.testing.assert_array_equal(noisy.archs, mean.archs)  # random search: the same cells either way
    assert (noisy.valid != mean.valid).mean() > 0.9  # a drawn seed, not the mean
    assert np.abs(noisy.valid - mean.valid).max() < 10
    again = run(bench, "rs", seed=3, budget=60, valid_seed="random")
    np.testing.assert_array_equal(again.valid, noisy.valid)  # same seed, same draws
    # with the identity there is no seed to draw: "random" is the mean
    flat = run(identity, "rs", seed=3, budget=60, valid_seed="random")
    np.testing.assert_array_equal(flat.valid, run(identity, "rs", seed=3, budget=60, valid_seed="mean").valid)
    per_seed = bench.query_index(np.arange(15625), "valid_acc", 200, seed=np.random.default_rng(0))
    per_mean = bench.query_index(np.arange(15625), "valid_acc", 200)
    assert (per_seed != per_mean).mean() > 0.9


def test_cifar10_unchanged_and_official_gpu_latency(folder, cache):
    seeds, single = _pair(folder, cache, "cifar10")
    assert_tables_equal(type(single.table)(name="cifar10", space="nb201", fidelities=seeds.table.fidelities,
                                           metrics={m: t for m, t in seeds.table.metrics.items()
                                                    if not m.startswith("latency")}),
                        single.table, "cifar10 from the folder")
    info = seeds.describe()["metrics"]["latency"]
    assert info["unit"] == "s" and info["coverage"] == 1.0 and info["kind"] == "cost"
    lat = seeds.query_index(np.arange(3), "latency", 200)
    np.testing.assert_allclose(lat, [0.0139359759, 0.0168525859, 0.0144279714], rtol=1e-6)  # rows 0-2 of the file
    np.testing.assert_array_equal(seeds.query_index(np.arange(3), "latency", 12), lat)  # one value for all fidelities


def test_an_edited_or_added_seed_file_is_converted_again(folder, tmp_path):
    mine = tmp_path / "nb201"
    mine.mkdir()
    shutil.copy(folder / "nb201_tables.csv", mine)
    cache = tmp_path / "cache"
    before = nasbench_lab.load("nb201", "cifar100", path=mine, cache_dir=cache)
    assert "2*valtest" in before.describe()["notes"]["valid_acc@200"]
    shutil.copy(folder / SEED_FILE, mine)  # a file added to the folder: the cache no longer answers
    added = nasbench_lab.load("nb201", "cifar100", path=mine, cache_dir=cache)
    assert "per-seed x-valid" in added.describe()["notes"]["valid_acc@200"]
    text = (mine / SEED_FILE).read_text()
    (mine / SEED_FILE).write_text(text.replace(",51.880000;53.080000;53.140000,", ",41.880000;53.080000;53.140000,", 1))
    with pytest.warns(DataNote, match=f"{SEED_FILE} changed since it was converted"):
        edited = nasbench_lab.load("nb201", "cifar100", path=mine, cache_dir=cache)
    assert edited.query_index([0], "valid_acc", 200, seed=0)[0] == pytest.approx(41.88)
    assert added.query_index([0], "valid_acc", 200, seed=0)[0] == pytest.approx(51.88)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # unchanged now: the cache answers, no note
        nasbench_lab.load("nb201", "cifar100", path=mine, cache_dir=cache)
    (mine / SEED_FILE).unlink()  # removed: back to the identity
    assert "2*valtest" in nasbench_lab.load("nb201", "cifar100", path=mine,
                                            cache_dir=cache).describe()["notes"]["valid_acc@200"]
