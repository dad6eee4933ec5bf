"""Every registered optimizer makes exactly its budget of queries unless the space is truly exhausted.

The default-suite tests run on a SYNTHETIC two-fidelity table over the NB201 space (values made up
from the op codes: mechanics only), once with the space's uniform sampler and once with a sampler
that keeps drawing the same three cells (so warm-up and restart draws collide all the time). The
slow test runs 100 seeds x 150 queries of every optimizer on the real NB201 CIFAR-10 table.
"""

from __future__ import annotations

import numpy as np
import pytest

import nasbench_lab
from nasbench_lab.benchmarks.tabular import TabularBenchmark
from nasbench_lab.search import OPTIMIZERS, Optimizer, run
from nasbench_lab.search.runner import STOP_REASONS
from nasbench_lab.tables.table import DatasetTable, MetricTable

#: one canonical name per registered optimizer class (aliases dropped), read from the registry
#: (the one-shot searches need a supernet folder: tests/test_search_oneshot.py)
ALGORITHMS = sorted({OPTIMIZERS.get(name).name for name in OPTIMIZERS} - {"oneshot-rs", "oneshot-re"})
NB201 = type(nasbench_lab.space("nb201"))


class RepeatingNb201(NB201):
    """The NB201 space whose sampler only ever draws its first three cells (to force duplicate draws)."""

    def sample(self, rng, n=None):
        picks = self.from_index(rng.integers(0, 3, size=1 if n is None else n))
        return picks[0] if n is None else picks


def synthetic_benchmark(space) -> TabularBenchmark:
    """Made-up values over every NB201 cell at fidelities 12 and 200, three seeds (mechanics only)."""
    archs = space.all()
    rng = np.random.default_rng(0)
    base = 80 + archs.astype(np.float64) @ np.array([0.9, -0.4, 1.3, 0.2, 0.7, -0.6])
    valid = base[:, None, None] + rng.normal(0, 1, (len(archs), 3, 2)) - np.array([8.0, 0.0])
    ones = np.ones((len(archs), 1, 2))
    table = DatasetTable(name="synthetic", space=space.name, fidelities=(12, 200), metrics={
        "valid_acc": MetricTable(valid),
        "test_acc": MetricTable(base[:, None, None] * ones, per_seed=False),
        "train_time": MetricTable(ones * np.array([12.0, 200.0]), per_seed=False),
        "params": MetricTable(archs.sum(axis=1)[:, None, None] * ones, per_seed=False),
    })
    return TabularBenchmark("synthetic", table, space)


@pytest.fixture(scope="module", params=["uniform", "repeating"])
def synthetic(request):
    return synthetic_benchmark(NB201() if request.param == "uniform" else RepeatingNb201())


def test_registry_loop_covers_the_known_optimizers():
    assert {"rs", "re", "ls", "de", "bananas", "gbdt", "npred", "zc", "hb", "sh"} <= set(ALGORITHMS)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_every_optimizer_makes_its_whole_budget(synthetic, algorithm):
    for seed in range(4):
        traj = run(synthetic, algorithm, seed=seed, budget=60)
        assert (len(traj), traj.meta["n_queries"], traj.meta["stopped"]) == (60, 60, "budget"), (algorithm, seed)


@pytest.mark.parametrize("algorithm", ["re", "ls", "gbdt"])
def test_every_optimizer_makes_its_whole_budget_with_workers(synthetic, algorithm):
    traj = run(synthetic, algorithm, seed=1, budget=60, workers=3)
    assert (len(traj), traj.meta["n_queries"], traj.meta["stopped"]) == (60, 60, "budget")


def test_exhausted_only_when_every_cell_was_queried():
    bench = synthetic_benchmark(NB201())
    traj = run(bench, "ls", seed=0, budget=bench.space.size + 100)
    assert traj.meta["stopped"] == "exhausted"
    assert traj.meta["n_queries"] == len(np.unique(bench.space.keys(traj.archs))) == bench.space.size


class _StallsAfter(Optimizer):
    """Proposes ``n`` random cells, then nothing (a defective optimizer)."""

    name = "stalls"

    def __init__(self, problem, rng, n):
        super().__init__(problem, rng)
        self.left = n

    def ask(self, n):
        take, self.left = min(n, self.left), self.left - min(n, self.left)
        return self.space.sample(self.rng, take) if take else self.empty()

    def tell(self, archs, values, fidelities=None):
        pass


@pytest.mark.parametrize("workers", [1, 2])
def test_an_optimizer_that_proposes_nothing_is_reported_as_stalled(workers):
    bench = synthetic_benchmark(NB201())
    opt = _StallsAfter(nasbench_lab.search.search_problem(bench), np.random.default_rng(0), 7)
    with pytest.warns(RuntimeWarning, match="short of its budget"):
        traj = run(bench, opt, seed=0, budget=50, workers=workers)
    assert (traj.meta["n_queries"], traj.meta["stopped"]) == (7, "optimizer_stalled")
    assert traj.meta["stopped"] in STOP_REASONS


@pytest.mark.slow
@pytest.mark.realdata
@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_every_optimizer_makes_150_queries_over_100_seeds_on_nb201(nb201_c10, algorithm):
    """The issue's setting: NB201 CIFAR-10 (fidelities 12 and 200), 100 seeds x 150 queries, default parameters."""
    short = {}
    for seed in range(100):
        traj = run(nb201_c10, algorithm, seed=seed, budget=150)
        if (len(traj), traj.meta["n_queries"], traj.meta["stopped"]) != (150, 150, "budget"):
            short[seed] = (traj.meta["n_queries"], traj.meta["stopped"])
    assert not short, f"{algorithm}: runs short of 150 queries: {short}"


@pytest.mark.parametrize("workers, budget_seconds", [(1, None), (3, 1e12)])
def test_a_run_with_repeats_ends_at_the_query_that_covers_the_last_cell(workers, budget_seconds):
    # random search repeats cells: the run must end exactly when the last unqueried cell is queried, not later
    bench = synthetic_benchmark(NB201())
    space = bench.space
    traj = run(bench, "rs", seed=2, budget=None if budget_seconds else 10**7, budget_seconds=budget_seconds,
               workers=workers)
    index = space.index(traj.archs)
    seen = np.zeros(space.size, dtype=bool)
    first_cover = None
    for i, k in enumerate(index):
        seen[k] = True
        if first_cover is None and seen.all():
            first_cover = i
    assert traj.meta["stopped"] == "exhausted" and len(traj) == first_cover + 1 > space.size
