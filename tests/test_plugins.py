"""Plug-ins: the documented example optimizer runs, resumes and plots; workers (spawn, Dask) import it;
broken plug-ins fail with one line naming them. Benchmarks: the embedded NAS-Bench-Graph tables."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import nasbench_lab
from nasbench_lab.cli.main import main
from nasbench_lab.plugins import PluginError, import_plugin
from nasbench_lab.search import OPTIMIZERS, run
from nasbench_lab.studies.study import AlgorithmEntry, BenchmarkEntry, Study, StudySpec

DOCS = Path(__file__).resolve().parents[1] / "docs" / "search.md"
REPO = Path(__file__).resolve().parents[1]


def documented_example() -> str:
    """The code block after ``<!-- plugin-example -->`` in docs/search.md."""
    text = DOCS.read_text()
    match = re.search(r"<!-- plugin-example -->\s*```python\n(.*?)```", text, re.S)
    assert match, "docs/search.md lost its plug-in example"
    return match.group(1)


@pytest.fixture
def hill_file(tmp_path):
    """The documented example as a file, unregistered again afterwards (each test imports it afresh)."""
    path = tmp_path / "my_hill.py"
    path.write_text(documented_example())
    yield path
    OPTIMIZERS._items.pop("hill", None)
    sys.modules.pop("nasbench_lab_plugin_my_hill", None)


def _plugin_file(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(body))
    return path


def test_documented_example_is_short_and_runs(hill_file):
    assert len(documented_example().strip().splitlines()) <= 32
    import_plugin(str(hill_file))
    bench = nasbench_lab.load()
    a = run(bench, "hill", seed=0, budget=40)
    b = run(bench, "hill", seed=0, budget=40)
    assert len(a) == 40 and np.array_equal(a.archs, b.archs)
    assert a.meta["algorithm"] == "hill" and a.final_valid >= run(bench, "rs", seed=0, budget=5).final_valid


def test_compare_runs_resumes_and_plot_needs_no_plugin(hill_file, tmp_path, capsys):
    out = tmp_path / "res"
    argv = ["compare", "--plugin", str(hill_file), "-A", "rs,hill", "--seeds", "3", "--budget", "20", "-j", "1",
            "-o", str(out), "--json"]
    assert main(argv) == 0
    first = json.loads((out / "summary.json").read_text())
    assert set(first) == {"rs", "hill"} and len(first["hill"]["final_test_acc"]) == 3
    assert json.loads((out / "study.json").read_text())["plugins"] == [str(hill_file)]
    os.remove(out / "runs" / os.listdir(out / "runs")[0] / "hill" / "seed_00001.npz")
    capsys.readouterr()
    assert main(argv[:-1]) == 0  # resumes: only the removed run is computed again, with the same result
    assert "1 run(s) executed, 5 already on disk" in capsys.readouterr().err
    again = json.loads((out / "summary.json").read_text())["hill"]
    assert again["final_test_acc"] == first["hill"]["final_test_acc"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-m", "nasbench_lab.cli.main", "plot", str(out), "--json"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["hill"]["final_test_acc"] == first["hill"]["final_test_acc"]


def test_spawned_pool_workers_import_the_plugin(hill_file, tmp_path):
    import_plugin(str(hill_file))
    spec = StudySpec(benchmarks=(BenchmarkEntry(),), algorithms=(AlgorithmEntry("hill"),), seeds=(0, 1), budget=15,
                     plugins=(str(hill_file),))
    study = Study(spec, tmp_path / "spawn")
    assert study.execute(jobs=2, start_method="spawn", progress=False) == 2
    ran = study.trajectories()
    direct = run(nasbench_lab.load(), "hill", seed=1, budget=15)
    assert np.array_equal(next(iter(ran.values()))["hill"][1].archs, direct.archs)


def test_dask_local_cluster_workers_import_the_plugin(hill_file, tmp_path):
    distributed = pytest.importorskip("distributed")
    import_plugin(str(hill_file))
    spec = StudySpec(benchmarks=(BenchmarkEntry(),), algorithms=(AlgorithmEntry("hill"),), seeds=(0,), budget=15,
                     plugins=(str(hill_file),))
    study = Study(spec, tmp_path / "dask")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cl:
        assert study.execute(scheduler=cl.scheduler_address, progress=False) == 1
    traj = next(iter(study.trajectories().values()))["hill"][0]
    assert np.array_equal(traj.archs, run(nasbench_lab.load(), "hill", seed=0, budget=15).archs)


def test_study_toml_lists_plugins(hill_file, tmp_path):
    toml = tmp_path / "study.toml"
    toml.write_text('name = "t"\nseeds = 1\nbudget = 5\nplugins = ["my_hill.py"]\nalgorithms = ["hill"]\n')
    spec = StudySpec.from_toml(toml)
    assert spec.plugins == (str(hill_file),) and spec.algorithms[0].name == "hill"


BROKEN = {
    "import_fails": ("raise RuntimeError('no GPU here')\n",
                     "plug-in {path} failed to import: RuntimeError: no GPU here"),
    "name_taken": ("""
        from nasbench_lab.search import register_optimizer
        from nasbench_lab.search.random_search import RandomSearch

        @register_optimizer("rs")
        class Mine(RandomSearch):
            pass
        """, "plug-in {path}: algorithm 'rs' is already registered (by nasbench_lab.search.random_search)"),
}

CONTRACT = {
    "wrong_shape": ("return np.zeros((n, 3), dtype=np.int64)",
                    "algorithm 'bad' ask(1) returned ndarray of shape (1, 3); expected an array of shape (k, "),
    "outside_space": ("return np.full((n, *self.space.arch_shape), 99)",
                      "algorithm 'bad' ask(1) returned an architecture outside space"),
    "raises": ("raise KeyError('oops')", "algorithm 'bad' ask() raised KeyError: 'oops'"),
    "too_many": ("return self.space.sample(self.rng, n + 2)",
                 "algorithm 'bad' ask(1) returned 3 architectures; expected at most 1"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_plugins_fail_with_one_line_naming_them(tmp_path, capsys, case):
    body, message = BROKEN[case]
    path = _plugin_file(tmp_path, f"broken_{case}", body)
    assert main(["info", "--plugin", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert message.format(path=path) in err and "\n" not in err
    with pytest.raises(PluginError):
        import_plugin(str(path))
    assert OPTIMIZERS.get("rs").__module__ == "nasbench_lab.search.random_search"


@pytest.mark.parametrize("case", sorted(CONTRACT))
def test_contract_breaks_stop_the_study_cleanly(tmp_path, capsys, case):
    line, message = CONTRACT[case]
    path = _plugin_file(tmp_path, f"bad_{case}", f"""
        import numpy as np
        from nasbench_lab.search import Optimizer, register_optimizer

        @register_optimizer("bad")
        class Bad(Optimizer):
            def ask(self, n):
                {line}

            def tell(self, archs, values, fidelities=None):
                pass
        """)
    out = tmp_path / "res"
    try:
        code = main(["compare", "--plugin", str(path), "-A", "rs,bad", "--seeds", "2", "--budget", "5", "-j", "1",
                     "-o", str(out), "--quiet"])
    finally:
        OPTIMIZERS._items.pop("bad", None)
        sys.modules.pop(f"nasbench_lab_plugin_bad_{case}", None)
    err = capsys.readouterr().err.strip()
    assert code == 2 and f"plug-in {path}: {message}" in err and "\n" not in err
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert all(not name.startswith(".") and "tmp" not in name for name in written)  # nothing half-written
    assert not any("/bad/" in name for name in written)


def test_entry_point_plugins_are_imported_on_a_registry_miss(tmp_path, monkeypatch):
    import nasbench_lab.plugins as plugins

    (tmp_path / "ep_plugin_for_test.py").write_text(documented_example().replace('"hill"', '"ep_hill"'))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(plugins, "entry_point_modules", lambda: ["nasbench_lab.search", "ep_plugin_for_test"])
    plugins.load_installed_plugins.cache_clear()
    try:
        assert OPTIMIZERS.get("ep_hill").__module__ == "ep_plugin_for_test"
        assert len(run(nasbench_lab.load(), "ep_hill", seed=0, budget=8)) == 8
    finally:
        plugins.load_installed_plugins.cache_clear()
        OPTIMIZERS._items.pop("ep_hill", None)
        sys.modules.pop("ep_plugin_for_test", None)


def test_plugin_by_module_name_in_the_current_folder(hill_file, tmp_path, monkeypatch, capsys):
    """``--plugin my_hill`` finds ./my_hill.py as ``--plugin my_hill.py`` does, though the installed
    ``nasbench-lab`` script does not put the current folder on sys.path."""
    from nasbench_lab.plugins import normalize_plugin

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", ".", str(tmp_path))])
    assert normalize_plugin("my_hill") == str(hill_file.resolve())
    assert normalize_plugin("json") == "json"  # an importable module stays a module name
    assert main(["list", "algorithms", "--plugin", "my_hill"]) == 0
    out = capsys.readouterr().out
    assert "hill" in [line.split(":")[0].split(" ")[0] for line in out.splitlines()]
    assert f"plug-in: {hill_file.resolve()}" in out
    assert main(["--quiet", "info", "--plugin", "no_such_module_here"]) == 2
    assert "no_such_module_here" in capsys.readouterr().err
