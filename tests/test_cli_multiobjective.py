"""Objectives and constraints in studies and on the command line, and exact table fronts (issue 20 items 1 and 4).

The benchmark is SYNTHETIC (tests/fixtures/mo_bench.py: made-up accuracies and latencies in the NB201 folder
layout): these check mechanics (keys, identity, resume, cache, checks before any run), not published numbers.
"""

from __future__ import annotations

import json
import re
import warnings
from dataclasses import replace

import numpy as np
import pytest
from fixtures.mo_bench import load_bench, write_folder

from nasbench_lab.analysis import table_front
from nasbench_lab.analysis.pareto import pareto_reference
from nasbench_lab.analysis.table_front import objective_values, table_reference
from nasbench_lab.cli.cmd_compare import default_algorithms
from nasbench_lab.cli.main import main
from nasbench_lab.errors import ConfigError, DataNote
from nasbench_lab.results.objective_choice import resolve_objectives
from nasbench_lab.search.base import OPTIMIZERS, multi_objective_names
from nasbench_lab.search.random_search import RandomSearch
from nasbench_lab.studies.study import AlgorithmEntry, BenchmarkEntry, Study, StudySpec, load_study

OBJECTIVES = "valid_acc,latency_gold_6226"
CONSTRAINT = "latency_pixel3<=8"


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return write_folder(tmp_path_factory.mktemp("mo"))


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    return load_bench(tmp_path_factory.mktemp("mo_bench"))


def _compare(folder, out, *extra):
    return ["compare", "-b", "nb201", "-d", "cifar10", "-p", str(folder), "--seeds", "3", "--budget", "30",
            "--jobs", "1", "--format", "png", "--out", str(out), *extra]


def _spec(folder, **overrides) -> StudySpec:
    settings = {"benchmarks": (BenchmarkEntry("nb201", "cifar10", str(folder)),), "algorithms": (AlgorithmEntry("rs"),),
                "seeds": range(4), "budget": 20, "name": "mo", "objectives": ("valid_acc", "latency_gold_6226"),
                "constraints": (CONSTRAINT,)}
    settings.update(overrides)
    return StudySpec(**settings)


# ------------------------------------------------------------------ compare --objectives / --constraint
def test_compare_with_objectives_records_them_prints_hv_regret_and_resumes(folder, tmp_path, capsys):
    out = tmp_path / "r"
    assert main(_compare(folder, out, "--objectives", OBJECTIVES, "--constraint", CONSTRAINT)) == 0
    printed = capsys.readouterr()
    saved = json.loads((out / "study.json").read_text())
    assert saved["objectives"] == ["valid_acc", "latency_gold_6226"] and saved["constraints"] == [CONSTRAINT]
    assert "reference_point" not in saved
    study = load_study(out)
    runs = study.trajectories()["nb201-cifar10"]["rs"]  # rs: the only multi-objective algorithm on main
    assert len(runs) == 3
    for t in runs:
        assert t.meta["objectives"] == ["valid_acc", "latency_gold_6226"] and t.meta["constraints"] == [CONSTRAINT]
        assert t.objectives.shape == (30, 2) and np.array_equal(t.feasible, t.violation == 0)
    # the printed median final HV regret is that of the runs' architectures (table seed means) against the front
    bench = study.spec.benchmarks[0].load()
    objectives = resolve_objectives(bench, OBJECTIVES, [CONSTRAINT])
    front = table_reference(bench, objectives)
    regrets = [front.hv_regret(objective_values(bench, objectives, t.archs)[t.feasible]) for t in runs]
    row = re.search(r"^\| rs \| (\S+) \[\S+\] \| \S+ \| \S+ \| (\d+)/3 \|", printed.out, re.M)
    assert row, printed.out
    assert float(row.group(1).strip("*")) == pytest.approx(float(np.median(regrets)), abs=1e-4)
    assert int(row.group(2)) == sum(t.n_feasible > 0 for t in runs)
    assert "values are the report metric" not in printed.out  # the table is of hypervolume regret, not test_acc
    assert f"exact front: {len(front.front_points)} distinct points" in (out / "report.md").read_text()
    # the same command resumes: nothing runs again
    assert main(_compare(folder, out, "--objectives", OBJECTIVES, "--constraint", CONSTRAINT)) == 0
    assert f"0 run(s) executed, {len(study.runs())} already on disk" in capsys.readouterr().err


def test_direction_suffix_and_direction_flag_choose_the_same_objectives(folder, tmp_path, capsys):
    a, b = tmp_path / "a", tmp_path / "b"
    assert main(_compare(folder, a, "--quiet", "--seeds", "1", "--objectives",
                         "valid_acc,latency_pixel3:max")) == 0
    assert main(_compare(folder, b, "--quiet", "--seeds", "1", "--objectives", "valid_acc,latency_pixel3",
                         "--direction", "latency_pixel3=max")) == 0
    ta = load_study(a).trajectories()["nb201-cifar10"]["rs"][0]
    tb = load_study(b).trajectories()["nb201-cifar10"]["rs"][0]
    assert ta.meta["objective_higher"] == tb.meta["objective_higher"] == [True, True]
    assert np.array_equal(ta.objectives, tb.objectives)


def test_reference_point_is_part_of_the_study_and_of_every_run(folder, tmp_path, capsys):
    out = tmp_path / "r"
    assert main(_compare(folder, out, "--quiet", "--seeds", "1", "--objectives", OBJECTIVES,
                         "--reference-point", "40,200")) == 0
    capsys.readouterr()
    assert "reference point (valid_acc=40, latency_gold_6226=200;" in (out / "report.md").read_text()
    saved = json.loads((out / "study.json").read_text())
    assert saved["reference_point"] == [40.0, 200.0]
    assert load_study(out).trajectories()["nb201-cifar10"]["rs"][0].meta["reference_point"] == [40.0, 200.0]
    # another reference point is another study: refused in words, not silently mixed
    assert main(_compare(folder, out, "--quiet", "--seeds", "1", "--objectives", OBJECTIVES,
                         "--reference-point", "40,300")) == 2
    assert "reference point [40.0, 200.0] vs [40.0, 300.0]" in capsys.readouterr().err


def test_default_algorithms_of_a_multi_objective_compare_are_the_multi_objective_ones(bench, monkeypatch):
    class NeedsAPackage(RandomSearch):
        """A multi-objective algorithm needing an optional package (for this test)."""

        name = "_mo_needs_pkg"
        requires = (("no_such_module_for_this_test", "pip install nothing"),)

    monkeypatch.setitem(OPTIMIZERS._items, NeedsAPackage.name, NeedsAPackage)
    assert NeedsAPackage.name in multi_objective_names()
    objectives = resolve_objectives(bench, OBJECTIVES, [CONSTRAINT])
    names = default_algorithms(bench, objectives=objectives)
    expected = {n for n in multi_objective_names() if not OPTIMIZERS.get(n).requires}
    assert set(names) == expected and names[0] == "rs" and NeedsAPackage.name not in names
    assert all(OPTIMIZERS.get(n).multi_objective for n in names)
    # one objective with a constraint: the usual defaults (single-objective algorithms accept constraints)
    constrained = resolve_objectives(bench, None, [CONSTRAINT])
    assert {"rs", "re", "ls"} <= set(default_algorithms(bench, objectives=constrained))


def test_list_marks_multi_objective_algorithms(capsys):
    assert main(["list", "algorithms"]) == 0
    lines = capsys.readouterr().out.splitlines()
    marked = {line.split(" ")[0] for line in lines if "[multi-objective]:" in line and not line.startswith(" ")}
    assert marked == {n for n in multi_objective_names()}
    assert main(["list", "algorithms", "--json"]) == 0
    entries = {e["name"]: e for e in json.loads(capsys.readouterr().out)}
    assert entries["rs"]["multi_objective"] is True and entries["re"]["multi_objective"] is False


def test_info_prints_the_front_size_and_reference_point(folder, capsys):
    argv = ["info", "-b", "nb201", "-d", "cifar10", "-p", str(folder), "--objectives", OBJECTIVES]
    assert main([*argv, "--json"]) == 0
    front = json.loads(capsys.readouterr().out)["pareto_front"]
    bench = load_bench(folder.parent / "info")
    expected = table_reference(bench, resolve_objectives(bench, OBJECTIVES))
    assert front["size"] == len(expected.front) and front["front_indices"] == expected.front.tolist()
    assert front["objectives"] == ["valid_acc", "latency_gold_6226"] and front["higher_is_better"] == [True, False]
    assert main(argv) == 0
    line = capsys.readouterr().out.splitlines()[-1]
    assert line.startswith(f"exact Pareto front of valid_acc (max), latency_gold_6226 (min): {len(expected.front)} ")
    assert "10% of the table's range beyond its worst value" in line


# ------------------------------------------------------------------ study files
def test_study_file_keys_reach_every_run(folder, tmp_path):
    toml = tmp_path / "s.toml"
    toml.write_text(f'name = "mo"\nseeds = 2\nbudget = 15\nalgorithms = ["rs"]\n'
                    f'objectives = ["valid_acc", "latency_gold_6226:min"]\nconstraints = ["{CONSTRAINT}"]\n'
                    f'reference_point = [40, 200]\n'
                    f'[[benchmark]]\nname = "nb201"\ndataset = "cifar10"\npath = "{folder}"\n')
    spec = StudySpec.from_toml(toml)
    assert spec.objectives == ("valid_acc", "latency_gold_6226:min") and spec.constraints == (CONSTRAINT,)
    assert spec.reference_point == (40.0, 200.0)
    assert Study(spec, tmp_path / "out").execute(jobs=1, progress=False) == 2
    for t in load_study(tmp_path / "out").trajectories()["nb201-cifar10"]["rs"]:
        assert t.meta["objectives"] == ["valid_acc", "latency_gold_6226"]
        assert t.meta["objective_higher"] == [True, False] and t.meta["constraints"] == [CONSTRAINT]
    assert load_study(tmp_path / "out").spec.fingerprint() == spec.fingerprint()


def test_single_objective_fingerprints_are_unchanged():
    """Pinned before objectives existed: folders written then must still be recognized as the same study."""
    spec = StudySpec(benchmarks=(BenchmarkEntry("nb201", "cifar10"),),
                     algorithms=(AlgorithmEntry("rs"), AlgorithmEntry("re", "re-p5", {"population_size": 5})),
                     seeds=range(3), budget=20, search_metric="valid_acc", directions={"valid_acc": "max"})
    assert spec.fingerprint() == "b79f5e66bd54480b"
    assert "objectives" not in spec.to_dict() and "reference_point" not in spec.settings()
    with_objectives = replace(spec, search_metric=None, directions={}, algorithms=(AlgorithmEntry("rs"),),
                              objectives=("valid_acc", "params"))
    assert with_objectives.settings()["objectives"] == ["valid_acc", "params"]
    assert with_objectives.fingerprint() != spec.fingerprint()


def test_a_study_with_objectives_resumes_after_an_interruption(folder, tmp_path):
    clean = tmp_path / "clean"
    Study(_spec(folder), clean).execute(jobs=1, progress=False)

    class Boom(RuntimeError):
        pass

    done = []

    def fail_after_two(spec):
        done.append(spec)
        if len(done) == 2:
            raise Boom("injected failure")

    broken = tmp_path / "broken"
    with pytest.raises(Boom):
        Study(_spec(folder), broken).execute(jobs=1, progress=False, on_result=fail_after_two)
    assert len(list((broken / "runs").rglob("*.npz"))) == 2
    assert Study(_spec(folder), broken).execute(jobs=1, progress=False) == 2
    a, b = load_study(clean).trajectories(), load_study(broken).trajectories()
    for x, y in zip(a["nb201-cifar10"]["rs"], b["nb201-cifar10"]["rs"]):
        assert np.array_equal(x.archs, y.archs) and np.array_equal(x.objectives, y.objectives)
        assert np.array_equal(x.violation, y.violation)


def test_run_files_of_other_objectives_are_refused(folder, tmp_path):
    Study(_spec(folder, seeds=range(1)), tmp_path / "a").execute(jobs=1, progress=False)
    Study(_spec(folder, seeds=range(1), objectives=("valid_acc", "latency_pixel3")), tmp_path / "b").execute(
        jobs=1, progress=False)
    stray = "runs/nb201-cifar10/rs/seed_00000.npz"
    (tmp_path / "a" / stray).write_bytes((tmp_path / "b" / stray).read_bytes())
    with pytest.raises(ConfigError, match="objectives valid_acc,latency_pixel3 vs valid_acc,latency_gold_6226"):
        load_study(tmp_path / "a").trajectories()
    # a single-objective folder and a multi-objective run file do not mix either
    Study(_spec(folder, seeds=range(1), objectives=(), constraints=()), tmp_path / "so").execute(jobs=1,
                                                                                              progress=False)
    (tmp_path / "so" / stray).write_bytes((tmp_path / "b" / stray).read_bytes())
    with pytest.raises(ConfigError, match="objectives valid_acc,latency_pixel3 vs one; constraints"):
        load_study(tmp_path / "so").trajectories()


def test_study_checks_every_benchmark_before_any_run(folder, tmp_path, monkeypatch):
    ran = []
    monkeypatch.setattr("nasbench_lab.studies.study.run_tasks", lambda *a, **k: ran.append(1) or iter(()))
    spec = _spec(folder, constraints=("latency_pixel3<=1",))
    with pytest.raises(ConfigError, match="no architecture of nb201/cifar10 satisfies latency_pixel3<=1"):
        Study(spec, tmp_path / "out").execute(jobs=1, progress=False)
    assert not ran and not (tmp_path / "out").exists()


# ------------------------------------------------------------------ exact fronts of a listed table
def test_table_reference_is_the_front_of_the_seed_means_of_feasible_architectures(bench):
    objectives = resolve_objectives(bench, OBJECTIVES, [CONSTRAINT])
    got = table_front.compute_table_reference(bench, objectives)
    idx = bench.indices_with_data("valid_acc")
    values = np.column_stack([bench.query_index(idx, n, seed="mean") for n in objectives.names])
    feasible = bench.query_index(idx, "latency_pixel3") <= 8
    expected = pareto_reference(values[feasible], [True, False])
    assert np.array_equal(got.front, idx[feasible][expected.front])
    assert got.hypervolume == expected.hypervolume and np.array_equal(got.best, expected.best)
    assert (bench.query_index(got.front, "latency_pixel3") <= 8).all()


def test_table_front_is_cached_and_a_damaged_cache_is_recomputed(bench, tmp_path, monkeypatch):
    objectives = resolve_objectives(bench, OBJECTIVES, [CONSTRAINT])
    first = table_reference(bench, objectives, cache_dir=tmp_path)
    path = table_front.cache_path(bench, table_front.cache_key(bench, objectives, None, None), tmp_path)
    assert path.is_file()

    def no_recompute(*args, **kwargs):
        raise AssertionError("computed again although cached")

    with monkeypatch.context() as m:
        m.setattr(table_front, "compute_table_reference", no_recompute)
        cached = table_reference(bench, objectives, cache_dir=tmp_path)
    assert np.array_equal(cached.front, first.front) and cached.hypervolume == first.hypervolume
    # other objectives or reference point: another key
    other = table_front.cache_key(bench, objectives, [40.0, 200.0], None)
    assert other != table_front.cache_key(bench, objectives, None, None)
    good = path.read_bytes()
    for damage in (b"not a zip", good[: len(good) // 2]):
        path.write_bytes(damage)
        with pytest.warns(DataNote, match="damaged or of other data; computing it again"):
            again = table_reference(bench, objectives, cache_dir=tmp_path)
        assert np.array_equal(again.front, first.front) and again.hypervolume == first.hypervolume
    # a whole file whose numbers were edited (or of another front) is not trusted either
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["front"] = arrays["front"][:-1]
    np.savez(path, **arrays)
    with pytest.warns(DataNote):
        assert np.array_equal(table_reference(bench, objectives, cache_dir=tmp_path).front, first.front)
    wrong = table_front.cache_path(bench, table_front.cache_key(bench, objectives, [40.0, 200.0], None), tmp_path)
    wrong.parent.mkdir(exist_ok=True)
    wrong.write_bytes(path.read_bytes())  # the file of another key, copied under this one
    with pytest.warns(DataNote):
        table_reference(bench, objectives, [40.0, 200.0], cache_dir=tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table_reference(bench, objectives, [40.0, 200.0], cache_dir=tmp_path)  # rewritten: read without a note


def test_exact_fronts_need_a_listed_table():
    from tests.test_search_open_space import SyntheticDarts

    surrogate = SyntheticDarts()
    objectives = resolve_objectives(surrogate, "valid_acc,params:min")
    with pytest.raises(ConfigError, match="is not a listed table .*exact Pareto fronts need a listed table") as err:
        table_reference(surrogate, objectives)
    assert "\n" not in str(err.value)


def test_test_metrics_never_enter_a_front(bench):
    from nasbench_lab.results.objectives import Objectives

    with pytest.raises(ConfigError, match="'test_acc' holds test data"):
        table_reference(bench, Objectives(("valid_acc", "test_acc"), (True, True)))


def test_real_nb201_front_is_non_dominated_feasible_and_cached(tmp_path):
    """REAL data (../shared/data/nb201, CIFAR-100 validation vs measured gold_6226 latency; skipped without it)."""
    import nasbench_lab
    from nasbench_lab.results.pareto import pareto_mask
    from tests.conftest import shared_file

    folder = shared_file("nb201/nb201_hw_latency.csv").parent
    bench = nasbench_lab.load("nb201", "cifar100", path=folder)
    objectives = resolve_objectives(bench, OBJECTIVES, ["latency_pixel3<=20"])
    front = table_reference(bench, objectives, cache_dir=tmp_path)
    idx = bench.indices_with_data("valid_acc")
    values = np.column_stack([bench.query_index(idx, n, seed="mean") for n in objectives.names])
    feasible = bench.query_index(idx, "latency_pixel3") <= 20
    on_front = idx[feasible][pareto_mask(values[feasible], [True, False])]
    assert sorted(front.front.tolist()) == sorted(on_front.tolist())
    assert len(front.front) > 1 and (bench.query_index(front.front, "latency_pixel3") <= 20).all()
    assert len(list((tmp_path / "fronts").glob("nb201-cifar100-*.npz"))) == 1
