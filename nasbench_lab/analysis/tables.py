"""Final tables for people and for LaTeX: rounded values, short-run marks, column notes; JSON keeps full precision."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping, Sequence

from nasbench_lab.results.names import algorithm_display_name

#: mark after an algorithm name whose runs include a short one (fewer queries than the budget, or stopped early)
SHORT_MARK = "†"
#: what each table column means (the report explains every column it shows)
COLUMN_NOTES: dict[str, str] = {
    "algorithm": f"search algorithm (label in the study); {SHORT_MARK} marks an algorithm with short runs",
    "runs": "number of runs (seeds) in the statistics",
    "short_runs": "runs that made fewer queries than the budget or stopped before it (they are included, not "
                  "hidden: see summary.json's n_queries and stopped)",
    "mean": "mean over runs of the final report value: the report metric (named in the setting above; test "
            "accuracy unless the source has none) of the architecture with the best search value seen",
    "std": "sample standard deviation over runs (ddof = 1)",
    "median": "median over runs",
    "iqr": "inter-quartile range over runs (75th minus 25th percentile)",
    "mean_rank": "rank among the algorithms in each seed (1 = best; ties share the average rank), averaged over "
                 "seeds",
    "relative_improvement": "RI = 100 x (final - mean of a random architecture) / mean of a random architecture, "
                            "averaged over runs (Yang et al. 2020); in %",
    "p_vs_rs": "one-sided Mann-Whitney U p-value for 'better than random search', Holm-corrected over algorithms",
    "wall_s": "CPU wall time of all runs of the algorithm together, seconds",
}
_INT_COLUMNS = {"runs", "short_runs"}
#: metric "units" that name a kind of value rather than a unit: printed after no number
_NOT_UNITS = ("", "loss", "score")


def value_unit(unit: str) -> str:
    """What follows a value of a metric in a sentence: ``" %"`` for a percentage, ``" s"`` for seconds, nothing for
    a metric without a unit (a loss, a score, a user metric): never a ``%`` that the metric does not have."""
    return "" if unit.strip() in _NOT_UNITS else f" {unit}"


def difference_unit(unit: str) -> str:
    """What follows a difference of two values: ``" pp"`` (percentage points) only for a percentage."""
    return " pp" if unit.startswith("%") else value_unit(unit)


def latex_algorithm(row: Mapping, alpha: float) -> str:
    """An algorithm's display name in a LaTeX table row with its marks: ``*`` better than random search (p < alpha),
    dagger for short runs, double dagger for runs that found nothing feasible."""
    marks = ""
    p = row.get("p_vs_rs")
    if p is not None and math.isfinite(p) and p < alpha:
        marks += "*"
    if row.get("short_runs"):
        marks += r"\dagger"
    if row.get("infeasible_runs"):
        marks += r"\ddagger"
    return tex_escape(algorithm_display_name(str(row["algorithm"]))) + (f"$^{{{marks}}}$" if marks else "")


def best_group_rule(alpha: float) -> str:
    """The rule behind the group tied with the best, in words (findings, report.md and table.tex say the same)."""
    return (f"the algorithms whose two-sided paired Wilcoxon signed-rank test against the best-mean algorithm, "
            f"Holm-corrected over all pairs, has p_holm >= {alpha}")


def people_number(value: object, column: str = "", digits: int = 2) -> str:
    """A value rounded for reading: p-values to 2 significant digits, counts as integers, others to ``digits``."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if column in _INT_COLUMNS or isinstance(value, int):
        return str(int(value))
    if column.startswith("p"):
        return f"{value:.2g}" if value >= 1e-3 else f"{value:.1e}"
    return f"{value:.{digits}f}"


def _label(row: Mapping) -> str:
    return f"{row['algorithm']}{SHORT_MARK}" if row.get("short_runs") else str(row["algorithm"])


def table_markdown(rows: Sequence[Mapping], digits: int = 2) -> str:
    """The final table as Markdown, rounded for reading; short-run algorithms marked."""
    cols = list(rows[0]) if rows else []
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" if c == "algorithm" else "---:" for c in cols) + "|"]
    for row in rows:
        cells = [_label(row) if c == "algorithm" else people_number(row[c], c, digits) for c in cols]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def table_csv(rows: Sequence[Mapping], digits: int = 2) -> str:
    """The final table as CSV, rounded like the Markdown one (table.json keeps full precision)."""
    buf = io.StringIO()
    if rows:
        writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({c: people_number(v, c, digits) if c != "algorithm" else v for c, v in row.items()}
                         for row in rows)
    return buf.getvalue()


def table_json(rows: Sequence[Mapping]) -> str:
    """The final table as JSON at full precision."""
    return json.dumps(list(rows), indent=2)


def tex_escape(text: str) -> str:
    """``text`` with LaTeX's special characters escaped (for cells and captions)."""
    return "".join("\\" + ch if ch in "&%$#_{}" else ch for ch in str(text))


def table_latex(rows: Sequence[Mapping], *, stat: str = "mean", higher_is_better: bool = True, unit: str = "",
                alpha: float = 0.05, digits: int = 2, caption: str = "", label: str = "tab:nas-results",
                tied: Sequence[str] | None = None) -> str:
    """A booktabs table: mean +- std (``stat="mean"``) or median [IQR] (``"median"``); bold group, markers.

    ``tied``: the algorithms not separated from the best-mean one (see :func:`best_group_rule`); the best-mean
    algorithm and these are bold, and the caption names the test. Without ``tied`` only the best value is bold.
    ``$^{*}$`` marks an algorithm better than random search (``p_vs_rs`` < ``alpha``, Holm-corrected);
    ``$^{\\dagger}$`` one with short runs. Algorithms show their display names. Needs ``\\usepackage{booktabs}``
    (the first line says so).
    """
    if stat not in ("mean", "median"):
        from nasbench_lab.errors import ConfigError

        raise ConfigError(f"table statistic must be 'mean' or 'median', got {stat!r}")
    centre = [float(r[stat]) for r in rows]
    finite = [c for c in centre if math.isfinite(c)]
    best = (max(finite) if higher_is_better else min(finite)) if finite else None
    means = [(float(r["mean"]), r["algorithm"]) for r in rows if math.isfinite(float(r["mean"]))]
    best_mean = ((max if higher_is_better else min)(means)[1]) if means else None
    bold_group = None if tied is None or best_mean is None else {best_mean, *tied}
    unit_text = unit if value_unit(unit) else ""
    head = (r"mean $\pm$ std" if stat == "mean" else "median [IQR]") + \
        (f" ({tex_escape(unit_text)})" if unit_text else "")
    lines = [r"% requires \usepackage{booktabs}", r"\begin{table}[t]", r"\centering", r"\begin{tabular}{lrrr}",
             r"\toprule", rf"algorithm & runs & {head} & mean rank \\", r"\midrule"]
    for row, c in zip(rows, centre):
        spread = row["std"] if stat == "mean" else row.get("iqr", float("nan"))
        if not math.isfinite(c):
            cell = "--"
        else:
            value = f"{c:.{digits}f}"
            bold = (row["algorithm"] in bold_group if bold_group is not None else
                    best is not None and round(c, digits) == round(best, digits))
            if bold:
                value = rf"\textbf{{{value}}}"
            cell = rf"{value} $\pm$ {spread:.{digits}f}" if stat == "mean" else rf"{value} [{spread:.{digits}f}]"
        name = latex_algorithm(row, alpha)
        rank = row["mean_rank"]
        lines.append(rf"{name} & {row['runs']} & {cell} & {rank:.2f} \\")
    if bold_group is not None:
        rule = tex_escape(best_group_rule(alpha)).replace(">=", r"$\geq$")
        notes = [f"Bold: {tex_escape(algorithm_display_name(str(best_mean)))} (best mean) and {rule}."]
    else:
        notes = [f"Best {stat} in bold."]
    if any(r.get("p_vs_rs") is not None for r in rows):
        notes.append(rf"$^{{*}}$: better than random search (one-sided Mann-Whitney, Holm, $p < {alpha}$).")
    if any(r.get("short_runs") for r in rows):
        notes.append(r"$^{\dagger}$: includes runs that stopped before the budget.")
    lines += [r"\bottomrule", r"\end{tabular}", rf"\caption{{{tex_escape(caption)} {' '.join(notes)}}}",
              rf"\label{{{label}}}", r"\end{table}"]
    return "\n".join(lines) + "\n"


def average_rank_rows(keys: Sequence[str], names: Sequence[str], scores) -> list[dict]:
    """NAS-Bench-Suite-style rows: each algorithm's rank (1 = best mean) on each benchmark and their average.

    ``scores[benchmark, algorithm]``: the mean final value, signed so that higher is better.
    """
    from nasbench_lab.analysis.stats import rank_matrix

    ranks = rank_matrix(scores, higher_is_better=True)
    rows = [{"algorithm": n, **{k: float(ranks[i, j]) for i, k in enumerate(keys)},
             "average_rank": float(ranks[:, j].mean())} for j, n in enumerate(names)]
    return sorted(rows, key=lambda r: r["average_rank"])


def rank_table_markdown(rows: Sequence[Mapping], keys: Sequence[str]) -> str:
    """The average-rank table as Markdown (ranks to one decimal, the best average in bold)."""
    head = ["algorithm", *keys, "average rank"]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    best = min((r["average_rank"] for r in rows), default=None)
    for r in rows:
        avg = f"{r['average_rank']:.2f}"
        avg = f"**{avg}**" if r["average_rank"] == best else avg
        lines.append("| " + " | ".join([str(r["algorithm"]), *(f"{r[k]:g}" for k in keys), avg]) + " |")
    return "\n".join(lines) + "\n"


def rank_table_latex(rows: Sequence[Mapping], keys: Sequence[str], caption: str = "",
                     label: str = "tab:nas-average-rank") -> str:
    """The average-rank table as booktabs LaTeX: rank per benchmark, average rank, the best average in bold."""
    best = min((r["average_rank"] for r in rows), default=None)
    lines = [r"\begin{table}[t]", r"\centering", r"\begin{tabular}{l" + "r" * (len(keys) + 1) + "}", r"\toprule",
             "algorithm & " + " & ".join(tex_escape(k) for k in keys) + r" & average rank \\", r"\midrule"]
    for r in rows:
        avg = f"{r['average_rank']:.2f}"
        avg = rf"\textbf{{{avg}}}" if r["average_rank"] == best else avg
        lines.append(tex_escape(r["algorithm"]) + " & " + " & ".join(f"{r[k]:g}" for k in keys) + f" & {avg} " + r"\\")
    text = caption or "Rank of each algorithm's mean final value per benchmark (1 = best) and the average."
    lines += [r"\bottomrule", r"\end{tabular}", rf"\caption{{{tex_escape(text)}}}", rf"\label{{{label}}}",
              r"\end{table}"]
    return "\n".join(lines) + "\n"
