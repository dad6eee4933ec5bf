"""build-table and live-check: a user's own HDF5 table, resuming, and the live-vs-tabular comparison."""

from __future__ import annotations

import json

import numpy as np
import pytest

import nasbench_lab
from nasbench_lab.cli.main import main
from nasbench_lab.errors import ConfigError
from nasbench_lab.live.jobs import RunStore, TrainJob
from nasbench_lab.live.records import EpochRecord, RunResult
from nasbench_lab.live.table import build_table, results_to_table, runs_folder, sample_indices

torch = pytest.importorskip("torch")

TINY = TrainJob(space="nb201", epochs=1, macro={"C": 2, "N": 1})


def test_build_table_writes_a_loadable_partial_table_and_resumes(tmp_path):
    out = tmp_path / "mine.h5"
    cells = [5, 77, 9000]
    calls = []
    path, results = build_table(TINY, cells, [0], out)
    assert len(results) == 3 and all(r.finished for r in results.values())
    bench = nasbench_lab.load(path)
    assert bench.name == "live-nb201" and bench.dataset == "digits" and bench.space.name == "nb201"
    np.testing.assert_array_equal(bench.indices_with_data("valid_acc"), cells)
    acc = bench.query_index(cells, "valid_acc")
    assert np.all((acc > 0) & (acc <= 100))
    assert np.isnan(bench.query_index([6], "valid_acc"))  # not trained: NaN
    assert bench.cost(bench.space.from_index(5)) > 0  # measured train_time is the cost
    assert "not CIFAR" in bench.describe()["notes"]["data"]
    # a rerun with one more cell trains only that cell; finished runs are reused from disk
    before = {p.name: p.stat().st_mtime_ns for p in runs_folder(out).glob("*_0.json")}
    from nasbench_lab.live import jobs

    original = jobs.train_one
    jobs.train_one = lambda *a, **k: calls.append(a[1]) or original(*a, **k)
    try:
        build_table(TINY, cells + [12], [0], out)
    finally:
        jobs.train_one = original
    assert calls == [12]
    assert all(runs_folder(out).joinpath(n).stat().st_mtime_ns == t for n, t in before.items())
    assert len(nasbench_lab.load(out).indices_with_data("valid_acc")) == 4


def test_other_settings_in_the_same_folder_are_refused(tmp_path):
    RunStore(tmp_path / "runs", TINY).open()
    other = TrainJob(space="nb201", epochs=2, macro={"C": 2, "N": 1})
    with pytest.raises(ConfigError, match="differing: epochs"):
        RunStore(tmp_path / "runs", other).open()
    with pytest.raises(ConfigError, match=r"\.h5"):
        build_table(TINY, [1], [0], tmp_path / "table.csv")
    with pytest.raises(ConfigError, match="not one|enumerable"):
        build_table(TrainJob(space="darts"), [1], [0], tmp_path / "d.h5")
    with pytest.raises(ConfigError, match="sample size"):
        sample_indices(nasbench_lab.space("nb201"), 0)


def test_a_diverged_run_leaves_nan_after_it_and_keeps_the_others():
    """Synthetic records (mechanics only): one run diverged in epoch 2, another finished."""
    def record(epoch):
        return EpochRecord(epoch, 1.0, 50.0, 1.0, 60.0 + epoch, 1.0, 55.0, float(epoch), 0.1, 0.1)

    job = TrainJob(space="nb201", epochs=3)
    ok = RunResult("nb201", "a", 0, 3, "digits", [record(1), record(2), record(3)], params=0.1)
    bad = RunResult("nb201", "b", 0, 3, "digits", [record(1)], status="diverged", message="b diverged", params=0.2)
    table = results_to_table(job, {(3, 0): ok, (4, 0): bad}, 10, [0])
    valid = table.datasets["digits"].metrics["valid_acc"].values
    np.testing.assert_array_equal(valid[3, 0], [61, 62, 63])
    assert valid[4, 0, 0] == 61 and np.isnan(valid[4, 0, 1:]).all()
    assert json.loads(table.attrs["diverged"]) == ["b diverged"]


def test_cli_build_table_and_info(tmp_path, capsys):
    out = tmp_path / "cli.h5"
    code = main(["--quiet", "build-table", "--space", "nb201", "--indices", "3,4", "--epochs", "1", "--seeds", "2",
                 "--macro", "C=2", "--macro", "N=1", "--workers", "1", "--out", str(out), "--json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["runs"] == 4 and summary["diverged"] == []
    assert main(["info", "--benchmark", str(out), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["benchmark"] == "live-nb201" and info["metrics"]["valid_acc"]["seeds"] == {"1": 2}
    assert main(["--quiet", "build-table", "--space", "nb201", "--epochs", "1", "--out", str(out)]) == 2
    assert "give --sample N" in capsys.readouterr().err


@pytest.mark.realdata
def test_live_check_compares_rankings_and_says_digits_is_not_cifar(nb201_c10, tmp_path):
    from nasbench_lab.live.check import check_sample, live_check

    cells = check_sample(nb201_c10, 4, seed=1)
    job = TrainJob(space="nb201", epochs=1, macro={"C": 2, "N": 1})
    result = live_check(nb201_c10, cells, job=job, store_dir=tmp_path / "runs", plot=tmp_path / "check.png")
    assert [a.table_metric for a in result.agreements] == ["valid_acc", "test_acc"]
    assert all(a.n == 4 and -1 <= a.spearman <= 1 for a in result.agreements)
    assert "trained on digits" in result.note and "not on cifar10" in result.note
    assert (tmp_path / "check.png").stat().st_size > 1000
    assert len(list((tmp_path / "runs").glob("*_0.json"))) == 4


@pytest.mark.slow
def test_build_table_with_a_process_pool(tmp_path):
    path, results = build_table(TINY, [1, 2, 3, 4], [0], tmp_path / "pool.h5", workers=2)
    assert len(results) == 4 and len(nasbench_lab.load(path).indices_with_data()) == 4


@pytest.mark.slow
def test_build_table_on_a_dask_cluster(tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cl:
        path, results = build_table(TINY, [7, 8], [0], tmp_path / "dask.h5", scheduler=cl.scheduler_address)
    assert len(results) == 2 and all(r.finished for r in results.values())
    np.testing.assert_array_equal(nasbench_lab.load(path).indices_with_data(), [7, 8])
