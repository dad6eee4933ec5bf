"""Runner: budgets, the simulated clock with k workers, trajectories and their files."""

from __future__ import annotations

import numpy as np
import pytest

import nasbench_lab
from nasbench_lab.benchmarks.base import Benchmark
from nasbench_lab.errors import ConfigError, DataFileError
from nasbench_lab.search import Trajectory, run


@pytest.fixture(scope="module")
def nbgraph():
    return nasbench_lab.load()


def _max_concurrency(traj: Trajectory) -> int:
    events = sorted([(s, 1) for s in traj.start] + [(f, -1) for f in traj.finish], key=lambda e: (e[0], e[1]))
    running = peak = 0
    for _, delta in events:
        running += delta
        peak = max(peak, running)
    return peak


def test_sequential_clock_is_the_sum_of_training_times(nb201_c10):
    traj = run(nb201_c10, "re", seed=0, budget=50)
    assert np.allclose(traj.cost, nb201_c10.cost(traj.archs, 200))
    assert np.allclose(traj.finish, np.cumsum(traj.cost))
    assert np.allclose(traj.start[1:], traj.finish[:-1])
    assert traj.meta["time_unit"] == "s" and traj.meta["stopped"] == "budget"


def test_time_budget_with_one_worker(nb201_c10):
    budget = 100_000.0
    traj = run(nb201_c10, "rs", seed=0, budget_seconds=budget)
    assert traj.finish[-1] <= budget
    assert np.allclose(traj.start[1:], traj.finish[:-1])
    assert traj.finish[-1] > budget - 3 * traj.cost.max()  # it used the budget up to the last training


@pytest.mark.parametrize("algorithm", ["rs", "re", "ls", "hb"])
def test_k_workers_run_concurrently_and_results_arrive_in_finish_order(nb201_c10, algorithm):
    budget = 150_000.0
    traj = run(nb201_c10, algorithm, seed=1, budget_seconds=budget, workers=4)
    assert np.all(np.diff(traj.finish) >= 0)
    assert traj.finish[-1] <= budget
    assert np.allclose(traj.finish - traj.start, traj.cost)
    assert _max_concurrency(traj) == 4
    assert np.count_nonzero(traj.start == 0) == 4  # every worker starts at once
    serial = run(nb201_c10, algorithm, seed=1, budget_seconds=budget)
    assert len(traj) > 2.5 * len(serial)


def test_query_budget_with_workers_and_no_training_times(nbgraph):
    traj = run(nbgraph, "re", seed=0, budget=30, workers=3)
    assert len(traj) == 30
    assert traj.meta["time_unit"] == "query" and np.all(traj.cost == 1.0)
    assert _max_concurrency(traj) == 3


def test_budget_errors(nb201_c10):
    for bad in (0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ConfigError, match="budget in simulated seconds must be a number > 0"):
            run(nb201_c10, "rs", budget_seconds=bad)
    with pytest.raises(ConfigError, match="valid_seed must be 'random'"):
        run(nb201_c10, "rs", budget=5, valid_seed="median")


def test_mean_validation_option(nb201_c10):
    traj = run(nb201_c10, "rs", seed=0, budget=20, valid_seed="mean")
    assert np.allclose(traj.valid, nb201_c10.query(traj.archs, "valid_acc", 200))


def test_lower_is_better_search_metric_is_minimised(nb201_c10):
    class LossView:
        """NB201 with a lower-is-better search metric (100 - validation accuracy), for the sign logic."""

        search_metric = "valid_loss"

        def __init__(self, inner):
            self._inner = inner

        def __getattr__(self, name):
            return getattr(self._inner, name)

        query_batch = Benchmark.query_batch  # the runner asks for batches: built on this class's own query

        def metric_fidelities(self, metric):
            return self._inner.metric_fidelities("valid_acc" if metric == "valid_loss" else metric)

        def query(self, archs, metric, *args, **kwargs):
            if metric == "valid_loss":
                return 100.0 - np.asarray(self._inner.query(archs, "valid_acc", *args, **kwargs))
            return self._inner.query(archs, metric, *args, **kwargs)

    traj = run(LossView(nb201_c10), "re", seed=0, budget=100)
    assert not traj.meta["search_higher_is_better"]
    assert traj.final_valid == traj.valid.min()
    assert traj.final_valid < np.median(traj.valid[:10])  # evolution lowered the loss


def test_incumbent_matches_a_plain_loop():
    rng = np.random.default_rng(0)
    valid = np.round(rng.random(300) * 10)  # ties on purpose
    valid[[3, 50]] = np.nan
    t = Trajectory(archs=np.zeros((300, 6), np.int8), valid=valid, test=rng.random(300),
                   fidelity=np.full(300, 200), cost=np.ones(300), start=np.arange(300.0), finish=np.arange(1.0, 301))
    expected, best = [], 0
    for i, v in enumerate(valid):
        if np.isfinite(v) and (not np.isfinite(valid[best]) or v > valid[best]):
            best = i
        expected.append(best)
    assert t.incumbent().tolist() == expected
    assert t.final_test == t.test[expected[-1]]


def test_multi_fidelity_incumbent_prefers_the_highest_fidelity():
    t = Trajectory(archs=np.zeros((5, 6), np.int8), valid=np.array([90.0, 95.0, 80.0, 85.0, 99.0]),
                   test=np.arange(5.0), fidelity=np.array([12, 12, 200, 200, 12]), cost=np.ones(5),
                   start=np.arange(5.0), finish=np.arange(1.0, 6))
    assert t.incumbent().tolist() == [0, 1, 2, 3, 3]


def test_trajectory_file_round_trip(tmp_path, nb201_c10):
    traj = run(nb201_c10, "ls", seed=2, budget=40)
    path = traj.save(tmp_path / "a" / "run.npz")
    back = Trajectory.load(path)
    for field in ("archs", "valid", "test", "fidelity", "cost", "start", "finish"):
        assert np.array_equal(getattr(back, field), getattr(traj, field))
        assert getattr(back, field).dtype == getattr(traj, field).dtype
    assert back.meta == traj.meta
    assert not list(tmp_path.glob("a/.*tmp"))
    as_json = Trajectory.load(traj.save(tmp_path / "a" / "run.json"))
    for field in ("archs", "valid", "test", "fidelity", "cost", "start", "finish"):
        assert np.array_equal(getattr(as_json, field), getattr(traj, field))
    assert as_json.archs.dtype == traj.archs.dtype and as_json.meta == traj.meta
    (tmp_path / "bad.json").write_text('{"format": "other"}')
    with pytest.raises(DataFileError, match="not a nasbench_lab trajectory"):
        Trajectory.load(tmp_path / "bad.json")
    (tmp_path / "bad.npz").write_bytes(b"not a trajectory")
    with pytest.raises(DataFileError, match="not a nasbench_lab trajectory"):
        Trajectory.load(tmp_path / "bad.npz")
    with pytest.raises(DataFileError, match="not found"):
        Trajectory.load(tmp_path / "missing.npz")
