"""The seams between packages (docs/architecture.md): what every Benchmark offers without probing, the
runner's fast path through the benchmark's own lookup, and a warm load reading the table header once."""

from __future__ import annotations

import re

import numpy as np
import pytest

import nasbench_lab
import nasbench_lab.tables.hdf5 as hdf5
from nasbench_lab.benchmarks.base import Benchmark
from nasbench_lab.errors import ConfigError
from nasbench_lab.search import run
from nasbench_lab.spaces.registry import space as get_space


class _Constant(Benchmark):
    """A synthetic benchmark that overrides only the abstract methods (a plug-in's minimum)."""

    name, dataset, space = "constant", "none", get_space("nb201")

    @property
    def metrics(self) -> list[str]:
        return ["valid_acc"]

    @property
    def fidelities(self) -> tuple[int, ...]:
        return (12, 200)

    def query(self, archs, metric, fidelity=None, seed="mean"):
        batch, single = self.space.as_batch(archs)
        return 1.0 if single else np.ones(len(batch))

    def cost(self, archs, fidelity=None, seed="mean"):
        raise ConfigError("no cost")

    def describe(self) -> dict:
        return {}


def test_a_minimal_benchmark_gets_the_defaults_and_runs():
    bench = _Constant()
    assert bench.metric_fidelities("valid_acc") == (12, 200)
    assert not bench.tabulated and bench.search_lookup("valid_acc", 200, "mean") is None
    with pytest.raises(ConfigError, match="cannot list its architectures"):
        bench.archs_with_data()
    with pytest.raises(ConfigError, match="lists no cells"):
        bench.indices_with_data()
    traj = run(bench, "rs", seed=0, budget=5)
    assert np.array_equal(traj.valid, np.ones(5))


def test_query_batch_is_always_a_float64_array_of_what_query_returns():
    bench = nasbench_lab.load()  # the embedded NAS-Bench-Graph table (float32 values)
    archs = bench.space.from_index(np.arange(5))
    batch = bench.query_batch(archs, bench.search_metric)
    assert isinstance(batch, np.ndarray) and batch.dtype == np.float64 and batch.shape == (5,)
    np.testing.assert_array_equal(batch, np.asarray(bench.query(archs, bench.search_metric), np.float64))
    one = bench.query_batch(archs[0], bench.search_metric)  # one architecture: an array of one, not a float
    assert isinstance(one, np.ndarray) and one.tolist() == [bench.query(archs[0], bench.search_metric)]
    constant = _Constant()  # the default, built on query
    assert constant.query_batch(constant.space.from_index(np.arange(5)), "valid_acc").tolist() == [1.0] * 5


def test_tabular_lookup_is_what_query_returns():
    bench = nasbench_lab.load()  # the embedded NAS-Bench-Graph table
    fid = bench.metric_fidelities(bench.search_metric)[-1]
    look = bench.search_lookup(bench.search_metric, fid, "mean")
    every = bench.space.all()
    np.testing.assert_array_equal(look.column, np.asarray(bench.query(every, bench.search_metric, fid), np.float64))
    assert bench.tabulated
    assert len(bench.archs_with_data()) == len(bench.indices_with_data())


def test_warm_load_checks_the_table_seal_once_for_the_header_and_once_for_the_arrays(tmp_path, monkeypatch):
    nasbench_lab.load(cache_dir=tmp_path)  # converts into tmp_path
    calls = []
    real = hdf5._check_seal
    monkeypatch.setattr(hdf5, "_check_seal", lambda p: (calls.append(p), real(p))[1])
    nasbench_lab.load(cache_dir=tmp_path)
    assert len(calls) == 2  # was 3: the source-stat refresh read the header a second time


def test_predictor_params_come_from_the_constructor_signature():
    from nasbench_lab.predictors import Predictor, make_predictor

    class Ridge(Predictor):  # the docs/predictors.md example, unregistered
        def __init__(self, space, *, alpha: float = 1.0, **kwargs):
            super().__init__(space, **kwargs)
            self.alpha = alpha

        def _fit(self, X, y):
            self.w = np.zeros(X.shape[1])

        def _predict(self, X):
            return X @ self.w

    params = Ridge(get_space("nb201"), alpha=0.25, target="rank").get_params()
    assert params["alpha"] == 0.25 and params["target"] == "rank" and "alpha=0.25" in repr(Ridge(get_space("nb201"),
                                                                                              alpha=0.25))
    xgb = make_predictor("xgb", "nb201", max_depth=3).get_params()
    assert xgb["max_depth"] == 3 and xgb["n_estimators"] == 200 and "benchmark" not in xgb


def test_no_predictor_is_named_like_an_optimizer():
    from nasbench_lab.errors import UnknownNameError
    from nasbench_lab.predictors import PREDICTORS
    from nasbench_lab.search import OPTIMIZERS

    assert not set(PREDICTORS.names()) & set(OPTIMIZERS.names())
    assert "zc_score" in PREDICTORS.names()  # the one-proxy predictor; "zc" names only the zero-cost search
    with pytest.raises(UnknownNameError, match="zc_score"):
        PREDICTORS.get("zc")


def test_one_job_runner_gives_the_same_results_in_process_and_on_a_pool():
    from nasbench_lab.workers import run_tasks

    tasks = [(base, 3) for base in range(6)]
    here = dict(run_tasks(pow, tasks, jobs=1))
    pooled = dict(run_tasks(pow, tasks, jobs=2))
    assert here == pooled == {(b, 3): b ** 3 for b in range(6)}


def test_the_layout_is_described_once_and_names_every_package():
    """README.md links to docs/architecture.md rather than keeping a second module table that goes stale; the
    layer list there names every package of nasbench_lab."""
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    readme, arch = (repo / "README.md").read_text(), (repo / "docs" / "architecture.md").read_text()
    assert "(docs/architecture.md)" in readme and "| module | one job |" not in readme
    layers = arch.split("```")[1]
    packages = sorted(p.name for p in (repo / "nasbench_lab").iterdir()
                      if p.is_dir() and (p / "__init__.py").is_file())
    missing = [name for name in packages if not re.search(rf"\b{name}\b", layers)]
    assert missing == [], f"packages missing from docs/architecture.md's layers: {missing}"


def test_analysis_reads_a_runner_trajectory_without_importing_search(tmp_path):
    """Results live below both search and analysis: a fresh process loads a run's ``.npz`` and builds the anytime
    curve and tables with every analysis module imported and ``nasbench_lab.search`` never imported; algorithm
    labels keep their display names once the optimizers are registered."""
    import subprocess
    import sys

    from nasbench_lab.analysis.aggregate import anytime_curve
    from nasbench_lab.results.names import algorithm_display_name

    traj = run(_Constant(), "rs", seed=0, budget=5)
    path = traj.save(tmp_path / "seed_00000.npz")
    with np.load(path, allow_pickle=False) as npz:  # arrays + JSON meta, no pickled class to resolve by module path
        assert "nasbench_lab.search" not in str(npz["meta"]) and all(npz[k].dtype != object for k in npz.files)
    expected = anytime_curve([traj], y="valid").values.tolist()
    code = ("import pkgutil, sys, nasbench_lab.analysis as a\n"
            "for m in pkgutil.iter_modules(a.__path__): __import__(f'nasbench_lab.analysis.{m.name}')\n"
            "from nasbench_lab.analysis.aggregate import anytime_curve\n"
            "from nasbench_lab.results import Trajectory\n"
            f"print(anytime_curve([Trajectory.load({str(path)!r})], y='valid').values.tolist())\n"
            "print(sorted(m for m in sys.modules if m.startswith('nasbench_lab.search')))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    assert out == [repr(expected), "[]"]
    assert algorithm_display_name("re") == "Regularized evolution" and algorithm_display_name("mine") == "mine"
