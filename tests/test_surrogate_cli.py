"""``nasbench-lab fit-surrogate`` and table completion on a SYNTHETIC partial NB201 table.

The CSV written here is made up (a smooth function of the op codes, on 3,000 of the 15,625
cells) so that these mechanics are tested in a fresh clone without ../shared/data.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import nasbench_lab as nl
from nasbench_lab.benchmarks.surrogates.completed import CompletedBenchmark
from nasbench_lab.benchmarks.surrogates.surrogate import SurrogateBenchmark
from nasbench_lab.cli.main import main
from nasbench_lab.errors import ChecksumMismatchError, DataFileError


@pytest.fixture(scope="module")
def partial_csv(tmp_path_factory):
    sp = nl.space("nb201")
    idx = np.sort(np.random.default_rng(0).choice(sp.size, 3000, replace=False))
    ops = sp.from_index(idx).astype(float)
    acc = 80 + 2 * (ops == 3).sum(1) - 3 * (ops == 0).sum(1) + 0.5 * ops[:, 0] * ops[:, 5]
    time_s = 1000 + 300 * (ops == 3).sum(1)
    path = tmp_path_factory.mktemp("csv") / "partial_nb201.csv"
    lines = ["index,cifar10_valid_acc_200ep,cifar10_train_time_200ep_s"]
    lines += [f"{i},{a:.4f},{t:.1f}" for i, a, t in zip(idx, acc, time_s)]
    path.write_text("\n".join(lines) + "\n")
    return path, idx, acc


def _fit(partial_csv, out, *extra: str) -> int:
    path, _, _ = partial_csv
    return main(["--quiet", "fit-surrogate", "--benchmark", "nb201", "--dataset", "cifar10", "--path", str(path),
                 "--metric", "valid_acc", "--fidelity", "200", "--train-size", "0.7", "--seed", "3",
                 "--members", "3", "--rounds", "60", "--out", str(out), *extra])


def test_cli_completes_a_partial_table(partial_csv, tmp_path, capsys):
    _, idx, acc = partial_csv
    out = tmp_path / "done"
    assert _fit(partial_csv, out) == 0
    rep = json.loads((out / "report.json").read_text())
    assert (rep["n_train"], rep["n_test"]) == (2100, 900)
    assert rep["kendall_tau"] > 0.5 and "baseline_linear_onehot" in rep and "train_time" in rep
    assert rep["completed"] == {"real_cells": 3000, "space_size": 15625}
    assert "completed table: 3000 real cells" in capsys.readouterr().out
    bench = nl.load(out)
    assert isinstance(bench, CompletedBenchmark)
    sp = bench.space
    values, real = bench.query_with_flag(sp.all(), "valid_acc")
    assert np.isfinite(values).all() and np.array_equal(np.flatnonzero(real), idx)
    assert np.allclose(values[idx], acc, atol=1e-3)  # real values, not predictions
    assert np.allclose(bench.query(sp.from_index(idx[:20]), "valid_acc", seed=4), acc[:20], atol=1e-3)
    others = np.setdiff1d(np.arange(sp.size), idx)[:30]
    noisy = bench.query(sp.from_index(others), "valid_acc", seed=4)
    assert not np.allclose(noisy, values[others])  # surrogate cells get the seed's noise
    assert (bench.cost(sp.from_index(others)) > 500).all()
    # the same run with --no-complete gives a plain surrogate
    assert _fit(partial_csv, tmp_path / "plain", "--no-complete") == 0
    plain = nl.load(tmp_path / "plain")
    assert isinstance(plain, SurrogateBenchmark)
    assert np.allclose(plain.query(sp.from_index(others), "valid_acc"), values[others], atol=1e-4)


def test_completed_folder_damage(partial_csv, tmp_path):
    out = tmp_path / "done"
    assert _fit(partial_csv, out) == 0
    known = out / "known.h5"
    data = bytearray(known.read_bytes())
    data[-10] ^= 0xFF
    known.write_bytes(bytes(data))
    with pytest.raises(ChecksumMismatchError, match="known.h5"):
        nl.load(out)
    known.unlink()
    with pytest.raises(DataFileError, match="known.h5"):
        nl.load(out)


@pytest.mark.parametrize("args, message", [
    (["--train-size", "3000"], "leaves 0 of 3000"),
    (["--train-size", "1.5"], "must be a count"),
    (["--metric", "test_accuracy"], "unknown metric"),
    (["--fidelity", "12"], "fidelity"),
])
def test_cli_errors(partial_csv, tmp_path, capsys, args, message):
    path, _, _ = partial_csv
    code = main(["--quiet", "fit-surrogate", "--benchmark", "nb201", "--path", str(path), "--members", "2",
                 "--rounds", "10", "--out", str(tmp_path / "x"), *args])
    assert code == 2
    assert message in capsys.readouterr().err
