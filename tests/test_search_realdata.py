"""Real-data checks on NAS-Bench-201 CIFAR-10 (../shared/data): 150 queries, 100 seeds, versus random search.

Each algorithm must end with a higher mean test accuracy than random search, with a one-sided
Mann-Whitney p < 0.01. The model-based ones take about a minute on two cores, hence ``slow``.
"""

from __future__ import annotations

import numpy as np
import pytest

from nasbench_lab.analysis import mann_whitney_greater
from nasbench_lab.search import run
from nasbench_lab.studies.study import AlgorithmEntry, BenchmarkEntry, Study, StudySpec

SEEDS = range(100)
BUDGET = 150


@pytest.fixture(scope="module")
def random_search_finals(nb201_c10):
    finals = np.array([run(nb201_c10, "rs", seed=s, budget=BUDGET).final_test for s in SEEDS])
    assert 93.6 < finals.mean() < 94.1  # the expected best of 150 random cells by validation
    return finals


@pytest.mark.parametrize("algorithm", ["re", "ls"])
def test_evolution_and_local_search_beat_random_search(nb201_c10, random_search_finals, algorithm):
    finals = np.array([run(nb201_c10, algorithm, seed=s, budget=BUDGET).final_test for s in SEEDS])
    assert finals.mean() > random_search_finals.mean() + 0.15
    assert mann_whitney_greater(finals, random_search_finals) < 0.01


@pytest.mark.slow
def test_model_based_search_beats_random_search(nb201_csv, random_search_finals, tmp_path):
    spec = StudySpec(benchmarks=(BenchmarkEntry("nb201", "cifar10", str(nb201_csv)),),
                     algorithms=(AlgorithmEntry("bananas"), AlgorithmEntry("gbdt")), seeds=tuple(SEEDS),
                     budget=BUDGET, name="realdata")
    study = Study(spec, tmp_path / "out")
    study.execute(jobs=2, progress=False)
    runs = study.trajectories()["nb201-cifar10"]
    for algorithm in ("bananas", "gbdt"):
        finals = np.array([t.final_test for t in runs[algorithm]])
        assert len(finals) == 100
        assert finals.mean() > random_search_finals.mean() + 0.15, algorithm
        assert mann_whitney_greater(finals, random_search_finals) < 0.01, algorithm
