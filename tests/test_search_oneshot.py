"""One-shot search (``oneshot-rs``, ``oneshot-re``): supernet ratings as the signal, the supernet's cost on the
clock (toy supernet: C=4, N=1, 1 epoch on digits), and the runner's ``setup_cost``."""

from __future__ import annotations

import numpy as np
import pytest
from test_search_budget import synthetic_benchmark

import nasbench_lab
from nasbench_lab.errors import ConfigError
from nasbench_lab.search import run

SPACE = nasbench_lab.space("nb201")
RS = {"pool_size": 30}
RE = {"population_size": 8, "sample_size": 3, "cycles": 12}


@pytest.fixture(scope="module")
def bench():
    return synthetic_benchmark(type(SPACE)())


@pytest.fixture(scope="module")
def supernet(tmp_path_factory):
    pytest.importorskip("torch")
    from nasbench_lab import live

    folder = tmp_path_factory.mktemp("oneshot") / "supernet"
    live.train_supernet(C=4, N=1, epochs=1, data="digits", seed=0, folder=folder)
    return str(folder)


def _epoch_cost(bench) -> float:
    return float(np.mean(bench.cost(bench.space.all(), 200))) / 200


@pytest.mark.parametrize("algorithm, params, most", [("oneshot-rs", RS, 30), ("oneshot-re", RE, 8 + 12)])
def test_the_clock_starts_at_the_charged_supernet_cost(bench, supernet, algorithm, params, most):
    """setup = (1 SPOS epoch + n_rated * rating images / (3 * training images)) * mean epoch seconds of a cell."""
    from nasbench_lab import live

    traj = run(bench, algorithm, seed=0, budget=6, params={"supernet": supernet, **params})
    setup = traj.meta["setup_cost"]
    assert traj.start[0] == setup and np.allclose(traj.finish, setup + np.cumsum(traj.cost))
    data = live.load_data("digits")
    per_rating = (4 * 64 + len(data.valid.y)) / (3 * len(data.train.y))
    n_rated = (setup / _epoch_cost(bench) - 1) / per_rating
    assert n_rated == pytest.approx(round(n_rated), abs=1e-6) and 6 <= round(n_rated) <= most


def test_ratings_are_the_signal_best_rated_queried_first(bench, supernet):
    from nasbench_lab import live

    traj = run(bench, "oneshot-rs", seed=1, budget=8, params={"supernet": supernet, **RS})
    ratings = live.rate_supernet(supernet, traj.archs, space="nb201").valid_acc
    assert (np.diff(ratings) <= 0).all(), ratings  # proposed in order of rating, not of table value
    assert not (np.diff(traj.valid) <= 0).all()  # the synthetic table's order differs (the test can fail)


@pytest.mark.parametrize("algorithm, params", [("oneshot-rs", RS), ("oneshot-re", RE)])
def test_oneshot_runs_are_deterministic_for_a_seed(bench, supernet, algorithm, params):
    a, b = (run(bench, algorithm, seed=2, budget=5, params={"supernet": supernet, **params}) for _ in range(2))
    assert np.array_equal(a.archs, b.archs) and np.array_equal(a.finish, b.finish)
    assert a.meta["setup_cost"] == b.meta["setup_cost"] > 0
    c = run(bench, algorithm, seed=3, budget=5, params={"supernet": supernet, **params})
    assert not np.array_equal(a.archs, c.archs)


def test_a_time_budget_includes_the_setup_cost(bench, supernet):
    full = run(bench, "oneshot-rs", seed=0, budget=6, params={"supernet": supernet, **RS})
    setup = full.meta["setup_cost"]
    short = run(bench, "oneshot-rs", seed=0, budget_seconds=float(full.finish[2]) + 1e-6,
                params={"supernet": supernet, **RS})
    assert len(short) == 3 and np.array_equal(short.archs, full.archs[:3]) and short.start[0] == setup
    with pytest.raises(ConfigError, match="setup cost .* uses up the budget"):
        run(bench, "oneshot-rs", seed=0, budget_seconds=setup / 2, params={"supernet": supernet, **RS})


def test_runner_setup_cost_shifts_the_clock_only(bench):
    plain = run(bench, "re", seed=4, budget=20)
    assert "setup_cost" not in plain.meta
    charged = run(bench, "re", seed=4, budget=20, setup_cost=1000.0)
    assert np.array_equal(plain.archs, charged.archs) and np.array_equal(plain.cost, charged.cost)
    assert np.allclose(charged.finish, plain.finish + 1000.0) and charged.meta["setup_cost"] == 1000.0
    events = run(bench, "re", seed=4, budget_seconds=float(plain.finish[-1]) + 1000.0, workers=2, setup_cost=1000.0)
    assert events.start[:2].tolist() == [1000.0, 1000.0]
    for bad in (-1.0, float("nan"), "x"):
        with pytest.raises(ConfigError, match="setup_cost must be a number of simulated seconds >= 0"):
            run(bench, "re", seed=0, budget=5, setup_cost=bad)
