"""A study's results folder report: summary.json, tables (md/csv/json/tex), stats.json, plots/ and report.md.

Every run's query count and stop reason go into summary.json; a run that made fewer queries than its
budget or stopped for another reason than the budget is *short*: it stays in the statistics (it is
a result of the algorithm) but the tables, plots and report mark its algorithm and say how many.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nasbench_lab.analysis.aggregate import Curve, anytime_curve, final_table, rank_of_curves, rank_over_budget
from nasbench_lab.analysis.critical_difference import (
    CriticalDifference,
    cd_caption,
    cd_from_blocks,
    cd_from_seeds,
    draw_cd,
)
from nasbench_lab.analysis.mo_aggregate import (
    RunIndicators,
    indicator_curve,
    is_multi_objective,
    median_run,
    run_indicators,
)
from nasbench_lab.analysis.mo_plots import draw_eaf_difference, draw_fronts
from nasbench_lab.analysis.mo_reference import ReferenceFn, describe_archs, front_values, optimum
from nasbench_lab.analysis.mo_report_text import mo_benchmark_report, mo_findings
from nasbench_lab.analysis.mo_tables import (
    INFEASIBLE_MARK,
    MOTableKind,
    front_rows,
    front_table_latex,
    mo_table_latex,
    mo_table_markdown,
)
from nasbench_lab.analysis.pareto import (
    ParetoReference,
    attainment_surface,
    eaf_difference,
    from_minimization,
)
from nasbench_lab.analysis.plots import (
    DEFAULT_FORMATS,
    FORMATS,
    band_rule,
    draw_curves,
    draw_final,
    draw_rank_vs_budget,
    save_figure,
)
from nasbench_lab.analysis.report_text import Figure, benchmark_report, findings, study_report
from nasbench_lab.analysis.stats import holm, mann_whitney_greater, pairwise_wilcoxon, tied_with
from nasbench_lab.analysis.table_front import (
    ValuesFn,
    feasible_rows,
    reference_point_in_units,
    table_reference,
    table_values,
)
from nasbench_lab.analysis.tables import SHORT_MARK, table_csv, table_json, table_latex, table_markdown, value_unit
from nasbench_lab.errors import ConfigError, DataFileError
from nasbench_lab.fileio import atomic_write
from nasbench_lab.metrics import metric_info
from nasbench_lab.results.objectives import Objectives
from nasbench_lab.results.trajectory import Trajectory
from nasbench_lab.spaces.base import SearchSpace
from nasbench_lab.studies.study import Study

#: significance level of every test and mark in the report
ALPHA = 0.05
TABLE_STATS = ("mean", "median")


def is_short(traj: Trajectory) -> bool:
    """A run that stopped before its budget: another stop reason, or fewer queries than a query budget."""
    budget = traj.meta.get("budget_queries")
    return traj.meta.get("stopped", "budget") != "budget" or (budget is not None and len(traj.valid) < budget)


def summarize(runs: dict[str, list[Trajectory]]) -> dict:
    """Per algorithm: each run's seed, final report and search value of its incumbent, keyed ``final_<metric>``
    (no report key where the benchmark lacks the report metric), query count and stop reason, the seeds of short
    runs, and the total wall time."""
    out = {}
    for label, trajs in runs.items():
        meta = trajs[0].meta if trajs else {}
        report, search = meta.get("report_metric"), meta.get("search_metric", "valid_acc")
        entry: dict[str, object] = {f"final_{report}": [_number(t.final_test) for t in trajs]} if report else {}
        entry[f"final_{search}"] = [_number(t.final_valid) for t in trajs]
        entry["seeds"] = [t.meta.get("seed") for t in trajs]
        entry["n_queries"] = [int(len(t.valid)) for t in trajs]
        entry["stopped"] = [t.meta.get("stopped", "budget") for t in trajs]
        entry["short_runs"] = [t.meta.get("seed") for t in trajs if is_short(t)]
        entry["wall_s"] = float(sum(t.meta.get("wall_s", 0.0) for t in trajs))
        out[label] = entry
    return out


def _fallback_label(ref: dict) -> str:
    """What the report shows when the benchmark lacks the report metric: the search metric, said so."""
    search = metric_info(ref.get("search_metric", "valid_acc")).display_name
    missing = metric_info(ref["missing_report_metric"]).display_name if ref.get("missing_report_metric") else "test"
    return f"{search} (no {missing} metric)"


def _number(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def write_report(study: Study, formats: Sequence[str] = DEFAULT_FORMATS, seed: int = 0, plots: bool = True,
                 table_stat: str = "mean", references: Mapping[str, ParetoReference] | None = None,
                 reference_fn: ReferenceFn | None = None) -> dict:
    """Writes summary.json, table.{md,csv,json,tex}, stats.json, plots/ and report.md into the study folder;
    returns the summary.

    With several benchmarks each gets a subfolder named by its key, the top-level summary is keyed by
    benchmark, and the top level gets the average-rank table, CD diagram and rank-over-budget plot across them.
    A benchmark whose runs have two or more objectives or constraints gets the multi-objective report
    (``_report_one_mo``), measured against the exact front of its table: ``references[key]`` when given, else
    ``reference_fn(benchmark, objectives)`` (default: ``table_front.table_reference`` with the study's reference
    point and fidelity, computed once and cached with the table); either way the benchmark's data is loaded to
    score the found architectures.
    """
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise ConfigError(f"plot format {bad[0]!r} not supported; accepted: {', '.join(FORMATS)}")
    if table_stat not in TABLE_STATS:
        raise ConfigError(f"table statistic must be one of {', '.join(TABLE_STATS)}, got {table_stat!r}")
    refs = json.loads((study.out / "benchmarks.json").read_text())
    all_runs = study.trajectories()
    if not all_runs:
        raise ConfigError(f"{study.out} has no finished runs yet")
    single = len(all_runs) == 1
    out: dict = {}
    finals_by_key: dict = {}
    for key, runs in all_runs.items():
        folder = study.out if single else study.out / key
        if any(is_multi_objective(t) for trajs in runs.values() for t in trajs):
            scoring = mo_scoring(study, key, runs, references, reference_fn)
            out[key], finals_by_key[key] = _report_one_mo(folder, key, runs, refs.get(key, {}), scoring, formats,
                                                          seed, plots, not single, study)
            continue
        out[key], finals_by_key[key] = _report_one(folder, key, runs, refs.get(key, {}), formats, seed, plots,
                                                   not single, table_stat, study)
    summary = next(iter(out.values())) if single else out
    atomic_write(study.out / "summary.json", json.dumps(summary, indent=2).encode())
    if not single:
        _report_across(study, all_runs, finals_by_key, refs, formats, plots)
    return summary


def read_findings(study: Study) -> list[str]:
    """The statistics in words, as the last report wrote them (one list per benchmark, joined)."""
    top = study.out / "stats.json"
    files = [top] if top.is_file() else sorted(study.out.glob("*/stats.json"))
    lines: list[str] = []
    for file in files:
        data = json.loads(file.read_text())
        prefix = "" if file.parent == study.out else f"{file.parent.name}: "
        lines += [prefix + line for line in data.get("findings", [])]
    across = study.out / "average_rank.json"
    if across.is_file():
        lines += json.loads(across.read_text()).get("findings", [])
    return lines


def _report_one(folder: Path, key: str, runs: dict[str, list[Trajectory]], ref: dict, formats: Sequence[str],
                seed: int, plots: bool, own_summary: bool, table_stat: str, study: Study) -> tuple[dict, dict]:
    summary = summarize(runs)
    higher = bool(ref.get("report_higher_is_better", True))
    has_test = ref.get("report_metric") is not None
    metric = ref.get("report_metric") or ref.get("search_metric") or "valid_acc"
    unit = ref["unit"] if isinstance(ref.get("unit"), str) else metric_info(metric).unit  # "" stays: no unit
    key_final = f"final_{metric}"
    finals = {label: np.asarray(s[key_final], dtype=np.float64) for label, s in summary.items()}
    short = {label: len(s["short_runs"]) for label, s in summary.items()}
    marks = {label: SHORT_MARK for label, n in short.items() if n}
    stats = _stats(finals, higher)
    p_vs_rs = {k: v["p_holm"] for k, v in stats["vs_random_search_mann_whitney"].items()}
    rows = final_table(finals, ref.get("random_mean"), higher, short)
    for row in rows:
        if p_vs_rs:
            row["p_vs_rs"] = p_vs_rs.get(row["algorithm"])
        row["wall_s"] = summary[row["algorithm"]]["wall_s"]
    cd = stats.pop("_cd")
    stats["findings"] = findings(rows, stats, cd, summary, unit=unit, higher=higher, alpha=ALPHA,
                                 folder=str(folder), metric=metric)
    atomic_write(folder / "table.md", table_markdown(rows).encode())
    atomic_write(folder / "table.csv", table_csv(rows).encode())
    atomic_write(folder / "table.json", table_json(rows).encode())
    info = metric_info(metric)
    caption = (f"{key}: final {info.display_name}{f' ({unit})' if value_unit(unit) else ''} over "
               f"{max(len(v) for v in finals.values())} runs per algorithm (seeds).")
    atomic_write(folder / "table.tex", table_latex(rows, stat=table_stat, higher_is_better=higher, unit=unit,
                                                  alpha=ALPHA, caption=caption, label=f"tab:{key}",
                                                  tied=_tied_with_best(rows, stats, higher)).encode())
    atomic_write(folder / "stats.json", json.dumps({"metric": key_final, **stats}, indent=2).encode())
    if own_summary:
        atomic_write(folder / "summary.json", json.dumps(summary, indent=2).encode())
    figures: list[Figure] = []
    if plots:
        figures = _plots(folder, key, runs, ref, formats, seed, finals, cd, p_vs_rs, marks, unit, has_test, higher)
    text = benchmark_report(key, study.spec, ref, rows, stats, figures, summary, table_stat=table_stat, unit=unit)
    atomic_write(folder / "report.md", text.encode())
    return summary, {"finals": finals, "higher": higher, "runs": runs}


def _tied_with_best(rows: list[dict], stats: dict, higher: bool) -> list[str] | None:
    """The algorithms not separated from the best-mean one by the paired Wilcoxon-Holm test (None: no tests)."""
    pairs = stats.get("pairwise_wilcoxon_holm") or []
    measured = [r for r in rows if np.isfinite(r["mean"])]
    if not pairs or not measured:
        return None
    best = (max if higher else min)(measured, key=lambda r: r["mean"])["algorithm"]
    return tied_with(best, pairs, ALPHA) if any(best in (p["a"], p["b"]) for p in pairs) else None


def _plots(folder: Path, key: str, runs: dict[str, list[Trajectory]], ref: dict, formats: Sequence[str], seed: int,
           finals: dict, cd: CriticalDifference | None, p_vs_rs: dict, marks: dict, unit: str, has_test: bool,
           higher: bool) -> list[Figure]:
    """Anytime curves (time ones only with a cost model), final values, CD diagram, rank over budget.

    Titles say what is shown, in display names; how it was computed (mean over runs, which bands) goes into
    the captions."""
    rng = np.random.default_rng(seed)
    timed = all(t.meta.get("time_unit", "s") == "s" for trajs in runs.values() for t in trajs)
    live = {label: trajs for label, trajs in runs.items() if any(len(t) for t in trajs)}
    report = metric_info(ref.get("report_metric") or "test_acc").display_name
    search = metric_info(ref.get("search_metric") or "valid_acc").display_name
    n_runs = max((len(trajs) for trajs in live.values()), default=0)
    how = f" Lines: mean over {n_runs} runs per algorithm. {band_rule(len(live))}"
    specs = []  # (file stem, y, x, log_x, title, caption)
    if has_test:
        specs += [("test_vs_queries", "test", "queries", False, f"{report} of the incumbent",
                   "Test value of the incumbent (the architecture with the best validation value so far)."),
                  ("regret_vs_queries", "regret", "queries", False, "test regret of the incumbent",
                   "Test regret of the incumbent: benchmark optimum minus its test value.")]
    regret = ref.get("search_optimum") is not None
    specs.append(("valid_regret_vs_queries" if regret else "valid_vs_queries", "valid_regret" if regret else "valid",
                  "queries", False, f"{'validation regret' if regret else search} of the incumbent, as searched",
                  "What the optimizer saw: validation value of the incumbent"
                  + (" below the benchmark's best mean validation value (a single drawn training seed can exceed "
                     "that mean, so it can be negative)." if regret else ".")))
    if timed and has_test:
        specs += [("test_vs_time", "test", "time", True, f"{report} of the incumbent over training time",
                   "Test value of the incumbent over simulated training time."),
                  ("regret_vs_time", "regret", "time", True, "test regret of the incumbent over training time",
                   "Test regret of the incumbent over simulated training time.")]
    out: list[Figure] = []
    for stem, y, x, log_x, title, caption in specs:
        optimum = ref.get("search_optimum") if y == "valid_regret" else ref.get("optimum")
        curves = {label: anytime_curve(trajs, x=x, y=y, optimum=optimum, unit=unit) for label, trajs in live.items()}
        fig = draw_curves(curves, rng=rng, title=f"{key}: {title}", log_x=log_x, zoom=y in ("test", "valid"),
                          lower_is_better=y.endswith("regret") == higher, marks=marks)
        out.append(_save(fig, folder, stem, formats, caption + how))
    label = f"final {report if ref.get('report_metric') else _fallback_label(ref)} ({unit})"
    fig = draw_final(finals, title=f"{key}: final {report if has_test else search} of each run", y_label=label,
                     optimum=ref.get("optimum") if has_test else None,
                     random_mean=ref.get("random_mean") if has_test else None, p_vs_rs=p_vs_rs, alpha=ALPHA,
                     marks=marks)
    out.append(_save(fig, folder, f"final_{'test' if has_test else 'valid'}", formats,
                     "Final value per seed (box: quartiles, white diamond: mean); dashed: benchmark optimum, dotted: "
                     "mean random architecture (written at the axis edge when it lies far outside the boxes), *: "
                     "better than random search."))
    if cd is not None:
        out.append(_save(draw_cd(cd, title=key), folder, "critical_difference", formats, cd_caption(cd)))
    names = list(live)
    if len(names) > 1:
        curve = rank_over_budget(live, higher)
        out.append(_save(draw_rank_vs_budget(curve, names, title=f"{key}: rank of the incumbent's {report}",
                                             marks=marks), folder,
                         "rank_vs_budget", formats, f"Mean rank over {n_runs} runs of each algorithm's incumbent after "
                         "each query (1 = best), as in NAS-Bench-Suite."))
    return out


def _save(fig, folder: Path, stem: str, formats: Sequence[str], caption: str) -> Figure:
    """Writes ``fig`` once per format; report.md links the PNG when there is one (a PDF does not show inline)."""
    for fmt in formats:
        save_figure(fig, folder / "plots" / f"{stem}.{fmt}")
    shown = "png" if "png" in formats else formats[0]
    return Figure(f"plots/{stem}.{shown}", caption)


def _stats(finals: dict[str, np.ndarray], higher: bool) -> dict:
    """Pairwise Wilcoxon (Holm), one-sided Mann-Whitney of each algorithm vs random search (raw and Holm), and the
    critical-difference cliques (key ``_cd``, removed before writing)."""
    out: dict = {"pairwise_wilcoxon_holm": [], "vs_random_search_mann_whitney": {}, "critical_difference": None,
                 "_cd": None}
    finals = {k: v for k, v in finals.items() if np.isfinite(v).all()}
    if len({len(v) for v in finals.values()}) == 1 and len(finals) > 1:
        out["pairwise_wilcoxon_holm"] = pairwise_wilcoxon(finals)
        if len(next(iter(finals.values()))) > 1:
            cd = cd_from_seeds(finals, higher, ALPHA, out["pairwise_wilcoxon_holm"])
            out["critical_difference"], out["_cd"] = cd.to_dict(), cd
    baseline = next((k for k in ("rs", "random_search") if k in finals), None)
    if baseline and len(finals[baseline]) > 1:
        raw = {}
        for name, values in finals.items():
            if name != baseline and len(values) > 1:
                a, b = (values, finals[baseline]) if higher else (-values, -finals[baseline])
                raw[name] = mann_whitney_greater(a, b)
        adjusted = holm(raw)
        out["vs_random_search_mann_whitney"] = {
            name: {"alternative": f"{name} better than {baseline}", "p": p, "p_holm": adjusted[name]}
            for name, p in raw.items()}
    return out


def _report_across(study: Study, all_runs: dict, finals_by_key: dict, refs: dict, formats: Sequence[str],
                   plots: bool) -> None:
    """Average-rank table across benchmarks (NAS-Bench-Suite style), its CD diagram and rank over budget."""
    from nasbench_lab.analysis.tables import average_rank_rows, rank_table_latex, rank_table_markdown

    names = [n for n in next(iter(finals_by_key.values()))["finals"]
             if all(n in f["finals"] for f in finals_by_key.values())]
    keys = list(finals_by_key)
    means = np.array([[float(np.nanmean(finals_by_key[k]["finals"][n])) for n in names] for k in keys])
    higher = [finals_by_key[k]["higher"] for k in keys]
    signed = np.where(np.array(higher)[:, None], means, -means)
    rows = average_rank_rows(keys, names, signed)
    cd = cd_from_blocks(signed, names, True, ALPHA) if len(keys) > 1 and len(names) > 1 else None
    figures: list[Figure] = []
    if plots and cd is not None:
        figures.append(_save(draw_cd(cd, title=f"{len(keys)} benchmarks"), study.out, "critical_difference", formats,
                             cd_caption(cd).replace("mean rank", "mean rank of each algorithm's mean final value",
                                                    1)))
        curves = [_rank_curve(finals_by_key[k], names) for k in keys]
        length = min(c.values.shape[1] for c in curves)
        mean_curve = curves[0]
        mean_curve.values = np.mean([c.values[:, :length] for c in curves], axis=0)
        mean_curve.x = mean_curve.x[:length]
        mean_curve.y_label = "mean rank, averaged over benchmarks (1 = best)"
        figures.append(_save(draw_rank_vs_budget(mean_curve, names, title=f"{len(keys)} benchmarks"), study.out,
                             "rank_vs_budget", formats, "Mean rank after each query, averaged over the benchmarks."))
    words = findings_across(rows, cd)
    atomic_write(study.out / "average_rank.md", rank_table_markdown(rows, keys).encode())
    atomic_write(study.out / "table.tex", rank_table_latex(rows, keys).encode())
    atomic_write(study.out / "average_rank.json", json.dumps(
        {"rows": rows, "critical_difference": cd.to_dict() if cd else None, "findings": words}, indent=2).encode())
    atomic_write(study.out / "report.md", study_report(study.spec, keys, rows, cd, figures, words).encode())


def _rank_curve(entry: dict, names: list[str]) -> Curve:
    """Mean rank after each query of the ``names`` algorithms of one benchmark: of the incumbent's report value, or,
    for a multi-objective benchmark (``query_curves``), of the per-query indicator (lower is better)."""
    if "query_curves" not in entry:
        return rank_over_budget({n: entry["runs"][n] for n in names}, entry["higher"])
    n_seeds = min(len(entry["query_curves"][n]) for n in names)
    return rank_of_curves([entry["query_curves"][n][:n_seeds] for n in names], False)


def findings_across(rows: list[dict], cd: CriticalDifference | None) -> list[str]:
    """The cross-benchmark result in words."""
    if not rows:
        return []
    best = min(rows, key=lambda r: r["average_rank"])
    out = [f"Across benchmarks, {best['algorithm']} has the best average rank ({best['average_rank']:.2f})."]
    if cd is not None:
        sep = f"Friedman p = {cd.friedman_p:.2g}; Nemenyi critical difference {cd.critical_difference:.2f}"
        out.append(sep + ("; no algorithm is separated from the others." if len(cd.cliques) == 1
                          and len(cd.cliques[0]) == len(cd.names) else "."))
    return out



# ------------------------------------------------------------------ multi-objective and constrained studies
@dataclass
class MOScoring:
    """What the report of one benchmark with several objectives (or constraints) measures its runs against."""

    objectives: Objectives
    #: the table's exact front, normalization and reference point (``pareto_reference``)
    reference: ParetoReference
    #: the table's values (seed mean) of found architectures
    values_of: ValuesFn
    #: the benchmark's space, to write found architectures
    space: SearchSpace
    #: how many architectures of the table are feasible and have every objective (what the front is over)
    n_architectures: int


def _objective_set(key: str, runs: dict[str, list[Trajectory]]) -> Objectives:
    """The one objective set of a benchmark's runs (a ConfigError when runs disagree)."""
    found = {Objectives.from_meta(t.meta) for trajs in runs.values() for t in trajs}
    if len(found) != 1 or None in found:
        shown = sorted(", ".join(o.to_meta()["objectives"] + o.to_meta()["constraints"]) if o else "one objective"
                       for o in found)
        raise ConfigError(f"the runs of {key} have different objectives or constraints ({' vs '.join(shown)}); a "
                          "report compares runs of one objective set")
    return next(iter(found))  # type: ignore[return-value]


def mo_scoring(study: Study, key: str, runs: dict[str, list[Trajectory]],
               references: Mapping[str, ParetoReference] | None = None,
               reference_fn: ReferenceFn | None = None) -> MOScoring:
    """Loads benchmark ``key`` of ``study`` and gives its exact reference (``references[key]``, else
    ``reference_fn(benchmark, objectives)``, else the cached table front with the study's reference point and
    fidelity) and its table values of found architectures."""
    objectives = _objective_set(key, runs)
    entry = next(r.benchmark for r in study.runs() if r.relpath.split("/")[1] == key)
    try:
        bench = entry.load()
    except DataFileError as exc:
        raise DataFileError(f"the multi-objective report of {key} scores its runs against the exact front of the "
                            f"table, so it needs the benchmark's data: {exc}") from None
    fidelity = study.spec.fidelity
    if references is not None and key in references:
        ref = references[key]
    elif reference_fn is not None:
        ref = reference_fn(bench, objectives)
    else:
        ref = table_reference(bench, objectives, study.spec.reference_point, fidelity)
    return MOScoring(objectives, ref, table_values(bench, objectives.names, fidelity), bench.space,
                     len(feasible_rows(bench, objectives, fidelity)[0]))


def _report_one_mo(folder: Path, key: str, runs: dict[str, list[Trajectory]], ref: dict, scoring: MOScoring,
                   formats: Sequence[str], seed: int, plots: bool, own_summary: bool,
                   study: Study) -> tuple[dict, dict]:
    """The multi-objective (or constrained) report of one benchmark: final hypervolume regret (or regret of the
    feasible incumbent) through the same tests, tables and figures as a single-objective report."""
    objs, pref = scoring.objectives, scoring.reference
    report = ref.get("report_metric")
    kind = MOTableKind.of(objs.n, objs.names[0], report)
    scored = {label: [run_indicators(t, pref, scoring.values_of) for t in trajs] for label, trajs in runs.items()}
    nothing = next(i.unattained for inds in scored.values() for i in inds)  # the regret of attaining nothing
    summary = summarize(runs)
    indicator = "final_hv_regret" if objs.multi else "final_regret"
    for label, inds in scored.items():
        entry = summary[label]
        entry[indicator] = [_number(i.final_regret) for i in inds]
        if objs.multi:
            entry["final_igd_plus"] = [_number(i.final_igd_plus) for i in inds]
        entry["n_feasible"] = [i.n_feasible for i in inds]
        entry["front_size"] = [len(i.front) for i in inds]
        entry["infeasible_runs"] = [t.meta.get("seed") for t, i in zip(runs[label], inds) if not i.feasible_found]
    finals = {label: np.array([i.final_regret for i in inds]) for label, inds in scored.items()}
    stats = _stats(finals, False)
    p_vs_rs = {k: v["p_holm"] for k, v in stats["vs_random_search_mann_whitney"].items()}
    rows = final_table(finals, None, False, {label: len(s["short_runs"]) for label, s in summary.items()})
    measured = [r for r in rows if np.isfinite(r["mean"])]
    best = min(measured, key=lambda r: r["mean"])["algorithm"] if measured else None
    pairs = stats["pairwise_wilcoxon_holm"] or []
    for row in rows:
        found = [i for i in scored[row["algorithm"]] if i.feasible_found]
        second = [i.final_igd_plus if objs.multi else float(i.front_test[0]) for i in found]
        row.update({"feasible_runs": len(found), "infeasible_runs": len(scored[row["algorithm"]]) - len(found),
                    kind.key: float(np.median(second)) if second else None})
        if p_vs_rs:
            row["p_vs_rs"] = p_vs_rs.get(row["algorithm"])
        row["p_holm_vs_best"] = next((p["p_holm"] for p in pairs if {p["a"], p["b"]} == {best, row["algorithm"]}
                                      and best != row["algorithm"]), None)
        row["wall_s"] = summary[row["algorithm"]]["wall_s"]
    cd = stats.pop("_cd")
    tied = _tied_with_best(rows, stats, False)
    stats["findings"] = mo_findings(rows, stats, cd, summary, kind=kind, alpha=ALPHA, folder=str(folder),
                                    nothing=nothing)
    fronts = {label: [front_rows(label, t.meta.get("seed"), describe_archs(scoring.space, t.archs[i.front]),
                                 i.front_values, i.front_test, objs.names, report)
                      for t, i in zip(runs[label], inds)] for label, inds in scored.items()}
    median_fronts = [row for label in fronts if fronts[label]
                     for row in fronts[label][median_run(finals[label])]]
    front = _front_record(objs, pref, scoring.n_architectures, nothing)
    n_runs = max(len(v) for v in finals.values())
    caption = (f"{key}: final {kind.indicator}{f' ({kind.unit})' if value_unit(kind.unit) else ''} over {n_runs} runs "
               f"per algorithm (seeds); median [IQR], lower is better.")
    tex = mo_table_latex(rows, kind, alpha=ALPHA, caption=caption, label=f"tab:{key}", best=best, tied=tied)
    tex += "\n" + front_table_latex(median_fronts, objs.names, report, label=f"tab:{key}-fronts", caption=(
        f"{key}: the found architectures of each algorithm's median run (median final {kind.indicator}), table "
        "values of the objectives (validation at the mean over training seeds) and report value."))
    atomic_write(folder / "table.md", mo_table_markdown(rows, kind, _bold(best, tied)).encode())
    atomic_write(folder / "table.csv", table_csv(rows, digits=kind.digits).encode())
    atomic_write(folder / "table.json", table_json(rows).encode())
    atomic_write(folder / "table.tex", tex.encode())
    atomic_write(folder / "fronts.json", json.dumps(fronts, indent=2).encode())
    atomic_write(folder / "pareto_front.json", json.dumps(front, indent=2).encode())
    atomic_write(folder / "stats.json", json.dumps({"metric": indicator, **stats}, indent=2).encode())
    if own_summary:
        atomic_write(folder / "summary.json", json.dumps(summary, indent=2).encode())
    marks = {label: (SHORT_MARK if s["short_runs"] else "") + (INFEASIBLE_MARK if s["infeasible_runs"] else "")
             for label, s in summary.items()}
    y = "hv_regret" if objs.multi else "regret"
    query_curves = {label: indicator_curve(runs[label], scored[label], y).values for label in runs
                    if any(len(t) for t in runs[label])}
    figures: list[Figure] = []
    if plots:
        figures = _mo_plots(folder, key, runs, scored, scoring, kind, finals, cd, p_vs_rs,
                            {k: v for k, v in marks.items() if v}, formats, seed, best)
        if len(query_curves) > 1:
            names = list(query_curves)
            figures.append(_save(draw_rank_vs_budget(_rank_curve({"query_curves": query_curves}, names), names,
                                                     title=f"{key}: rank of the {kind.indicator}", marks=marks),
                                 folder, "rank_vs_budget", formats, f"Mean rank over the runs of each algorithm's "
                                 f"{kind.indicator} after each query (1 = lowest)."))
    text = mo_benchmark_report(key, study.spec, ref, objs, front, rows, kind, stats, figures, summary,
                               median_fronts, bold=_bold(best, tied), alpha=ALPHA)
    atomic_write(folder / "report.md", text.encode())
    return summary, {"finals": finals, "higher": False, "runs": runs, "query_curves": query_curves}


def _bold(best: str | None, tied: list[str] | None) -> list[str]:
    """The algorithms shown in bold: the best-mean one and those not separated from it (none without tests)."""
    return [best, *tied] if best is not None and tied is not None else []


def _front_record(objs: Objectives, ref: ParetoReference, n_architectures: int, nothing: float) -> dict:
    """pareto_front.json: the exact front and everything an indicator here is relative to, in own units too."""
    own = from_minimization(np.vstack([ref.best, ref.worst]), np.asarray(ref.higher))
    out = {"objectives": list(objs.names), "higher_is_better": list(objs.higher),
           "constraints": [str(c) for c in objs.constraints], "n_architectures": n_architectures,
           "n_points": int(len(ref.front_points)), "hypervolume": ref.hypervolume,
           "reference_normalized": ref.reference.tolist(), "reference_point": reference_point_in_units(ref).tolist(),
           "table_best": own[0].tolist(), "table_worst": own[1].tolist(), "front": front_values(ref).tolist(),
           "unit": metric_info(objs.names[0]).unit, "nothing_found": nothing}
    if not objs.multi:
        out["optimum"] = optimum(ref)
    return out


def _mo_plots(folder: Path, key: str, runs: dict[str, list[Trajectory]], scored: dict[str, list[RunIndicators]],
              scoring: MOScoring, kind: MOTableKind, finals: dict, cd: CriticalDifference | None, p_vs_rs: dict,
              marks: dict, formats: Sequence[str], seed: int, best: str | None) -> list[Figure]:
    """Anytime indicator curves (log y; over simulated time too with a cost model), final values, CD diagram and,
    with two objectives, the exact front beside each algorithm's median attainment surface and an EAF difference."""
    objs, pref = scoring.objectives, scoring.reference
    rng = np.random.default_rng(seed)
    timed = all(t.meta.get("time_unit", "s") == "s" for trajs in runs.values() for t in trajs)
    live = [label for label, trajs in runs.items() if any(len(t) for t in trajs)]
    n_runs = max((len(runs[label]) for label in live), default=0)
    how = f" Lines: mean over {n_runs} runs per algorithm. {band_rule(len(live))}"
    ys = [("hv_regret", "hypervolume regret", "Hypervolume regret of the found front (exact front's hypervolume minus "
           "the found front's; normalized objectives; before the first feasible query, the whole front's).")]
    if objs.multi:
        ys.append(("igd_plus", "IGD+", "IGD+ of the found front to the exact front (normalized objectives); drawn "
                   "from the first query by which every run of the algorithm has found something feasible."))
    else:
        ys = [("regret", "regret of the feasible incumbent", "Regret of the feasible incumbent: the exact "
               "constrained optimum minus its table value (before the first feasible query, the regret of the "
               "reference point).")]
    out: list[Figure] = []
    for y, title, caption in ys:
        for x in ("queries", "time") if timed else ("queries",):
            curves = {}
            for label in live:
                curve = indicator_curve(runs[label], scored[label], y, x)
                curve.values = np.where(np.isinf(curve.values), np.nan, curve.values)
                curves[label] = curve
            fig = draw_curves(curves, rng=rng, title=f"{key}: {title}" + (" over training time" if x == "time" else ""),
                              log_x=x == "time", log_y=True, lower_is_better=True, marks=marks)
            out.append(_save(fig, folder, f"{y}_vs_{x}", formats, caption + " Log scale." + how))
    label = f"final {kind.indicator}" + (f" ({kind.unit})" if value_unit(kind.unit) else "")
    fig = draw_final(finals, title=f"{key}: final {kind.indicator} of each run", y_label=label, p_vs_rs=p_vs_rs,
                     alpha=ALPHA, marks=marks)
    out.append(_save(fig, folder, "final_" + ("hv_regret" if objs.multi else "regret"), formats,
                     "Final value per seed (box: quartiles, white diamond: mean; lower is better); *: better than "
                     "random search."))
    if cd is not None:
        out.append(_save(draw_cd(cd, title=key), folder, "critical_difference", formats,
                         cd_caption(cd) + " Ranks of the final " + kind.indicator + " (1 = lowest)."))
    if objs.n == 2:
        out += _front_figures(folder, key, runs, scored, objs, pref, marks, formats, best)
    return out


def _front_figures(folder: Path, key: str, runs: dict[str, list[Trajectory]], scored: dict[str, list[RunIndicators]],
                   objs: Objectives, pref: ParetoReference, marks: dict, formats: Sequence[str],
                   best: str | None) -> list[Figure]:
    """The exact front with every algorithm's median attainment surface and constraint lines, and the EAF
    difference of the best-mean algorithm against random search (or the second best)."""
    front = front_values(pref)
    surfaces = {label: attainment_surface([i.front_values for i in inds], objs.higher, 50.0)
                for label, inds in scored.items()}
    fig = draw_fronts(front, surfaces, objs.names, objs.higher, constraints=objs.constraints, marks=marks,
                      title=f"{key}: exact front and median attainment surfaces")
    out = [_save(fig, folder, "pareto_front", formats,
                 "Exact front of the table (black) and each algorithm's median (50%) attainment surface: the region "
                 "at least half of its runs attain (feasible found architectures, table values)"
                 + ("; dashed: constraints." if any(c.metric in objs.names for c in objs.constraints) else "."))]
    order = sorted((label for label in scored if np.isfinite(np.mean([i.final_regret for i in scored[label]]))),
                   key=lambda label: np.mean([i.final_regret for i in scored[label]]))
    if best is None or len(order) < 2:
        return out
    baseline = [label for label in ("rs", "random_search") if label in scored and label != best]
    other = baseline[0] if baseline else next(label for label in order if label != best)
    by_seed = {label: dict(zip((t.meta.get("seed") for t in runs[label]), scored[label])) for label in (best, other)}
    both = [(a, by_seed[other][s]) for s, a in by_seed[best].items()
            if s in by_seed[other] and a.feasible_found and by_seed[other][s].feasible_found]
    if not both:
        return out
    rect = eaf_difference([a.front_values for a, _ in both], [b.front_values for _, b in both], objs.higher)
    fig = draw_eaf_difference(rect, best, other, objs.names, objs.higher, front=front, n_runs=len(both),
                              title=f"{key}: empirical attainment difference, {best} vs {other}")
    dropped = len(by_seed[best]) - len(both)
    out.append(_save(fig, folder, f"eaf_difference_{best}_vs_{other}", formats,
                     f"Differences of the empirical attainment functions of {best} (left) and {other} (right) over "
                     f"{len(both)} paired seeds: grey where one attains a region in a larger fraction of runs (darker: "
                     "larger difference); blue: the exact front"
                     + (f"; {dropped} seed(s) where either found nothing feasible left out." if dropped else ".")))
    return out
