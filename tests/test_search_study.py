"""Studies: TOML grids, resumable execution (injected failure, killed process), pool and Dask back ends."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from nasbench_lab.errors import ConfigError, DataFileError, UnknownNameError
from nasbench_lab.search import Trajectory
from nasbench_lab.studies.study import AlgorithmEntry, BenchmarkEntry, Study, StudySpec, load_study

REPO = Path(__file__).resolve().parents[1]


def _spec(**overrides) -> StudySpec:
    settings = {"benchmarks": (BenchmarkEntry("nbgraph"),),
                "algorithms": (AlgorithmEntry("rs"), AlgorithmEntry("re", "re-p5", {"population_size": 5})),
                "seeds": range(3), "budget": 25, "name": "t"}
    settings.update(overrides)
    return StudySpec(**settings)


def _arrays(folder: Path) -> dict[str, tuple]:
    out = {}
    for path in sorted((folder / "runs").rglob("*.npz")):
        t = Trajectory.load(path)
        out[str(path.relative_to(folder))] = (t.archs.tobytes(), t.valid.tobytes(), t.test.tobytes(),
                                              t.finish.tobytes())
    return out


def test_study_runs_every_cell_once_and_resumes(tmp_path):
    study = Study(_spec(), tmp_path / "out")
    assert study.execute(jobs=1, progress=False) == 6
    files = sorted(p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out" / "runs").rglob("*.npz"))
    assert files == [f"runs/nbgraph-cora/{a}/seed_0000{s}.npz" for a in ("re-p5", "rs") for s in range(3)]
    t = Trajectory.load(tmp_path / "out" / files[0])
    assert t.meta["label"] == "re-p5" and t.meta["params"]["population_size"] == 5 and len(t) == 25
    assert Study(_spec(), tmp_path / "out").execute(jobs=1, progress=False) == 0
    # more seeds later: only the new ones run
    assert Study(_spec(seeds=range(5)), tmp_path / "out").execute(jobs=1, progress=False) == 4


def test_interrupted_study_completes_with_identical_results(tmp_path):
    clean = tmp_path / "clean"
    Study(_spec(), clean).execute(jobs=1, progress=False)

    class Boom(RuntimeError):
        pass

    done = []

    def fail_after_two(spec):
        done.append(spec)
        if len(done) == 2:
            raise Boom("injected failure")

    broken = tmp_path / "broken"
    with pytest.raises(Boom):
        Study(_spec(), broken).execute(jobs=1, progress=False, on_result=fail_after_two)
    assert len(list((broken / "runs").rglob("*.npz"))) == 2
    assert Study(_spec(), broken).execute(jobs=1, progress=False) == 4
    assert _arrays(broken) == _arrays(clean)


def test_process_pool_gives_the_same_results_as_one_process(tmp_path):
    Study(_spec(), tmp_path / "one").execute(jobs=1, progress=False)
    Study(_spec(), tmp_path / "pool").execute(jobs=2, progress=False)
    assert _arrays(tmp_path / "pool") == _arrays(tmp_path / "one")


@pytest.mark.slow
def test_killed_study_process_resumes_to_identical_results(tmp_path):
    """A compare process killed (SIGKILL) after some runs were written; the rerun completes them."""
    toml = tmp_path / "s.toml"
    toml.write_text('name = "kill"\nseeds = 4\nbudget = 15000\nalgorithms = ["rs", "ls"]\n'
                    '[[benchmark]]\nname = "nbgraph"\n')
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "nasbench_lab.cli.main", "--quiet", "compare", "--config", str(toml),
           "--out", str(out), "--jobs", "1"]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 120
        while len(list(out.glob("runs/*/*/*.npz"))) < 2 and time.time() < deadline and proc.poll() is None:
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    written = len(list(out.glob("runs/*/*/*.npz")))
    assert 2 <= written < 8, "the process should be killed mid-way"
    for path in out.glob("runs/*/*/*.npz"):
        Trajectory.load(path)  # every file on disk is complete
    spec = StudySpec.from_toml(toml)
    assert Study(spec, out).execute(jobs=1, progress=False) == 8 - written
    clean = tmp_path / "clean"
    Study(spec, clean).execute(jobs=1, progress=False)
    assert _arrays(out) == _arrays(clean)


def test_results_folder_of_another_study_is_refused(tmp_path):
    Study(_spec(), tmp_path / "out").execute(jobs=1, progress=False)
    with pytest.raises(ConfigError, match="holds results of another study"):
        Study(_spec(budget=30), tmp_path / "out").execute(jobs=1, progress=False)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError, match="not empty and holds no study.json"):
        Study(_spec(), tmp_path / "other").execute(jobs=1, progress=False)
    with pytest.raises(DataFileError, match="not a study results folder"):
        load_study(tmp_path / "other")


def test_toml_study_file(tmp_path, nb201_csv):
    rel = os.path.relpath(nb201_csv, tmp_path)
    toml = tmp_path / "study.toml"
    toml.write_text(f'''name = "nb201-small"
seeds = [0, 5]
budget = 20
workers = 2
fidelity = 12

[[benchmark]]
name = "nb201"
dataset = "cifar10"
path = "{rel}"

[[algorithm]]
name = "re"
label = "re-big"
params = {{ population_size = 20, sample_size = 5 }}

[[algorithm]]
name = "rs"
''')
    spec = StudySpec.from_toml(toml)
    assert spec.seeds == (0, 5) and spec.workers == 2 and spec.budget == 20 and spec.fidelity == 12
    assert spec.benchmarks[0].path == str(Path(nb201_csv).resolve())
    assert [a.label for a in spec.algorithms] == ["re-big", "rs"]
    study = Study(spec, tmp_path / "out")
    assert [r.relpath for r in study.runs()][:2] == ["runs/nb201-cifar10/re-big/seed_00000.npz",
                                                      "runs/nb201-cifar10/re-big/seed_00005.npz"]
    assert study.execute(jobs=1, progress=False) == 4
    runs = study.trajectories()["nb201-cifar10"]
    assert all((t.fidelity == 12).all() and t.meta["search_fidelity"] == 12 for t in runs["re-big"] + runs["rs"])
    saved = json.loads((tmp_path / "out" / "study.json").read_text())
    assert saved["fingerprint"] == spec.fingerprint() and saved["benchmark_keys"] == ["nb201-cifar10"]
    assert load_study(tmp_path / "out").spec.fingerprint() == spec.fingerprint()


def test_bad_study_files(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('seeds = 3\nalgorithms = ["rs"]\nbudgett = 5\n')
    with pytest.raises(UnknownNameError, match="key of a study entry 'budgett'"):
        StudySpec.from_toml(bad)
    bad.write_text('algorithms = ["nope"]\n')
    with pytest.raises(UnknownNameError, match="unknown algorithm 'nope'"):
        StudySpec.from_toml(bad)
    bad.write_text('algorithms = [{ name = "re", params = { pop = 3 } }]\n')
    with pytest.raises(UnknownNameError, match="parameter of algorithm re"):
        StudySpec.from_toml(bad)
    bad.write_text('algorithms = ["rs", "rs"]\n')
    with pytest.raises(ConfigError, match="labels must be unique"):
        StudySpec.from_toml(bad)
    bad.write_text('algorithms = ["rs"]\nbudget = 0\n')
    with pytest.raises(ConfigError, match="budget in queries must be an integer > 0"):
        StudySpec.from_toml(bad)
    bad.write_text('algorithms = ["rs"\n')
    with pytest.raises(ConfigError, match="not valid TOML"):
        StudySpec.from_toml(bad)
    with pytest.raises(ConfigError, match="study file not found"):
        StudySpec.from_toml(tmp_path / "missing.toml")


@pytest.mark.slow
def test_dask_local_cluster_gives_the_same_results(tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    Study(_spec(), tmp_path / "one").execute(jobs=1, progress=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl:
        ran = Study(_spec(), tmp_path / "dask").execute(scheduler=cl.scheduler_address, progress=False)
    assert ran == 6
    assert _arrays(tmp_path / "dask") == _arrays(tmp_path / "one")


@pytest.mark.parametrize("path", sorted((REPO / "experiments").glob("*.toml")), ids=lambda p: p.name)
def test_experiment_files_parse(path):
    spec = StudySpec.from_toml(path)
    assert spec.algorithms and len(spec.seeds) >= 30
    for bench in spec.benchmarks:
        # the shared flat table, or the shared nb201 folder (flat table + per-seed x-valid) for CIFAR-100 / ImageNet16
        assert bench.path is None or bench.path.endswith(("nb201_tables.csv", "data/nb201"))
    if spec.budget_seconds is not None:
        assert spec.budget is None


# ------------------------------------------------------------------ results that never mix (issue 22)
def _cube_csv(path: Path, offset: float = 0.0) -> Path:
    """A 27-cell table CSV (three arch: columns of three choices)."""
    import itertools

    lines = ["arch:a,arch:b,arch:c,c10_valid_acc_20ep_per_seed,c10_test_acc_20ep_mean"]
    for i, (a, b, c) in enumerate(itertools.product("xyz", "pqr", "123")):
        v = 50 + i + offset
        lines.append(f"{a},{b},{c},{v:.2f};{v + 1:.2f},{v - 1:.2f}")
    path.write_text("\n".join(lines) + "\n")
    return path


def _csv_spec(csv: Path, **overrides) -> StudySpec:
    return _spec(benchmarks=(BenchmarkEntry(str(csv)),), budget=10, **overrides)


def test_a_table_edited_between_two_compares_is_refused_never_mixed(tmp_path):
    csv = _cube_csv(tmp_path / "t.csv")
    Study(_csv_spec(csv, seeds=range(2)), tmp_path / "out").execute(jobs=1, progress=False)
    _cube_csv(csv, offset=5.0)  # other numbers, same file
    with pytest.raises(ConfigError, match="data of benchmark t-c10 changed .* new --out, or delete"):
        Study(_csv_spec(csv, seeds=range(4)), tmp_path / "out").execute(jobs=1, progress=False)
    assert len(list((tmp_path / "out" / "runs").rglob("*.npz"))) == 4  # 2 algorithms x seeds 0-1, none added


def test_a_run_file_of_another_study_is_refused_naming_the_setting(tmp_path):
    Study(_spec(), tmp_path / "a").execute(jobs=1, progress=False)
    Study(_spec(budget=30, name="other"), tmp_path / "b").execute(jobs=1, progress=False)
    stray = "runs/nbgraph-cora/rs/seed_00002.npz"
    (tmp_path / "a" / stray).write_bytes((tmp_path / "b" / stray).read_bytes())
    with pytest.raises(ConfigError, match="seed_00002.npz holds a run of another study \\(budget 30 vs 25"):
        load_study(tmp_path / "a").trajectories()
    with pytest.raises(ConfigError, match="budget 30 vs 25"):
        Study(_spec(), tmp_path / "a").execute(jobs=1, progress=False)


def test_adding_or_dropping_algorithms_and_seeds_reuses_every_run(tmp_path):
    out = tmp_path / "out"
    Study(_spec(), out).execute(jobs=1, progress=False)
    before = _arrays(out)
    assert Study(_spec(algorithms=(AlgorithmEntry("rs"),)), out).execute(jobs=1, progress=False) == 0
    both = (AlgorithmEntry("rs"), AlgorithmEntry("ls"), AlgorithmEntry("re", "re-p5", {"population_size": 5}))
    assert Study(_spec(algorithms=both, seeds=range(4)), out).execute(jobs=1, progress=False) == 6
    assert all(_arrays(out)[k] == v for k, v in before.items())
    with pytest.raises(ConfigError, match="budget 25 vs 30"):  # in words, not fingerprints
        Study(_spec(budget=30), out).execute(jobs=1, progress=False)
    changed = (AlgorithmEntry("re", "re-p5", {"population_size": 7}),)
    with pytest.raises(ConfigError, match="parameter population_size 5 vs 7"):
        Study(_spec(algorithms=changed), out).execute(jobs=1, progress=False)


@pytest.mark.parametrize("field, value", [("name", "../../escape"), ("label", "../../../escape"),
                                          ("label", "a/b"), ("name", ".hidden"), ("label", "..")])
def test_names_that_leave_their_folder_are_refused(tmp_path, field, value):
    with pytest.raises(ConfigError, match="names a folder and may hold only letters, digits"):
        if field == "name":
            _spec(name=value)
        else:
            _spec(algorithms=(AlgorithmEntry("rs", value),))
    assert not (tmp_path.parent / "escape").exists()


@pytest.mark.parametrize("seeds", ['["abc"]', "[1.5, 2.7]", "[true, false]", '"3"'])
def test_study_file_seeds_must_be_integers(tmp_path, seeds):
    toml = tmp_path / "s.toml"
    toml.write_text(f'algorithms = ["rs"]\nseeds = {seeds}\n')
    with pytest.raises(ConfigError, match="seeds must be a count or a list of distinct integers >= 0 .*seeds = 10"):
        StudySpec.from_toml(toml)


_HANG_PLUGIN = '''
import time
from nasbench_lab.search import Optimizer, register_optimizer

@register_optimizer("hang_after_3")
class Hang(Optimizer):
    def __init__(self, problem, rng):
        super().__init__(problem, rng)
        self.asked = 0

    def ask(self, n):
        self.asked += 1
        while self.asked > 3:
            time.sleep(1000)
        return self.space.sample(self.rng, n)

    def tell(self, archs, values, fidelities=None):
        pass
'''


@pytest.mark.parametrize("jobs", [1, 2])
def test_run_timeout_ends_a_never_returning_ask_and_goes_on(tmp_path, jobs):
    plugin = tmp_path / "hang_plugin.py"
    plugin.write_text(_HANG_PLUGIN)
    from nasbench_lab.plugins import load_plugins

    load_plugins([str(plugin)])
    spec = _spec(algorithms=(AlgorithmEntry("hang_after_3"), AlgorithmEntry("rs")), seeds=range(2),
                 plugins=(str(plugin),), run_timeout=1.0)
    start = time.monotonic()
    assert Study(spec, tmp_path / "out").execute(jobs=jobs, progress=False) == 4
    assert time.monotonic() - start < 30
    runs = load_study(tmp_path / "out").trajectories()["nbgraph-cora"]
    assert [(t.meta["stopped"], len(t)) for t in runs["hang_after_3"]] == [("timeout", 3)] * 2
    assert [(t.meta["stopped"], len(t)) for t in runs["rs"]] == [("budget", 25)] * 2


def test_a_budget_beyond_a_finite_table_ends_once_every_cell_is_queried(tmp_path):
    csv = _cube_csv(tmp_path / "cube.csv")
    start = time.monotonic()
    spec = _csv_spec(csv, seeds=range(1), algorithms=(AlgorithmEntry("rs"), AlgorithmEntry("re")))
    Study(replace(spec, budget=100_000_000), tmp_path / "out").execute(jobs=1, progress=False)
    assert time.monotonic() - start < 30
    for runs in load_study(tmp_path / "out").trajectories()["cube-c10"].values():
        assert runs[0].meta["stopped"] == "exhausted" and len(np.unique(runs[0].archs, axis=0)) == 27


def test_a_concurrent_writers_temporary_file_is_left_alone(tmp_path):
    from nasbench_lab.fileio import atomic_write
    from nasbench_lab.studies.study import stale_temporary

    out = tmp_path / "out"
    Study(_spec(), out).execute(jobs=1, progress=False)
    live = out / "runs" / f".seed_00009.npz.{os.getppid()}.ab12cd34.tmp"  # a running process's write
    dead = out / "runs" / ".seed_00008.npz.99999999.ab12cd34.tmp"
    live.write_bytes(b"x")
    dead.write_bytes(b"x")
    assert not stale_temporary(live) and stale_temporary(dead)
    Study(_spec(), out).execute(jobs=1, progress=False)
    assert live.exists() and not dead.exists()
    atomic_write(tmp_path / "f", b"1")
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
