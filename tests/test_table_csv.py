"""Generic tabular benchmarks from one CSV with arch: columns (tidy and wide layouts).

Most tables here are synthetic (made up values over a small made-up space): they test the
mechanics of reading, spaces, searching and errors, not any benchmark's numbers.
"""

from __future__ import annotations

import csv
import itertools
import json
from pathlib import Path

import numpy as np
import pytest

import nasbench_lab
from nasbench_lab.cli.main import main
from nasbench_lab.errors import DataFileError, DataNote, InvalidArchitectureError, UnknownNameError
from nasbench_lab.search import OPTIMIZERS, run
from nasbench_lab.spaces.table_space import TableSpace

COLUMNS = {"op": ["conv", "pool", "skip"], "width": ["16", "32"], "depth": ["1", "2", "3"]}


def synthetic_rows(keep=lambda arch: True, seeds=(0,), fidelities=(None,), metrics=("valid_acc", "test_acc")):
    """Tidy rows over the product of COLUMNS (synthetic values: a smooth function of the choice codes)."""
    rows = []
    for codes in itertools.product(*(range(len(v)) for v in COLUMNS.values())):
        if not keep(codes):
            continue
        arch = [choices[c] for choices, c in zip(COLUMNS.values(), codes)]
        for seed in seeds:
            for fid in fidelities:
                for m, metric in enumerate(metrics):
                    value = 50 + 5 * codes[0] + 3 * codes[1] + codes[2] + 0.25 * seed + m + (fid or 0) / 10
                    rows.append({**{f"arch:{k}": a for k, a in zip(COLUMNS, arch)}, "metric": metric,
                                 "value": repr(value), **({"seed": seed} if len(seeds) > 1 else {}),
                                 **({"fidelity": fid} if fid is not None else {})})
    return rows


def write_rows(path: Path, rows: list[dict]) -> Path:
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_complete_product_space_is_read_with_choices_in_first_appearance_order(tmp_path):
    bench = nasbench_lab.load(path=write_rows(tmp_path / "toy.csv", synthetic_rows()))
    space = bench.space
    assert isinstance(space, TableSpace) and not space.listed
    assert space.size == 3 * 2 * 3 == len(space.all())
    assert space.choice_columns() == [(k, tuple(v)) for k, v in COLUMNS.items()]
    assert bench.name == "toy" and bench.dataset == "default" and sorted(bench.metrics) == ["test_acc", "valid_acc"]
    arch = space.from_string("op=pool|width=32|depth=3")
    assert arch.tolist() == [1, 1, 2] and space.to_string(arch) == "op=pool|width=32|depth=3"
    assert bench.query(arch, "valid_acc") == pytest.approx(50 + 5 + 3 + 2)
    assert bench.query(arch, "test_acc") == pytest.approx(50 + 5 + 3 + 2 + 1)
    assert space.encode(space.all(), "onehot").shape == (18, 8)
    assert (space.encode(space.all(), "onehot").sum(axis=1) == 3).all()
    assert sorted(space.index(space.all()).tolist()) == list(range(18))
    assert len(space.neighbours(arch)) == 2 + 1 + 2


def test_sidecar_fixes_choice_order_and_must_agree_with_the_file(tmp_path):
    path = write_rows(tmp_path / "toy.csv", synthetic_rows())
    (tmp_path / "toy.space.json").write_text(json.dumps({"choices": {"op": ["skip", "pool", "conv"]}}))
    bench = nasbench_lab.load(path=path)
    assert bench.space.choice_columns()[0] == ("op", ("skip", "pool", "conv"))
    assert bench.query(bench.space.from_string("op=conv|width=16|depth=1"), "valid_acc") == pytest.approx(50)
    (tmp_path / "toy.space.json").write_text(json.dumps({"choices": {"op": ["skip", "pool"]}}))
    with pytest.raises(DataFileError, match="'op' lists \\['skip', 'pool'\\] but toy.csv also has 'conv'"):
        nasbench_lab.load(path=path)
    (tmp_path / "toy.space.json").write_text(json.dumps({"choices": {"kernel": ["3", "5"]}}))
    with pytest.raises(DataFileError, match="column\\(s\\) kernel that toy.csv lacks"):
        nasbench_lab.load(path=path)


def test_an_edited_csv_is_converted_again_with_a_note(tmp_path):
    path = write_rows(tmp_path / "toy.csv", synthetic_rows())
    arch = np.array([1, 1, 2], dtype=np.int16)
    assert nasbench_lab.load(path=path, cache_dir=tmp_path / "cache").query(arch, "valid_acc") == pytest.approx(60)
    path.write_text(path.read_text().replace(",valid_acc,60.0", ",valid_acc,61.0"))
    with pytest.warns(DataNote, match="converting it again"):
        bench = nasbench_lab.load(path=path, cache_dir=tmp_path / "cache")
    assert bench.query(arch, "valid_acc") == pytest.approx(61)


def test_listed_space_holds_exactly_the_rows_present(tmp_path):
    keep = lambda codes: (codes[0] + codes[1] + codes[2]) % 3 != 0  # noqa: E731
    bench = nasbench_lab.load(path=write_rows(tmp_path / "part.csv", synthetic_rows(keep)))
    space = bench.space
    texts = {"|".join(f"{k}={v[c]}" for (k, v), c in zip(COLUMNS.items(), codes))
             for codes in itertools.product(range(3), range(2), range(3)) if keep(codes)}
    assert space.listed and space.size == len(texts) == 12
    assert {space.to_string(a) for a in space.all()} == texts
    present = {tuple(a) for a in space.all().tolist()}
    rng = np.random.default_rng(0)
    drawn = space.sample(rng, 2000)
    assert {tuple(a) for a in drawn.tolist()} == present  # uniform over members: every one drawn, nothing else
    mutated = space.mutate(drawn, rng)
    assert {tuple(a) for a in mutated.tolist()} <= present
    changed = (mutated != drawn).sum(axis=1)
    assert (changed >= 1).all()
    for arch in space.all():
        assert {tuple(a) for a in space.neighbours(arch).tolist()} <= present
    with pytest.raises(InvalidArchitectureError, match="not one of the 12 architectures"):
        bench.query(np.array(sorted(set(itertools.product(range(3), range(2), range(3))) - present)[0]), "valid_acc")
    assert np.isfinite(bench.query(space.all(), "valid_acc")).all()


def test_listed_architecture_without_present_neighbours_jumps_instead_of_looping():
    space = TableSpace("lonely", [("a", ["x", "y"]), ("b", ["x", "y"])], members=np.array([[0, 0], [1, 1]]))
    assert space.listed and space.size == 2
    assert len(space.neighbours(np.array([0, 0]))) == 0
    rng = np.random.default_rng(0)
    assert space.mutate(np.array([[0, 0]] * 5), rng).tolist() == [[1, 1]] * 5
    only = TableSpace("one", [("a", ["x", "y"])], members=np.array([[1]]))
    assert only.mutate(np.array([1]), rng).tolist() == [1]


@pytest.mark.parametrize("name", [n for n in OPTIMIZERS.names() if OPTIMIZERS.get(n).name == n
                                  and not OPTIMIZERS.get(n).spaces])
def test_every_registered_algorithm_runs_on_a_listed_space_with_seeds_and_fidelities(tmp_path, name):
    keep = lambda codes: codes != (0, 0, 0) and codes != (2, 1, 2)  # noqa: E731
    rows = synthetic_rows(keep, seeds=(0, 1, 2), fidelities=(4, 12), metrics=("valid_acc", "test_acc", "params"))
    bench = nasbench_lab.load(path=write_rows(tmp_path / "fid.csv", rows))
    assert bench.fidelities == (4, 12) and bench.table.metrics["valid_acc"].values.shape == (16, 3, 2)
    traj = run(bench, name, seed=1, budget=12)
    assert 0 < len(traj) <= 12
    assert {tuple(a) for a in traj.archs.tolist()} <= {tuple(a) for a in bench.space.all().tolist()}
    assert np.isfinite(traj.test).all()
    again = run(bench, name, seed=1, budget=12)
    assert np.array_equal(traj.archs, again.archs) and np.array_equal(traj.valid, again.valid)


def test_loss_metric_is_minimized_and_direction_can_be_overridden(tmp_path):
    bench = nasbench_lab.load(path=write_rows(tmp_path / "loss.csv",
                                              synthetic_rows(metrics=("valid_loss", "test_loss"))))
    every = bench.query(bench.space.all(), "valid_loss")
    traj = run(bench, "rs", seed=0, budget=18, search_metric="valid_loss", report_metric="test_loss",
               valid_seed="mean")
    assert traj.meta["search_higher_is_better"] is False and traj.meta["report_metric"] == "test_loss"
    assert traj.final_valid == traj.valid.min() < traj.valid.max()  # the incumbent is the lowest loss seen
    assert traj.final_test == pytest.approx(traj.final_valid + 1)  # ... and its test loss is reported
    flipped = run(bench, "rs", seed=0, budget=18, search_metric="valid_loss", directions={"valid_loss": "max"},
                  valid_seed="mean")
    assert flipped.final_valid == flipped.valid.max() > flipped.valid.min()
    assert every.min() < flipped.final_valid
    with pytest.raises(UnknownNameError, match="search metric of loss/default; name the metric"):
        run(bench, "rs", budget=5)  # no valid_acc: the search metric must be named


def test_compare_reports_the_search_metric_when_the_report_metric_is_absent(tmp_path, capsys):
    path = write_rows(tmp_path / "val.csv", synthetic_rows(metrics=("valid_error",)))
    out = tmp_path / "res"
    code = main(["compare", "-b", str(path), "-A", "rs,re", "--seeds", "2", "--budget", "6", "-j", "1",
                 "--search-metric", "valid_error", "-o", str(out), "--json"])
    assert code == 0
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["rs"]) == {"final_valid_error", "wall_s", "seeds", "n_queries", "stopped", "short_runs"}
    assert "no test_acc metric: reporting the search metric valid_error" in capsys.readouterr().err
    code = main(["compare", "-b", str(path), "-A", "rs", "--seeds", "2", "--budget", "6", "-j", "1",
                 "--search-metric", "valid_error", "--report-metric", "valid_error", "-o", str(tmp_path / "r2")])
    assert code == 0
    summary = json.loads((tmp_path / "r2" / "summary.json").read_text())
    assert [k for k in summary["rs"] if k.startswith("final_")] == ["final_valid_error"]
    assert min(summary["rs"]["final_valid_error"]) < 56  # minimized: the lowest errors of the toy table


def test_wide_layout_with_arch_columns(tmp_path):
    path = tmp_path / "wide.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["arch:kernel", "arch:act", "c10_valid_acc_20ep_per_seed", "c10_test_acc_20ep_mean"])
        writer.writerow(["3", "relu", "80;82", "79"])
        writer.writerow(["5", "relu", "85;87", "84"])
        writer.writerow(["3", "gelu", "70;71", "69"])
    bench = nasbench_lab.load(path=path, dataset="c10")
    assert bench.space.listed and bench.space.size == 3
    arch = bench.space.from_string("kernel=5|act=relu")
    assert bench.query(arch, "valid_acc") == pytest.approx(86) and bench.query(arch, "valid_acc", seed=1) == 87
    assert bench.query(arch, "test_acc", 20) == 84


BAD_FILES = {
    "no_arch": ("op,metric,value\nconv,valid_acc,1\n", "no architecture column; name each architecture choice"),
    "not_number": ("arch:op,metric,value\nconv,valid_acc,1\npool,valid_acc,high\n",
                   "line 3, column 'value': 'high' is not a number"),
    "duplicate": ("arch:op,metric,value,seed\nconv,valid_acc,1,0\npool,valid_acc,2,0\nconv,valid_acc,3,0\n",
                  "line 4 repeats line 2 (same architecture, dataset, metric, fidelity and seed)"),
    "empty": ("", "empty file"),
    "header_only": ("arch:op,metric,value\n", "has a header but no rows"),
    "bad_fidelity": ("arch:op,metric,value,fidelity\nconv,valid_acc,1,ten\n",
                     "line 2, column 'fidelity': 'ten' is not an integer"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_files_get_one_line_and_exit_status_2(tmp_path, capsys, case):
    text, message = BAD_FILES[case]
    path = tmp_path / f"{case}.csv"
    path.write_text(text)
    assert main(["info", "--benchmark", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err
    with pytest.raises(DataFileError, match=message.split(";")[0][:30].replace("(", "\\(").replace("'", ".")):
        nasbench_lab.load(path=path)


def test_unknown_dataset_metric_and_contradicting_sidecar_via_cli(tmp_path, capsys):
    path = write_rows(tmp_path / "toy.csv", synthetic_rows())
    assert main(["info", "-b", str(path), "--dataset", "imagenet"]) == 2
    assert "unknown dataset of toy.csv 'imagenet'; accepted: default" in capsys.readouterr().err
    assert main(["query", "-b", str(path), "--index", "0", "--metric", "valid_loss"]) == 2
    err = capsys.readouterr().err
    assert "unknown metric of toy/default 'valid_loss'; accepted: test_acc, valid_acc" in err
    assert main(["query", "-b", str(path), "--arch", "op=conv|width=16|depth=1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["results"][0]["valid_acc"] == pytest.approx(50)
    (tmp_path / "toy.space.json").write_text(json.dumps({"choices": {"width": ["16", "32", "16"]}}))
    assert main(["info", "-b", str(path)]) == 2
    assert "column 'width' lists a choice twice" in capsys.readouterr().err


def test_study_toml_chooses_metrics_and_directions(tmp_path, capsys):
    from nasbench_lab.studies.study import StudySpec

    path = write_rows(tmp_path / "loss.csv", synthetic_rows(metrics=("valid_loss", "test_loss")))
    toml = tmp_path / "study.toml"
    toml.write_text(f'name = "l"\nseeds = 2\nbudget = 6\nalgorithms = ["rs"]\nsearch_metric = "valid_loss"\n'
                    f'report_metric = "test_loss"\ndirections = {{ test_loss = "min" }}\n'
                    f'[[benchmark]]\nname = "{path}"\n')
    spec = StudySpec.from_toml(toml)
    assert spec.metric_settings() == {"search_metric": "valid_loss", "report_metric": "test_loss",
                                      "directions": {"test_loss": "min"}}
    assert main(["compare", "--config", str(toml), "-o", str(tmp_path / "res"), "-j", "1", "--quiet"]) == 0
    summary = json.loads((tmp_path / "res" / "summary.json").read_text())
    assert set(summary["rs"]) == {"final_test_loss", "final_valid_loss", "wall_s", "seeds", "n_queries", "stopped",
                                  "short_runs"}
    capsys.readouterr()
    assert main(["compare", "-b", str(path), "--search-metric", "valid_loss", "--direction", "valid_loss=down",
                 "-o", str(tmp_path / "r2")]) == 2
    assert "direction of metric 'valid_loss' must be min or max, got 'down'" in capsys.readouterr().err
    assert main(["compare", "-b", str(path), "--search-metric", "test_loss", "-o", str(tmp_path / "r3")]) == 2
    assert "'test_loss' holds test data and cannot be searched on" in capsys.readouterr().err
    assert not (tmp_path / "r3").exists()  # refused before anything was written


def test_surrogate_of_a_table_space_saves_and_loads_its_space(tmp_path):
    from nasbench_lab.benchmarks.surrogates.surrogate import fit_surrogate, load_surrogate

    members = np.array([[a, b, c] for a in range(5) for b in range(5) for c in range(4) if (a + b + c) % 4])
    space = TableSpace("table-synthetic", [("a", list("vwxyz")), ("b", list("vwxyz")), ("c", list("wxyz"))],
                       members)
    archs = space.all()
    values = 50 + 3 * archs[:, 0] + archs[:, 1] - archs[:, 2]  # synthetic values
    fit_surrogate(space, archs, values, fidelity=1, seed=0).save(tmp_path / "sur")
    loaded = load_surrogate(tmp_path / "sur")
    assert loaded.space.listed and loaded.space.size == space.size == len(members)
    assert np.array_equal(loaded.space.all(), archs)
    assert np.corrcoef(loaded.query(archs, "valid_acc"), values)[0, 1] > 0.9
