"""Final tables of multi-objective and constrained studies (Markdown for report.md, booktabs LaTeX), in the style of
``tables``: the best-mean group in bold, short runs marked, missing values explained, full precision in JSON.

Two tables: one row per algorithm (final hypervolume regret, or regret of the feasible incumbent with one
objective, as median [IQR]; IGD+ or the found architecture's report value; mean rank; runs that found something
feasible; Holm-corrected p against the best), and the found architectures of each algorithm's median run, each
with its objective values and its report (test) value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from nasbench_lab.analysis.tables import SHORT_MARK, best_group_rule, latex_algorithm, tex_escape, value_unit
from nasbench_lab.metrics import metric_info
from nasbench_lab.results.names import algorithm_display_name

#: mark after an algorithm with runs that found no feasible architecture (included as attaining nothing)
INFEASIBLE_MARK = "‡"
#: decimals of normalized indicators (hypervolume regret, IGD+) and of values in a metric's own unit
INDICATOR_DIGITS = 4
VALUE_DIGITS = 2


@dataclass(frozen=True)
class MOTableKind:
    """What the main table shows: the final indicator (its name, unit, decimals) and the second value column."""

    indicator: str
    unit: str
    digits: int
    second: str
    second_unit: str
    #: the key of the second column in the table's rows (``igd_plus`` or ``found_<report metric>``)
    key: str

    @classmethod
    def of(cls, n_objectives: int, search_metric: str, report_metric: str | None) -> MOTableKind:
        """Hypervolume regret and IGD+ for two or more objectives; regret and the report value for one."""
        if n_objectives > 1:
            return cls("hypervolume regret", "", INDICATOR_DIGITS, "IGD+", "", "igd_plus")
        unit = metric_info(search_metric).unit
        shown = metric_info(report_metric).display_name if report_metric else "report value"
        return cls("regret of the feasible incumbent", "pp" if unit.startswith("%") else unit, VALUE_DIGITS,
                   f"{shown} of the found architecture", metric_info(report_metric).unit if report_metric else "",
                   f"found_{report_metric or 'report'}")


def column_notes(kind: MOTableKind, alpha: float) -> dict[str, str]:
    """What each column of the Markdown table means (report.md lists them under the table)."""
    if kind.second == "IGD+":
        first = ("hypervolume of the exact front minus that of the run's found front (the non-dominated feasible "
                 "queries by the values the search saw, scored with the table's values), objectives normalized by "
                 "the table's range, reference point 1.1; 0 = the whole front found; median and inter-quartile "
                 "range over runs")
        second = ("IGD+ of the found front to the exact front (normalized objectives), median over the runs that "
                  "found something feasible")
    else:
        first = ("exact constrained optimum (best feasible table value, seed mean) minus the table value of the "
                 "run's incumbent (its best feasible query by the value the search saw); median and inter-quartile "
                 "range over runs")
        second = "report value of each run's incumbent, median over the runs that found something feasible"
    return {
        "algorithm": f"search algorithm (label in the study); {SHORT_MARK} marks short runs, {INFEASIBLE_MARK} runs "
                     "that found no feasible architecture (they count as attaining only the reference point)",
        kind.indicator: first, kind.second: second,
        "mean rank": f"rank of the {kind.indicator} among the algorithms in each seed (1 = lowest), averaged",
        "feasible runs": "runs with at least one feasible query / runs",
        "p_holm vs best": f"two-sided paired Wilcoxon test against the best-mean algorithm, Holm-corrected over all "
                          f"pairs (empty for the best itself); bold: p_holm >= {alpha} (not separated from it)",
    }


def _label(row: Mapping) -> str:
    marks = (SHORT_MARK if row.get("short_runs") else "") + (INFEASIBLE_MARK if row.get("infeasible_runs") else "")
    return f"{row['algorithm']}{marks}"


def _num(value: object, digits: int) -> str:
    return "" if value is None or not math.isfinite(float(value)) else f"{float(value):.{digits}f}"  # type: ignore[arg-type]


def _p(value: object) -> str:
    if value is None or not math.isfinite(float(value)):  # type: ignore[arg-type]
        return ""
    v = float(value)  # type: ignore[arg-type]
    return f"{v:.2g}" if v >= 1e-3 else f"{v:.1e}"


def _header(name: str, unit: str) -> str:
    return f"{name} ({unit})" if value_unit(unit) else name


def mo_table_markdown(rows: Sequence[Mapping], kind: MOTableKind, bold: Sequence[str] = ()) -> str:
    """The main table as Markdown: ``median [IQR]`` of the indicator, the second column, mean rank, feasible runs
    and p against the best; the ``bold`` algorithms' medians in bold."""
    head = ["algorithm", f"{_header(kind.indicator, kind.unit)}, median [IQR]",
            _header(kind.second, kind.second_unit), "mean rank", "feasible runs", "p_holm vs best"]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for r in rows:
        centre = _num(r["median"], kind.digits)
        centre = f"**{centre}**" if centre and r["algorithm"] in bold else centre
        cell = f"{centre} [{_num(r['iqr'], kind.digits)}]" if centre else ""
        second = _num(r.get(kind.key), kind.digits if kind.second == "IGD+" else VALUE_DIGITS)
        lines.append("| " + " | ".join([_label(r), cell, second, f"{r['mean_rank']:.2f}",
                                        f"{r['feasible_runs']}/{r['runs']}", _p(r.get("p_holm_vs_best"))]) + " |")
    return "\n".join(lines) + "\n"


def mo_table_latex(rows: Sequence[Mapping], kind: MOTableKind, *, alpha: float = 0.05, caption: str = "",
                   label: str = "tab:nas-mo-results", best: str | None = None,
                   tied: Sequence[str] | None = None) -> str:
    """The main table as booktabs LaTeX (needs ``\\usepackage{booktabs}``, said on the first line).

    Bold: ``best`` (the best-mean algorithm) and ``tied`` (not separated from it, see ``best_group_rule``); without
    them, the lowest median. ``$^{*}$``: better than random search; ``$^{\\dagger}$``: short runs;
    ``$^{\\ddagger}$``: runs with nothing feasible; ``--``: no value, with the reason in the caption.
    """
    medians = [float(r["median"]) for r in rows if math.isfinite(float(r["median"]))]
    bold_group = {best, *tied} if best is not None and tied is not None else None
    lowest = min(medians) if medians else None
    unit = f" ({tex_escape(kind.unit)})" if value_unit(kind.unit) else ""
    second_unit = f" ({tex_escape(kind.second_unit)})" if value_unit(kind.second_unit) else ""
    lines = [r"% requires \usepackage{booktabs}", r"\begin{table}[t]", r"\centering", r"\begin{tabular}{lrrrrr}",
             r"\toprule", rf"algorithm & {tex_escape(kind.indicator)}{unit}, median [IQR] & "
             rf"{tex_escape(kind.second)}{second_unit} & mean rank & feasible runs & "
             r"$p_{\mathrm{Holm}}$ vs best \\",
             r"\midrule"]
    dashes = set()
    for r in rows:
        c = float(r["median"])
        if math.isfinite(c):
            value = f"{c:.{kind.digits}f}"
            strong = (r["algorithm"] in bold_group if bold_group is not None else
                      lowest is not None and round(c, kind.digits) == round(lowest, kind.digits))
            cell = (rf"\textbf{{{value}}}" if strong else value) + f" [{float(r['iqr']):.{kind.digits}f}]"
        else:
            cell = "--"
            dashes.add("indicator")
        second = _num(r.get(kind.key), kind.digits if kind.second == "IGD+" else VALUE_DIGITS) or "--"
        if second == "--":
            dashes.add("second")
        name = latex_algorithm(r, alpha)
        p_best = _p(r.get("p_holm_vs_best")) or "--"
        lines.append(rf"{name} & {cell} & {second} & {r['mean_rank']:.2f} & {r['feasible_runs']}/{r['runs']} & "
                     rf"{p_best} \\")
    if bold_group is not None:
        rule = tex_escape(best_group_rule(alpha)).replace(">=", r"$\geq$")
        notes = [f"Bold: {tex_escape(algorithm_display_name(str(best)))} (best mean) and {rule}; -- in the last "
                 "column: the best-mean algorithm itself."]
    else:
        notes = ["Lowest median in bold."]
    if "second" in dashes:
        notes.append(f"-- for {tex_escape(kind.second)}: no run of the algorithm found a feasible architecture.")
    if any(r.get("p_vs_rs") is not None for r in rows):
        notes.append(rf"$^{{*}}$: better than random search (one-sided Mann-Whitney, Holm, $p < {alpha}$).")
    if any(r.get("short_runs") for r in rows):
        notes.append(r"$^{\dagger}$: includes runs that stopped before the budget.")
    if any(r.get("infeasible_runs") for r in rows):
        notes.append(r"$^{\ddagger}$: includes runs that found no feasible architecture (counted as attaining only "
                     r"the reference point).")
    lines += [r"\bottomrule", r"\end{tabular}", rf"\caption{{{tex_escape(caption)} {' '.join(notes)}}}",
              rf"\label{{{label}}}", r"\end{table}"]
    return "\n".join(lines) + "\n"


def front_rows(label: str, seed: object, archs: Sequence[tuple[int | None, str]], values: np.ndarray,
               test: np.ndarray, names: Sequence[str], report: str | None) -> list[dict]:
    """One row per found architecture of a run: algorithm, seed, the architecture (official index where the space
    is listed, and its string), objective values and report value (``report``: the report metric's name)."""
    values = np.asarray(values, dtype=np.float64).reshape(len(archs), len(names))
    key = report or "report"
    return [{"algorithm": label, "seed": seed, "index": index, "architecture": text,
             **{n: float(values[i, j]) for j, n in enumerate(names)}, key: float(test[i])}
            for i, (index, text) in enumerate(archs)]


def _front_head(names: Sequence[str], report: str | None) -> list[tuple[str, str]]:
    """(key, header) of the found-architecture table: objective display names with units, then the report value."""
    cols = [(n, metric_info(n).axis_label()) for n in names]
    return cols + [(report, metric_info(report).axis_label())] if report else cols + [("report", "report value")]


def front_table_markdown(rows: Sequence[Mapping], names: Sequence[str], report: str | None) -> str:
    """The found architectures of each algorithm's median run as Markdown (values in their own units)."""
    cols = _front_head(names, report)
    lines = ["| algorithm | seed | index | architecture | " + " | ".join(h for _, h in cols) + " |",
             "|---|---:|---:|---|" + "---:|" * len(cols)]
    for r in rows:
        index = "" if r["index"] is None else str(r["index"])
        lines.append(f"| {r['algorithm']} | {r['seed']} | {index} | `{r['architecture']}` | "
                     + " | ".join(_num(r[k], VALUE_DIGITS) for k, _ in cols) + " |")
    return "\n".join(lines) + "\n"


def front_table_latex(rows: Sequence[Mapping], names: Sequence[str], report: str | None, *, caption: str = "",
                      label: str = "tab:nas-mo-fronts") -> str:
    """The found architectures as booktabs LaTeX, a rule between algorithms (needs ``\\usepackage{booktabs}``); an
    architecture is its official index where the space is listed, else its string."""
    cols = _front_head(names, report)
    lines = [r"% requires \usepackage{booktabs}", r"\begin{table}[t]", r"\centering",
             r"\begin{tabular}{lrl" + "r" * len(cols) + "}", r"\toprule",
             "algorithm & seed & architecture & " + " & ".join(tex_escape(h) for _, h in cols) + r" \\", r"\midrule"]
    previous = None
    for r in rows:
        if previous is not None and r["algorithm"] != previous:
            lines.append(r"\midrule")
        shown = tex_escape(algorithm_display_name(str(r["algorithm"]))) if r["algorithm"] != previous else ""
        previous = r["algorithm"]
        cells = " & ".join(_num(r[k], VALUE_DIGITS) or "--" for k, _ in cols)
        arch = str(r["index"]) if r["index"] is not None else rf"\texttt{{{tex_escape(r['architecture'])}}}"
        lines.append(rf"{shown} & {r['seed']} & {arch} & {cells} \\")
    lines += [r"\bottomrule", r"\end{tabular}", rf"\caption{{{tex_escape(caption)}}}", rf"\label{{{label}}}",
              r"\end{table}"]
    return "\n".join(lines) + "\n"
