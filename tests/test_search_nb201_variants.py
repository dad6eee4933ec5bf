"""The NAS-Bench-201 settings of REA and BOHB (``re-nb201``, ``bohb-nb201``) and ``re`` left as it was.

Unit checks drive the optimizers through ask/tell on the NB201 space with a synthetic objective
(no data needed); checks of the charged cost use the real NB201 table (skipped when absent).
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

import nasbench_lab
from nasbench_lab.search import SearchProblem, make_optimizer, run
from nasbench_lab.search.bohb_nb201 import hpbandster_bracket, hpbandster_budgets
from nasbench_lab.search.regularized_evolution_nb201 import NODE_EDGES, mutate_node_then_edge
from nasbench_lab.spaces.nb201 import NUM_EDGES, NUM_OPS, NB201Space

SPACE = NB201Space()
PROBLEM = SearchProblem(SPACE)


def objective(archs: np.ndarray) -> np.ndarray:
    """A synthetic score: conv3x3 edges count most, the index breaks ties (distinct values)."""
    return (archs == 3).sum(axis=1) + SPACE.index(archs) / SPACE.size


def drive(name: str, seed: int, n: int, **params) -> tuple[np.ndarray, object]:
    """``n`` sequential ask/tell steps of ``name`` on the synthetic objective; (archs asked, optimizer)."""
    opt = make_optimizer(name, PROBLEM, np.random.default_rng(seed), **params)
    asked = []
    for _ in range(n):
        arch = opt.ask(1)
        opt.tell(arch, objective(arch))
        asked.append(arch[0])
    return np.stack(asked), opt


# ------------------------------------------------------------------ re unchanged
@pytest.mark.parametrize("seed, params, workers, digest", [
    (3, {}, 1, "7c955f8f6a4119ff"),
    (7, {"population_size": 10, "sample_size": 3}, 1, "4117608c69cad1c3"),
    (5, {"aging": False}, 2, "1e7b5c1d0b665c20"),
])
def test_re_trajectory_is_bit_identical_to_before_the_variant(seed, params, workers, digest):
    # digests recorded on the commit before re-nb201 existed (865d6c6), NAS-Bench-Graph's embedded table
    traj = run(nasbench_lab.load(), "re", seed=seed, budget=80, params=params, workers=workers)
    got = hashlib.sha256(np.ascontiguousarray(traj.archs).tobytes() + traj.valid.tobytes()).hexdigest()[:16]
    assert got == digest


# ------------------------------------------------------------------ re-nb201
def test_re_nb201_tournament_draws_with_replacement():
    # population 2, tournament 2: without replacement the worse member never wins; with it, 1 time in 4
    opt = make_optimizer("re-nb201", PROBLEM, np.random.default_rng(0), population_size=2, sample_size=2)
    archs = SPACE.from_index(np.array([0, 1]))
    opt.tell(archs, np.array([1.0, 2.0]))
    worse = sum(opt._tournament().value == 1.0 for _ in range(4000))
    assert 850 < worse < 1150
    same = make_optimizer("re", PROBLEM, np.random.default_rng(0), population_size=2, sample_size=2)
    same.tell(archs, np.array([1.0, 2.0]))
    assert all(same._tournament().value == 2.0 for _ in range(200))


def test_node_then_edge_mutation_changes_one_edge_chosen_through_its_node():
    rng = np.random.default_rng(1)
    parents = SPACE.sample(rng, 9000)
    counts = np.zeros(NUM_EDGES)
    for parent in parents:
        child = mutate_node_then_edge(parent, rng)
        changed = np.flatnonzero(child != parent)
        assert len(changed) == 1 and 0 <= child[changed[0]] < NUM_OPS
        counts[changed[0]] += 1
    # node 1, 2, 3 each 1/3, shared by its 1, 2, 3 incoming edges (re gives every edge 1/6)
    expected = np.array([1 / 3, 1 / 6, 1 / 6, 1 / 9, 1 / 9, 1 / 9]) * len(parents)
    assert NODE_EDGES == ((0,), (1, 2), (3, 4, 5))
    assert np.all(np.abs(counts - expected) < 5 * np.sqrt(expected))


def test_re_nb201_same_seed_same_run_and_differs_from_re():
    a, _ = drive("re-nb201", 4, 60)
    b, _ = drive("re-nb201", 4, 60)
    c, _ = drive("re", 4, 60)
    assert np.array_equal(a, b)
    assert not np.array_equal(a[10:], c[10:])
    children = a[10:]
    assert all(any((child != m).sum() == 1 for m in a[:i + 10]) for i, child in enumerate(children))


# ------------------------------------------------------------------ bohb-nb201
def test_hpbandster_bookkeeping_of_budgets_12_to_200():
    np.testing.assert_allclose(hpbandster_budgets(12, 200, 3), [200 / 9, 200 / 3, 200])
    assert [hpbandster_bracket(i, 3, 3) for i in range(4)] == [
        ([9, 3, 1], [0, 1, 2]), ([3, 1], [1, 2]), ([3], [2]), ([9, 3, 1], [0, 1, 2])]


def test_bohb_nb201_promotes_the_best_of_each_rung_and_fits_its_model():
    asked, opt = drive("bohb-nb201", 2, 60)
    first = asked[:9]
    top3 = first[np.argsort(-objective(first))[:3]]
    assert {a.tobytes() for a in asked[9:12]} == {a.tobytes() for a in top3}  # evaluated again, same fidelity
    assert asked[12].tobytes() == top3[0].tobytes()
    assert opt.evaluations == [27, 18, 15]  # three cycles of brackets 9-3-1, 3-1, 3
    assert opt.model_picks > 0  # random_fraction 0: once a model exists every new configuration comes from it


def test_bohb_nb201_same_seed_same_run():
    a, _ = drive("bohb-nb201", 9, 80)
    b, _ = drive("bohb-nb201", 9, 80)
    c, _ = drive("bohb-nb201", 10, 80)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_bohb_nb201_queries_and_charges_the_12_epoch_result_only(nb201_c10):
    traj = run(nb201_c10, "bohb-nb201", seed=3, budget_seconds=12000, fidelity=12)
    assert set(traj.fidelity.tolist()) == {12}
    np.testing.assert_allclose(traj.cost, nb201_c10.cost(traj.archs, 12))
    np.testing.assert_allclose(traj.valid, nb201_c10.query_batch(traj.archs, "valid_acc", 12, "mean"))
    assert len({a.tobytes() for a in traj.archs}) < len(traj)  # promoted configurations are evaluated again
