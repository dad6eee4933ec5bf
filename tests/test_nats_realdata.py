"""The NATS-Bench topology loader on four REAL files of the official archive (meta + cells 0, 11, 284).

``../shared/data/nb201/NATS-tss-v1_0-3ffb9-simple-sample/`` is a partial copy of
``NATS-tss-v1_0-3ffb9-simple``: per-epoch curves of 3 cells, every seed, both schedules. The generated
fixtures of tests/test_loaders_nats.py pin where each value lands; these check the real layout, a
multi-fidelity search over epochs 1..200, and agreement with the official ``nats_bench`` package.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import shared_file

import nasbench_lab
from nasbench_lab.loaders.table_csv import write_tidy_csv
from nasbench_lab.search import run
from nasbench_lab.search.hyperband import rung_ladder
from nasbench_lab.tables.table import DatasetTable

pytestmark = pytest.mark.realdata

CELLS = (0, 11, 284)
DATASETS = ("cifar10", "cifar100", "ImageNet16-120")


@pytest.fixture(scope="module")
def sample():
    return shared_file("nb201/NATS-tss-v1_0-3ffb9-simple-sample")


@pytest.fixture(scope="module")
def nats(sample, tmp_path_factory):
    """Benchmarks of the sample folder by dataset (converted once)."""
    cache = tmp_path_factory.mktemp("nats_real_cache")
    return {ds: nasbench_lab.load("nb201", ds, path=sample, cache_dir=cache) for ds in DATASETS}


def test_real_cells_equal_the_flat_table(nats):
    flat_path = shared_file("nb201/nb201_tables.csv")
    for ds in DATASETS:
        bench = nats[ds]
        flat = nasbench_lab.load("nb201", ds, path=flat_path)
        assert bench.fidelities == tuple(range(1, 201))
        for fid in (12, 200):
            np.testing.assert_allclose(bench.query_index(CELLS, "test_acc", fid),
                                       flat.query_index(CELLS, "test_acc", fid), atol=1e-4)
        # cells the sample lacks query as NaN; the three it has are complete over epochs 1..200
        assert np.isnan(bench.query_index([1, 15624], "test_acc", 200)).all()
        # the official files evaluate CIFAR-100/ImageNet16-120's halves x-valid and x-test only after the last
        # epoch of each schedule; per epoch they hold train and ori-test (valtest) only
        curve_metric = "valid_acc" if ds == "cifar10" else "valtest_acc"
        curve = np.stack([bench.query_index(CELLS, curve_metric, f) for f in bench.fidelities])
        assert np.isfinite(curve).all() and (curve[-1] > curve[0]).all()
        if ds != "cifar10":
            assert bench.metric_fidelities("valid_acc") == bench.metric_fidelities("test_acc") == (12, 200)
    np.testing.assert_allclose(nats["cifar10"].query_index(CELLS, "test_acc", 200), [85.8633, 91.5833, 88.79],
                               atol=1e-4)  # README: equal to nb201_tables.csv
    # CIFAR-10's search metric is the cifar10-valid runs' x-valid: per seed, as in the flat table
    c10 = nats["cifar10"]
    flat_c10 = nasbench_lab.load("nb201", "cifar10", path=flat_path)
    seeds = c10.describe()["notes"]["seeds"]
    assert "[111, 777, 888, 999]" in seeds  # the 12-epoch schedule was also run with seed 111
    for slot in (1, 2, 3):  # 777, 888, 999 at 200 epochs; the flat table lists them in that order
        np.testing.assert_allclose(c10.query_index(CELLS, "valid_acc", 200, seed=slot),
                                   flat_c10.query_index(CELLS, "valid_acc", 200, seed=slot - 1), atol=1e-4)


@pytest.mark.parametrize("algorithm", ["hb", "bohb"])
def test_multi_fidelity_search_over_epochs_1_to_200(nats, tmp_path, algorithm):
    """hb/bohb on the real curves: rungs of the epoch ladder, every value the table's own."""
    bench = nats["cifar10"]
    keep = {m: bench.table.metrics[m] for m in ("valid_acc", "test_acc", "train_time")}
    path = tmp_path / "nats_3cells.csv"
    write_tidy_csv(path, bench.space, {"cifar10": DatasetTable("cifar10", "nb201", bench.table.fidelities, keep)},
                   rows=np.array(CELLS))
    three = nasbench_lab.load(path=path)  # a listed space of exactly the 3 cells: search cannot leave it
    assert three.space.size == 3
    traj = run(three, algorithm, seed=0, budget=150)
    ladder = rung_ladder(three.fidelities, 3.0)
    assert ladder == [2, 7, 22, 66, 200]
    assert set(traj.fidelity.tolist()) <= set(ladder) and len(set(traj.fidelity.tolist())) == 5
    assert np.isfinite(traj.valid).all() and np.isfinite(traj.test).all()
    index = bench.space.index(traj.archs)
    assert set(index.tolist()) <= set(CELLS)
    for i, fid, seen in zip(index, traj.fidelity, traj.valid):  # a drawn seed's value of that cell and epoch
        per_seed = bench.table.metrics["valid_acc"].values[i, :, bench.fidelities.index(fid)]
        assert np.isclose(per_seed, seen, atol=1e-4).any()
    assert np.array_equal(run(three, algorithm, seed=0, budget=150).valid, traj.valid)


def test_conformance_with_the_official_nats_bench_package(sample, nats):
    """All 36 values (3 cells x 3 datasets x 12/200 epochs x valid/test): ours equal the official API's."""
    nats_bench = pytest.importorskip("nats_bench", reason="the official nats_bench package is not installed "
                                                          "(pip install nats_bench, a dev dependency)")
    # the official API unpickles with pickle: fine here (the reference implementation on trusted shared files)
    api = nats_bench.create(str(sample), "tss", fast_mode=True, verbose=False)
    compared = 0
    for cell in CELLS:
        for ds in DATASETS:
            for hp in ("12", "200"):
                valid_run = "cifar10-valid" if ds == "cifar10" else ds
                official_valid = api.get_more_info(cell, valid_run, hp=hp, is_random=False)["valid-accuracy"]
                official_test = api.get_more_info(cell, ds, hp=hp, is_random=False)["test-accuracy"]
                ours = nats[ds]
                assert ours.query_index([cell], "valid_acc", int(hp))[0] == pytest.approx(official_valid, abs=1e-4)
                assert ours.query_index([cell], "test_acc", int(hp))[0] == pytest.approx(official_test, abs=1e-4)
                compared += 2
    assert compared == 36
