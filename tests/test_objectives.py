"""Objectives and constraints of a run: parsing, checks against a benchmark, what the runner records and tells.

The benchmark here is SYNTHETIC (tests/fixtures/mo_bench.py: made-up accuracies and latencies in the NB201 folder
layout); these are checks of mechanics, not of published numbers.
"""

from __future__ import annotations

import numpy as np
import pytest
from fixtures.mo_bench import load_bench

from nasbench_lab.errors import ConfigError, UnknownNameError
from nasbench_lab.results.objective_choice import resolve_objectives
from nasbench_lab.results.objectives import Constraint, Objectives, split_direction
from nasbench_lab.results.trajectory import Trajectory
from nasbench_lab.search import run
from nasbench_lab.search.base import OPTIMIZERS, Optimizer, register_optimizer


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    return load_bench(tmp_path_factory.mktemp("mo"))


@pytest.mark.parametrize("text, expected", [
    ("latency_pixel3<=20", Constraint("latency_pixel3", "<=", 20.0)),
    (" params >= 0.5 ", Constraint("params", ">=", 0.5)),
    ("latency<3", Constraint("latency", "<=", 3.0)),
    ("x_1=>-2e-3", Constraint("x_1", ">=", -0.002)),
])
def test_constraints_parse(text, expected):
    assert Constraint.parse(text) == expected
    assert Constraint.parse(str(expected)) == expected


@pytest.mark.parametrize("text", ["latency", "latency<=", "<=3", "latency<=abc", "latency<=inf", "a==3", "a<=1<=2"])
def test_malformed_constraints_say_what_a_constraint_looks_like(text):
    with pytest.raises(ConfigError, match="METRIC<=NUMBER|not a number|finite"):
        Constraint.parse(text)


def test_violation_is_the_distance_outside_the_bound_and_inf_where_missing():
    c = Constraint("latency", "<=", 10.0)
    np.testing.assert_array_equal(c.violation(np.array([5.0, 10.0, 12.5, np.nan])), [0.0, 0.0, 2.5, np.inf])
    g = Constraint("params", ">=", 1.0)
    np.testing.assert_array_equal(g.violation(np.array([0.25, 3.0])), [0.75, 0.0])


def test_direction_suffix():
    assert split_direction("latency:min") == ("latency", False)
    assert split_direction("valid_acc") == ("valid_acc", None)
    with pytest.raises(ConfigError, match="min or max"):
        split_direction("valid_acc:up")


def test_objectives_round_trip_through_trajectory_metadata():
    objs = Objectives(("valid_acc", "latency_pixel3"), (True, False), (Constraint.parse("latency_gold_6226<=50"),))
    assert Objectives.from_meta(objs.to_meta()) == objs
    assert Objectives.from_meta({}) is None


def test_resolve_takes_directions_from_metrics_unless_overridden(bench):
    objs = resolve_objectives(bench, "valid_acc,latency_pixel3")
    assert objs.names == ("valid_acc", "latency_pixel3") and objs.higher == (True, False)
    flipped = resolve_objectives(bench, ["valid_acc", "latency_pixel3:max"])
    assert flipped.higher == (True, True)
    assert resolve_objectives(bench, None).names == ("valid_acc",)


@pytest.mark.parametrize("kwargs, error, pattern", [
    (dict(objectives="valid_acc,test_acc"), ConfigError, "test data"),
    (dict(objectives="valid_acc,latency_nowhere"), UnknownNameError, "latency_pixel3"),
    (dict(objectives="valid_acc,valid_acc"), ConfigError, "named twice"),
    (dict(objectives="valid_acc,latency_pixel3:min", directions={"latency_pixel3": "max"}), ConfigError,
     "contradictory"),
    (dict(objectives="valid_acc", constraints=["test_acc<=90"]), ConfigError, "test data"),
    (dict(objectives="valid_acc", constraints=["valid_acc>=60"]), ConfigError, "known without training"),
    (dict(objectives="valid_acc", constraints=["latency_pixel3<=1"]), ConfigError, "no architecture"),
    (dict(objectives="valid_acc", constraints=["latency_pixel3<=2.1", "latency_gold_6226>=157.01"]), ConfigError,
     "no architecture"),
    (dict(objectives="latency_pixel3,valid_acc", search_metric="valid_acc"), ConfigError, "first objective"),
])
def test_bad_objectives_and_constraints_are_one_line_errors(bench, kwargs, error, pattern):
    with pytest.raises(error, match=pattern) as info:
        resolve_objectives(bench, **kwargs)
    assert "\n" not in str(info.value)


def test_multi_objective_run_records_every_objective_per_query(bench):
    t = run(bench, "rs", 3, budget=60, objectives=["valid_acc", "latency_pixel3"])
    assert t.objectives.shape == (60, 2)
    np.testing.assert_array_equal(t.objectives[:, 0], t.valid)
    np.testing.assert_array_equal(t.objectives[:, 1], bench.query_batch(t.archs, "latency_pixel3"))
    assert t.meta["objectives"] == ["valid_acc", "latency_pixel3"] and t.meta["objective_higher"] == [True, False]
    assert t.meta["n_feasible"] == 60 and (t.violation == 0).all()
    again = run(bench, "rs", 3, budget=60, objectives=["valid_acc", "latency_pixel3"])
    np.testing.assert_array_equal(again.objectives, t.objectives)


@pytest.mark.parametrize("workers", [1, 3])
def test_constrained_single_objective_run_keeps_the_best_feasible_incumbent(bench, workers):
    c = "latency_gold_6226<=40"  # made-up latency 1 + index/100: cells 0..3900 are feasible
    t = run(bench, "re", 0, budget=120, constraints=[c], workers=workers)
    lat = bench.query_batch(t.archs, "latency_gold_6226")
    feasible = lat <= 40
    np.testing.assert_array_equal(t.feasible, feasible)
    np.testing.assert_allclose(t.violation, np.maximum(lat - 40, 0))
    assert t.meta["constraints"] == [c] and t.meta["n_feasible"] == feasible.sum() > 0
    best = np.flatnonzero(feasible)[np.argmax(t.valid[feasible])]
    assert t.final_valid == t.valid[best] and t.final_test == t.test[best]
    first = int(np.argmax(feasible))
    assert np.isnan(t.incumbent_test()[:first]).all() and not np.isnan(t.incumbent_test()[first:]).any()


def test_infeasible_and_missing_queries_are_told_minus_inf(bench):
    told: list[np.ndarray] = []

    @register_optimizer("_test_mo_recorder")
    class Recorder(Optimizer):
        multi_objective = True

        def ask(self, n):
            return self.space.from_index(np.array([10, 9000, 20][len(told) % 3:][:1]))

        def tell(self, archs, values, fidelities=None):
            told.append(np.array(values))

    try:
        t = run(bench, "_test_mo_recorder", 0, budget=3, objectives="valid_acc,latency_pixel3",
                constraints="latency_gold_6226<=50")
    finally:
        OPTIMIZERS._items.pop("_test_mo_recorder")
    assert [v.shape for v in told] == [(1, 2)] * 3
    assert told[0][0, 0] == t.valid[0] and told[0][0, 1] == -t.objectives[0, 1]  # latency negated: higher is better
    assert np.isneginf(told[1]).all() and not t.feasible[1]  # cell 9000: 91 ms on gold_6226


def test_single_objective_optimizer_refuses_several_objectives(bench):
    with pytest.raises(ConfigError, match="multi-objective algorithm.*rs"):
        run(bench, "re", 0, budget=5, objectives="valid_acc,latency_pixel3")


def test_trajectory_files_keep_objectives_and_old_files_read_without_them(bench, tmp_path):
    t = run(bench, "rs", 1, budget=10, objectives="valid_acc,latency_pixel3", constraints="latency_gold_6226<=80")
    for suffix in (".npz", ".json"):
        back = Trajectory.load(t.save(tmp_path / f"t{suffix}"))
        np.testing.assert_array_equal(back.objectives, t.objectives)
        np.testing.assert_array_equal(back.violation, t.violation)
    plain = run(bench, "rs", 1, budget=10)
    back = Trajectory.load(plain.save(tmp_path / "plain.npz"))
    assert back.objectives is None and back.violation is None and back.feasible.all()


def test_a_run_that_finds_nothing_feasible_says_so(bench):
    with pytest.warns(RuntimeWarning, match="found no architecture that satisfies"):
        t = run(bench, "rs", 0, budget=2, constraints="latency_gold_6226<=1.5")  # 51 of 15,625 cells
    if t.n_feasible == 0:
        assert t.meta["n_feasible"] == 0 and np.isnan(t.final_test)
