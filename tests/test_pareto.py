"""Pareto fronts and indicators (analysis/pareto.py) against brute-force definitions, plus property tests."""

from __future__ import annotations

import itertools
import math
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nasbench_lab.analysis import pareto as P
from nasbench_lab.errors import ConfigError


# ------------------------------------------------------------------------------ brute-force references
def dominates(a: np.ndarray, b: np.ndarray) -> bool:
    """a dominates b (minimization): no worse everywhere, better somewhere."""
    return bool((a <= b).all() and (a < b).any())


def brute_mask(z: np.ndarray) -> np.ndarray:
    return np.array([not any(dominates(z[j], z[i]) for j in range(len(z))) for i in range(len(z))])


def brute_ranks(z: np.ndarray) -> np.ndarray:
    ranks = np.full(len(z), -1)
    left = np.arange(len(z))
    r = 0
    while left.size:
        mask = brute_mask(z[left])
        ranks[left[mask]] = r
        left = left[~mask]
        r += 1
    return ranks


def hv2d(z: np.ndarray, ref: np.ndarray) -> float:
    """2-D hypervolume by sorting and sweeping (minimization)."""
    z = z[(z < ref).all(axis=1)]
    total, best_y = 0.0, ref[1]
    xs = sorted(map(tuple, z))
    for i, (x, y) in enumerate(xs):
        best_y = min(best_y, y)
        nxt = xs[i + 1][0] if i + 1 < len(xs) else ref[0]
        total += (nxt - x) * (ref[1] - best_y)
    return total


def hv_inclusion_exclusion(z: np.ndarray, ref: np.ndarray) -> float:
    """Any-dimension hypervolume by inclusion-exclusion over subsets (small sets only)."""
    z = z[(z < ref).all(axis=1)]
    total = 0.0
    for k in range(1, len(z) + 1):
        for subset in itertools.combinations(range(len(z)), k):
            corner = z[list(subset)].max(axis=0)
            total += (-1) ** (k + 1) * float(np.prod(ref - corner))
    return total


def igd_plus_def(points: np.ndarray, front: np.ndarray) -> float:
    """IGD+ by its definition: mean over front points of the nearest found point's d+ distance."""
    d = [min(math.sqrt(sum(max(a - f, 0.0) ** 2 for a, f in zip(p, z))) for p in points) for z in front]
    return float(np.mean(d))


def crowding_def(z: np.ndarray) -> np.ndarray:
    """NSGA-II crowding per front over distinct points (ties broken by the rows' lexicographic order)."""
    uniq = sorted(set(map(tuple, z)))
    u = np.array(uniq)
    ranks = brute_ranks(u)
    dist = np.zeros(len(u))
    for r in set(ranks.tolist()):
        members = [i for i in range(len(u)) if ranks[i] == r]
        if len(members) <= 2:
            dist[members] = np.inf
            continue
        for j in range(u.shape[1]):
            order = sorted(members, key=lambda i: (u[i, j], uniq[i]))
            span = u[order[-1], j] - u[order[0], j]
            if span == 0:
                continue
            dist[order[0]] = dist[order[-1]] = np.inf
            for a, b, c in zip(order, order[1:], order[2:]):
                dist[b] += (u[c, j] - u[a, j]) / span
    lookup = {row: dist[i] for i, row in enumerate(uniq)}
    return np.array([lookup[tuple(row)] for row in z])


# ------------------------------------------------------------------------------------------ strategies
def tables(min_rows: int = 1, max_rows: int = 25, m: int | None = None):
    """Small integer-valued tables (many ties and duplicates) with 2..4 objectives and random directions."""
    dims = st.just(m) if m else st.integers(2, 4)
    return dims.flatmap(lambda k: st.tuples(
        st.lists(st.lists(st.integers(0, 6), min_size=k, max_size=k), min_size=min_rows, max_size=max_rows),
        st.lists(st.booleans(), min_size=k, max_size=k),
    )).map(lambda t: (np.array(t[0], dtype=float), t[1]))


# ----------------------------------------------------------------------------------- fronts and ranks
@settings(max_examples=150, deadline=None)
@given(tables())
def test_front_matches_brute_force_and_is_mutually_nondominated(table):
    values, higher = table
    z = P.to_minimization(values, higher)
    mask = P.pareto_mask(values, higher)
    np.testing.assert_array_equal(mask, brute_mask(z))
    front = z[mask]
    assert not any(dominates(a, b) for a in front for b in front)
    for i in np.flatnonzero(~mask):  # every other point is dominated by a front point
        assert any(dominates(f, z[i]) for f in front)
    np.testing.assert_array_equal(P.exact_front(values, higher), np.flatnonzero(mask))


@settings(max_examples=100, deadline=None)
@given(tables())
def test_ranks_and_fronts_match_brute_force(table):
    values, higher = table
    ranks = P.nondominated_ranks(values, higher)
    np.testing.assert_array_equal(ranks, brute_ranks(P.to_minimization(values, higher)))
    parts = P.fronts(values, higher)
    assert [set(p.tolist()) for p in parts] == [set(np.flatnonzero(ranks == r).tolist()) for r in range(len(parts))]


@settings(max_examples=100, deadline=None)
@given(tables(), st.randoms(use_true_random=False))
def test_invariant_to_row_order(table, rnd):
    values, higher = table
    perm = np.array(rnd.sample(range(len(values)), len(values)))
    np.testing.assert_array_equal(P.pareto_mask(values[perm], higher), P.pareto_mask(values, higher)[perm])
    ranks = P.nondominated_ranks(values, higher)
    np.testing.assert_array_equal(P.nondominated_ranks(values[perm], higher), ranks[perm])
    crowding = P.crowding_distance(values, higher)
    np.testing.assert_array_equal(P.crowding_distance(values[perm], higher), crowding[perm])
    ref, ref_p = P.pareto_reference(values, higher), P.pareto_reference(values[perm], higher)
    assert ref.hypervolume == pytest.approx(ref_p.hypervolume, abs=1e-12)


@settings(max_examples=150, deadline=None)
@given(tables())
def test_crowding_distance_matches_definition(table):
    values, higher = table
    got = P.crowding_distance(values, higher)
    np.testing.assert_allclose(got, crowding_def(P.to_minimization(values, higher)), rtol=1e-12)


def test_crowding_distance_textbook_front_and_duplicates():
    # one front, minimization: extremes inf, inner points the sum of normalized neighbour gaps
    values = np.array([[0.0, 4.0], [1.0, 2.0], [2.0, 1.0], [4.0, 0.0], [1.0, 2.0]])
    got = P.crowding_distance(values, [False, False])
    assert got[0] == got[3] == np.inf
    assert got[1] == pytest.approx(2 / 4 + 3 / 4)  # neighbours (0,4) and (2,1)
    assert got[2] == pytest.approx(3 / 4 + 2 / 4)  # neighbours (1,2) and (4,0)
    assert got[4] == got[1]  # a duplicate gets the same distance, not 0


# ----------------------------------------------------------------------------------------- indicators
@settings(max_examples=100, deadline=None)
@given(tables(max_rows=30, m=2), st.data())
def test_hypervolume_2d_matches_sweep(table, data):
    values, higher = table
    ref = P.pareto_reference(values, higher)
    found = values[data.draw(st.lists(st.integers(0, len(values) - 1), min_size=1, max_size=len(values)))]
    norm = ref.normalize(found)
    assert ref.hypervolume_of(found) == pytest.approx(hv2d(norm, ref.reference), abs=1e-12)
    assert ref.hypervolume == pytest.approx(hv2d(ref.normalize(values), ref.reference), abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(tables(max_rows=8, m=3))
def test_hypervolume_3d_matches_inclusion_exclusion(table):
    values, higher = table
    ref = P.pareto_reference(values, higher)
    expected = hv_inclusion_exclusion(ref.normalize(values), ref.reference)
    assert ref.hypervolume == pytest.approx(expected, abs=1e-12)
    assert ref.hypervolume_of(values[:3]) == pytest.approx(
        hv_inclusion_exclusion(ref.normalize(values[:3]), ref.reference), abs=1e-12)


def test_hypervolume_4d_matches_monte_carlo():
    rng = np.random.default_rng(0)
    values = rng.random((40, 4))
    higher = [True, False, False, True]
    ref = P.pareto_reference(values, higher)
    samples = rng.random((200_000, 4)) * ref.reference
    z = ref.normalize(values)
    dominated = np.zeros(len(samples), dtype=bool)
    for p in z:
        dominated |= (p <= samples).all(axis=1)
    mc = dominated.mean() * np.prod(ref.reference)
    assert ref.hypervolume == pytest.approx(mc, abs=4 * np.sqrt(mc * (1.4641 - mc) / len(samples)) + 1e-3)


@settings(max_examples=100, deadline=None)
@given(tables(max_rows=20), st.data())
def test_igd_plus_matches_definition(table, data):
    values, higher = table
    ref = P.pareto_reference(values, higher)
    found = values[data.draw(st.lists(st.integers(0, len(values) - 1), min_size=1, max_size=6))]
    assert ref.igd_plus(found) == pytest.approx(igd_plus_def(ref.normalize(found), ref.front_points), abs=1e-12)
    assert ref.igd_plus(values) == pytest.approx(0.0, abs=1e-12)
    assert ref.igd_plus(np.empty((0, values.shape[1]))) == math.inf


@settings(max_examples=100, deadline=None)
@given(tables(max_rows=20), st.data())
def test_hypervolume_monotone_when_adding_points(table, data):
    values, higher = table
    ref = P.pareto_reference(values, higher)
    picks = data.draw(st.lists(st.integers(0, len(values) - 1), min_size=1, max_size=10))
    hv = [ref.hypervolume_of(values[picks[:k]]) for k in range(len(picks) + 1)]
    assert all(b >= a - 1e-12 for a, b in zip(hv, hv[1:]))
    assert hv[-1] <= ref.hypervolume + 1e-12
    assert ref.hv_regret(values) == pytest.approx(0.0, abs=1e-12)


@settings(max_examples=80, deadline=None)
@given(tables(max_rows=20), st.data())
def test_anytime_curves_equal_prefix_indicators(table, data):
    values, higher = table
    ref = P.pareto_reference(values, higher)
    traj = values[data.draw(st.lists(st.integers(0, len(values) - 1), min_size=1, max_size=15))]
    feasible = np.array(data.draw(st.lists(st.booleans(), min_size=len(traj), max_size=len(traj))))
    hv = ref.anytime_hv_regret(traj, feasible)
    igd = ref.anytime_igd_plus(traj, feasible)
    for t in range(len(traj)):
        prefix = traj[: t + 1][feasible[: t + 1]]
        assert hv[t] == pytest.approx(ref.hv_regret(prefix), abs=1e-12)
        assert igd[t] == pytest.approx(ref.igd_plus(prefix), abs=1e-12)
    assert (np.diff(hv) <= 1e-12).all()


def test_reference_point_rule_and_user_reference():
    values = np.array([[90.0, 5.0], [80.0, 2.0], [70.0, 10.0]])  # (accuracy %, latency ms)
    ref = P.pareto_reference(values, [True, False], names=["valid_acc", "latency_pixel3"])
    np.testing.assert_allclose(ref.reference, [1.1, 1.1])
    np.testing.assert_array_equal(ref.front, [0, 1])
    np.testing.assert_allclose(ref.normalize(values), [[0.0, 3 / 8], [0.5, 0.0], [1.0, 1.0]])
    assert ref.hypervolume == pytest.approx(0.5 * (1.1 - 3 / 8) + (1.1 - 0.5) * 1.1)  # two boxes to (1.1, 1.1)
    user = P.pareto_reference(values, [True, False], reference=[70.0, 10.0])  # exactly the worst: allowed
    np.testing.assert_allclose(user.reference, [1.0, 1.0])
    with pytest.raises(ConfigError, match=r"latency_pixel3=9 is better than architecture row 2") as err:
        P.pareto_reference(values, [True, False], reference=[60.0, 9.0], names=["valid_acc", "latency_pixel3"])
    assert "\n" not in str(err.value)
    with pytest.raises(ConfigError, match="objective 0=75 is better"):
        P.pareto_reference(values, [True, False], reference=[75.0, 20.0])


@pytest.mark.parametrize("call, match", [
    (lambda: P.pareto_mask(np.ones((3, 2)), [True]), "1 objective directions"),
    (lambda: P.pareto_mask(np.ones(3), [True]), r"\(n, m\) matrix"),
    (lambda: P.pareto_mask([[1.0, np.nan]], [True, True]), "must be finite; row 0, objective 1"),
    (lambda: P.pareto_reference(np.ones((2, 2)), [True, True], reference=[1.0]), "needs 2 finite values"),
    (lambda: P.attainment_surface([np.ones((2, 4))], [True] * 4), "2 to 3 objectives"),
    (lambda: P.attainment_surface([np.ones((2, 2))], [True] * 2, percentile=0), r"percentile must be in"),
    (lambda: P.eaf_difference([np.ones((1, 2))], [np.ones((1, 2)), np.ones((1, 2))], [True, True]), "same number"),
])
def test_bad_input_is_one_line_config_error(call, match):
    with pytest.raises(ConfigError, match=match) as err:
        call()
    assert "\n" not in str(err.value)


# ------------------------------------------------------------------------------------------ attainment
@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5)), min_size=0, max_size=5),
                min_size=1, max_size=6),
       st.sampled_from([25.0, 50.0, 75.0, 100.0]), st.lists(st.booleans(), min_size=2, max_size=2))
def test_attainment_surface_matches_counting_definition(runs_raw, percentile, higher):
    runs = [np.array(r, dtype=float).reshape(-1, 2) for r in runs_raw]
    surface = P.attainment_surface(runs, higher, percentile)
    level = math.ceil(len(runs) * percentile / 100)
    flags = np.array(higher)
    zs = [np.where(flags, -r, r) for r in runs]
    zsurf = np.where(flags, -surface, surface).reshape(-1, 2)
    for q in itertools.product(np.arange(-6.5, 7, 0.5), repeat=2):  # every grid point: attained iff surface covers
        q = np.array(q)
        count = sum(bool((z <= q).all(axis=1).any()) for z in zs)
        covered = bool((zsurf <= q).all(axis=1).any())
        assert covered == (count >= level), (q, count, level)


def test_eaf_difference_fractions_and_directions():
    a = [np.array([[90.0, 1.0]]), np.array([[90.0, 1.0]])]  # A always reaches (90 %, 1 ms)
    b = [np.array([[80.0, 2.0]]), np.array([[80.0, 2.0]])]
    rect = P.eaf_difference(a, b, [True, False])
    # attained by A, not by B: accuracy in (80, 90] at any latency >= 2, or any accuracy <= 90 at latency in [1, 2)
    np.testing.assert_array_equal(rect, [[90.0, 2.0, 80.0, np.inf, 1.0], [90.0, 1.0, -np.inf, 2.0, 1.0]])
    swapped = P.eaf_difference(b, a, [True, False])
    np.testing.assert_array_equal(swapped[:, :4], rect[:, :4])
    np.testing.assert_array_equal(swapped[:, 4], -rect[:, 4])


# ---------------------------------------------------------------------------------------------- speed
def test_whole_table_front_is_fast():
    rng = np.random.default_rng(1)
    values = rng.random((15_625, 4))
    start = time.perf_counter()
    for m in (2, 3, 4):
        P.pareto_mask(values[:, :m], [True] + [False] * (m - 1))
    P.pareto_reference(values[:, :2], [True, False])
    assert time.perf_counter() - start < 1.0


def test_anytime_indicators_for_a_study_are_fast():
    rng = np.random.default_rng(2)
    table = rng.random((15_625, 2))
    ref = P.pareto_reference(table, [True, False])
    start = time.perf_counter()
    for _ in range(180):  # 6 algorithms x 30 seeds, 150 queries each
        traj = table[rng.integers(0, len(table), 150)]
        ref.anytime_hv_regret(traj)
        ref.anytime_igd_plus(traj)
    assert time.perf_counter() - start < 2.0
