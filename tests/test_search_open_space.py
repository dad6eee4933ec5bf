"""Search on a space that cannot be listed (the DARTS space), through the Benchmark API only.

The values are SYNTHETIC (a fixed linear function of the one-hot encoding plus noise): these
tests pin down mechanics (no enumeration, pools by sampling, DE decoding with invalid vectors,
a benchmark without test metric), not search quality.
"""

from __future__ import annotations

import functools
import json

import numpy as np
import pytest

import nasbench_lab
from nasbench_lab.benchmarks.base import Benchmark
from nasbench_lab.search import OPTIMIZERS, run
from nasbench_lab.studies.study import AlgorithmEntry, BenchmarkEntry, Study, StudySpec

QUICK = {"bananas": {"num_init": 8, "k": 8, "num_candidates": 40, "predictor_params": {"epochs": 20}},
         "gbdt": {"num_init": 8, "k": 8, "pool_size": 300, "num_mutants": 50, "predictor_params": {"n_estimators": 20}},
         "npred": {"num_train": 10, "pool_size": 300, "predictor_params": {"epochs": 20}},
         "zc": {"proxy": "params", "pool_size": 200},
         "parego": {"model_params": {"num_init": 8, "k": 8, "num_candidates": 40, "predictor_params": {"epochs": 20}}}}


class SyntheticDarts(Benchmark):
    """Synthetic benchmark over the real DARTS space (not real data): linear in the one-hot encoding."""

    name = "synthetic-darts"
    dataset = "toy"

    def __init__(self, with_test: bool = True):
        self.space = nasbench_lab.space("darts")
        width = self.space.encode(self.space.sample(np.random.default_rng(0), 1), "onehot").shape[1]
        self._w = np.random.default_rng(1).normal(size=width)
        self._metrics = ["valid_acc", "train_time", "params"] + (["test_acc"] if with_test else [])

    @property
    def metrics(self):
        return self._metrics

    @property
    def fidelities(self):
        return (100,)

    def query(self, archs, metric, fidelity=None, seed="mean"):
        batch, single = self.space.as_batch(archs)
        x = self.space.encode(batch, "onehot") @ self._w
        if metric == "valid_acc" and isinstance(seed, np.random.Generator):
            x = x + seed.normal(scale=0.1, size=len(x))
        out = {"valid_acc": x, "test_acc": x + 0.5, "train_time": 1000 + 10 * np.abs(x), "params": x * 0.1}[metric]
        return float(out[0]) if single else out.astype(np.float64)

    def cost(self, archs, fidelity=None, seed="mean"):
        return self.query(archs, "train_time")

    def describe(self):
        return {"benchmark": self.name, "synthetic": True}


@pytest.fixture(scope="module")
def bench():
    return SyntheticDarts()


@pytest.mark.parametrize("name", [n for n in OPTIMIZERS.names()
                                  if OPTIMIZERS.get(n).name == n and not OPTIMIZERS.get(n).multi_fidelity
                                  and not OPTIMIZERS.get(n).spaces])
def test_every_algorithm_runs_on_a_space_that_cannot_be_listed(bench, name):
    a = run(bench, name, seed=0, budget=30, params=QUICK.get(name))
    b = run(bench, name, seed=0, budget=30, params=QUICK.get(name))
    assert len(a) == 30 and np.array_equal(a.archs, b.archs) and np.array_equal(a.valid, b.valid)
    bench.space.validate(a.archs)
    assert a.final_test == pytest.approx(a.final_valid + 0.5, abs=0.5)  # test = clean valid + 0.5


def test_workers_and_time_budget_on_a_surrogate_like_benchmark(bench):
    traj = run(bench, "re", seed=0, budget_seconds=30_000, workers=3)
    assert np.all(np.diff(traj.finish) >= 0) and traj.finish[-1] <= 30_000
    assert len(traj) > 40


def test_benchmark_without_test_metric_reports_validation(tmp_path, monkeypatch):
    import nasbench_lab.studies.study as study_module

    no_test = SyntheticDarts(with_test=False)
    traj = run(no_test, "rs", seed=0, budget=10)
    assert np.isnan(traj.test).all() and traj.meta["report_metric"] is None
    # a cached loader like the real one (a study clears its cache before checking the data)
    monkeypatch.setattr(study_module, "_load_benchmark",
                        functools.cache(lambda name, dataset, path, allow_partial=False: no_test))
    spec = StudySpec(benchmarks=(BenchmarkEntry("synthetic"),), algorithms=(AlgorithmEntry("rs"), AlgorithmEntry("re")),
                     seeds=range(3), budget=15)
    study = Study(spec, tmp_path / "out")
    study.execute(jobs=1, progress=False)
    from nasbench_lab.studies.report import write_report

    summary = write_report(study)
    # no test metric: the search metric is reported
    assert set(summary["rs"]) == {"final_valid_acc", "wall_s", "seeds", "n_queries", "stopped", "short_runs"}
    assert all(isinstance(v, float) for v in summary["re"]["final_valid_acc"])
    def refuse(constant):
        raise AssertionError(f"summary.json holds {constant}, which strict JSON readers reject")

    json.loads((tmp_path / "out" / "summary.json").read_text(), parse_constant=refuse)
    assert json.loads((tmp_path / "out" / "stats.json").read_text())["metric"] == "final_valid_acc"
    assert (tmp_path / "out" / "plots" / "valid_vs_queries.png").is_file()
