"""Search algorithms: registry, bad input, determinism and the behaviour each algorithm promises.

Runs on the embedded NAS-Bench-Graph tables (always installed) and, where noted, on the real
NAS-Bench-201 table from ../shared/data (skipped when absent).
"""

from __future__ import annotations

import numpy as np
import pytest

import nasbench_lab
from nasbench_lab.benchmarks.base import Benchmark
from nasbench_lab.errors import ConfigError, UnknownNameError
from nasbench_lab.search import OPTIMIZERS, Optimizer, make_optimizer, register_optimizer, run
from nasbench_lab.search.differential_evolution import UnitCubeCodec

SHORT_NAMES = ("rs", "re", "ls", "de", "bananas", "gbdt", "npred", "zc", "hb")
#: every registered algorithm under its own name (aliases skipped), built-in or plug-in, so that a newly
#: registered one is tested without editing this file
REGISTERED = tuple(n for n in OPTIMIZERS.names() if OPTIMIZERS.get(n).name == n)
#: those that run at one fidelity on any space (the generic checks below use NAS-Bench-Graph)
SINGLE_FIDELITY = tuple(n for n in REGISTERED if not OPTIMIZERS.get(n).multi_fidelity and not OPTIMIZERS.get(n).spaces)
#: small settings so model-based runs take a fraction of a second
QUICK = {"bananas": {"num_init": 5, "k": 5, "predictor_params": {"epochs": 20}},
         "gbdt": {"num_init": 10, "k": 10, "predictor_params": {"n_estimators": 20}},
         "npred": {"num_train": 15, "predictor_params": {"epochs": 20}},
         "parego": {"model_params": {"num_init": 5, "k": 5, "predictor_params": {"epochs": 20}}}}


@pytest.fixture(scope="module")
def nbgraph():
    return nasbench_lab.load()


def test_registry_has_every_short_name():
    for name in SHORT_NAMES:
        assert issubclass(OPTIMIZERS.get(name), Optimizer)
        assert OPTIMIZERS.get(name).name == name


def test_bad_input_gives_clear_errors(nbgraph):
    with pytest.raises(UnknownNameError, match="unknown algorithm 'nope'; accepted: .*bananas"):
        run(nbgraph, "nope", budget=5)
    with pytest.raises(UnknownNameError, match="parameter of algorithm re.*population_size"):
        run(nbgraph, "re", budget=5, params={"popsize": 3})
    for bad in (0, -3, 2.5, True):
        with pytest.raises(ConfigError, match="budget in queries must be an integer > 0"):
            run(nbgraph, "rs", budget=bad)
    with pytest.raises(ConfigError, match="needs queries .* or seconds"):
        run(nbgraph, "rs")
    with pytest.raises(ConfigError, match="no training times"):
        run(nbgraph, "rs", budget_seconds=100.0)
    with pytest.raises(ConfigError, match="hb needs at least two fidelities"):
        run(nbgraph, "hb", budget=10)
    with pytest.raises(ConfigError, match="population_size must be an integer >= 2"):
        run(nbgraph, "re", budget=5, params={"population_size": 1})
    with pytest.raises(ConfigError, match="workers must be an integer >= 1"):
        run(nbgraph, "rs", budget=5, workers=0)


@pytest.mark.parametrize("proxy", ["valid_acc", "test_acc", "train_acc", "valtest_acc"])
def test_zero_cost_refuses_result_metrics_as_proxy(nbgraph, proxy):
    with pytest.raises(ConfigError, match="never validation, training or test"):
        run(nbgraph, "zc", budget=5, params={"proxy": proxy})


def test_requested_fidelity_must_exist(nb201_c10):
    with pytest.raises(ConfigError, match="no valid_acc values at fidelity 50; fidelities with values: 12, 200"):
        run(nb201_c10, "rs", budget=5, fidelity=50)


@pytest.mark.parametrize("name", SINGLE_FIDELITY)
def test_same_seed_same_trajectory_bit_for_bit(nbgraph, name):
    a = run(nbgraph, name, seed=3, budget=40, params=QUICK.get(name))
    b = run(nbgraph, name, seed=3, budget=40, params=QUICK.get(name))
    c = run(nbgraph, name, seed=4, budget=40, params=QUICK.get(name))
    assert len(a) == 40
    for field in ("archs", "valid", "test", "fidelity", "cost", "start", "finish"):
        assert np.array_equal(getattr(a, field), getattr(b, field)), field
    assert not np.array_equal(a.archs, c.archs)


def test_hyperband_same_seed_same_trajectory_and_fidelities(nb201_c10):
    a = run(nb201_c10, "hb", seed=1, budget=60)
    b = run(nb201_c10, "hb", seed=1, budget=60)
    assert np.array_equal(a.archs, b.archs) and np.array_equal(a.valid, b.valid)
    assert set(np.unique(a.fidelity)) == {12, 200}


def test_hyperband_promotes_the_best_of_the_low_rung(nb201_c10):
    traj = run(nb201_c10, "hb", seed=0, budget=5, valid_seed="mean")
    # first bracket (eta 3, fidelities 12 and 200): 3 configurations at 12 epochs, the best one at 200
    assert traj.fidelity.tolist()[:4] == [12, 12, 12, 200]
    best_low = traj.archs[int(np.argmax(traj.valid[:3]))]
    assert np.array_equal(traj.archs[3], best_low)
    assert traj.valid[3] == pytest.approx(nb201_c10.query(best_low, "valid_acc", 200))
    # the incumbent is chosen among the highest fidelity seen, not the (higher) 12-epoch values
    assert traj.incumbent()[3] == 3


def test_hyperband_costs_scale_with_fidelity(nb201_c10):
    traj = run(nb201_c10, "hb", seed=2, budget=12)
    for arch, fid, cost in zip(traj.archs, traj.fidelity, traj.cost):
        assert cost == pytest.approx(nb201_c10.cost(arch, int(fid)))


def test_optimizer_is_told_validation_values_only(nb201_c10):
    """A spy optimizer records what it is told; the test metric is read only after the last tell.

    The wrapper also hides the tabular fast path, so equality with a direct run shows that the
    fast path gives the benchmark's own values bit for bit.
    """
    told: list[float] = []
    report_reads: list[int] = []

    class Wrapped:
        """The real benchmark, counting report-metric queries."""

        def __init__(self, inner):
            self._inner = inner

        def __getattr__(self, name):
            return getattr(self._inner, name)

        query_batch = Benchmark.query_batch  # the runner asks for batches: built on this class's own query

        def query(self, archs, metric, *args, **kwargs):
            if metric == self._inner.report_metric:
                report_reads.append(1)
            return self._inner.query(archs, metric, *args, **kwargs)

    @register_optimizer("_spy_for_test")
    class Spy(OPTIMIZERS.get("re")):
        def tell(self, archs, values, fidelities=None):
            assert not report_reads, "test metric read while the search runs"
            told.extend(values.tolist())
            super().tell(archs, values, fidelities)

    try:
        traj = run(Wrapped(nb201_c10), "_spy_for_test", seed=0, budget=30)
    finally:
        OPTIMIZERS._items.pop("_spy_for_test", None)
    assert report_reads and np.array_equal(np.asarray(told), traj.valid)
    direct = run(nb201_c10, "re", seed=0, budget=30)
    assert np.array_equal(direct.archs, traj.archs) and np.array_equal(direct.valid, traj.valid)
    per_seed = nb201_c10.table.metrics["valid_acc"].values[nb201_c10.space.index(traj.archs), :, -1]
    assert all(v in row for v, row in zip(traj.valid, per_seed))  # one real training seed per query
    assert not np.array_equal(traj.valid, nb201_c10.query(traj.archs, "valid_acc", 200))
    assert np.array_equal(traj.test, nb201_c10.query(traj.archs, "test_acc", 200))


def test_regularized_evolution_children_are_mutants_of_earlier_members(nbgraph):
    traj = run(nbgraph, "re", seed=0, budget=60, params={"population_size": 8, "sample_size": 3})
    space = nbgraph.space
    for i in range(8, 60):
        earlier = traj.archs[max(0, i - 8 - 8): i]  # the population holds members told in the last 8 steps
        neighbours = {int(k) for a in earlier for k in space.keys(space.neighbours(a))}
        assert int(space.keys(traj.archs[i : i + 1])[0]) in neighbours


@pytest.mark.parametrize("first", [False, True])
def test_local_search_never_repeats_and_climbs(nbgraph, first):
    traj = run(nbgraph, "ls", seed=1, budget=400, params={"num_init": 5, "first_improvement": first})
    keys = nbgraph.space.keys(traj.archs)
    assert len(np.unique(keys)) == len(keys) == 400
    assert traj.final_valid >= np.sort(traj.valid[:5])[-1]


def test_local_search_exhausts_a_small_space_then_stops():
    """On a space of 15,625 cells, a budget above the size ends early with every cell visited once."""
    space = nasbench_lab.space("nb201")
    opt = make_optimizer("ls", search_problem_for(space), np.random.default_rng(0), num_init=50)
    seen: set[int] = set()
    while True:
        archs = opt.ask(64)
        if not len(archs):
            break
        keys = space.keys(archs).tolist()
        assert not seen.intersection(keys)
        seen.update(keys)
        opt.tell(archs, -np.abs(archs.sum(axis=1).astype(float) - 9))
    assert len(seen) == space.size


def search_problem_for(space):
    from nasbench_lab.search import SearchProblem

    return SearchProblem(space)


@pytest.mark.parametrize("space_name", ["nb201", "nbgraph"])
def test_de_codec_round_trips(space_name):
    space = nasbench_lab.space(space_name)
    rng = np.random.default_rng(0)
    codec = UnitCubeCodec(space, rng)
    archs = space.sample(rng, 200)
    for arch in archs:
        vec = codec.encode(arch)
        assert vec.min() >= 0 and vec.max() <= 1
        assert np.array_equal(codec.decode(vec), arch)


def test_zero_cost_starts_from_the_proxy_best(nb201_c10):
    traj = run(nb201_c10, "zc", seed=0, budget=20, params={"proxy": "params", "pool_size": 500})
    params = nb201_c10.query(traj.archs[:10], "params")
    everyone = nb201_c10.query(nb201_c10.space.all(), "params")
    assert params.min() >= np.quantile(everyone, 0.9)
    assert run(nb201_c10, "zc", seed=0, budget=5).meta["params"]["proxy"] == "auto"


@pytest.mark.parametrize("name", ["bananas", "gbdt", "npred"])
def test_model_based_search_never_repeats(nb201_c10, name):
    traj = run(nb201_c10, name, seed=0, budget=40, params=QUICK[name])
    keys = nb201_c10.space.keys(traj.archs)
    assert len(np.unique(keys)) == len(keys)


def test_gbdt_feature_pruning_runs_and_differs(nb201_c10):
    plain = run(nb201_c10, "gbdt", seed=0, budget=30, params=QUICK["gbdt"])
    pruned = run(nb201_c10, "gbdt", seed=0, budget=30, params={**QUICK["gbdt"], "prune_features": 3})
    assert np.array_equal(plain.archs[:10], pruned.archs[:10])  # same random start
    assert not np.array_equal(plain.archs, pruned.archs)


def test_model_based_rejects_unknown_predictor(nbgraph):
    with pytest.raises(UnknownNameError, match="unknown predictor 'nope'"):
        run(nbgraph, "bananas", budget=5, params={"predictor": "nope"})


def test_neural_predictor_takes_its_ranking_lazily_in_the_same_order(nb201_c10):
    from nasbench_lab.search.neural_predictor import NeuralPredictorSearch

    class Eager(NeuralPredictorSearch):  # the previous batching: the whole ranking at once
        def _next_batch(self):
            pool = self.candidate_pool(self.pool_size)
            ranked = pool[np.argsort(-self.fit().predict(pool), kind="stable")]
            return self.take(ranked, len(ranked))

    problem = nasbench_lab.search.runner.search_problem(nb201_c10)
    opt_seq, _ = np.random.SeedSequence(3).spawn(2)  # the optimizer's stream, as run() derives it
    eager = Eager(problem, np.random.default_rng(opt_seq), **QUICK["npred"])
    lazy = run(nb201_c10, "npred", seed=3, budget=60, params=QUICK["npred"])
    assert np.array_equal(run(nb201_c10, eager, seed=3, budget=60).archs, lazy.archs)


def test_warm_started_refits_continue_the_last_model(nb201_c10):
    from nasbench_lab.predictors import make_predictor

    space = nb201_c10.space
    X = space.sample(np.random.default_rng(0), 60)
    y = nb201_c10.query(X, "valid_acc")
    first = make_predictor("mlp_ens", space, random_state=1, epochs=60).fit(X, y)
    warm = make_predictor("mlp_ens", space, random_state=2, epochs=60, warm_epochs=1)
    warm.warm_from(first)
    warm.fit(X, y)
    cold = make_predictor("mlp_ens", space, random_state=2, epochs=1).fit(X, y)
    gap_warm = np.abs(warm.predict(X) - first.predict(X)).mean()
    assert gap_warm < 0.25 * np.abs(cold.predict(X) - first.predict(X)).mean()
    trees = make_predictor("xgb", space, random_state=1, n_estimators=30).fit(X, y)
    more = make_predictor("xgb", space, random_state=1, n_estimators=30, warm_trees=7)
    more.warm_from(trees)
    assert more.fit(X, y)._booster.num_boosted_rounds() == 37
    gbdt = run(nb201_c10, "gbdt", seed=0, budget=40, params=QUICK["gbdt"])
    assert gbdt.meta["params"]["warm_start"] is True


@pytest.mark.parametrize("name, start", [("bananas", 5), ("gbdt", 10), ("npred", 15)])
def test_model_based_search_draws_its_random_start_in_one_batch(nbgraph, monkeypatch, name, start):
    """The random start is one draw of ``num_init`` architectures, handed out one per ask, not one draw per ask."""
    space_type = type(nbgraph.space)
    drawn: list[int | None] = []
    sample = space_type.sample
    monkeypatch.setattr(space_type, "sample", lambda self, rng, n=None: drawn.append(n) or sample(self, rng, n))
    traj = run(nbgraph, name, seed=0, budget=start + 5, params=QUICK[name])
    assert start in drawn and drawn.count(1) <= 2  # (the runner draws one architecture to probe its metric/cost)
    assert len(traj.valid) == start + 5
    assert len(np.unique(nbgraph.space.keys(traj.archs))) == start + 5


def test_rung_ladder_ends_on_a_zero_fidelity_and_keeps_the_known_ladders():
    from nasbench_lab.search.hyperband import rung_ladder

    assert rung_ladder((0, 1), 3.0) == [0, 1]  # was an endless loop: 0 <= 0 / eta forever
    assert rung_ladder((0,), 3.0) == [0]
    assert rung_ladder(tuple(range(1, 201)), 3.0) == [2, 7, 22, 66, 200]
    assert rung_ladder((12, 200), 3.0) == [12, 200]
    assert rung_ladder((4, 12, 36, 108), 3.0) == [4, 12, 36, 108]
