"""Analysis: bootstrap bands, ranks, tests with Holm correction, anytime curves and tables."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import nasbench_lab
from nasbench_lab.analysis import (
    anytime_curve,
    benchmark_reference,
    bootstrap_ci,
    final_table,
    holm,
    mann_whitney_greater,
    mean_ranks,
    pairwise_wilcoxon,
    relative_improvement,
)
from nasbench_lab.analysis.aggregate import table_csv, table_markdown
from nasbench_lab.analysis.stats import cliques, not_separated, tied_with
from nasbench_lab.errors import ConfigError
from nasbench_lab.search import run


def test_holm_adjustment_known_values():
    adjusted = holm({"a": 0.01, "b": 0.04, "c": 0.03})
    assert adjusted == pytest.approx({"a": 0.03, "c": 0.06, "b": 0.06})
    assert holm({"x": 0.6, "y": 0.9}) == pytest.approx({"x": 1.0, "y": 1.0})


def test_pairwise_wilcoxon_is_paired_and_holm_corrected():
    rng = np.random.default_rng(0)
    base = rng.normal(size=40)
    finals = {"a": base + 0.5, "b": base + rng.normal(scale=0.05, size=40), "c": base + 0.49}
    rows = {(r["a"], r["b"]): r for r in pairwise_wilcoxon(finals)}
    assert set(rows) == {("a", "b"), ("a", "c"), ("b", "c")}
    assert rows[("a", "b")]["p"] == pytest.approx(stats.wilcoxon(finals["a"] - finals["b"]).pvalue)
    assert rows[("a", "b")]["p_holm"] < 1e-6 and rows[("a", "b")]["median_difference"] > 0.4
    assert all(r["p_holm"] >= r["p"] for r in rows.values())
    same = pairwise_wilcoxon({"x": base, "y": base.copy()})
    assert same[0]["p"] == 1.0
    with pytest.raises(ConfigError, match="same seeds"):
        pairwise_wilcoxon({"x": base, "y": base[:10]})


def test_groups_not_separated_are_maximal_cliques_in_any_input_order():
    # synthetic pairwise rows: a chain a-b-c-d of tied neighbours plus a-c tied, and e tied with a only
    tied_pairs = {("a", "b"), ("b", "c"), ("a", "c"), ("c", "d"), ("a", "e")}
    names = ["a", "b", "c", "d", "e"]
    rows = [{"a": x, "b": y, "median_difference": 0.0, "p": 0.0,
             "p_holm": 0.5 if (x, y) in tied_pairs else 0.001} for i, x in enumerate(names) for y in names[i + 1:]]
    assert not_separated(rows) == {frozenset(p) for p in tied_pairs}
    assert tied_with("a", rows) == ["b", "c", "e"] and tied_with("d", rows) == ["c"]
    assert tied_with("a", rows, alpha=0.6) == []  # p_holm >= alpha is the rule
    every = {frozenset((x, y)) for i, x in enumerate(names) for y in names[i + 1:]}
    ranks = [1.0, 2.0, 3.0, 4.0, 5.0]
    expected = [["a", "b", "c"], ["a", "e"], ["c", "d"]]
    assert cliques(names, ranks, every - not_separated(rows)) == expected
    backwards = cliques(names[::-1], ranks[::-1], every - not_separated(rows))
    assert backwards == expected


def test_mann_whitney_one_sided():
    low, high = np.arange(20.0), np.arange(20.0) + 15
    assert mann_whitney_greater(high, low) < 1e-4
    assert mann_whitney_greater(low, high) > 0.99
    with pytest.raises(ConfigError):
        mann_whitney_greater([1.0], [2.0, 3.0])


def test_bootstrap_band_width_and_determinism():
    rng = np.random.default_rng(1)
    values = rng.normal(loc=5.0, scale=2.0, size=(400, 3))
    mean, lo, hi = bootstrap_ci(values, np.random.default_rng(7), n_boot=2000)
    assert np.allclose(mean, values.mean(axis=0))
    assert np.all(lo < mean) and np.all(hi > mean)
    assert np.allclose(hi - lo, 2 * 1.96 * 2.0 / np.sqrt(400), rtol=0.2)
    again = bootstrap_ci(values, np.random.default_rng(7), n_boot=2000)
    assert all(np.array_equal(x, y) for x, y in zip((mean, lo, hi), again))
    const = bootstrap_ci(np.ones((10, 4)), np.random.default_rng(0))
    assert all(np.allclose(x, 1.0) for x in const)


def test_bootstrap_ignores_missing_values_per_point():
    values = np.array([[1.0, np.nan], [3.0, 2.0], [5.0, 4.0]])
    mean, lo, hi = bootstrap_ci(values, np.random.default_rng(0), n_boot=500)
    assert mean.tolist() == [3.0, 3.0]
    assert lo[1] >= 2.0 and hi[1] <= 4.0


def test_mean_ranks_and_final_table():
    finals = {"a": np.array([3.0, 3.0, 1.0]), "b": np.array([2.0, 3.0, 2.0]), "c": np.array([1.0, 1.0, 3.0])}
    ranks = mean_ranks(finals)
    assert ranks == pytest.approx({"a": (1 + 1.5 + 3) / 3, "b": (2 + 1.5 + 2) / 3, "c": (3 + 3 + 1) / 3})
    rows = final_table(finals, random_mean=2.0)
    a = rows[0]
    assert a["algorithm"] == "a" and a["runs"] == 3 and a["median"] == 3.0
    assert a["mean"] == pytest.approx(7 / 3) and a["std"] == pytest.approx(np.std([3, 3, 1], ddof=1))
    assert a["relative_improvement"] == pytest.approx(100 * (7 / 3 - 2) / 2)
    assert relative_improvement(np.array([88.0]), 80.0)[0] == pytest.approx(10.0)
    md = table_markdown(rows)
    assert md.splitlines()[0].startswith("| algorithm | runs | mean") and "| a | 3 | 2.33 |" in md
    assert table_csv(rows).splitlines()[0].startswith("algorithm,runs,mean")


def test_anytime_curves_follow_the_incumbent(nb201_c10):
    trajs = [run(nb201_c10, "re", seed=s, budget=60) for s in range(4)]
    ref = benchmark_reference(nb201_c10)
    assert ref["optimum"] == pytest.approx(94.373, abs=1e-3) and ref["enumerable"]
    assert ref["random_mean"] == pytest.approx(float(np.nanmean(nb201_c10.query(nb201_c10.space.all(), "test_acc"))))
    curve = anytime_curve(trajs, x="queries", y="test")
    assert curve.x.tolist() == list(range(1, 61))
    assert np.array_equal(curve.values[2], trajs[2].incumbent_test())
    regret = anytime_curve(trajs, x="queries", y="regret", optimum=ref["optimum"])
    assert np.allclose(regret.values, ref["optimum"] - curve.values) and (regret.values >= 0).all()
    timed = anytime_curve(trajs, x="time", y="test")
    assert np.all(np.diff(timed.x) > 0)
    t0 = trajs[0]
    pos = np.searchsorted(t0.finish, timed.x, side="right") - 1
    assert np.array_equal(timed.values[0][pos >= 0], t0.incumbent_test()[pos[pos >= 0]])
    assert np.isnan(timed.values[0][pos < 0]).all()
    with pytest.raises(ConfigError, match="curve y must be one of"):
        anytime_curve(trajs, y="train")


def test_reference_of_a_benchmark_without_listing_uses_a_sample():
    ref = benchmark_reference(nasbench_lab.load())
    assert ref["report_metric"] == "test_acc" and ref["random_mean"] > 0


def test_log_regret_axis_reads_as_plain_decimals():
    """A log-scaled regret axis labels its ticks 0.2, 0.3, 0.5, 1, 2 ... rather than 3 x 10^-1, and leaves the
    crowded minor ticks (0.7, 0.8, 0.9) unlabelled."""
    from nasbench_lab.analysis.plots import _minor_log_label

    assert [_minor_log_label(v, 0) for v in (0.2, 0.3, 0.5, 0.7, 0.9, 3.0, 40.0)] == ["0.2", "0.3", "0.5", "", "",
                                                                                      "3", ""]
