"""Native multi-objective optimizers (nsga2, mo-re, mo-ls, parego), the spaces' crossover, and optuna:* with several
objectives and constraints.

Mechanics run on SYNTHETIC NB201 folders: ``tests/fixtures/mo_bench.py`` (made-up accuracies that are a hash of
the cell index, so no optimizer can beat random search there), and ``structured_bench`` below, whose made-up
accuracy and latency add up per-edge op effects, so that searching pays off as on real tables (its numbers are
invented; a search on it is a check that the algorithms exploit structure, not a published result). The real-data
check reads NB201 CIFAR-100 from ../shared/data and is skipped when it is absent.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import shared_file
from fixtures.mo_bench import load_bench

import nasbench_lab
from nasbench_lab.analysis.pareto import pareto_reference
from nasbench_lab.errors import ConfigError, UnknownNameError
from nasbench_lab.results.pareto import crowding_distance, fronts, nondominated_ranks
from nasbench_lab.search import OPTIMIZERS, make_optimizer, run, search_problem
from nasbench_lab.search.base import Optimizer, SearchProblem, multi_objective_names, register_optimizer
from nasbench_lab.search.mo_ranking import constrained_ranks, crowding, front_crowding
from nasbench_lab.search.parego import ParEGO
from nasbench_lab.spaces import SPACES, SearchSpace, space
from nasbench_lab.spaces.nb201 import NB201Space
from nasbench_lab.spaces.table_space import TableSpace

NATIVE = ("nsga2", "mo-re", "mo-ls", "parego")
#: small settings so parego's model rounds take a fraction of a second
QUICK = {"parego": {"model_params": {"num_init": 8, "k": 8, "predictor_params": {"epochs": 15}}}}
OBJECTIVES = ["valid_acc", "latency_pixel3"]
#: made-up latency 1 + index/100 ms: cells 0..3900 (a quarter) are feasible
CONSTRAINT = "latency_gold_6226<=40"


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    return load_bench(tmp_path_factory.mktemp("mo"))


# ------------------------------------------------------------------ a synthetic table with structure
#: made-up per-op accuracy gain and latency (ms) on each edge: none, skip, conv1x1, conv3x3, avg_pool
GAIN = np.array([0.0, 2.0, 3.0, 5.0, 1.0])
COST = np.array([0.0, 0.05, 0.6, 1.5, 0.3])
EDGE_WEIGHT = np.array([1.0, 0.8, 1.2, 0.6, 1.0, 1.4])


def structured_bench(root: Path):
    """A SYNTHETIC NB201 CIFAR-10 folder whose accuracy and latency add up per-edge op effects (plus a small
    made-up jitter), so that accuracy and latency trade off along a front that search can climb towards."""
    ops = NB201Space().all().astype(np.int64)
    i = np.arange(len(ops))
    acc = 50 + (GAIN[ops] * EDGE_WEIGHT).sum(1) + 2.0 * ((ops == 3).sum(1) >= 2) + (i * 7919 % 1000) / 1000
    gold = 1 + (COST[ops] * EDGE_WEIGHT[::-1]).sum(1) + (i * 104729 % 1000) / 20000
    pixel = 2 + np.sqrt(COST[ops]).sum(1)
    folder = root / "nb201"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "nb201_tables.csv").write_text("index,cifar10_valid_acc_200ep,cifar10_test_acc_200ep\n" + "".join(
        f"{k},{a:.4f},{a - 1:.4f}\n" for k, a in enumerate(acc)))
    (folder / "nb201_hw_latency.csv").write_text("index,gold_6226_latency_ms,pixel3_latency_ms\n" + "".join(
        f"{k},{g:.6g},{p:.6g}\n" for k, (g, p) in enumerate(zip(gold, pixel))))
    return nasbench_lab.load("nb201", "cifar10", path=folder, cache_dir=root / "cache")


@pytest.fixture(scope="module")
def structured(tmp_path_factory):
    return structured_bench(tmp_path_factory.mktemp("structured"))


def hv_regrets(bench, name: str, objectives: list[str], seeds: int, budget: int, params=None) -> np.ndarray:
    """Final hypervolume regret of the feasible queries of each seed, against the whole table's exact front."""
    every = bench.space.all()
    table = np.column_stack([bench.query_batch(every, o) for o in objectives])
    keep = np.isfinite(table).all(axis=1)
    higher = [True] + [False] * (len(objectives) - 1)
    ref = pareto_reference(table[keep], higher)
    out = []
    for seed in range(seeds):
        t = run(bench, name, seed, budget=budget, objectives=objectives, params=params)
        out.append(ref.hv_regret(t.objectives[t.feasible]))
    return np.array(out)


# ------------------------------------------------------------------ registry
def test_native_optimizers_are_registered_as_multi_objective():
    for name in NATIVE:
        cls = OPTIMIZERS.get(name)
        assert cls.multi_objective and cls.name == name and cls.display_name
        assert name in multi_objective_names()
    assert OPTIMIZERS.get("mo_regularized_evolution") is OPTIMIZERS.get("mo-re")
    assert not OPTIMIZERS.get("re").multi_objective


#: (algorithm, parameters, error, what the one-line message says)
BAD_PARAMS = [
    ("nsga2", {"crossover_prob": 1.5}, ConfigError, r"nsga2: crossover_prob must be a number in \[0.0, 1.0\], got 1.5"),
    ("nsga2", {"population_size": 1}, ConfigError, "nsga2: population_size must be an integer >= 2, got 1"),
    ("nsga2", {"mutation_prob": "high"}, ConfigError, "nsga2: mutation_prob must be a number in"),
    ("mo-re", {"selection": "vote"}, UnknownNameError, "unknown selection of mo-re 'vote'; accepted: crowding, hv"),
    ("mo-re", {"sample_size": 30}, ConfigError, r"mo-re: sample_size must be between 1 and population_size \(20\)"),
    ("mo-ls", {"neighbours_per_visit": 0}, ConfigError, "mo-ls: neighbours_per_visit must be an integer >= 1"),
    ("parego", {"model": "tpe"}, UnknownNameError, "unknown model of parego 'tpe'; accepted: bananas, gbdt"),
    ("parego", {"model_params": {"kk": 3}}, UnknownNameError,
     r"parameter of algorithm bananas \(parego's model_params\) 'kk'; accepted: .*num_candidates"),
    ("parego", {"model_params": 3}, ConfigError, "parego: model_params must be a table of bananas parameters"),
    ("parego", {"rho": -1}, ConfigError, r"parego: rho must be a number in \[0.0, 1.0\]"),
    ("re", {}, ConfigError, "re optimizes one objective, and this run has 2 .*use a multi-objective algorithm .*nsga2"),
]


@pytest.mark.parametrize("name, params, error, message", BAD_PARAMS, ids=[f"{c[0]}-{c[1]}" for c in BAD_PARAMS])
def test_bad_parameters_are_one_line_errors(bench, name, params, error, message):
    with pytest.raises(error, match=message) as info:
        run(bench, name, 0, budget=5, objectives=OBJECTIVES, params=params)
    assert "\n" not in str(info.value)


# ------------------------------------------------------------------ mechanics on the synthetic folder
@pytest.mark.parametrize("workers", [1, 3])
@pytest.mark.parametrize("name", NATIVE)
def test_same_seed_same_trajectory_and_every_proposal_valid(bench, name, workers):
    kwargs = dict(budget=60, objectives=OBJECTIVES, constraints=[CONSTRAINT], workers=workers,
                  params=QUICK.get(name))
    a = run(bench, name, 4, **kwargs)
    b = run(bench, name, 4, **kwargs)
    c = run(bench, name, 5, **kwargs)
    assert len(a) == 60 and a.meta["stopped"] == "budget"
    for field in ("archs", "valid", "test", "objectives", "violation", "finish"):
        assert np.array_equal(getattr(a, field), getattr(b, field)), field
    assert not np.array_equal(a.archs, c.archs)
    bench.space.validate(a.archs)
    assert a.objectives.shape == (60, 2) and 0 < a.n_feasible < 60


@pytest.mark.parametrize("name", NATIVE)
def test_one_objective_runs(bench, name):
    plain = run(bench, name, 0, budget=40, params=QUICK.get(name))
    constrained = run(bench, name, 0, budget=40, objectives=["valid_acc"], constraints=[CONSTRAINT],
                      params=QUICK.get(name))
    assert len(plain) == len(constrained) == 40
    assert constrained.objectives.shape == (40, 1) and constrained.n_feasible > 0


def test_a_multi_objective_optimizer_is_told_a_vector_in_a_one_objective_run(bench):
    told: list[tuple] = []

    @register_optimizer("_test_mo_shapes")
    class Recorder(Optimizer):
        multi_objective = True

        def ask(self, n):
            return self.space.sample(self.rng, n)

        def tell(self, archs, values, fidelities=None):
            told.append(np.shape(values))

    try:
        run(bench, "_test_mo_shapes", 0, budget=3, objectives=["valid_acc"], constraints=[CONSTRAINT])
        run(bench, "_test_mo_shapes", 0, budget=3, objectives=OBJECTIVES)
    finally:
        OPTIMIZERS._items.pop("_test_mo_shapes")
    assert told == [(1,)] * 3 + [(1, 2)] * 3


@pytest.mark.parametrize("name", ["nsga2", "mo-re", "mo-ls"])
def test_constraint_domination_steers_towards_the_feasible_region(structured, name):
    # about a quarter of the cells is feasible: random search stays near a quarter; these learn from violations
    tight = "latency_gold_6226<=3"
    feasible = {algo: np.mean([run(structured, algo, s, budget=120, objectives=OBJECTIVES,
                                   constraints=[tight]).feasible[60:].mean() for s in range(5)])
                for algo in ("rs", name)}
    assert 0.2 < feasible["rs"] < 0.35 and feasible[name] > 0.6, feasible


@pytest.mark.parametrize("name, params", [("nsga2", None), ("mo-re", None), ("mo-re", {"selection": "hv"}),
                                          ("mo-ls", None), ("parego", QUICK["parego"]),
                                          ("parego", {"model": "gbdt", "model_params": {"num_init": 10, "k": 10}})])
def test_beats_random_search_on_hypervolume(structured, name, params):
    rs = hv_regrets(structured, "rs", ["valid_acc", "latency_gold_6226"], 10, 100)
    mo = hv_regrets(structured, name, ["valid_acc", "latency_gold_6226"], 10, 100, params)
    assert mo.mean() < rs.mean(), (mo.mean(), rs.mean())


def test_mo_ls_never_repeats_and_its_archive_is_the_front_of_what_it_saw(bench):
    opt = make_optimizer("mo-ls", search_problem(bench, "valid_acc", None), np.random.default_rng(0))
    rows = []
    for _ in range(80):
        arch = opt.ask(1)
        row = np.array([[bench.query(arch[0], "valid_acc"), -bench.query(arch[0], "latency_pixel3")]])
        opt.tell(arch, row)
        rows.append(row[0])
    archs = np.stack([a for a, _ in opt.archive])
    seen = np.array(rows)
    assert len(np.unique(bench.space.keys(archs))) == len(archs)
    front = seen[nondominated_ranks(seen, [True, True]) == 0]
    assert {tuple(p) for _, p in opt.archive} == {tuple(p) for p in front}


def test_mo_ls_proposes_each_architecture_once(bench):
    t = run(bench, "mo-ls", 1, budget=150, objectives=OBJECTIVES)
    assert len(np.unique(bench.space.keys(t.archs))) == 150


def test_mo_re_tournament_prefers_the_front_then_the_less_crowded(bench):
    problem = SearchProblem(bench.space, objectives=("a", "b"))
    for selection in ("crowding", "hv"):
        opt = make_optimizer("mo-re", problem, np.random.default_rng(0), population_size=5, sample_size=5,
                             selection=selection)
        archs = bench.space.from_index(np.arange(5))
        # a front of 4 (index 0..3) plus one dominated point; 1 and 2 sit close together, 0 and 3 are extremes
        opt.tell(archs, np.array([[0.0, 10.0], [5.0, 5.1], [5.1, 5.0], [10.0, 0.0], [1.0, 1.0]]))
        winners = {int(bench.space.index(opt._tournament().arch)) for _ in range(20)}
        assert winners <= {0, 3}, (selection, winners)


def test_mo_re_ages_out_the_oldest_and_picks_from_the_members_left(bench):
    problem = SearchProblem(bench.space, objectives=("a", "b"))
    opt = make_optimizer("mo-re", problem, np.random.default_rng(0), population_size=3, sample_size=3)
    archs = bench.space.from_index(np.arange(7))
    for k in range(7):  # 7 results into a population of 3: cells 4, 5, 6 are left, and 5 dominates 4 and 6
        opt.tell(archs[k:k + 1], np.array([[10.0 - k, 10.0 - k] if k < 4 else [1.0, 1.0 + (k == 5)]]))
        if k >= 2:
            assert len(opt._members) == 3
    assert {int(bench.space.index(opt._tournament().arch)) for _ in range(10)} == {5}


@pytest.mark.parametrize("space_name", ["nb101", "darts", "nbgraph", "nb201"])
@pytest.mark.parametrize("name", NATIVE)
def test_proposals_are_members_on_every_space(space_name, name):
    # driven through ask/tell with SYNTHETIC objectives (linear in the one-hot encoding), batches of 1 and 3
    sp = space(space_name)
    weights = np.random.default_rng(1).normal(size=(2, sp.encode(sp.sample(np.random.default_rng(0), 1)).shape[1]))
    opt = make_optimizer(name, SearchProblem(sp, objectives=("a", "b")), np.random.default_rng(0),
                         **QUICK.get(name, {}))
    asked = []
    for n in [1, 3] * 12:
        archs = opt.ask(n)
        assert 0 < len(archs) <= n
        sp.validate(archs)
        opt.tell(archs, (sp.encode(archs) @ weights.T) * [1, -1])
        asked.append(archs)
    keys = sp.keys(np.concatenate(asked))
    assert len(np.unique(keys)) > len(keys) // 2


# ------------------------------------------------------------------ parego
def test_parego_scalarizes_with_new_weights_each_round(bench):
    problem = SearchProblem(bench.space, objectives=("a", "b"))
    opt = make_optimizer("parego", problem, np.random.default_rng(0), model="gbdt",
                         model_params={"num_init": 4, "k": 2, "pool_size": 50, "num_mutants": 10})
    assert isinstance(opt, ParEGO)
    inner = opt.inner
    weights = []
    for _ in range(5):
        archs = opt.ask(2)
        opt.tell(archs, np.column_stack([bench.query_batch(archs, "valid_acc"),
                                         -bench.query_batch(archs, "latency_pixel3")]))
        weights.append(inner.weights.copy())
    assert len({tuple(w) for w in weights[2:]}) == 3 and all(np.isclose(w.sum(), 1) for w in weights)
    inner.weights = np.array([0.25, 0.75])
    rows = np.array([[1.0, -3.0], [3.0, -1.0], [2.0, -2.0]])  # normalized minimization: (1, 1), (0, 0), (.5, .5)
    np.testing.assert_allclose(inner.scalarize(rows), [0.75 + 0.05, 0.0, 0.375 + 0.025])


# ------------------------------------------------------------------ the spaces' crossover
class ListedSpace(TableSpace):
    """A listed two-column table space lacking some combinations (so crossover can produce absent children)."""

    def __init__(self):
        members = np.array([[a, b] for a in range(4) for b in range(4) if (a + b) % 3], dtype=np.int16)
        super().__init__("listed", [("x", ("0", "1", "2", "3")), ("y", ("0", "1", "2", "3"))], members)


class NoChoices(NB201Space):
    """NB201 without a categorical parameterisation (as a plug-in space may be)."""

    to_categorical = SearchSpace.to_categorical


@pytest.mark.parametrize("name", [*SPACES.names(), "listed"])
def test_crossover_children_are_always_members(name):
    sp = ListedSpace() if name == "listed" else space(name)
    for seed in range(3):
        rng = np.random.default_rng(seed)
        a, b = sp.sample(rng, 150), sp.sample(rng, 150)
        child = sp.crossover(a, b, rng)
        assert child.shape == a.shape and child.dtype == sp.arch_dtype
        sp.validate(child)
        if sp.size is not None:
            assert (np.asarray(sp.index(child)) >= 0).all()
        again = sp.crossover(a, b, np.random.default_rng(seed))
        assert np.array_equal(sp.crossover(a, b, np.random.default_rng(seed)), again)
        keys = sp.keys(child)
        assert ((keys != sp.keys(a)) & (keys != sp.keys(b))).any(), "crossover never mixes two parents"
    assert sp.crossover(a[:0], b[:0], rng).shape == (0, *sp.arch_shape)


def test_nb201_crossover_takes_each_edge_from_a_parent():
    sp = space("nb201")
    rng = np.random.default_rng(0)
    a, b = sp.sample(rng, 500), sp.sample(rng, 500)
    child = sp.crossover(a, b, rng)
    assert ((child == a) | (child == b)).all()
    assert 0.4 < (child == a)[a != b].mean() < 0.6


def test_crossover_without_categorical_choices_copies_a_parent_and_refuses_bad_input():
    sp = NoChoices()
    rng = np.random.default_rng(0)
    a, b = sp.sample(rng, 100), sp.sample(rng, 100)
    child = sp.crossover(a, b, rng)
    assert ((child == a).all(axis=1) | (child == b).all(axis=1)).all()
    assert (child == a).all(axis=1).any() and (child == b).all(axis=1).any()
    with pytest.raises(Exception, match="equal length"):
        sp.crossover(a, b[:3], rng)
    with pytest.raises(ConfigError, match="rng must be a numpy.random.Generator"):
        sp.crossover(a, b, 0)


# ------------------------------------------------------------------ ranking helpers
def test_fast_crowding_and_ranks_equal_the_results_module():
    rng = np.random.default_rng(0)
    for _ in range(300):
        n, m = int(rng.integers(1, 25)), int(rng.integers(1, 4))
        values = rng.integers(0, 5, size=(n, m)).astype(float)  # small integers: ties and duplicates
        ranks = constrained_ranks(values, np.zeros(n))
        assert np.array_equal(ranks, nondominated_ranks(values, [True] * m))
        assert np.array_equal(crowding(values, ranks, np.zeros(n)), crowding_distance(values, [True] * m, ranks))
        if m == 2:
            for front in fronts(values, [True, True]):
                assert np.allclose(front_crowding(values[front]), crowding_distance(values[front], [True, True]))


def test_constrained_ranks_put_feasible_fronts_first_then_violation():
    values = np.array([[1.0, 1.0], [2.0, 0.0], [0.0, 0.0], [-np.inf, -np.inf], [-np.inf, -np.inf],
                       [-np.inf, -np.inf]])
    violation = np.array([0.0, 0.0, 0.0, 3.0, 0.5, np.inf])
    assert constrained_ranks(values, violation).tolist() == [0, 0, 1, 3, 2, 4]


# ------------------------------------------------------------------ optuna with several objectives
@pytest.mark.parametrize("name", ["optuna:nsga2", "optuna:tpe", "optuna:nsga3", "optuna:random"])
def test_optuna_samplers_take_several_objectives(bench, name):
    pytest.importorskip("optuna")
    kwargs = dict(budget=30, objectives=OBJECTIVES, params={"population_size": 10} if "nsga" in name else None)
    a = run(bench, name, 2, **kwargs)
    b = run(bench, name, 2, **kwargs)
    assert np.array_equal(a.archs, b.archs) and a.objectives.shape == (30, 2)
    problem = search_problem(bench, "valid_acc", None)
    opt = make_optimizer(name, SearchProblem(problem.space, objectives=("a", "b")), np.random.default_rng(0))
    assert len(opt.study.directions) == 2


@pytest.mark.parametrize("mode", ["set_constraint", "constraints_func"])
def test_optuna_learns_each_trials_violation(bench, monkeypatch, mode):
    pytest.importorskip("optuna")
    from nasbench_lab.results.objective_choice import resolve_objectives
    from nasbench_lab.search import optuna_search

    monkeypatch.setattr(optuna_search, "constraint_mode", lambda optuna, cls: mode)  # Optuna 4's way, too
    objs = resolve_objectives(bench, OBJECTIVES, [CONSTRAINT])
    opt = make_optimizer("optuna:nsga2", search_problem(bench, "valid_acc", objs), np.random.default_rng(0),
                         population_size=8)
    t = run(bench, opt, 0, budget=40, objectives=OBJECTIVES, constraints=[CONSTRAINT])
    trials = opt.study.trials  # in the order asked, which is the order of results with one worker
    assert len(trials) == 40
    first = int(np.argmax(t.feasible))  # before a first value, an infeasible trial can only fail
    assert first > 0 and all(tr.state.name == "FAIL" for tr in trials[:first])
    np.testing.assert_allclose([sum(tr.constraints.values()) for tr in trials[first:]], t.violation[first:])
    assert all(tr.state.name == "COMPLETE" and np.isfinite(tr.values).all() for tr in trials[first:])
    worst = np.minimum.accumulate(np.where(t.feasible[:, None], t.objectives * [1, -1], np.inf), axis=0)
    for i in np.flatnonzero(~t.feasible[first:]) + first:  # infeasible: told the worst values so far
        np.testing.assert_allclose(trials[i].values, worst[i - 1])


def test_optuna_single_objective_sampler_refuses_several_objectives(bench):
    pytest.importorskip("optuna")
    with pytest.raises(ConfigError, match="optuna:cmaes optimizes one objective.*nsga2"):
        run(bench, "optuna:cmaes", 0, budget=5, objectives=OBJECTIVES)


# ------------------------------------------------------------------ real data
def test_nsga2_and_mo_re_beat_random_search_on_nb201_cifar100_latency():
    folder = shared_file("nb201/nb201_hw_latency.csv").parent
    bench = nasbench_lab.load("nb201", "cifar100", path=folder)
    objectives = ["valid_acc", "latency_gold_6226"]
    rs = hv_regrets(bench, "rs", objectives, 10, 150)
    for name in ("nsga2", "mo-re"):
        mo = hv_regrets(bench, name, objectives, 10, 150)
        assert mo.mean() < rs.mean(), (name, mo.mean(), rs.mean())


# ------------------------------------------------------------------ constraints for single-objective model-based search
@pytest.mark.parametrize("name, params", [("bananas", {"num_init": 8, "k": 8, "predictor_params": {"epochs": 15}}),
                                          ("gbdt", {"num_init": 8, "k": 8}), ("npred", {"num_train": 8})])
def test_model_based_search_waits_for_two_feasible_results_before_its_first_model(bench, name, params):
    # 1,900 of 15,625 cells are feasible: seeds 1 and 2 find fewer than two in their first 8 random queries, and
    # the first model round had nothing to fit (or no parent to mutate) before
    for seed in (1, 2):
        t = run(bench, name, seed, budget=40, constraints=["latency_gold_6226<=20"], params=params)
        assert len(t) == 40 and t.feasible[:8].sum() < 2 <= t.n_feasible
