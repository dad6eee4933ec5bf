"""Hostile input and OS faults, table-driven: a damaged table never gives a number, a fault never a traceback.

Tables here are SYNTHETIC (every NB201 cell with made-up numbers, in the flat CSV layout of
../shared/data/README.md), so these checks run on a fresh clone without ../shared/data.
"""

from __future__ import annotations

import errno
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import shared_file

import nasbench_lab
from nasbench_lab.cli.main import main
from nasbench_lab.errors import ConfigError, DataFileError, DataNote, InvalidArchitectureError, UnknownNameError
from nasbench_lab.loaders.flat_csv import MISSING_NOTE
from nasbench_lab.search import run

SPACE = nasbench_lab.space("nb201")
N = SPACE.size
COLUMNS = ["index", "cifar10valid_valid_acc_200ep_per_seed", "cifar10_test_acc_200ep", "cifar10_test_acc_12ep",
           "cifar10_valid_acc_12ep", "cifar10_train_time_200ep_s"]


def full_csv_text() -> str:
    """Every NB201 cell, made-up numbers with 6 decimals; cell 6111 is the best on test_acc at 200 epochs."""
    rng = np.random.default_rng(0)
    test = rng.uniform(10, 90, N)
    test[6111] = 94.37
    seeds = rng.uniform(10, 90, (N, 3))
    lines = [",".join(COLUMNS)]
    for i in range(N):
        per_seed = ";".join(f"{v:.6f}" for v in seeds[i, : 2 + i % 2])  # 2 or 3 seeds, like the real file
        lines.append(f"{i},{per_seed},{test[i]:.6f},{test[i] / 2:.6f},{test[i] / 3:.6f},{1000 + i % 97:.6f}")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def good_text() -> str:
    return full_csv_text()


@pytest.fixture(scope="module")
def good_csv(tmp_path_factory, good_text) -> Path:
    path = tmp_path_factory.mktemp("full") / "full.csv"
    path.write_text(good_text)
    return path


def _line_of(text: str, index: int) -> str:
    return next(line for line in text.split("\n") if line.startswith(f"{index},"))


def _replace_field(text: str, index: int, column: str, value: str) -> str:
    line = _line_of(text, index)
    fields = line.split(",")
    fields[COLUMNS.index(column)] = value
    return text.replace(line + "\n", ",".join(fields) + "\n")


# (case, edit of the good text, error pattern) -- each a damaged file that loads today or gives a wrong number
CSV_CASES = [
    ("cut inside the last field", lambda t: t[:-3], "does not end with a newline: the file is truncated"),
    ("cut at a line boundary", lambda t: t[: t.index("\n15000,") + 1], "625 of the 15625 architectures .* no row"),
    ("a row deleted", lambda t: t.replace(_line_of(t, 6111) + "\n", ""),
     "1 of the 15625 architectures .* no row \\(e.g. index 6111.*--allow-partial"),
    ("a renamed column nobody knows", lambda t: t.replace("cifar10valid_valid_acc_200ep_per_seed",
                                                         "cifar10valid_test_acc_200ep_per_seed", 1),
     "columns not understood: cifar10valid_test_acc_200ep_per_seed; accepted: key columns"),
    ("a comment column", lambda t: t.replace("\n", ",x\n"), "columns not understood: x;"),
    ("accuracy above 100", lambda t: _replace_field(t, 42, "cifar10_test_acc_200ep", "100.5"),
     "line 44, column 'cifar10_test_acc_200ep': 100.5 is outside the accepted range \\[0, 100\\]"),
    ("negative accuracy", lambda t: _replace_field(t, 7, "cifar10_valid_acc_12ep", "-1"),
     "line 9, column 'cifar10_valid_acc_12ep': -1 is outside the accepted range"),
    ("inf", lambda t: _replace_field(t, 3, "cifar10_train_time_200ep_s", "inf"), "line 5, .*'inf' is not a number"),
    ("nan spelled out", lambda t: _replace_field(t, 3, "cifar10_test_acc_12ep", "nan"), "'nan' is not a number"),
    ("digit separators", lambda t: _replace_field(t, 3, "cifar10_train_time_200ep_s", "1_000"),
     "'1_000' is not a number"),
    ("float32 overflow", lambda t: _replace_field(t, 5, "cifar10_train_time_200ep_s", "1e39"),
     "line 7, column 'cifar10_train_time_200ep_s': 1e39 overflows float32"),
    ("an extra seed", lambda t: _replace_field(t, 10, "cifar10valid_valid_acc_200ep_per_seed", "1;2;3;4"),
     "line 12, column 'cifar10valid_valid_acc_200ep_per_seed': 4 seeds where the other rows have at most 3"),
    ("a seed that is not a number", lambda t: _replace_field(t, 10, "cifar10valid_valid_acc_200ep_per_seed", "1;x"),
     "line 12, .*'x' is not a number"),
]


@pytest.mark.parametrize("case, edit, problem", CSV_CASES, ids=[c[0] for c in CSV_CASES])
def test_damaged_csv_is_refused_naming_the_problem(tmp_path, good_text, case, edit, problem):
    path = tmp_path / "damaged.csv"
    path.write_text(edit(good_text))
    with pytest.raises(DataFileError, match=problem):
        nasbench_lab.load("nb201", path=path, cache_dir=tmp_path / "cache")


def test_good_synthetic_csv_loads_completely(tmp_path, good_csv):
    bench = nasbench_lab.load("nb201", path=good_csv, cache_dir=tmp_path / "cache")
    assert bench.query(SPACE.from_index(6111), "test_acc", 200) == pytest.approx(94.37)
    assert len(bench.indices_with_data("test_acc", 200)) == N


def test_partial_table_on_purpose_says_how_many_cells_are_missing(tmp_path, good_text, capsys):
    path = tmp_path / "partial.csv"
    path.write_text(good_text.replace(_line_of(good_text, 6111) + "\n", ""))
    with pytest.warns(DataNote, match="partial table: 1 of 15625 architectures have no row"):
        bench = nasbench_lab.load("nb201", path=path, cache_dir=tmp_path / "cache", allow_partial=True)
    assert np.isnan(bench.query(SPACE.from_index(6111), "test_acc", 200))
    # the cached conversion remembers that rows are missing: without the flag it is refused, with it noted again
    with pytest.raises(DataFileError, match="1 of the 15625 architectures of space nb201 have no row"):
        nasbench_lab.load("nb201", path=path, cache_dir=tmp_path / "cache")
    with pytest.warns(DataNote, match="1 of the 15625 architectures have no row"):
        nasbench_lab.load("nb201", path=path, cache_dir=tmp_path / "cache", allow_partial=True)
    assert "1 of the 15625" in nasbench_lab.load("nb201", path=path, cache_dir=tmp_path / "cache",
                                                 allow_partial=True).describe()["notes"][MISSING_NOTE]
    code = main(["query", "-b", "nb201", "-p", str(path), "--index", "0", "--allow-partial"])
    assert code == 0 and "note: " in capsys.readouterr().err


def test_metric_missing_at_the_main_fidelity_says_which_fidelity_answered(tmp_path, good_text):
    path = tmp_path / "renamed.csv"
    path.write_text(good_text.replace("cifar10_test_acc_200ep", "cifar10_test_accuracy", 1))
    bench = nasbench_lab.load("nb201", path=path, cache_dir=tmp_path / "cache")
    arch = SPACE.from_index(6111)
    with pytest.warns(DataNote, match="test_acc has no values at the table's main fidelity 200; answered with its "
                                      "12-epoch values"):
        value = bench.query(arch, "test_acc")
    assert value == pytest.approx(94.37 / 2)  # the 12-epoch number, and the user was told so
    assert bench.query(arch, "test_accuracy") == pytest.approx(94.37)


@pytest.mark.realdata
def test_official_fraction_column_above_one_is_refused(tmp_path):
    """NB101's official columns are fractions: 1.5 there is damage, even though 1.5 % would be a fine percentage."""
    lines = shared_file("nb101/nb101_validation_by_hash_30k.csv").read_text().split("\n")[:4]
    fields = lines[2].split(",")
    fields[lines[0].split(",").index("108_final_validation_accuracy")] = "1.5"
    lines[2] = ",".join(fields)
    path = tmp_path / "nb101.csv"
    path.write_text("\n".join(lines) + "\n")
    problem = "line 3, column '108_final_validation_accuracy': 1.5 is outside the accepted range \\[0, 1\\]"
    with pytest.raises(DataFileError, match=problem):
        nasbench_lab.load("nb101", path=path, cache_dir=tmp_path / "cache", allow_partial=True)


# ------------------------------------------------------------------ tidy table CSVs: as strict as flat ones
TIDY_HEADER = "dataset,arch:op,arch:width,metric,fidelity,seed,value"
TIDY_ARCHS = [(op, width) for op in ("conv", "pool", "skip") for width in ("16", "32")]


def tidy_text() -> str:
    """A synthetic tidy table (made-up numbers): 6 architectures x 2 metrics x 2 seeds; the last value 75.25."""
    lines = [TIDY_HEADER]
    for k, (op, width) in enumerate(TIDY_ARCHS):
        for metric in ("valid_acc", "test_acc"):
            for seed in (0, 1):
                lines.append(f"cifar10,{op},{width},{metric},200,{seed},{60 + k + seed + (metric == 'test_acc')}.5")
    lines[-1] = lines[-1].rsplit(",", 1)[0] + ",75.25"
    return "\n".join(lines) + "\n"


def _tidy_edit(text: str, line: int, column: str, value: str) -> str:
    """``text`` with field ``column`` of (1-based) ``line`` replaced."""
    lines = text.split("\n")
    fields = lines[line - 1].split(",")
    fields[TIDY_HEADER.split(",").index(column)] = value
    lines[line - 1] = ",".join(fields)
    return "\n".join(lines)


def _tidy_add_column(text: str, name: str, value: str) -> str:
    lines = text.rstrip("\n").split("\n")
    return "\n".join([lines[0] + f",{name}"] + [f"{line},{value}" for line in lines[1:]]) + "\n"


# (case, edit of the good tidy text, error pattern) -- each loaded today, gave a wrong number or a traceback
TIDY_CASES = [
    ("cut inside the last value", lambda t: t[:-3], "does not end with a newline: the file is truncated"),
    ("float64-only value", lambda t: _tidy_edit(t, 5, "value", "1e300"), "line 5, column 'value': 1e300 overflows"),
    ("float32 overflow", lambda t: _tidy_edit(t, 5, "value", "3.5e38"), "line 5, column 'value': 3.5e38 overflows"),
    ("negative accuracy", lambda t: _tidy_edit(t, 3, "value", "-5"),
     "line 3, column 'value': -5 is outside the accepted range \\[0, 100\\]"),
    ("accuracy above 100", lambda t: _tidy_edit(t, 4, "value", "150"), "line 4, .*150 is outside the accepted range"),
    ("digit separators", lambda t: _tidy_edit(t, 6, "value", "1_000"), "line 6, column 'value': '1_000' is not a num"),
    ("a NUL byte", lambda t: _tidy_edit(t, 7, "arch:op", "con\x00v"), "line 7 holds a NUL byte"),
    ("a second value column", lambda t: _tidy_add_column(t, "value", "1"), "column\\(s\\) value appear more than once"),
    ("an unknown column", lambda t: _tidy_add_column(t, "notes", "ok"),
     "unknown column\\(s\\) notes; accepted in the tidy layout: arch:<name> columns, metric and value"),
    ("a misspelled fidelity column", lambda t: t.replace(",fidelity,", ",fidelty,", 1),
     "unknown column\\(s\\) fidelty;"),
    ("a misspelled metric column", lambda t: t.replace(",metric,", ",metirc,", 1),
     "unknown column\\(s\\) metirc; no metric column; accepted"),
    ("a misspelled value column", lambda t: t.replace(",value\n", ",valeu\n", 1),
     "unknown column\\(s\\) valeu; no value column; accepted"),
    ("a test_acc cell's rows deleted", lambda t: t.replace("cifar10,pool,32,test_acc,200,0,64.5\n", "").replace(
        "cifar10,pool,32,test_acc,200,1,65.5\n", ""),
     "1 cell\\(s\\) without a value: .*metric test_acc.* lacks 1 of the 6 architectures \\(e.g. op=pool\\|width=32\\)"
     ".*allow-partial"),
    ("a mistyped metric", lambda t: t.replace("skip,16,valid_acc", "skip,16,valid_accc"),
     "metric valid_acc, fidelity 200 lacks 1 of the 6 .*op=skip\\|width=16.*metric valid_accc, fidelity 200 lacks 5"),
    ("a fidelity beyond int64", lambda t: _tidy_edit(t, 2, "fidelity", "99999999999999999999"),
     "line 2, column 'fidelity': '99999999999999999999' is not an integer in \\[0, 2147483647\\]"),
    ("an empty dataset name", lambda t: _tidy_edit(t, 3, "dataset", ""),
     "line 3, column 'dataset': '' is not a usable dataset name \\(accepted: a non-empty name without '/'\\)"),
    ("a dataset name with a slash", lambda t: t.replace("cifar10,", "cifar/10,"), "'cifar/10' is not a usable dataset"),
    ("a dataset name leaving its group", lambda t: _tidy_edit(t, 9, "dataset", "../x"), "line 9, .*'../x' is not a us"),
]


@pytest.mark.parametrize("case, edit, problem", TIDY_CASES, ids=[c[0] for c in TIDY_CASES])
def test_damaged_tidy_csv_is_refused_naming_the_problem(tmp_path, capsys, monkeypatch, case, edit, problem):
    path = tmp_path / "tidy.csv"
    path.write_text(edit(tidy_text()))
    with pytest.raises(DataFileError, match=problem):
        nasbench_lab.load(path=path, cache_dir=tmp_path / "cache")
    monkeypatch.setenv("NASBENCH_LAB_CACHE", str(tmp_path / "cache"))
    assert main(["--quiet", "info", "-b", str(path)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().split("\n")) == 1 and re.search(problem, err), err
    assert not list((tmp_path / "cache").rglob("*.h5")), "a refused table was left in the cache"
    assert main(["--quiet", "list"]) == 0


def test_tidy_csv_reads_a_bom_and_padded_choices_as_written(tmp_path):
    path = tmp_path / "tidy.csv"
    path.write_bytes(b"\xef\xbb\xbf" + tidy_text().replace(",conv,32,", ",conv, 32,").encode())
    bench = nasbench_lab.load(path=path, cache_dir=tmp_path / "cache")
    assert bench.dataset == "cifar10"  # the BOM did not hide the dataset column
    assert bench.space.size == 6 and bench.space.choice_columns()[1] == ("width", ("16", "32"))
    assert bench.query(bench.space.from_string("op=skip|width=32"), "test_acc", 200, seed=1) == 75.25


def test_partial_tidy_csv_on_purpose_says_how_many_values_are_missing(tmp_path, capsys, monkeypatch):
    path = tmp_path / "tidy.csv"
    path.write_text(tidy_text().replace("cifar10,pool,32,test_acc,200,0,64.5\n", "").replace(
        "cifar10,pool,32,test_acc,200,1,65.5\n", ""))
    with pytest.warns(DataNote, match="partial table: 1 cell\\(s\\) without a value"):
        bench = nasbench_lab.load(path=path, cache_dir=tmp_path / "cache", allow_partial=True)
    assert np.isnan(bench.query(bench.space.from_string("op=pool|width=32"), "test_acc", 200))
    with pytest.raises(DataFileError, match="lacks 1 of the 6 architectures"):  # the cached copy is not reused
        nasbench_lab.load(path=path, cache_dir=tmp_path / "cache")
    monkeypatch.setenv("NASBENCH_LAB_CACHE", str(tmp_path / "cache2"))
    assert main(["query", "-b", str(path), "--index", "0", "--allow-partial"]) == 0
    err = capsys.readouterr().err
    assert "note: " in err and "1 cell(s) without a value" in err, err


def test_list_skips_an_unreadable_cached_table_with_a_note(tmp_path, capsys, monkeypatch):
    """A table written with a dataset name that nests HDF5 groups (as earlier versions did for 'cifar/10')."""
    from nasbench_lab.tables import hdf5
    from nasbench_lab.tables.table import BenchmarkTable, DatasetTable, MetricTable

    monkeypatch.setattr(hdf5, "check_name", lambda name, what: None, raising=False)  # (absent before the check)
    block = MetricTable(values=np.zeros((N, 1, 1), dtype=np.float32), per_seed=(False,))
    table = BenchmarkTable(benchmark="nb201", datasets={
        "cifar/10": DatasetTable(name="cifar/10", space="nb201", fidelities=(200,), metrics={"test_acc": block})})
    hdf5.write_table(table, tmp_path / "nb201-bad.h5")
    monkeypatch.setenv("NASBENCH_LAB_CACHE", str(tmp_path))
    capsys.readouterr()
    assert main(["list"]) == 0
    err = capsys.readouterr().err
    assert "skipped an unreadable table in the cache: " in err and "nb201-bad.h5" in err, err


# ------------------------------------------------------------------ API bad input
def _bench(tmp_path_factory, good_csv):
    return nasbench_lab.load("nb201", path=good_csv, cache_dir=tmp_path_factory.getbasetemp() / "api-cache")


@pytest.fixture(scope="module")
def bench(tmp_path_factory, good_csv):
    return _bench(tmp_path_factory, good_csv)


A = SPACE.from_index(0)
RNG = np.random.default_rng(0)
API_CASES = [
    ("query with a list of metrics", lambda b: b.query(A, ["test_acc"]), UnknownNameError, "metric .*one name"),
    ("query with a list of fidelities", lambda b: b.query(A, "test_acc", fidelity=[200]), UnknownNameError,
     "fidelity .*accepted: 12, 200"),
    ("cost with a list of fidelities", lambda b: b.cost(A, fidelity=[200]), UnknownNameError,
     "fidelity .*accepted: 12, 200"),
    ("unknown metric, no fidelity", lambda b: b.indices_with_data("bogus"), UnknownNameError,
     "unknown metric .*'bogus'"),
    ("load(path=123)", lambda b: nasbench_lab.load("nb201", path=123), ConfigError, "path must be a file path"),
    ("sample n=-1", lambda b: SPACE.sample(RNG, -1), ConfigError, "n must be None .* >= 0, got -1"),
    ("sample n=1.5", lambda b: SPACE.sample(RNG, 1.5), ConfigError, "got 1.5"),
    ("sample rng=None", lambda b: SPACE.sample(None, 3), ConfigError, "rng must be a numpy.random.Generator"),
    ("sample rng=42", lambda b: SPACE.sample(42, 3), ConfigError, "rng must be a numpy.random.Generator"),
    ("mutate rng=None", lambda b: SPACE.mutate(A, None), ConfigError, "rng must be a numpy.random.Generator"),
    ("run seed=-1", lambda b: run(b, "rs", seed=-1, budget=5), ConfigError, "seed must be an integer >= 0"),
    ("run seed='a'", lambda b: run(b, "rs", seed="a", budget=5), ConfigError, "seed must be an integer >= 0"),
    ("run seed=1.7", lambda b: run(b, "rs", seed=1.7, budget=5), ConfigError, "got 1.7"),
    ("budget beyond the maximum", lambda b: run(b, "rs", seed=0, budget=10**12), ConfigError,
     "at most 100,000,000"),
    ("re sample_size > population_size", lambda b: run(b, "re", budget=5, params={"population_size": 5,
                                                                                  "sample_size": 6}),
     ConfigError, "sample_size must be between 1 and population_size \\(5\\), got 6"),
    ("from_index(2**63)", lambda b: SPACE.from_index(2**63), InvalidArchitectureError,
     "index 9223372036854775808 out of range"),
    ("from_index(2**70)", lambda b: SPACE.from_index(2**70), InvalidArchitectureError, f"index {2**70} out of range"),
    ("n_jobs=0 of a predictor evaluation", lambda b: _evaluation(b).run(n_jobs=0), ConfigError, "n_jobs must be"),
    ("n_jobs=None of a predictor evaluation", lambda b: _evaluation(b).run(n_jobs=None), ConfigError,
     "n_jobs must be an integer >= 1 .*got None"),
    ("workers=None of live training", lambda b: _run_trainings(workers=None), ConfigError,
     "--workers must be an integer >= 1 .*got None"),
    ("re-nb201 on another space", lambda b: run(nasbench_lab.load(), "re-nb201", budget=5), ConfigError,
     "re-nb201 runs on the nb201 space only; this benchmark's space is 'nbgraph'"),
    ("bohb-nb201 min_budget above max_budget", lambda b: run(b, "bohb-nb201", budget=5,
                                                             params={"min_budget": 200, "max_budget": 12}),
     ConfigError, "max_budget must exceed min_budget \\(200.0\\), got 12.0"),
    ("bohb-nb201 random_fraction 2", lambda b: run(b, "bohb-nb201", budget=5, params={"random_fraction": 2}),
     ConfigError, "random_fraction must be a number in \\[0.0, 1.0\\], got 2"),
]


def _run_trainings(**kwargs):
    from nasbench_lab.live.jobs import run_trainings

    return run_trainings(None, [0], [0], **kwargs)  # the worker count is checked before anything else


def _evaluation(bench):
    from nasbench_lab.predictors.evaluation import Evaluation, Protocol

    return Evaluation(bench, ["gp"], Protocol(sizes=(5,), seeds=1, test_size=10))


@pytest.mark.parametrize("case, call, error, problem", API_CASES, ids=[c[0] for c in API_CASES])
def test_api_bad_input_is_a_clear_error(bench, case, call, error, problem):
    with pytest.raises(error, match=problem):
        call(bench)


def test_empty_selections_give_empty_results(bench):
    assert SPACE.from_index([]).shape == (0, 6)
    assert bench.query([], "test_acc").shape == (0,)
    assert bench.query_index([], "test_acc").shape == (0,)


def test_empty_h5_file_is_named_as_empty(tmp_path):
    empty = tmp_path / "table.h5"
    empty.write_bytes(b"")
    with pytest.raises(DataFileError, match="is empty \\(0 bytes\\)"):
        nasbench_lab.load(empty)
    with pytest.raises(DataFileError, match="is empty \\(0 bytes\\)"):
        nasbench_lab.load("nb201", path=empty)


# ------------------------------------------------------------------ CLI faults: one line, exit status 2
def _no_space(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def _read_only(*args, **kwargs):
    raise OSError(errno.EROFS, "Read-only file system")


_KILLER_PLUGIN = """
import os
from nasbench_lab.search import Optimizer, register_optimizer

@register_optimizer("killer")
class Killer(Optimizer):
    def ask(self, n):
        os._exit(3)

    def tell(self, archs, values, fidelities=None):
        pass
"""


def _study_dir(tmp_path: Path, good_csv: Path) -> Path:
    out = tmp_path / "study"
    assert main(["compare", "-b", "nb201", "-p", str(good_csv), "-A", "rs", "--seeds", "1", "--budget", "5",
                 "--jobs", "1", "--out", str(out), "--quiet"]) == 0
    return out


def _predictors_argv(t: str, c: str) -> list[str]:
    return ["predictors", "-b", "nb201", "-p", c, "-P", "knn", "--sizes", "5", "--seeds", "1", "--test-size", "20",
            "--no-plots", "--out", f"{t}/p"]


CLI_CASES = [
    # (case, argv given tmp folder and csv, setup(tmp, csv) or None, os function to break or None, message)
    ("export --csv on a full disk", lambda t, c: ["export", "-b", "nb201", "-p", c, "--csv", f"{t}/out.csv"],
     None, _no_space, "No space left on device"),
    ("export --csv on a read-only disk", lambda t, c: ["export", "-b", "nb201", "-p", c, "--csv", f"{t}/out.csv"],
     None, _read_only, "Read-only file system"),
    ("export --csv onto a folder", lambda t, c: ["export", "-b", "nb201", "-p", c, "--csv", str(t)],
     None, None, "Is a directory"),
    ("convert --out onto a folder", lambda t, c: ["convert", "-b", "nb201", "-p", c, "--out", str(t)],
     None, None, "Is a directory|not a file|directory"),
    ("convert on a full disk", lambda t, c: ["convert", "-b", "nb201", "-p", c, "--out", f"{t}/x.h5"],
     None, _no_space, "No space left on device"),
    ("query with a read-only cache", lambda t, c: ["query", "-b", "nb201", "-p", c, "--index", "1"],
     None, _read_only, "Read-only file system"),
    ("compare --out onto a file", lambda t, c: ["compare", "-b", "nb201", "-p", c, "-A", "rs", "--seeds", "1",
                                                "--budget", "5", "--out", f"{t}/file"],
     lambda t, c: Path(t, "file").write_text("x"), None, "is a file, not a results folder"),
    ("compare --out a foreign folder", lambda t, c: ["compare", "-b", "nb201", "-p", c, "-A", "rs", "--seeds", "1",
                                                     "--budget", "5", "--out", str(t)],
     lambda t, c: Path(t, "notes.txt").write_text("x"), None, "is not empty and holds no study.json"),
    ("compare on a full disk", lambda t, c: ["compare", "-b", "nb201", "-p", c, "-A", "rs", "--seeds", "1",
                                             "--budget", "5", "--jobs", "1", "--out", f"{t}/s"],
     None, _no_space, "No space left on device"),
    ("compare --jobs 0", lambda t, c: ["compare", "-b", "nb201", "-p", c, "-A", "rs", "--jobs", "0",
                                       "--out", f"{t}/s"], None, None, "--jobs must be an integer >= 1"),
    ("compare --jobs -1", lambda t, c: ["compare", "-b", "nb201", "-p", c, "-A", "rs", "--jobs", "-1",
                                        "--out", f"{t}/s"], None, None, "--jobs must be an integer >= 1 .*, got -1"),
    ("compare --budget 10^12", lambda t, c: ["compare", "-b", "nb201", "-p", c, "-A", "rs",
                                             "--budget", "1000000000000", "--out", f"{t}/s"],
     None, None, "budget in queries must be at most 100,000,000"),
    ("plot on a truncated study.json", lambda t, c: ["plot", f"{t}/study"],
     lambda t, c: _truncate(_study_dir(Path(t), Path(c)) / "study.json"), None, "study.json is damaged"),
    ("plot on a full disk", lambda t, c: ["plot", f"{t}/study"],
     lambda t, c: _study_dir(Path(t), Path(c)), _no_space, "No space left on device"),
    ("predictors --metric bogus", lambda t, c: ["predictors", "-b", "nb201", "-p", c, "--predictors", "gp",
                                                "--metric", "bogus", "--out", f"{t}/p"],
     None, None, "unknown metric .*'bogus'"),
    ("predictors --jobs 0", lambda t, c: ["predictors", "-b", "nb201", "-p", c, "--predictors", "gp",
                                          "--jobs", "0", "--out", f"{t}/p"], None, None, "--jobs must be"),
    ("a partial CSV without --allow-partial", lambda t, c: ["query", "-b", "nb201", "-p", f"{t}/partial.csv",
                                                            "--index", "1"],
     lambda t, c: Path(t, "partial.csv").write_text("\n".join(Path(c).read_text().split("\n")[:100]) + "\n"),
     None, "15526 of the 15625 architectures .* --allow-partial"),
    ("convert --out the source CSV", lambda t, c: ["convert", "-b", "nb201", "-p", f"{t}/nb201_tables.csv",
                                                   "--out", f"{t}/nb201_tables.csv"],
     lambda t, c: Path(t, "nb201_tables.csv").write_text(Path(c).read_text()), None, "is the source file"),
    ("convert --out a link to the source", lambda t, c: ["convert", "-b", "nb201", "-p", c, "--out", f"{t}/x.h5"],
     lambda t, c: Path(t, "x.h5").symlink_to(c), None, "is the source file"),
    ("convert --out over a text file", lambda t, c: ["convert", "-b", "nb201", "-p", c, "--out", f"{t}/mine.txt"],
     lambda t, c: Path(t, "mine.txt").write_text("mine"), None, "mine.txt exists and is not a nasbench-lab table"),
    ("convert a tidy CSV --out itself", lambda t, c: ["convert", "-p", f"{t}/tidy.csv", "--out", f"{t}/tidy.csv"],
     lambda t, c: Path(t, "tidy.csv").write_text(tidy_text()), None, "is the source file"),
    ("build-table --out over a file that is no table", lambda t, c: ["build-table", "--space", "nb201", "--indices",
                                                                     "0", "--epochs", "1", "--out", f"{t}/x.h5"],
     lambda t, c: Path(t, "x.h5").write_text("mine"), None, "x.h5 exists and is not a nasbench-lab table"),
    ("a tidy sidecar nested 200,000 deep", lambda t, c: ["info", "-b", f"{t}/tidy.csv"],
     lambda t, c: (Path(t, "tidy.csv").write_text(tidy_text()),
                   Path(t, "tidy.space.json").write_text('{"choices": ' + "[" * 200_000 + "]" * 200_000 + "}")),
     None, "tidy.space.json: not a space file .*maximum recursion depth"),
    ("a manifest nested 200,000 deep", lambda t, c: ["download", "nb201", "--manifest", f"{t}/m.json",
                                                     "--data-dir", f"{t}/d"],
     lambda t, c: Path(t, "m.json").write_text("[" * 200_000 + "]" * 200_000), None, "is not a valid data manifest"),
    ("a manifest file name leaving --data-dir", lambda t, c: ["download", "nb201", "--manifest", f"{t}/m.json",
                                                              "--data-dir", f"{t}/d/inner"],
     lambda t, c: _manifest_naming(Path(t, "m.json"), "../../escape.bin"), None,
     "file name '../../escape.bin' is not a plain file name"),
    ("download --timeout nan", lambda t, c: ["download", "nb201", "--timeout", "nan", "--data-dir", f"{t}/d"],
     None, None, "--timeout must be a positive finite number of seconds, got nan"),
    ("download --timeout inf", lambda t, c: ["download", "nb201", "--timeout", "inf", "--data-dir", f"{t}/d"],
     None, None, "--timeout must be a positive finite number of seconds, got inf"),
    ("download --mirror 'not a url'", lambda t, c: ["download", "nb201", "--mirror", "not a url",
                                                    "--data-dir", f"{t}/d"],
     None, None, "--mirror .* must be an http:// or https:// base URL .*, got 'not a url'"),
    ("compare -b nb201 -p a tidy CSV", lambda t, c: ["compare", "-b", "nb201", "-p", f"{t}/tidy.csv", "-A", "rs",
                                                     "--seeds", "1", "--budget", "3", "--out", f"{t}/s"],
     lambda t, c: Path(t, "tidy.csv").write_text(tidy_text()), None,
     "tidy.csv is a table with arch: columns, a benchmark of its own, not a nb201 file"),
    ("download --min-rate -1", lambda t, c: ["download", "nb201", "--min-rate", "-1", "--data-dir", f"{t}/d"],
     None, None, "--min-rate must be a finite number of bytes per second >= 0 \\(0: no limit\\), got -1"),
    ("a plug-in calling sys.exit(0) on import",
     lambda t, c: ["compare", "-b", "nb201", "-p", c, "--plugin", f"{t}/exits.py", "-A", "rs", "--seeds", "1",
                   "--budget", "5", "--jobs", "1", "--out", f"{t}/s"],
     lambda t, c: Path(t, "exits.py").write_text("import sys\nsys.exit(0)\n"), None,
     "plug-in .*exits.py called sys.exit\\(0\\) while being imported"),
    ("a plug-in killing its pool worker", lambda t, c: ["compare", "-b", "nb201", "-p", c, "--plugin", f"{t}/kill.py",
                                                        "-A", "killer,rs", "--seeds", "2", "--budget", "5",
                                                        "--jobs", "2", "--out", f"{t}/s"],
     lambda t, c: Path(t, "kill.py").write_text(_KILLER_PLUGIN), None,
     "a worker process of study .* ended abruptly .* rerun with --jobs 1"),
    ("compare --run-timeout 0", lambda t, c: ["compare", "-b", "nb201", "-p", c, "-A", "rs", "--run-timeout", "0",
                                              "--out", f"{t}/s"], None, None,
     "run_timeout must be a number of seconds > 0, got 0"),
    ("plot on a run file with a flipped byte", lambda t, c: ["plot", f"{t}/study"],
     lambda t, c: _flip_middle(_run_file(_study_dir(Path(t), Path(c)))), None,
     "seed_00000.npz is damaged.*; delete it and rerun the same compare"),
    ("plot on a truncated run file", lambda t, c: ["plot", f"{t}/study"],
     lambda t, c: _truncate(_run_file(_study_dir(Path(t), Path(c)))), None,
     "seed_00000.npz is damaged.*; delete it and rerun the same compare"),
    ("predictors resuming on a run record with bad bytes", _predictors_argv,
     lambda t, c: _flip_middle(_predictors_dir(Path(t), Path(c)) / "runs" / "knn" / "n5_s0.json", 0xFF), None,
     r"n5_s0.json is damaged \(UnicodeDecodeError: .*\); delete it and rerun the same command to redo that run"),
    ("predictors resuming on a cut run record", _predictors_argv,
     lambda t, c: _truncate(_predictors_dir(Path(t), Path(c)) / "runs" / "knn" / "n5_s0.json"), None,
     r"n5_s0.json is damaged \(JSONDecodeError: .*\); delete it and rerun the same command"),
]


def _predictors_dir(tmp_path: Path, good_csv: Path) -> Path:
    assert main(["--quiet", *_predictors_argv(str(tmp_path), str(good_csv))]) == 0
    return tmp_path / "p"


def _run_file(study: Path) -> Path:
    (path,) = study.rglob("seed_*.npz")
    return path


def _flip_middle(path: Path, value: int = 0x55) -> None:
    """Flips one byte in the middle (in a run .npz: inside the compressed arrays, found only by the CRC or the
    inflater while reading; 0xFF: a byte no UTF-8 text holds)."""
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= value
    path.write_bytes(bytes(data))


def _manifest_naming(path: Path, name: str) -> None:
    """A user manifest whose one file has the name ``name`` (served nowhere: refused before any fetch)."""
    entry = {"name": name, "description": "", "urls": ["http://127.0.0.1:9/x"], "size_bytes": 1, "sha256": None}
    path.write_text(json.dumps({"format": 1, "benchmarks": {"nb201": {
        "title": "t", "page": "https://example.invalid", "default_file": name, "files": [entry]}}}))


def _sources_kept(work: Path, good_csv: Path) -> None:
    """A refused --out left every file it was given as it was."""
    expected = {"nb201_tables.csv": good_csv.read_text(), "mine.txt": "mine", "tidy.csv": tidy_text(), "x.h5": "mine"}
    for name, text in expected.items():
        if (work / name).exists() and not (work / name).is_symlink():
            assert (work / name).read_text() == text, f"{name} was replaced"


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:40])


@pytest.mark.parametrize("case, argv, setup, broken, message", CLI_CASES, ids=[c[0] for c in CLI_CASES])
def test_cli_fault_is_one_line_and_exit_status_2(tmp_path, good_csv, capsys, monkeypatch, case, argv, setup,
                                                 broken, message):
    monkeypatch.setenv("NASBENCH_LAB_CACHE", str(tmp_path / "cache"))
    work = tmp_path / "work"
    work.mkdir()
    if setup is not None:
        setup(str(work), str(good_csv))
    capsys.readouterr()
    if broken is not None:
        monkeypatch.setattr(os, "replace", broken)
    code = main(["--quiet", *argv(str(work), str(good_csv))])
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.strip().split("\n")
    assert len(lines) == 1 and lines[0].startswith("nasbench-lab "), err
    assert "Traceback" not in err
    assert re.search(message, lines[0]), lines[0]
    assert not list(work.rglob("*.tmp")), "a failed write left its temporary file"
    _sources_kept(work, good_csv)
    assert not list(tmp_path.rglob("escape.bin")), "a file was written outside --data-dir"


def test_export_csv_is_atomic_on_a_full_disk(tmp_path, good_csv, monkeypatch):
    monkeypatch.setenv("NASBENCH_LAB_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "out.csv"
    out.write_text("old\n")
    monkeypatch.setattr(os, "fsync", _no_space)
    assert main(["--quiet", "export", "-b", "nb201", "-p", str(good_csv), "--csv", str(out)]) == 2
    assert out.read_text() == "old\n"  # the old file, whole; never a partial CSV
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_resume_cleans_temporary_files_of_a_crashed_write(tmp_path, good_csv, monkeypatch):
    monkeypatch.setenv("NASBENCH_LAB_CACHE", str(tmp_path / "cache"))
    out = _study_dir(tmp_path, good_csv)
    (run_file,) = out.rglob("seed_*.npz")
    leftover = run_file.with_name(f".{run_file.name}.99999.tmp")
    leftover.write_bytes(b"half a file")
    assert main(["compare", "-b", "nb201", "-p", str(good_csv), "-A", "rs", "--seeds", "1", "--budget", "5",
                 "--jobs", "1", "--out", str(out), "--quiet"]) == 0
    assert not leftover.exists()


def test_unreachable_scheduler_fails_within_seconds_naming_it(tmp_path, good_csv, capsys, monkeypatch):
    pytest.importorskip("dask.distributed")
    monkeypatch.setenv("NASBENCH_LAB_CACHE", str(tmp_path / "cache"))
    start = time.monotonic()
    code = main(["--quiet", "compare", "-b", "nb201", "-p", str(good_csv), "-A", "rs", "--seeds", "1",
                 "--budget", "5", "--scheduler", "tcp://127.0.0.1:9", "--out", str(tmp_path / "s")])
    err = capsys.readouterr().err
    assert code == 2 and "cannot reach the Dask scheduler at 'tcp://127.0.0.1:9'" in err
    assert time.monotonic() - start < 20
    assert "Traceback" not in err


def test_live_training_bogus_device_is_refused(tmp_path, capsys):
    pytest.importorskip("torch")
    code = main(["build-table", "--space", "nb201", "--device", "bogus", "--sample", "1",
                 "--out", str(tmp_path / "t.h5")])
    assert code == 2 and "--device 'bogus' is not a torch device; accepted: cpu" in capsys.readouterr().err


# ------------------------------------------------------------------ orphaned workers
BUILD_TABLE_CASES = [
    ("--lr nan", ["--lr", "nan"], "learning rate must be a positive number, got nan"),
    ("--batch-size 0", ["--batch-size", "0"], "batch sizes must be >= 1, got 0"),
    ("--macro C=-4", ["--macro", "C=-4"], "macro option C must be >= 1, got -4"),
]


@pytest.mark.parametrize("case, flags, message", BUILD_TABLE_CASES, ids=[c[0] for c in BUILD_TABLE_CASES])
def test_refused_build_table_leaves_nothing_behind(tmp_path, capsys, case, flags, message):
    pytest.importorskip("torch")
    argv = ["--quiet", "build-table", "--space", "nb201", "--indices", "0", "--epochs", "1", "--seeds", "1",
            "--workers", "1", "--out", str(tmp_path / "x.h5")]
    assert main([*argv, *flags]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().split("\n")) == 1, err
    assert sorted(p.name for p in tmp_path.iterdir()) == [], "a refused build-table left files that block a rerun"


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        text = (task / "children").read_text() if (task / "children").exists() else ""
        out += [int(c) for c in text.split()]
    return out


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has exited


_POOL_SCRIPT = """
import sys, time
from nasbench_lab.workers import process_pool
import multiprocessing
ctx = multiprocessing.get_context(sys.argv[1])
with process_pool(2, mp_context=ctx) as pool:
    futures = [pool.submit(time.sleep, 600) for _ in range(2)]
    print("started", flush=True)
    time.sleep(600)
"""


def _compare_argv(csv: str, out: str) -> list[str]:
    return [sys.executable, "-m", "nasbench_lab.cli.main", "--quiet", "compare", "-b", "nb201", "-p", csv,
            "-A", "rs", "--seeds", "4", "--budget", "100000000", "--jobs", "2", "--out", out]


PARENTS = [
    ("pool with fork (study, predictor evaluation)", lambda c, o: [sys.executable, "-c", _POOL_SCRIPT, "fork"]),
    ("pool with spawn (live training)", lambda c, o: [sys.executable, "-c", _POOL_SCRIPT, "spawn"]),
    ("nasbench-lab compare", _compare_argv),
]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc to find the workers")
@pytest.mark.parametrize("case, argv", PARENTS, ids=[p[0] for p in PARENTS])
def test_workers_exit_when_their_parent_is_killed(tmp_path, good_csv, case, argv):
    env = {**os.environ, "NASBENCH_LAB_CACHE": str(tmp_path / "cache"), "PYTHONPATH": os.getcwd()}
    parent = subprocess.Popen(argv(str(good_csv), str(tmp_path / "study")), env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        workers: list[int] = []
        while len(workers) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
            workers = [w for w in _children(parent.pid) if _alive(w)]
        assert len(workers) >= 2, "the pool never started its workers"
        time.sleep(1.0)  # let the workers finish starting (initializer, imports)
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 30
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        left = [w for w in workers if _alive(w)]
        for w in left:
            os.kill(w, signal.SIGKILL)
        assert not left, f"workers {left} outlived their SIGKILLed parent"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
