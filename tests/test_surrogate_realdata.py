"""Surrogates fitted on REAL published results (../shared/data, read in place; skipped when absent).

Figures are printed (run with -s to see them) and recorded in docs/surrogates.md.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import nasbench_lab as nl
from nasbench_lab.benchmarks.proxies import load_proxies
from nasbench_lab.benchmarks.surrogates.completed import CompletedBenchmark
from nasbench_lab.benchmarks.surrogates.fit import fit_and_evaluate, write_outputs
from nasbench_lab.benchmarks.surrogates.report import regression_report
from nasbench_lab.benchmarks.surrogates.surrogate import fit_surrogate
from nasbench_lab.benchmarks.surrogates.xgb_ensemble import EnsembleParams
from nasbench_lab.cli.main import main
from tests.conftest import shared_file

pytestmark = pytest.mark.realdata


def test_nb201_1000_cells_rank_the_rest(nb201_c10):
    """Fitted on 1,000 random NB201 CIFAR-10 cells (valid_acc, 200 epochs), ranks the other 14,625."""
    sp = nb201_c10.space
    archs = sp.all()
    y = nb201_c10.query(archs, "valid_acc", 200)
    perm = np.random.default_rng(0).permutation(len(archs))
    tr, te = perm[:1000], perm[1000:]
    params = EnsembleParams(n_members=3)  # 10 members (the default) is the slow test's job
    bench = fit_surrogate(sp, archs[tr], y[tr], fidelity=200, dataset="cifar10", params=params, seed=0)
    rep = regression_report(y[te], bench.query(archs[te], "valid_acc"))
    print(f"\nNB201 cifar10 valid_acc, 1000 train / {len(te)} held-out, 3 members: "
          f"Kendall tau {rep['kendall_tau']:.4f}, Spearman {rep['spearman']:.4f}, R2 {rep['r2']:.4f}")
    assert len(te) == 14625
    assert rep["kendall_tau"] >= 0.70


def test_nb301_725_cells_against_linear_baseline(tmp_path):
    """80% of the 725 real NB301 cells; held-out Kendall tau next to a one-hot ridge baseline, same split."""
    source = load_proxies(shared_file("nb301/nb301_zero_cost_subset.json"), "cifar10")
    outcome = fit_and_evaluate(source, metric="valid_acc", train_size=0.8, seed=0)
    rep = outcome.report
    base = rep["baseline_linear_onehot"]
    print(f"\nNB301 cifar10 valid_acc, {rep['n_train']} train / {rep['n_test']} held-out, {rep['members']} members "
          f"({rep['encoding']}): Kendall tau {rep['kendall_tau']:.4f}, Spearman {rep['spearman']:.4f}, "
          f"R2 {rep['r2']:.4f}; one-hot ridge baseline: Kendall tau {base['kendall_tau']:.4f}, "
          f"Spearman {base['spearman']:.4f}, R2 {base['r2']:.4f}")
    assert (rep["n_train"], rep["n_test"]) == (580, 145)
    assert rep["kendall_tau"] > 0.5 and base["kendall_tau"] > 0.3
    write_outputs(outcome, tmp_path / "nb301")
    loaded = nl.load(tmp_path / "nb301")
    assert loaded.space.name == "darts" and loaded.fidelities == (100,)
    assert json.loads((tmp_path / "nb301" / "report.json").read_text())["kendall_tau"] == rep["kendall_tau"]


def test_cli_fit_surrogate_nb301(tmp_path, capsys):
    out = tmp_path / "cli"
    code = main(["--quiet", "fit-surrogate", "--benchmark", "nb301", "--path",
                 str(shared_file("nb301/nb301_zero_cost_subset.json")), "--metric", "valid_acc", "--train-size",
                 "0.8", "--seed", "1", "--members", "3", "--out", str(out)])
    assert code == 0
    rep = json.loads((out / "report.json").read_text())
    for key in ("kendall_tau", "spearman", "r2", "n_train", "n_test"):
        assert key in rep
    assert isinstance(rep["n_train"], int) and rep["n_train"] + rep["n_test"] == 725
    assert (out / "predicted_vs_true.png").stat().st_size > 1000
    bench = nl.load(out)
    arch = bench.space.sample(np.random.default_rng(0))
    assert 80 < bench.query(arch, "valid_acc") < 100
    assert "Kendall tau" in capsys.readouterr().out


def test_nb101_partial_table_is_completed(tmp_path):
    """A small surrogate on 2,000 of the 30k real NB101 cells answers all 423,624, flagging real values."""
    table = nl.load("nb101", path=shared_file("nb101/nb101_validation_by_hash_30k.csv"), allow_partial=True)
    params = EnsembleParams(n_members=2, rounds=60, nthread=1)
    outcome = fit_and_evaluate(table, metric="valid_acc", fidelity=108, train_size=2000, seed=0, params=params)
    bench = outcome.benchmark
    assert isinstance(bench, CompletedBenchmark)
    known = table.indices_with_data("valid_acc", 108)
    assert len(known) == 30001 and outcome.report["completed"]["real_cells"] == 30001
    sp = bench.space
    everything = np.arange(sp.size)
    values, real = bench.query_with_flag(sp.from_index(everything), "valid_acc")
    assert values.shape == (423624,) and np.isfinite(values).all()
    assert real.sum() == 30001 and np.array_equal(np.flatnonzero(real), known)
    # real cells return the table's value for every seed choice; the others come from the surrogate
    sample = sp.from_index(known[:50])
    truth = table.query(sample, "valid_acc", 108)
    assert np.allclose(bench.query(sample, "valid_acc", seed=3), truth)
    unknown = sp.from_index(np.setdiff1d(everything[:2000], known)[:50])
    assert not bench.is_real(unknown).any()
    assert np.allclose(bench.query(unknown, "valid_acc"), bench.surrogate.query(unknown, "valid_acc"))
    assert (bench.cost(unknown) > 0).all()
    write_outputs(outcome, tmp_path / "nb101")
    loaded = nl.load(tmp_path / "nb101")
    assert isinstance(loaded, CompletedBenchmark)
    assert np.allclose(loaded.query(unknown, "valid_acc", seed=5), bench.query(unknown, "valid_acc", seed=5))
    assert loaded.is_real(sample).all() and loaded.describe()["metrics"]["valid_acc"]["real_cells"] == 30001
    print(f"\nNB101 completion (2,000 train, small 2-member model): held-out Kendall tau "
          f"{outcome.report['kendall_tau']:.4f} on {outcome.report['n_test']} real cells")


@pytest.mark.slow
def test_nb101_surrogate_80_percent(tmp_path):
    """The full default surrogate on 80% of the 30k NB101 cells: held-out Kendall tau at 108 epochs."""
    out = tmp_path / "nb101"
    code = main(["--quiet", "fit-surrogate", "--benchmark", "nb101", "--path",
                 str(shared_file("nb101/nb101_validation_by_hash_30k.csv")), "--metric", "valid_acc", "--fidelity",
                 "108", "--train-size", "0.8", "--seed", "0", "--out", str(out)])
    assert code == 0
    rep = json.loads((out / "report.json").read_text())
    print(f"\nNB101 valid_acc@108, {rep['n_train']} train / {rep['n_test']} held-out: Kendall tau "
          f"{rep['kendall_tau']:.4f}, Spearman {rep['spearman']:.4f}, R2 {rep['r2']:.4f}; one-hot ridge "
          f"{rep['baseline_linear_onehot']['kendall_tau']:.4f}")
    assert rep["kendall_tau"] >= 0.60


@pytest.mark.slow
def test_nb201_cli_default_surrogate(tmp_path):
    out = tmp_path / "nb201"
    code = main(["--quiet", "fit-surrogate", "--benchmark", "nb201", "--dataset", "cifar10", "--path",
                 str(shared_file("nb201/nb201_tables.csv")), "--metric", "valid_acc", "--fidelity", "200",
                 "--train-size", "1000", "--seed", "0", "--out", str(out)])
    assert code == 0
    rep = json.loads((out / "report.json").read_text())
    print(f"\nNB201 CLI default (10 members): Kendall tau {rep['kendall_tau']:.4f} on {rep['n_test']} held-out")
    assert rep["n_test"] == 14625 and rep["kendall_tau"] >= 0.70
