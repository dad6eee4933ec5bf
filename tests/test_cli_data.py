"""CLI data commands: list, info, query, convert, export (NB201 real table read in place)."""

from __future__ import annotations

import json

import pytest
from conftest import assert_tables_equal

import nasbench_lab
from nasbench_lab.cli.main import main


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_query_json_by_index_and_string(capsys, nb201_csv):
    code, out, _ = run_cli(capsys, "query", "-b", "nb201", "-p", str(nb201_csv), "--index", "6111",
                           "--arch", "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|"
                           "skip_connect~2|", "-m", "test_acc", "--json")
    assert code == 0
    rows = json.loads(out)["results"]
    assert [r["index"] for r in rows] == [0, 6111]  # strings are parsed first, then indices
    assert rows[1]["test_acc"] == pytest.approx(94.37, abs=0.005)


def test_info_and_list(capsys, nb201_csv):
    code, out, _ = run_cli(capsys, "info", "-b", "nb201", "-p", str(nb201_csv), "--json")
    assert code == 0 and json.loads(out)["metrics"]["valid_acc"]["kind"] == "validation"
    code, out, _ = run_cli(capsys, "list", "--json")
    listed = {b["name"]: b for b in json.loads(out)["benchmarks"]}
    assert "nb201" in listed
    tables = listed["nb201"]["converted_tables"]
    assert any("cifar10" in t["datasets"] and "valid_acc" in t["datasets"]["cifar10"]["metrics"] for t in tables)


def test_bad_input_is_one_clear_line(capsys, nb201_csv):
    code, _, err = run_cli(capsys, "query", "-b", "nb201", "-p", str(nb201_csv), "--index", "99999")
    assert code == 2 and "0 to 15624" in err
    code, _, err = run_cli(capsys, "query", "-b", "nb201", "-p", str(nb201_csv), "--index", "1", "-m", "acc")
    assert code == 2 and "unknown metric" in err and "valid_acc" in err
    code, _, err = run_cli(capsys, "info", "-b", "nb201", "-p", "/nonexistent/file.csv")
    assert code == 2 and "not found" in err


def test_convert_and_export_round_trip(capsys, nb201_csv, tmp_path):
    out_h5 = tmp_path / "nb201.h5"
    code, out, _ = run_cli(capsys, "convert", "-b", "nb201", "-p", str(nb201_csv), "--out", str(out_h5))
    assert code == 0 and out_h5.exists()
    exported = tmp_path / "export.csv"
    code, _, _ = run_cli(capsys, "--quiet", "export", "-b", "nb201", "-p", str(out_h5), "--csv", str(exported))
    assert code == 0
    for dataset in ("cifar10", "cifar100", "ImageNet16-120"):
        original = nasbench_lab.load("nb201", dataset=dataset, path=out_h5)
        again = nasbench_lab.load("nb201", dataset=dataset, path=exported)
        assert_tables_equal(again.table, original.table, dataset)


def test_embedded_nbgraph_exports_per_space_and_reads_back(capsys, tmp_path):
    """NAS-Bench-Graph's proteins dataset lives in another space: one CSV per space, read back exactly."""
    code, _, err = run_cli(capsys, "export", "-b", "nbgraph", "--csv", str(tmp_path / "all.csv"))
    assert code == 2 and "--dataset" in err
    for dataset in ("cora", "proteins"):
        out = tmp_path / f"{dataset}.csv"
        code, _, _ = run_cli(capsys, "--quiet", "export", "-b", "nbgraph", "-d", dataset, "--csv", str(out))
        assert code == 0
        original = nasbench_lab.load("nbgraph", dataset=dataset)
        again = nasbench_lab.load("nbgraph", dataset=dataset, path=out)
        assert_tables_equal(again.table, original.table, dataset)


def test_query_defaults_to_the_embedded_benchmark_and_its_search_and_report_metrics(capsys):
    code, out, err = run_cli(capsys, "query", "--index", "0", "--json")
    assert code == 0 and "embedded default 'nbgraph'" in err
    payload = json.loads(out)
    assert payload["benchmark"] == "nbgraph" and payload["dataset"] == "cora"
    assert set(payload["results"][0]) == {"arch", "index", "valid_acc", "test_acc"}


def test_list_algorithms_and_predictors_without_aliases(capsys):
    code, out, _ = run_cli(capsys, "list", "algorithms")
    assert code == 0
    names = [line.split(" ")[0].rstrip(":") for line in out.splitlines() if not line.startswith(" ")]
    assert {"rs", "re", "ls", "bananas", "hb", "optuna:SAMPLER"} <= set(names)
    assert not {"random_search", "regularized_evolution", "local_search", "hyperband"} & set(names)  # aliases hidden
    assert "re (Regularized evolution): Population of ``population_size``" in out
    assert "population_size=10, sample_size=3, aging=True" in out
    assert "needs: a benchmark with two or more fidelities" in out  # hb
    assert "pip install 'nasbench_lab[optuna]'" in out and "optuna:gp also needs torch" in out
    code, out, _ = run_cli(capsys, "list", "predictors", "--json")
    entries = {e["name"]: e for e in json.loads(out)}
    assert code == 0 and {"xgb", "gp", "knn", "lcurve", "zc_xgb"} <= set(entries)
    assert entries["knn"]["params"]["n_neighbors"] == "7" and entries["knn"]["description"].startswith("Mean score")
    assert "lower fidelities" in entries["lcurve"]["needs"] and entries["xgb"]["needs"] == ""
    assert "benchmark" not in entries["lcurve"]["params"]  # the command passes it


def test_list_names_both_defaults_of_the_embedded_benchmark(capsys):
    code, out, _ = run_cli(capsys, "list")
    assert code == 0
    assert "(default cora; `compare` with no --benchmark/--dataset/--path runs arxiv, 20 seeds, 100 queries)" in out


def test_predictors_without_arguments_use_the_embedded_benchmark(capsys, tmp_path):
    code, out, err = run_cli(capsys, "predictors", "-P", "knn", "--sizes", "10", "--seeds", "1", "--test-size",
                             "50", "--jobs", "1", "--no-plots", "--out", str(tmp_path / "p"))
    assert code == 0, err
    assert "no --benchmark given: using the embedded default 'nbgraph'" in err
    assert "## nbgraph/cora" in out and (tmp_path / "p" / "table.md").is_file()
