"""Predictor evaluation protocol: splits, resumable results, errors, CLI, and the real NB201 figures."""

from __future__ import annotations

import json
from dataclasses import asdict

import numpy as np
import pytest
from conftest import shared_file
from scipy.stats import spearmanr

import nasbench_lab
from nasbench_lab.benchmarks.proxies import ProxyBenchmark
from nasbench_lab.cli.main import main
from nasbench_lab.errors import ConfigError
from nasbench_lab.loaders.suite_zero import ProxyRecords
from nasbench_lab.predictors import Predictor, PredictorError, register_predictor
from nasbench_lab.predictors.evaluation import Evaluation, Protocol, evaluate_predictors, make_split


@pytest.fixture(scope="module")
def synthetic_bench():
    """A synthetic benchmark over all NB201 cells (values made up from the encoding: mechanics only)."""
    sp = nasbench_lab.space("nb201")
    archs = sp.all()
    rng = np.random.default_rng(0)
    y = sp.encode(archs, "onehot") @ np.linspace(-2, 3, 30) + rng.normal(0, 0.3, len(archs))
    rec = ProxyRecords("nb201", "synthetic", "nb201", archs, 80 + y, {"score": y + rng.normal(0, 1, len(y))})
    return ProxyBenchmark(rec)


def test_split_is_fixed_and_nested(synthetic_bench):
    protocol = Protocol(sizes=(10, 50), seeds=3, test_size=1000)
    a, b = make_split(synthetic_bench, protocol), make_split(synthetic_bench, protocol)
    np.testing.assert_array_equal(a.test_archs, b.test_archs)
    assert len(a.test_y) == 1000 and all(len(t) == 50 for t in a.train_archs)
    sp = synthetic_bench.space
    test_keys = set(sp.keys(a.test_archs).tolist())
    for t in a.train_archs:  # training never overlaps the test set
        assert not test_keys & set(sp.keys(t).tolist())
    assert not np.array_equal(a.train_archs[0], a.train_archs[1])


def test_sizes_larger_than_data_raise(synthetic_bench):
    with pytest.raises(ConfigError, match="training size 20000 is larger than the 10625 architectures left"):
        make_split(synthetic_bench, Protocol(sizes=(20000,), test_size=5000))
    with pytest.raises(ConfigError, match="test_size 15625 leaves no training data"):
        make_split(synthetic_bench, Protocol(sizes=(10,), test_size=15625))
    with pytest.raises(ConfigError, match="integers >= 0 \\(0: zero-label predictors only"):
        Protocol(sizes=(-1, 10))


def test_results_resume_and_are_deterministic(synthetic_bench, tmp_path):
    protocol = Protocol(sizes=(20, 100), seeds=2, test_size=2000)
    ev = evaluate_predictors(synthetic_bench, ["xgb", "blr"], protocol, out_dir=tmp_path)
    summary = ev.summary()
    assert set(summary) == {"xgb", "blr"} and set(summary["xgb"]) == {"20", "100"}
    assert len(summary["xgb"]["100"]["kendall_tau"]) == 2
    assert np.mean(summary["xgb"]["100"]["kendall_tau"]) > 0.5
    record = tmp_path / "runs" / "xgb" / "n100_s1.json"
    before = json.loads(record.read_text())
    record.unlink()
    again = Evaluation(synthetic_bench, ["xgb", "blr"], protocol, out_dir=tmp_path)
    assert [(s.name, seed) for s, seed in again.pending()] == [("xgb", 1)]
    again.run()
    after = json.loads(record.read_text())
    assert after["kendall_tau"] == before["kendall_tau"] and after["spearman"] == before["spearman"]
    with pytest.raises(ConfigError, match="different protocol"):
        Evaluation(synthetic_bench, ["xgb"], Protocol(sizes=(20,), seeds=2, test_size=2000), out_dir=tmp_path)


def test_parallel_workers_give_the_same_records(synthetic_bench, tmp_path):
    protocol = Protocol(sizes=(20, 50), seeds=2, test_size=1000)
    serial = evaluate_predictors(synthetic_bench, ["gp", "knn"], protocol)
    parallel = evaluate_predictors(synthetic_bench, ["gp", "knn"], protocol, n_jobs=2, out_dir=tmp_path)

    def untimed(records):  # every field but the measured seconds
        return {key: {**asdict(r), "fit_s": None, "predict_s": None} for key, r in records.items()}

    assert len(serial.records) == 8 and untimed(parallel.records) == untimed(serial.records)
    assert serial.predictions.keys() == parallel.predictions.keys()
    for key, pred in serial.predictions.items():
        np.testing.assert_array_equal(parallel.predictions[key], pred)
    on_disk = Evaluation(synthetic_bench, ["gp", "knn"], protocol, out_dir=tmp_path)  # each stored as it finished
    assert not on_disk.pending() and untimed(on_disk.records) == untimed(serial.records)


@register_predictor("test_constant")
class _Constant(Predictor):
    """Predicts one value for everything: rank correlations are undefined."""

    def _fit(self, X, y):
        self.value = float(y.mean())

    def _predict(self, X):
        return np.full(len(X), self.value)


def test_constant_predictions_raise_naming_the_predictor(synthetic_bench):
    with pytest.raises(PredictorError, match="predictor test_constant predicted the same value for all 500"):
        evaluate_predictors(synthetic_bench, ["test_constant"], Protocol(sizes=(10,), seeds=1, test_size=500))


# --------------------------------------------------------------------------------- CLI
@pytest.mark.realdata
def test_cli_predictors_writes_summary_and_plots(nb201_csv, tmp_path, capsys):
    out = tmp_path / "eval"
    code = main(["--quiet", "predictors", "--benchmark", "nb201", "--dataset", "cifar10", "--path", str(nb201_csv),
                 "--predictors", "xgb,blr", "--sizes", "20,100", "--seeds", "2", "--test-size", "1000",
                 "--out", str(out), "--jobs", "1"])
    assert code == 0
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary) == {"xgb", "blr"}
    for name in summary:
        assert set(summary[name]) == {"20", "100"}
        for field in ("kendall_tau", "spearman", "fit_s"):
            assert len(summary[name]["100"][field]) == 2
    for plot in ("kendall_tau_vs_size.png", "spearman_vs_size.png", "scatter_n20.png", "scatter_n100.png"):
        assert (out / "plots" / plot).stat().st_size > 1000
    assert "| xgb |" in (out / "table.md").read_text()
    assert "tau n=100" in capsys.readouterr().out


@pytest.mark.realdata
def test_cli_predictors_rejects_sizes_beyond_data(nb201_csv, tmp_path, capsys):
    code = main(["predictors", "--benchmark", "nb201", "--path", str(nb201_csv), "--predictors", "xgb",
                 "--sizes", "12000", "--test-size", "5000", "--out", str(tmp_path)])
    assert code == 2
    assert "training size 12000 is larger than the 10625 architectures left" in capsys.readouterr().err


def test_cli_proxies_on_a_suite_zero_file(tmp_path, capsys):
    """A synthetic file in the official layout (made-up scores: tests the command's outputs only)."""
    rng = np.random.default_rng(1)
    sp = nasbench_lab.space("nb201")
    naslib_of = {1: 0, 0: 1, 3: 2, 2: 3, 4: 4}  # official op code -> NASLib index
    doc = {}
    for dataset in ("cifar10", "cifar100"):
        entries = {}
        for arch in sp.sample(rng, 40):
            acc = float(rng.uniform(50, 90))
            key = str(tuple(naslib_of[int(c)] for c in arch))
            entries[key] = {"val_accuracy": acc, "synflow": {"score": acc + rng.normal(), "time": 0.1},
                            "grasp": {"score": float(rng.normal()), "time": 0.2}}
        doc[dataset] = entries
    path = tmp_path / "zc.json"
    path.write_text(json.dumps(doc))
    out = tmp_path / "proxies"
    assert main(["--quiet", "proxies", str(path), "--out", str(out)]) == 0
    result = json.loads((out / "proxies.json").read_text())
    rows = {(r["proxy"], r["dataset"]): r for r in result["correlations"]}
    assert rows[("synflow", "cifar10")]["spearman"] > 0.9
    assert abs(rows[("grasp", "cifar10")]["spearman"]) < 0.5
    assert rows[("synflow", "cifar10")]["published_spearman"] == 0.74
    assert (out / "plots" / "spearman_heatmap.png").exists() and (out / "plots" / "scatter_cifar100.png").exists()
    assert "| synflow |" in capsys.readouterr().out


# ---------------------------------------------------------------------- real NB201 figures
@pytest.mark.realdata
@pytest.mark.slow
def test_nb201_cifar10_predictor_figures(nb201_c10):
    """The issue's checks: 10 seeds, 5,000 held-out cells, CIFAR-10 valid_acc (200 epochs)."""
    protocol = Protocol(sizes=(100, 1000), seeds=10, test_size=5000)
    summary = evaluate_predictors(nb201_c10, ["xgb", "gp", "lc_xgb"], protocol, n_jobs=2).summary()
    tau = {name: {int(s): float(np.mean(v["kendall_tau"])) for s, v in per.items()} for name, per in summary.items()}
    print("\nNB201 CIFAR-10 mean Kendall tau over 10 seeds:", tau)
    assert tau["xgb"][100] >= 0.45 and tau["xgb"][1000] >= 0.70
    assert max(tau["xgb"][100], tau["gp"][100]) >= 0.50  # best encoding-only predictor
    assert tau["lc_xgb"][100] >= 0.60  # with the 12-epoch accuracy as a feature


@pytest.mark.realdata
def test_nb201_12_epoch_accuracy_as_predictor_of_200_epochs(nb201_c10):
    archs = nb201_c10.space.all()
    low = nb201_c10.query(archs, "valid_acc", 12)
    high = nb201_c10.query(archs, "valid_acc", 200)
    rho = spearmanr(low, high)[0]
    print(f"\nNB201 CIFAR-10: Spearman(12-epoch, 200-epoch valid_acc) over 15,625 cells = {rho:.4f}")
    assert 0.7 < rho < 0.95


@pytest.mark.realdata
def test_nb201_zero_cost_predictors_on_the_proxy_subset(nb201_c10):
    """zc_xgb (encoding + 12 proxies) against xgb on the same 725 proxy-covered cells."""
    from nasbench_lab.benchmarks.proxies import with_proxies

    bench = with_proxies(nb201_c10, shared_file("nb201/nb201_zero_cost_subset.json"))
    protocol = Protocol(sizes=(100,), seeds=5, test_size=400, pool_metric="zc_params")
    summary = evaluate_predictors(bench, ["xgb", "zc_xgb"], protocol).summary()
    tau = {n: float(np.mean(per["100"]["kendall_tau"])) for n, per in summary.items()}
    print("\nNB201 CIFAR-10 proxy subset, 100 training cells, Kendall tau:", tau)
    assert tau["zc_xgb"] >= 0.60


@pytest.mark.slow
def test_cli_proxies_live_scores_cells(tmp_path, capsys):
    """--live computes the file's proxies with PyTorch for the first cells (synthetic file: mechanics only)."""
    pytest.importorskip("torch")
    doc = {"cifar10": {key: {"val_accuracy": acc, "synflow": {"score": acc, "time": 0.1},
                             "params": {"score": acc / 100, "time": 0.1}}
                       for key, acc in (("(2, 2, 2, 2, 2, 2)", 90.0), ("(0, 3, 0, 3, 0, 3)", 80.0),
                                        ("(4, 4, 4, 4, 4, 4)", 60.0))}}
    path = tmp_path / "zc.json"
    path.write_text(json.dumps(doc))
    out = tmp_path / "out"
    assert main(["--quiet", "proxies", str(path), "--live", "--live-n", "3", "--out", str(out), "--no-plots"]) == 0
    live = json.loads((out / "proxies.json").read_text())["live"]["cifar10"]
    assert set(live) == {"synflow", "params"} and live["params"]["n"] == 3
    assert live["params"]["spearman_with_valid_acc"] == pytest.approx(1.0)  # all-conv3 > conv1 > pool-only
    assert "live proxies, cifar10" in capsys.readouterr().out
