"""The words of a results folder: the findings (statistics in sentences) and report.md, which embeds every figure."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from nasbench_lab.analysis.stats import tied_with
from nasbench_lab.analysis.tables import (
    COLUMN_NOTES,
    SHORT_MARK,
    difference_unit,
    table_markdown,
    value_unit,
)


@dataclass
class Figure:
    """A figure of the report: its path relative to report.md and a one-line caption."""

    path: str
    caption: str


def findings(rows: Sequence[Mapping], stats: Mapping, cd, summary: Mapping, *, unit: str, higher: bool,
             alpha: float, folder: str, metric: str = "", digits: int = 2, better_than: str = " > ") -> list[str]:
    """What the study found, in sentences: missing report values, the best mean and the group not separated from
    it, significant differences, where the two tests disagree and why, short runs, where files are.

    ``metric``: the report metric (its ``final_<metric>`` lists in ``summary`` tell missing values); ``digits``:
    decimals of values; ``better_than``: what joins the better and the worse algorithm of a significant pair.
    """
    if not rows:
        return []
    suffix, points = value_unit(unit), difference_unit(unit)
    out = _missing(summary, metric)
    measured = [r for r in rows if math.isfinite(r["mean"])]
    pairs = stats.get("pairwise_wilcoxon_holm") or []
    if measured:
        best = (max if higher else min)(measured, key=lambda r: r["mean"])
        out.append(f"Best mean: {best['algorithm']} ({best['mean']:.{digits}f} +- {best['std']:.{digits}f}{suffix} "
                   f"over {best['runs']} runs, mean rank {best['mean_rank']:.2f}).")
        out += tied_sentence(best["algorithm"], pairs, alpha)
    sig = [p for p in pairs if p["p_holm"] < alpha]
    if pairs:
        if sig:
            described = []
            for p in sorted(sig, key=lambda p: p["p_holm"])[:6]:
                a, b = (p["a"], p["b"]) if (p["median_difference"] > 0) == higher else (p["b"], p["a"])
                described.append(f"{a}{better_than}{b} (p_holm = {p['p_holm']:.2g})")
            more = f" and {len(sig) - 6} more" if len(sig) > 6 else ""
            out.append(f"{len(sig)} of {len(pairs)} pairs differ significantly (paired Wilcoxon, Holm, "
                       f"alpha = {alpha}): {', '.join(described)}{more}.")
        else:
            spread = max(r["mean"] for r in measured) - min(r["mean"] for r in measured)
            out.append(f"No pair of algorithms differs significantly after Holm correction ({len(pairs)} paired "
                       f"Wilcoxon tests, alpha = {alpha}); the means span {spread:.{digits}f}{points}. More seeds "
                       "(--seeds) may separate them.")
    vs = stats.get("vs_random_search_mann_whitney") or {}
    if vs:
        better = [n for n, v in vs.items() if v["p_holm"] < alpha]
        out.append(f"Better than random search (one-sided Mann-Whitney, Holm): {', '.join(better)}." if better else
                   "No algorithm is significantly better than random search (one-sided Mann-Whitney, Holm).")
        out += _disagreement(vs, pairs, higher, alpha)
    for label, s in summary.items():
        if s["short_runs"]:
            reasons = sorted({r for r, q in zip(s["stopped"], s["n_queries"]) if r != "budget"} or {"fewer queries"})
            out.append(f"Warning: {label}{SHORT_MARK} has {len(s['short_runs'])} short run(s) (seeds "
                       f"{', '.join(map(str, s['short_runs']))}; {', '.join(reasons)}; queries "
                       f"{min(s['n_queries'])}..{max(s['n_queries'])}); they are included in its statistics.")
    out.append(f"Files: {folder}/report.md (tables, figures, statistics), table.tex, stats.json, plots/.")
    return out


def _missing(summary: Mapping, metric: str) -> list[str]:
    """Why an algorithm has no mean: its report value is missing (NaN, stored as null) for some found
    architectures."""
    gaps = []
    for label, s in summary.items():
        values = s.get(f"final_{metric}")
        if values is None:
            continue
        lost = sum(1 for v in values if v is None or not math.isfinite(v))
        if lost:
            gaps.append(f"{lost} of {len(values)} for {label}")
    if not gaps:
        return []
    return [f"The report metric {metric} is missing for some found architectures (the incumbent of each run): "
            f"{'; '.join(gaps)}. These algorithms get no mean and are left out of the best mean and the tests."]


def tied_sentence(best: str, pairs: Sequence[Mapping], alpha: float) -> list[str]:
    """The group statistically tied with the best-mean algorithm, and the rule that makes it."""
    if not any(best in (p["a"], p["b"]) for p in pairs):
        return []
    tied = tied_with(best, pairs, alpha)
    p_of = {(p["b"] if p["a"] == best else p["a"]): p["p_holm"] for p in pairs if best in (p["a"], p["b"])}
    if not tied:
        return [f"Every other algorithm is separated from {best} (paired Wilcoxon, Holm, p_holm < {alpha})."]
    tied = sorted(tied, key=lambda n: -p_of[n])
    return [f"Not separated from {best} (paired Wilcoxon, Holm, alpha {alpha}): "
            f"{', '.join(f'{n} (p_holm = {p_of[n]:.2g})' for n in tied)}; with {best} they form the group tied "
            f"with the best."]


def _disagreement(vs: Mapping, pairs: Sequence[Mapping], higher: bool, alpha: float) -> list[str]:
    """One sentence where "better than random search" (Mann-Whitney) and the Wilcoxon pair with it disagree."""
    baseline = next((v["alternative"].rsplit(" better than ", 1)[1] for v in vs.values()), None)
    by_pair = {frozenset((p["a"], p["b"])): p for p in pairs}
    mw_only, wilcoxon_only = [], []
    for name, v in vs.items():
        p = by_pair.get(frozenset((name, baseline)))
        if p is None:
            continue
        wins = (p["median_difference"] > 0) == higher if p["a"] == name else (p["median_difference"] < 0) == higher
        if v["p_holm"] < alpha <= p["p_holm"]:
            mw_only.append(name)
        elif p["p_holm"] < alpha <= v["p_holm"] and wins:
            wilcoxon_only.append(name)
    if not mw_only and not wilcoxon_only:
        return []
    parts = []
    if mw_only:
        parts.append(f"{', '.join(mw_only)} better than {baseline} by the Mann-Whitney test but not separated from "
                     "it by the paired Wilcoxon test")
    if wilcoxon_only:
        parts.append(f"{', '.join(wilcoxon_only)} separated from {baseline} (and better) by the paired Wilcoxon test "
                     "but not better by the Mann-Whitney test")
    return [f"The two tests disagree ({'; '.join(parts)}) because they ask different questions: the Mann-Whitney "
            f"test is unpaired and one-sided and is Holm-corrected over the {len(vs)} comparisons with {baseline}, "
            f"while the Wilcoxon test is paired by seed and two-sided and is Holm-corrected over all {len(pairs)} "
            "pairs."]


def setting_sentence(spec, ref: Mapping) -> str:
    budget = f"{spec.budget} queries" if spec.budget is not None else f"{spec.budget_seconds:g} simulated seconds"
    return (f"Benchmark {ref.get('benchmark')} / {ref.get('dataset')}; search metric {ref.get('search_metric')}, "
            f"reported metric {ref.get('report_metric')}; {len(spec.seeds)} seeds; budget {budget} per run; "
            f"{spec.workers} simulated worker(s); validation seed: {spec.valid_seed}.")


def benchmark_report(key: str, spec, ref: Mapping, rows: Sequence[Mapping], stats: Mapping,
                     figures: Sequence[Figure], summary: Mapping, *, table_stat: str, unit: str) -> str:
    """report.md of one benchmark: setting, findings, the table with every column explained, figures, statistics."""
    lines = [f"# {key}: search algorithm comparison", "", setting_sentence(spec, ref), "", "## Findings", ""]
    lines += [f"- {s}" for s in stats.get("findings", [])]
    values = f"Values in {unit.strip()}" if value_unit(unit) else "Values without a unit"
    bold = ("the best mean and the algorithms not separated from it (paired Wilcoxon, Holm; see Findings) in bold"
            if stats.get("pairwise_wilcoxon_holm") else "best in bold")
    lines += ["", "## Final table", "", f"{values}; `table.tex` is the LaTeX version "
              f"({'mean +- std' if table_stat == 'mean' else 'median [IQR]'}, {bold}, * better than random "
              "search); `table.json` keeps full precision.", "", table_markdown(rows), "Columns:", ""]
    cols = list(rows[0]) if rows else []
    lines += [f"- `{c}`: {COLUMN_NOTES.get(c, '')}" for c in cols]
    if ref.get("optimum") is not None or ref.get("random_mean") is not None:
        lines += ["", f"Benchmark optimum: {_fmt(ref.get('optimum'))}{value_unit(unit)}; mean random architecture "
                  f"({ref.get('random_from')}): {_fmt(ref.get('random_mean'))}{value_unit(unit)}."]
    if figures:
        lines += ["", "## Figures", ""]
        for fig in figures:
            lines += [f"![{fig.caption}]({fig.path})", "", f"*{fig.caption}*", ""]
    lines += statistics_lines(stats, summary)
    return "\n".join(lines)


def statistics_lines(stats: Mapping, summary: Mapping, digits: int = 2) -> list[str]:
    """The "Statistics" section of report.md: Friedman test, the groups of the CD diagram, every pairwise test and
    the run counts (``digits``: decimals of the median differences)."""
    lines = ["## Statistics", ""]
    cd = stats.get("critical_difference")
    if cd:
        groups = "; ".join(", ".join(g) for g in cd["cliques"]) or "none (every pair differs)"
        lines += [f"Friedman test over {cd['blocks']} runs per algorithm: p = {cd['friedman_p']:.2g}. Largest groups "
                  f"with no pair inside separated by the paired Wilcoxon tests (Holm, alpha = {cd['alpha']}; a "
                  f"group need not be contiguous in rank): {groups}.", ""]
    pairs = stats.get("pairwise_wilcoxon_holm") or []
    if pairs:
        lines += ["| a | b | median difference | p | p (Holm) |", "|---|---|---:|---:|---:|"]
        lines += [f"| {p['a']} | {p['b']} | {p['median_difference']:.{digits}f} | {p['p']:.2g} | {p['p_holm']:.2g} |"
                  for p in pairs]
        lines.append("")
    runs = sum(len(s["n_queries"]) for s in summary.values())
    short = sum(len(s["short_runs"]) for s in summary.values())
    lines += [f"Runs: {runs}; short runs (fewer queries than the budget or stopped early): {short}. Per-run query "
              "counts and stop reasons: summary.json (`n_queries`, `stopped`, `short_runs`).", ""]
    return lines


def study_report(spec, keys: Sequence[str], rows: Sequence[Mapping], cd, figures: Sequence[Figure],
                 words: Sequence[str]) -> str:
    """Top-level report.md of a multi-benchmark study: the average-rank table, CD diagram, links to each benchmark."""
    from nasbench_lab.analysis.tables import rank_table_markdown

    lines = [f"# {spec.name}: {len(keys)} benchmarks", "", "## Findings", ""] + [f"- {w}" for w in words]
    lines += ["", "## Average rank across benchmarks", "",
              "Rank (1 = best) of each algorithm's mean final value on each benchmark, and the average over "
              "benchmarks (NAS-Bench-Suite style; `average_rank.json` keeps the values).", "",
              rank_table_markdown(rows, keys)]
    if cd is not None:
        lines += [f"Friedman test over {cd.blocks} benchmarks: p = {cd.friedman_p:.2g}; Nemenyi critical difference "
                  f"{cd.critical_difference:.2f} (alpha = {cd.alpha}).", ""]
    for fig in figures:
        lines += [f"![{fig.caption}]({fig.path})", "", f"*{fig.caption}*", ""]
    lines += ["## Per benchmark", ""] + [f"- [{k}]({k}/report.md)" for k in keys]
    return "\n".join(lines) + "\n"


def _fmt(value) -> str:
    return "n/a" if value is None else f"{value:.2f}"
