"""``nasbench-lab compare`` and ``nasbench-lab plot``: the results folder outside checks rely on."""

from __future__ import annotations

import json

import pytest

from nasbench_lab.cli.main import main


def test_compare_on_nb201_writes_the_summary_contract(tmp_path, nb201_csv, capsys):
    out = tmp_path / "res"
    rc = main(["compare", "--benchmark", "nb201", "--dataset", "cifar10", "--path", str(nb201_csv),
               "--algorithms", "rs,re,ls,de,bananas,gbdt,npred", "--seeds", "2", "--budget", "30",
               "--out", str(out), "--jobs", "1", "--quiet",
               "--param", "bananas.num_init=5", "--param", "gbdt.num_init=10", "--param", "npred.num_train=10"])
    assert rc == 0
    summary = json.loads((out / "summary.json").read_text())
    assert list(summary) == ["rs", "re", "ls", "de", "bananas", "gbdt", "npred"]
    for entry in summary.values():
        assert set(entry) == {"final_test_acc", "final_valid_acc", "wall_s", "seeds", "n_queries", "stopped",
                              "short_runs"}
        assert len(entry["final_test_acc"]) == len(entry["final_valid_acc"]) == 2
        assert entry["n_queries"] == [30, 30] and entry["stopped"] == ["budget", "budget"]
        assert entry["seeds"] == [0, 1] and entry["short_runs"] == []
        assert all(80 < v < 94.4 for v in entry["final_test_acc"]) and isinstance(entry["wall_s"], float)
    for name in ("test_vs_queries", "regret_vs_queries", "test_vs_time", "regret_vs_time", "final_test",
                 "valid_regret_vs_queries", "critical_difference", "rank_vs_budget"):
        assert (out / "plots" / f"{name}.png").stat().st_size > 1000
    table = (out / "table.md").read_text()
    assert table.startswith("| algorithm | runs | short_runs | mean | std | median | iqr | mean_rank | "
                            "relative_improvement | p_vs_rs | wall_s |")
    printed = capsys.readouterr().out
    assert printed.splitlines()[0] == ("nb201-cifar10: values are the report metric test_acc (%) of the "
                                      "architecture each run found best by the search metric valid_acc")
    assert "| bananas | 2 | 0 |" in printed and "Best mean: " in printed and f"results: {out}" in printed
    report = (out / "report.md").read_text()
    assert "](plots/critical_difference.png)" in report and "`relative_improvement`: RI = 100" in report
    assert "\\toprule" in (out / "table.tex").read_text()
    stats = json.loads((out / "stats.json").read_text())
    assert set(stats["vs_random_search_mann_whitney"]) == {"re", "ls", "de", "bananas", "gbdt", "npred"}
    assert len(stats["pairwise_wilcoxon_holm"]) == 21


def test_compare_defaults_to_the_embedded_benchmark_and_says_so(tmp_path, capsys):
    out = tmp_path / "res"
    rc = main(["compare", "--seeds", "2", "--budget", "15", "--out", str(out), "--jobs", "1", "--json",
               "--algorithms", "rs,re,zc"])
    captured = capsys.readouterr()
    assert rc == 0
    assert "using the embedded default 'nbgraph'" in captured.err
    summary = json.loads(captured.out)
    assert list(summary) == ["rs", "re", "zc"]
    from tests.test_analysis_report import png_dpi

    for name in ("test_vs_queries", "final_test", "critical_difference", "rank_vs_budget"):  # default: png and pdf
        assert (out / "plots" / f"{name}.pdf").read_bytes().startswith(b"%PDF")
        assert round(png_dpi(out / "plots" / f"{name}.png")) == 300
    # plot redoes the report in other formats without the data
    assert main(["plot", str(out), "--format", "svg,pdf"]) == 0
    assert (out / "plots" / "rank_vs_budget.svg").is_file() and (out / "plots" / "test_vs_queries.pdf").is_file()
    err = capsys.readouterr().err.splitlines()  # a progress line first: the report takes seconds
    assert err[0] == (f"reading 6 run(s) of compare-nbgraph-arxiv and writing tables, statistics and svg/pdf plots "
                      f"to {out} (takes a few seconds)") and err[-1] == f"report written to {out}"
    assert main(["plot", str(out), "--format", "svg", "--quiet"]) == 0
    assert capsys.readouterr().err == ""
    # NAS-Bench-Graph has no training-time cost model: no simulated-time plots
    assert not (out / "plots" / "regret_vs_time.svg").exists()


def test_default_algorithm_set_skips_what_the_benchmark_cannot_run(tmp_path, capsys):
    rc = main(["compare", "--seeds", "1", "--budget", "12", "--out", str(tmp_path / "r"), "--jobs", "1",
               "--param", "bananas.num_init=4", "--param", "gbdt.num_init=4", "--param", "npred.num_train=4"])
    err = capsys.readouterr().err
    assert rc == 0 and "skipping hb on nbgraph/arxiv: hb needs at least two fidelities" in err
    assert "embedded default setting: arxiv, 1 seeds, 12 queries per run" in err
    assert "hb" not in json.loads((tmp_path / "r" / "summary.json").read_text())


@pytest.mark.parametrize("argv, message", [
    (["--algorithms", "rs,nope"], "unknown algorithm 'nope'"),
    (["--algorithms", "rs", "--budget", "0"], "budget in queries must be an integer > 0"),
    (["--algorithms", "rs", "--seeds", "0"], "--seeds must be >= 1"),
    (["--algorithms", "rs", "--param", "re.population_size=3"], "--param names algorithm(s) re"),
    (["--algorithms", "re", "--param", "re.pop=3"], "parameter of algorithm re 'pop'"),
    (["--algorithms", "rs", "--budget-seconds", "100"], "no training times"),
    (["--algorithms", "hb"], "hb needs at least two fidelities"),
])
def test_bad_input_exits_2_with_a_message(tmp_path, capsys, argv, message):
    rc = main(["compare", "--out", str(tmp_path / "r"), "--jobs", "1", "--quiet", *argv])
    assert rc == 2
    assert message in capsys.readouterr().err


def test_plot_of_a_folder_that_is_not_a_study(tmp_path, capsys):
    assert main(["plot", str(tmp_path)]) == 2
    assert "not a study results folder" in capsys.readouterr().err


def test_version_flag(capsys):
    import nasbench_lab

    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0 and capsys.readouterr().out.strip() == f"nasbench-lab {nasbench_lab.__version__}"


def test_compare_runs_a_partial_table_with_allow_partial_and_records_it(tmp_path, capsys, monkeypatch):
    """A SYNTHETIC NB201 table of every 7th cell (made-up numbers): --allow-partial reaches the runs, not only the
    checks (the runs used to load the table without it and stop)."""
    import nasbench_lab

    monkeypatch.setenv("NASBENCH_LAB_CACHE", str(tmp_path / "cache"))
    space = nasbench_lab.space("nb201")
    rows = [f"{i},{space.to_string(space.from_index(i))},{80 + i % 7};{81 + i % 7},{90 + i % 5}"
            for i in range(0, 15625, 7)]
    table = tmp_path / "subset.csv"
    table.write_text("index,arch_str,cifar10valid_valid_acc_200ep_per_seed,cifar10_test_acc_200ep\n"
                     + "\n".join(rows) + "\n")
    out = tmp_path / "r"
    argv = ["--quiet", "compare", "-b", "nb201", "-p", str(table), "-A", "rs,re", "--seeds", "2", "--budget", "10",
            "--jobs", "1", "--format", "png", "--out", str(out)]
    assert main(argv) == 2 and not out.exists()  # without the flag: refused before anything is written
    assert "--allow-partial" in capsys.readouterr().err
    assert main([*argv, "--allow-partial"]) == 0, capsys.readouterr().err
    study = json.loads((out / "study.json").read_text())
    assert study["benchmarks"][0]["allow_partial"] is True
    assert len(list((out / "runs").rglob("*.npz"))) == 4
