"""The words of a multi-objective or constrained results folder: findings and report.md, built on the sentences and
sections of single-objective reports (``report_text``) with the indicator in place of the final test value."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from nasbench_lab.analysis.mo_tables import (
    INFEASIBLE_MARK,
    MOTableKind,
    column_notes,
    front_table_markdown,
    mo_table_markdown,
)
from nasbench_lab.analysis.report_text import Figure, findings, setting_sentence, statistics_lines
from nasbench_lab.analysis.tables import value_unit
from nasbench_lab.results.objectives import Objectives


def mo_findings(rows: Sequence[Mapping], stats: Mapping, cd, summary: Mapping, *, kind: MOTableKind, alpha: float,
                folder: str, nothing: float) -> list[str]:
    """The statistics of the final indicator in sentences (as ``report_text.findings``, lower is better), then a
    warning per algorithm with runs that found nothing feasible (``nothing``: the indicator such a run gets)."""
    unit = f" in {kind.unit}" if value_unit(kind.unit) else " (normalized objectives)"
    out = [f"Values: final {kind.indicator}{unit}; lower is better, 0 = the exact "
           f"{'front' if kind.second == 'IGD+' else 'constrained optimum'} found."]
    words = findings(rows, stats, cd, summary, unit=kind.unit, higher=False, alpha=alpha, folder=folder,
                     digits=kind.digits, better_than=" better than ")
    warnings = []
    for label, s in summary.items():
        if s.get("infeasible_runs"):
            warnings.append(f"Warning: {label}{INFEASIBLE_MARK} has {len(s['infeasible_runs'])} run(s) that found no "
                            f"feasible architecture (seeds {', '.join(map(str, s['infeasible_runs']))}); they count "
                            f"as attaining only the reference point ({kind.indicator} "
                            f"{nothing:.{kind.digits}f}) and are included in its statistics.")
    return [*out, *words[:-1], *warnings, *words[-1:]]


def objectives_sentence(objectives: Objectives, front: Mapping) -> str:
    """What is optimized and what it is measured against: objectives with directions, constraints, exact front."""
    named = ", ".join(f"{n} ({'max' if h else 'min'})" for n, h in zip(objectives.names, objectives.higher))
    limits = " and ".join(map(str, objectives.constraints)) or "none"
    if objectives.multi:
        normalized = ", ".join(f"{r:g}" for r in front["reference_normalized"])
        units = ", ".join(f"{n}={v:g}" for n, v in zip(objectives.names, front["reference_point"]))
        reference = f"{units}; {normalized} normalized"
        exact = (f"exact front: {front['n_points']} distinct points over the {front['n_architectures']} feasible "
                 f"architectures of the table (validation at the mean over training seeds), hypervolume "
                 f"{front['hypervolume']:.4f} in the objectives normalized by the table's range (0: its best value, "
                 f"1: its worst) with the reference point ({reference}) (`pareto_front.json`)")
    else:
        exact = (f"exact constrained optimum: {front['optimum']:.2f}{value_unit(front['unit'])} over the "
                 f"{front['n_architectures']} feasible architectures of the table (validation at the mean over "
                 "training seeds)")
    return f"Objectives: {named}; constraints: {limits}; {exact}."


def mo_benchmark_report(key: str, spec, ref: Mapping, objectives: Objectives, front: Mapping,
                        rows: Sequence[Mapping], kind: MOTableKind, stats: Mapping, figures: Sequence[Figure],
                        summary: Mapping, fronts: Sequence[Mapping], *, bold: Sequence[str], alpha: float) -> str:
    """report.md of one benchmark of a multi-objective or constrained study: setting, findings, the final table
    with every column explained, the found architectures of each algorithm's median run, figures, statistics."""
    what = "multi-objective" if objectives.multi else "constrained"
    lines = [f"# {key}: {what} search algorithm comparison", "", setting_sentence(spec, ref), "",
             objectives_sentence(objectives, front), "", "## Findings", ""]
    lines += [f"- {s}" for s in stats.get("findings", [])]
    how = ("the best mean and the algorithms not separated from it (paired Wilcoxon, Holm; see Findings) in bold"
           if stats.get("pairwise_wilcoxon_holm") else "the lowest median in bold")
    lines += ["", "## Final table", "", f"`table.tex` is the LaTeX version ({how}, * better than random search); "
              "`table.json` keeps full precision, `summary.json` every run's values.", "",
              mo_table_markdown(rows, kind, bold), "Columns:", ""]
    lines += [f"- `{c}`: {note}" for c, note in column_notes(kind, alpha).items()]
    names = list(objectives.names)
    report = ref.get("report_metric")
    lines += ["", "## Found architectures", "",
              f"The found {'front' if objectives.multi else 'architecture'} of each algorithm's median run (the run "
              f"with the median final {kind.indicator}), each architecture with its table values of the objectives "
              "(validation at the mean over training seeds) and its report value; the second table of "
              "`table.tex`, all of them in `fronts.json`.", "", front_table_markdown(fronts, names, report)]
    if figures:
        lines += ["## Figures", ""]
        for fig in figures:
            lines += [f"![{fig.caption}]({fig.path})", "", f"*{fig.caption}*", ""]
    lines += statistics_lines(stats, summary, digits=kind.digits)
    infeasible = sum(len(s.get("infeasible_runs", [])) for s in summary.values())
    lines += [f"Runs that found no feasible architecture: {infeasible} (`infeasible_runs` in summary.json).", ""]
    return "\n".join(lines)
