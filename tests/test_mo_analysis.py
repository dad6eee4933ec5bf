"""Multi-objective and constrained analysis: indicators against a table's exact front, the statistics of
single-objective studies on final hypervolume regret, figures, report.md/table.tex and ``plot``.

Benchmarks are the SYNTHETIC NB201 folder of fixtures/mo_bench.py (made-up accuracies and latencies: mechanics
only); the last tests read the real NB201 CIFAR-100 table and skip without it. Studies are written run by run
with ``search.run`` (objectives are not study settings on this branch), with random search and a plug-in
optimizer defined here that queries a given list of architectures first.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from fixtures.latency_files import latency_csv_text
from fixtures.mo_bench import MAIN, load_bench, write_folder

import nasbench_lab
from nasbench_lab.analysis.aggregate import mean_ranks
from nasbench_lab.analysis.mo_aggregate import indicator_curve, is_multi_objective, median_run, run_indicators
from nasbench_lab.analysis.mo_plots import draw_eaf_difference, draw_fronts, staircase
from nasbench_lab.analysis.mo_reference import front_values, optimum
from nasbench_lab.analysis.mo_tables import MOTableKind, mo_table_latex, mo_table_markdown
from nasbench_lab.analysis.pareto import eaf_difference, pareto_reference
from nasbench_lab.analysis.stats import pairwise_wilcoxon
from nasbench_lab.analysis.table_front import compute_table_reference, feasible_rows, table_values
from nasbench_lab.cli.main import main
from nasbench_lab.errors import ConfigError
from nasbench_lab.results.objective_choice import resolve_objectives
from nasbench_lab.results.objectives import Constraint, Objectives
from nasbench_lab.results.pareto import pareto_mask
from nasbench_lab.results.trajectory import Trajectory
from nasbench_lab.search import run
from nasbench_lab.search.base import Optimizer
from nasbench_lab.search.runner import search_problem
from nasbench_lab.studies.report import write_report
from nasbench_lab.studies.study import AlgorithmEntry, BenchmarkEntry, Study, StudySpec
from tests.conftest import shared_file
from tests.test_analysis_report import png_dpi

OBJS = ("valid_acc", "latency_gold_6226")


class Listed(Optimizer):
    """A plug-in for these tests: queries the given architectures in order, then random ones."""

    name = "front_first"
    multi_objective = True

    def __init__(self, problem, rng, archs):
        super().__init__(problem, rng)
        self.todo = np.asarray(archs)

    def ask(self, n: int) -> np.ndarray:
        if len(self.todo):
            out, self.todo = self.todo[:n], self.todo[n:]
            return out
        return self.space.sample(self.rng, n)

    def tell(self, archs, values, fidelities=None) -> None:
        pass


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    return load_bench(tmp_path_factory.mktemp("mo_bench"))


def exact_front_archs(bench, objs: Objectives) -> np.ndarray:
    indices, values = feasible_rows(bench, objs)
    return bench.space.from_index(indices[pareto_mask(values, objs.higher)])


def listed_run(bench, objs: Objectives, archs, seed: int, budget: int, **kw) -> Trajectory:
    opt = Listed(search_problem(bench, objs.names[0], objs), np.random.default_rng(seed), archs)
    return run(bench, opt, seed, budget=budget, objectives=list(objs.names),
               constraints=[str(c) for c in objs.constraints], **kw)


def write_study(out: Path, benches: dict[str, Path], algorithms: dict, seeds, budget: int, **objectives) -> Study:
    """A study folder whose run files were made by ``algorithms[label](bench, seed)`` (labels "rs" run rs)."""
    entries = tuple(BenchmarkEntry("nb201", dataset, str(path)) for dataset, path in benches.items())
    spec = StudySpec(benchmarks=entries, algorithms=tuple(AlgorithmEntry(a, check=a == "rs") for a in algorithms),
                     seeds=tuple(seeds), budget=budget, name="mo",
                     objectives=tuple(objectives.get("objectives", ())),
                     constraints=tuple(objectives.get("constraints", ())))
    study = Study(spec, out)
    study.prepare()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # "found no architecture that satisfies": wanted here
        for r in study.runs():
            bench = r.benchmark.load()
            make = algorithms[r.algorithm.name]
            traj = make(bench, r.seed) if make else run(bench, "rs", r.seed, budget=budget, **objectives)
            traj.meta.update({"label": r.algorithm.label, "study_algorithm": r.algorithm.name,
                              "benchmark_key": r.relpath.split("/")[1], "data_sha256": r.data_sha256})
            traj.save(out / r.relpath)
    return study


# ------------------------------------------------------------------------------------------- indicators
def test_hv_regret_is_zero_once_a_run_holds_the_whole_front(bench):
    objs = resolve_objectives(bench, list(OBJS))
    ref = compute_table_reference(bench, objs)
    archs = bench.archs_with_data()  # the recipe: every architecture's objectives, then pareto_reference
    direct = pareto_reference(np.column_stack([bench.query_batch(archs, m) for m in OBJS]), objs.higher)
    assert ref.hypervolume == direct.hypervolume and np.array_equal(ref.front_points, direct.front_points)
    front = exact_front_archs(bench, objs)
    values = table_values(bench, OBJS)
    whole = run_indicators(listed_run(bench, objs, front[::-1], 0, len(front) + 3), ref, values)
    assert whole.final_regret == 0.0 and whole.final_igd_plus == 0.0
    assert whole.regret[0] > 0 and np.all(np.diff(whole.regret) <= 0)
    assert len(whole.front) == len(front)
    np.testing.assert_allclose(np.unique(whole.front_values, axis=0), np.unique(front_values(ref), axis=0))
    missing_one = run_indicators(listed_run(bench, objs, front[1:], 0, len(front) - 1), ref, values)
    assert missing_one.final_regret > 0 and missing_one.final_igd_plus > 0


def test_indicators_equal_the_references_anytime_curves_on_recorded_values(bench):
    objs = resolve_objectives(bench, list(OBJS), ["latency_pixel3<=5"])
    ref = compute_table_reference(bench, objs)
    for seed in range(4):
        traj = run(bench, "rs", seed, budget=60, objectives=list(OBJS), constraints=["latency_pixel3<=5"])
        ind = run_indicators(traj, ref)
        np.testing.assert_array_equal(ind.regret, ref.anytime_hv_regret(traj.objectives, traj.feasible))
        np.testing.assert_allclose(ind.igd_plus, ref.anytime_igd_plus(traj.objectives, traj.feasible), atol=1e-12)
        assert ind.n_feasible == traj.n_feasible < len(traj)
        assert set(ind.front) <= set(np.flatnonzero(traj.feasible))  # infeasible queries never count


def test_the_found_front_is_chosen_by_values_seen_and_scored_by_table_values():
    # made-up 2-objective table of 3 architectures; the search saw other (noisy) values for them
    table = np.array([[0.5, 0.5], [1.0, 1.0], [0.0, 0.0]])
    seen = np.array([[1.0, 0.0], [0.9, 0.0], [0.2, 0.2]])  # query 1 looked dominated by query 0
    objs = Objectives(("a", "b"), (True, True))
    traj = Trajectory(archs=np.arange(3)[:, None], valid=seen[:, 0], test=np.array([10.0, 11.0, 12.0]),
                      fidelity=np.ones(3, dtype=np.int64), cost=np.ones(3), start=np.arange(3.0),
                      finish=np.arange(1.0, 4.0), meta=objs.to_meta(), objectives=seen, violation=np.zeros(3))
    ref = pareto_reference(table, objs.higher)
    ind = run_indicators(traj, ref, lambda archs: table[archs[:, 0]])
    assert ind.front.tolist() == [0, 2]  # what the run returns: its non-dominated queries as seen
    assert ind.final_regret == pytest.approx(ref.hv_regret(table[[0, 2]]))
    assert ind.final_regret > ref.hv_regret(table)  # scoring every query would hide the choice
    assert ind.front_test.tolist() == [10.0, 12.0]
    np.testing.assert_array_equal(ind.front_values, table[[0, 2]])


def test_a_run_with_no_feasible_query_attains_only_the_reference_point(bench):
    objs = resolve_objectives(bench, list(OBJS), ["latency_pixel3<=2"])  # 1 architecture in 40 is feasible
    ref = compute_table_reference(bench, objs)
    with pytest.warns(RuntimeWarning, match="found no architecture that satisfies"):
        traj = run(bench, "rs", 1, budget=3, objectives=list(OBJS), constraints=["latency_pixel3<=2"])
    ind = run_indicators(traj, ref, table_values(bench, OBJS))
    assert traj.n_feasible == 0 and not ind.feasible_found and len(ind.front) == 0
    assert np.all(ind.regret == ref.hypervolume) and np.all(np.isinf(ind.igd_plus))


def test_constrained_single_objective_regret_is_against_the_exact_constrained_optimum(bench):
    objs = resolve_objectives(bench, None, ["latency_gold_6226<=20"])
    ref = compute_table_reference(bench, objs)
    archs = bench.archs_with_data()
    feasible = bench.query_batch(archs, "latency_gold_6226") <= 20
    best = float(bench.query_batch(archs, "valid_acc")[feasible].max())
    assert optimum(ref) == pytest.approx(best)
    assert optimum(ref) < float(bench.query_batch(archs, "valid_acc").max())  # the constraint binds
    traj = run(bench, "re", 2, budget=40, constraints=["latency_gold_6226<=20"])  # a single-objective optimizer
    assert is_multi_objective(traj) and Objectives.from_meta(traj.meta).n == 1
    ind = run_indicators(traj, ref, table_values(bench, ["valid_acc"]))
    found = traj.archs[traj.incumbent()[-1]]
    assert ind.final_regret == pytest.approx(best - bench.query_batch(found[None], "valid_acc")[0])
    assert ind.front_test.tolist() == [traj.final_test]
    first = int(np.argmax(traj.feasible))  # before it, the regret of the reference point (10% beyond the worst)
    worst = float(bench.query_batch(archs, "valid_acc")[feasible].min())
    assert first > 0 and np.allclose(ind.regret[:first], 1.1 * (best - worst))


def test_curves_over_time_use_each_query_arrival(bench):
    objs = Objectives(OBJS, (True, False))
    ref = compute_table_reference(bench, objs)
    traj = run(bench, "rs", 0, budget=20, objectives=list(OBJS))
    traj.finish = np.cumsum(np.arange(1.0, 21.0))  # give the queries simulated arrival times
    ind = run_indicators(traj, ref)
    curve = indicator_curve([traj], [ind], "hv_regret", "time", n_points=50)
    for x, y in zip(curve.x, curve.values[0]):
        done = np.flatnonzero(traj.finish <= x)
        assert (np.isnan(y) and not len(done)) or y == ind.regret[done[-1]]
    assert curve.y_label == "hypervolume regret (normalized objectives)"
    assert indicator_curve([traj], [ind], "igd_plus").values.shape == (1, 20)


def test_median_run_is_the_lower_median():
    assert median_run([0.3, 0.1, 0.2, 0.4]) == 2 and median_run([5.0]) == 0 and median_run([2.0, 1.0, 3.0]) == 0


# ---------------------------------------------------------------------------------------------- figures
def test_staircase_bounds_what_the_points_attain():
    pts = np.array([[90.0, 20.0], [80.0, 5.0]])  # (accuracy: max, latency: min)
    xs, ys = staircase(pts, [True, False], (0.0, 30.0), (70.0, 95.0))
    assert list(zip(xs, ys)) == [(5.0, 70.0), (5.0, 80.0), (20.0, 80.0), (20.0, 90.0), (30.0, 90.0)]
    xs, ys = staircase(pts, [False, True], (0.0, 30.0), (70.0, 95.0))  # both directions flipped: other corner
    assert list(zip(xs, ys)) == [(20.0, 95.0), (20.0, 90.0), (5.0, 90.0), (5.0, 80.0), (0.0, 80.0)]


def test_front_figure_has_the_exact_front_surfaces_and_constraint_lines():
    front = np.array([[90.0, 20.0], [80.0, 5.0]])
    surfaces = {"rs": np.array([[85.0, 20.0]]), "x": np.empty((0, 2))}
    fig = draw_fronts(front, surfaces, ["valid_acc", "latency_pixel3"], [True, False],
                      constraints=[Constraint.parse("latency_pixel3<=15"), Constraint.parse("params<=3")])
    ax = fig.axes[0]
    gids = {line.get_gid(): line for line in ax.lines}
    assert {"true_front", "surface:rs", "constraint:latency_pixel3<=15"} <= set(gids)
    assert "surface:x" not in gids and not any("params" in str(g) for g in gids)  # params is not plotted
    assert list(gids["constraint:latency_pixel3<=15"].get_xdata()) == [15.0, 15.0]
    assert ax.get_xlabel() == "latency on pixel3 (ms)" and ax.get_ylabel() == "validation accuracy (%)"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "x: attains nothing" in legend and "constraint latency_pixel3<=15\n(shaded: infeasible)" in legend


def test_eaf_difference_figure_shows_each_side_in_its_panel():
    a = [np.array([[90.0, 5.0]]), np.array([[88.0, 4.0]])]
    b = [np.array([[80.0, 5.0]]), np.array([[90.0, 9.0]])]
    rect = eaf_difference(a, b, [True, False])
    fig = draw_eaf_difference(rect, "a", "b", ["valid_acc", "latency_pixel3"], [True, False], n_runs=2)
    panels = {c.get_gid(): c for ax in fig.axes[:2] for c in ax.collections}
    assert len(panels["eaf:a"].get_paths()) == int((rect[:, 4] > 0).sum()) > 0
    assert len(panels["eaf:b"].get_paths()) == int((rect[:, 4] < 0).sum())
    assert fig.axes[0].get_title().startswith("where a attains more often")


def test_identical_attainment_functions_have_no_difference_and_a_readable_figure():
    runs = [np.array([[0.0392079986, 3.9259e-4]])]  # one point per side, the same (moocore used to fail to reshape)
    rect = eaf_difference(runs, [r.copy() for r in runs], [False, False])
    assert rect.shape == (0, 5)
    fig = draw_eaf_difference(rect, "a", "b", ["params", "latency"], [False, False],
                              front=runs[0], n_runs=1)
    texts = [t.get_text() for ax in fig.axes[:2] for t in ax.texts if t.get_gid() == "eaf:none"]
    assert texts == ["no difference: the two attainment\nfunctions are identical"] * 2
    assert fig.axes[0].get_title().endswith("(1 run each)")
    for ax in fig.axes[:2]:  # an axis around one value spans a share of it, not 1e-9 with an offset label
        lo, hi = ax.get_xlim()
        assert hi - lo > 1e-5 and ax.xaxis.get_offset_text().get_text() == ""


# ----------------------------------------------------------------------------------------------- tables
def test_latex_table_bolds_the_tied_group_and_marks_flagged_runs():
    kind = MOTableKind.of(2, "valid_acc", "test_acc")
    rows = [{"algorithm": "rs", "runs": 5, "median": 0.2, "iqr": 0.01, "igd_plus": 0.1, "mean_rank": 2.5,
             "feasible_runs": 4, "infeasible_runs": 1, "short_runs": 0, "p_holm_vs_best": 0.01, "p_vs_rs": None},
            {"algorithm": "a", "runs": 5, "median": 0.01, "iqr": 0.002, "igd_plus": 0.02, "mean_rank": 1.0,
             "feasible_runs": 5, "infeasible_runs": 0, "short_runs": 2, "p_holm_vs_best": None, "p_vs_rs": 0.01},
            {"algorithm": "b", "runs": 5, "median": 0.02, "iqr": 0.003, "igd_plus": None, "mean_rank": 2.5,
             "feasible_runs": 0, "infeasible_runs": 5, "short_runs": 0, "p_holm_vs_best": 0.2, "p_vs_rs": 0.3}]
    tex = mo_table_latex(rows, kind, best="a", tied=["b"])
    rs, a, b = tex.splitlines()[7:10]
    assert r"\textbf{0.0100} [0.0020]" in a and r"\textbf{0.0200} [0.0030]" in b
    assert r"0.2000 [0.0100]" in rs and r"\textbf" not in rs
    assert rs.startswith(r"Random search$^{\ddagger}$ & ") and a.startswith(r"a$^{*\dagger}$ & ")
    assert b.endswith(r"& -- & 2.50 & 0/5 & 0.2 \\") and a.endswith(r"& -- \\")
    assert "no run of the algorithm found a feasible architecture" in tex and tex.count(r"\toprule") == 1
    md = mo_table_markdown(rows, kind, ["a", "b"])
    assert "| rs‡ | 0.2000 [0.0100] | 0.1000 | 2.50 | 4/5 | 0.01 |" in md
    assert "| a† | **0.0100** [0.0020] | 0.0200 | 1.00 | 5/5 |  |" in md


# ------------------------------------------------------------------------------------------------ studies
def test_study_report_of_a_multi_objective_study(bench, tmp_path):
    data = write_folder(tmp_path / "data")
    objs = resolve_objectives(bench, list(OBJS), ["latency_pixel3<=8"])
    front = exact_front_archs(bench, objs)
    kw = {"objectives": list(OBJS), "constraints": ["latency_pixel3<=8"]}
    study = write_study(tmp_path / "out", {"cifar10": data},
                        {"rs": None, "front_first": lambda b, s: listed_run(b, objs, front, s, 30)}, range(6), 30,
                        **kw)
    calls = []

    def reference(b, o):
        calls.append(o)
        return compute_table_reference(b, o)

    summary = write_report(study, reference_fn=reference)
    assert calls == [objs]  # once per benchmark, with the runs' objective set
    out = study.out
    assert summary["front_first"]["final_hv_regret"] == [0.0] * 6 and min(summary["rs"]["final_hv_regret"]) > 0
    # the statistics are the single-objective ones, on final hypervolume regret (lower is better)
    finals = {k: np.array(v["final_hv_regret"]) for k, v in summary.items()}
    stats = json.loads((out / "stats.json").read_text())
    assert stats["metric"] == "final_hv_regret"
    assert stats["pairwise_wilcoxon_holm"] == pairwise_wilcoxon(finals)
    expected_ranks = mean_ranks(finals, higher_is_better=False)
    assert stats["critical_difference"]["mean_ranks"] == [expected_ranks[n] for n in stats["critical_difference"]
                                                          ["names"]]
    rows = {r["algorithm"]: r for r in json.loads((out / "table.json").read_text())}
    assert rows["rs"]["p_holm_vs_best"] == stats["pairwise_wilcoxon_holm"][0]["p_holm"]
    assert rows["front_first"]["p_holm_vs_best"] is None and rows["front_first"]["median"] == 0.0
    assert rows["rs"]["feasible_runs"] == 6 and rows["rs"]["igd_plus"] > 0
    report = (out / "report.md").read_text()
    assert "| algorithm | hypervolume regret, median [IQR] | IGD+ | mean rank | feasible runs | p_holm vs best |" \
        in report
    assert "| front_first | **0.0000** [0.0000] | 0.0000 | " in report and "## Found architectures" in report
    assert "constraints: latency_pixel3<=8" in report and "exact front:" in report
    tex = (out / "table.tex").read_text()
    assert tex.count(r"\begin{tabular}") == 2 and r"front\_first$^{*}$ & \textbf{0.0000}" in tex
    front_json = json.loads((out / "pareto_front.json").read_text())
    assert front_json["hypervolume"] == compute_table_reference(bench, objs).hypervolume
    assert front_json["n_architectures"] == int((bench.query_batch(bench.archs_with_data(), "latency_pixel3")
                                                  <= 8).sum())
    fronts = json.loads((out / "fronts.json").read_text())
    assert [len(f) for f in fronts["front_first"]] == [len(front)] * 6
    for stem in ("hv_regret_vs_queries", "igd_plus_vs_queries", "final_hv_regret", "critical_difference",
                 "pareto_front", "eaf_difference_front_first_vs_rs", "rank_vs_budget"):
        assert (out / "plots" / f"{stem}.pdf").read_bytes().startswith(b"%PDF"), stem
        assert round(png_dpi(out / "plots" / f"{stem}.png")) == 300
        assert f"](plots/{stem}.png)" in report
    # plot redraws it all from the results folder
    assert main(["plot", str(out), "--format", "svg", "--quiet"]) == 0
    assert (out / "plots" / "pareto_front.svg").is_file() and (out / "plots" / "hv_regret_vs_queries.svg").is_file()


def test_runs_without_a_feasible_query_are_flagged_not_dropped(bench, tmp_path):
    data = write_folder(tmp_path / "data")
    kw = {"objectives": list(OBJS), "constraints": ["latency_pixel3<=2"]}
    objs = resolve_objectives(bench, list(OBJS), kw["constraints"])
    front = exact_front_archs(bench, objs)
    study = write_study(tmp_path / "out", {"cifar10": data},
                        {"rs": None, "front_first": lambda b, s: listed_run(b, objs, front, s, 4)}, range(5), 4, **kw)
    summary = write_report(study, plots=False)
    hv = compute_table_reference(bench, objs).hypervolume
    lost = [s for s, n in zip(summary["rs"]["seeds"], summary["rs"]["n_feasible"]) if n == 0]
    assert lost and summary["rs"]["infeasible_runs"] == lost
    assert [v for v, n in zip(summary["rs"]["final_hv_regret"], summary["rs"]["n_feasible"]) if n == 0] == \
        [hv] * len(lost)  # included, as attaining only the reference point
    row = next(r for r in json.loads((study.out / "table.json").read_text()) if r["algorithm"] == "rs")
    assert row["runs"] == 5 and row["feasible_runs"] == 5 - len(lost) and row["infeasible_runs"] == len(lost)
    words = json.loads((study.out / "stats.json").read_text())["findings"]
    assert any(w.startswith(f"Warning: rs‡ has {len(lost)} run(s) that found no feasible architecture") for w in words)
    assert "| rs‡ | " in (study.out / "report.md").read_text()
    assert r"Random search$^{\ddagger}$" in (study.out / "table.tex").read_text()


def test_constrained_single_objective_study_reports_regret_and_the_found_test_value(bench, tmp_path):
    data = write_folder(tmp_path / "data")
    study = write_study(tmp_path / "out", {"cifar10": data},
                        {"rs": None, "re": lambda b, s: run(b, "re", s, budget=25, constraints=["latency_pixel3<=3"])},
                        range(4), 25, constraints=["latency_pixel3<=3"])
    summary = write_report(study, formats=("png",))
    rows = {r["algorithm"]: r for r in json.loads((study.out / "table.json").read_text())}
    assert rows["re"]["found_test_acc"] == float(np.median(summary["re"]["final_test_acc"]))
    report = (study.out / "report.md").read_text()
    assert "# nb201-cifar10: constrained search algorithm comparison" in report
    assert "| algorithm | regret of the feasible incumbent (pp), median [IQR] | test accuracy of the found " \
           "architecture (%) |" in report
    assert (study.out / "plots" / "regret_vs_queries.png").is_file()
    assert not (study.out / "plots" / "pareto_front.png").exists()  # one objective: no front figure


def test_several_benchmarks_get_the_average_rank_of_final_hv_regret(bench, tmp_path):
    data = write_folder(tmp_path / "data")
    other = tmp_path / "data100" / "nb201"
    other.mkdir(parents=True)
    (other / "nb201_tables.csv").write_text(MAIN.replace("cifar10_", "cifar100_"))
    (other / "nb201_hw_latency.csv").write_text(latency_csv_text())
    objs = Objectives(OBJS, (True, False))

    def front_first(b, s):
        return listed_run(b, objs, exact_front_archs(b, objs), s, 15)

    study = write_study(tmp_path / "out", {"cifar10": data, "cifar100": other},
                        {"rs": None, "front_first": front_first}, range(3), 15, objectives=list(OBJS))
    write_report(study, formats=("png",))
    ranks = json.loads((study.out / "average_rank.json").read_text())["rows"]
    assert [r["algorithm"] for r in ranks] == ["front_first", "rs"] and ranks[0]["average_rank"] == 1.0
    assert (study.out / "plots" / "rank_vs_budget.png").is_file()
    assert (study.out / "nb201-cifar100" / "report.md").read_text().startswith(
        "# nb201-cifar100: multi-objective search algorithm comparison")


def test_single_objective_studies_never_build_a_front(tmp_path):
    data = write_folder(tmp_path / "data")
    spec = StudySpec(benchmarks=(BenchmarkEntry("nb201", "cifar10", str(data)),),
                     algorithms=(AlgorithmEntry("rs"), AlgorithmEntry("re")), seeds=(0, 1, 2), budget=10, name="so")
    study = Study(spec, tmp_path / "out")
    study.execute(jobs=1, progress=False)

    def refuse(*_):
        raise AssertionError("a single-objective report asked for an exact front")

    write_report(study, formats=("png",), reference_fn=refuse)
    assert not (study.out / "pareto_front.json").exists() and not (study.out / "fronts.json").exists()
    report = (study.out / "report.md").read_text()
    assert report.startswith("# nb201-cifar10: search algorithm comparison") and "hypervolume" not in report
    assert json.loads((study.out / "stats.json").read_text())["metric"] == "final_test_acc"


# ------------------------------------------------------------------------------------------------ bad input
def _mixed_study(bench, tmp_path):
    data = write_folder(tmp_path / "data")
    return write_study(tmp_path / "out", {"cifar10": data},
                       {"rs": None, "re": lambda b, s: run(b, "re", s, budget=5, constraints=["latency_pixel3<=9"])},
                       range(2), 5, objectives=list(OBJS))


BAD = [
    ("single-objective run", lambda b, t: run_indicators(run(b, "rs", 0, budget=3),
                                                         compute_table_reference(b, Objectives(OBJS, (True, False)))),
     "records no objectives: it is a single-objective run"),
    ("reference of other objectives", lambda b, t: run_indicators(
        run(b, "rs", 0, budget=3, objectives=list(OBJS)),
        compute_table_reference(b, Objectives(("valid_acc", "latency_pixel3"), (True, True)))),
     r"run has objectives \['valid_acc', 'latency_gold_6226'\] with directions \[True, False\], the reference 2 "),
    ("unknown curve", lambda b, t: indicator_curve([], [], "hv"), "indicator curve y must be one of hv_regret"),
    ("nothing feasible in the table", lambda b, t: compute_table_reference(
        b, Objectives(OBJS, (True, False), (Constraint.parse("latency_pixel3<=1"),))),
     "no architecture of nb201/cifar10 has every objective .* and satisfies latency_pixel3<=1"),
    ("three objectives in a front figure", lambda b, t: draw_fronts(np.ones((1, 3)), {}, ["a", "b", "c"],
                                                                     [True] * 3), "two objectives, got 3"),
    ("median of no runs", lambda b, t: median_run([]), "at least one run"),
    ("runs of different objective sets", lambda b, t: write_report(_mixed_study(b, t), plots=False),
     "holds a run of another study \\(objectives valid_acc vs valid_acc,latency_gold_6226"),
]


@pytest.mark.parametrize("case, call, match", BAD, ids=[c[0] for c in BAD])
def test_bad_input_is_one_line_config_error(bench, tmp_path, case, call, match):
    with pytest.raises(ConfigError, match=match) as err:
        call(bench, tmp_path)
    assert "\n" not in str(err.value)


# ------------------------------------------------------------------------------------------------ real data
@pytest.mark.realdata
def test_real_table_runs_are_scored_with_seed_mean_values_and_drawn_over_time(tmp_path):
    folder = shared_file("nb201/nb201_hw_latency.csv").parent
    real = nasbench_lab.load("nb201", "cifar100", path=folder)
    objs = Objectives(OBJS, (True, False))
    ref, values = compute_table_reference(real, objs), table_values(real, OBJS)
    front = exact_front_archs(real, objs)
    exact = listed_run(real, objs, front, 0, len(front), valid_seed="mean")
    assert run_indicators(exact, ref, values).final_regret == 0.0
    noisy = listed_run(real, objs, front, 0, len(front))  # valid_seed "random": one training seed per query
    seen = noisy.objectives
    assert not np.allclose(seen[:, 0], values(noisy.archs)[:, 0])
    ind = run_indicators(noisy, ref, values)
    # the run returns the front its noisy values show, scored with the table's (seed mean) values
    chosen = np.flatnonzero(pareto_mask(seen, objs.higher))
    assert sorted(ind.front) == sorted(chosen) and len(chosen) < len(front)
    assert ind.final_regret == pytest.approx(ref.hv_regret(values(noisy.archs[chosen])), abs=1e-12)
    assert ind.final_regret != pytest.approx(ref.hv_regret(seen[chosen]))
    study = write_study(tmp_path / "out", {"cifar100": folder},
                        {"rs": None, "front_first": lambda b, s: listed_run(b, objs, front, s, 60)}, range(3), 60,
                        objectives=list(OBJS))
    write_report(study, formats=("png",))
    assert "](plots/hv_regret_vs_time.png)" in (study.out / "report.md").read_text()
    assert round(png_dpi(study.out / "plots" / "igd_plus_vs_time.png")) == 300


def test_plot_of_a_multi_objective_study_whose_data_is_gone_says_why_it_needs_it(tmp_path, capsys, monkeypatch):
    import shutil

    monkeypatch.setenv("NASBENCH_LAB_CACHE", str(tmp_path / "cache"))
    data = write_folder(tmp_path / "data")
    out = tmp_path / "r"
    assert main(["--quiet", "compare", "-b", "nb201", "-d", "cifar10", "-p", str(data), "--objectives",
                 "valid_acc,latency_pixel3", "-A", "rs", "--seeds", "2", "--budget", "10", "--jobs", "1",
                 "--format", "png", "--out", str(out)]) == 0
    shutil.rmtree(tmp_path / "data")
    shutil.rmtree(tmp_path / "cache")
    from nasbench_lab.studies import study as study_module

    study_module._load_benchmark.cache_clear()  # as in a new process: the data is read again, and is gone
    capsys.readouterr()
    assert main(["--quiet", "plot", str(out), "--format", "png"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err
    assert "the multi-objective report of nb201-cifar10 scores its runs against the exact front of the table, so " \
           "it needs the benchmark's data: data file not found" in err
