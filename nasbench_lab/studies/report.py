"""A study's results folder report: summary.json, tables (md/csv/json/tex), stats.json, plots/ and report.md.

Every run's query count and stop reason go into summary.json; a run that made fewer queries than its
budget or stopped for another reason than the budget is *short*: it stays in the statistics (it is
a result of the algorithm) but the tables, plots and report mark its algorithm and say how many.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from nasbench_lab.analysis.aggregate import anytime_curve, final_table, rank_over_budget
from nasbench_lab.analysis.critical_difference import (
    CriticalDifference,
    cd_caption,
    cd_from_blocks,
    cd_from_seeds,
    draw_cd,
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
from nasbench_lab.analysis.tables import SHORT_MARK, table_csv, table_json, table_latex, table_markdown, value_unit
from nasbench_lab.errors import ConfigError
from nasbench_lab.fileio import atomic_write
from nasbench_lab.metrics import metric_info
from nasbench_lab.results.trajectory import Trajectory
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
                 table_stat: str = "mean") -> dict:
    """Writes summary.json, table.{md,csv,json,tex}, stats.json, plots/ and report.md into the study folder;
    returns the summary.

    With several benchmarks each gets a subfolder named by its key, the top-level summary is keyed by
    benchmark, and the top level gets the average-rank table, CD diagram and rank-over-budget plot across them.
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
        curves = [rank_over_budget({n: finals_by_key[k]["runs"][n] for n in names}, finals_by_key[k]["higher"])
                  for k in keys]
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
