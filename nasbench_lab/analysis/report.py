"""A study's results folder report: summary.json, final tables, statistics and anytime plots."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from nasbench_lab.analysis.aggregate import anytime_curve, final_table, table_csv, table_json, table_markdown
from nasbench_lab.analysis.plots import FORMATS, plot_curves, plot_final_box
from nasbench_lab.analysis.stats import mann_whitney_greater, pairwise_wilcoxon
from nasbench_lab.errors import ConfigError
from nasbench_lab.fileio import atomic_write
from nasbench_lab.search.study import Study
from nasbench_lab.search.trajectory import Trajectory

#: (y, x, log_x, log_y) of the anytime plots
PLOTS = (("test", "queries", False, False), ("regret", "queries", False, True),
         ("test", "time", True, False), ("regret", "time", True, True))


def summarize(runs: dict[str, list[Trajectory]]) -> dict:
    """Per algorithm: final report and search value of each seed's incumbent, keyed ``final_<metric>`` (no
    report key where the benchmark lacks the report metric), and the total wall time of its runs."""
    out = {}
    for label, trajs in runs.items():
        meta = trajs[0].meta if trajs else {}
        report, search = meta.get("report_metric"), meta.get("search_metric", "valid_acc")
        entry = {f"final_{report}": [_number(t.final_test) for t in trajs]} if report else {}
        entry[f"final_{search}"] = [_number(t.final_valid) for t in trajs]
        entry["wall_s"] = float(sum(t.meta.get("wall_s", 0.0) for t in trajs))
        out[label] = entry
    return out


def _fallback_label(ref: dict) -> str:
    """What the report shows when the benchmark lacks the report metric: the search metric, said so."""
    return f"{ref.get('search_metric', 'valid_acc')} (no {ref.get('missing_report_metric', 'test')} metric)"


def _number(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def write_report(study: Study, formats: Sequence[str] = ("png",), seed: int = 0, plots: bool = True) -> dict:
    """Writes summary.json, table.{md,csv,json}, stats.json and plots/ into the study folder; returns the summary.

    With several benchmarks each gets a subfolder named by its key and the top-level summary is
    keyed by benchmark.
    """
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise ConfigError(f"plot format {bad[0]!r} not supported; accepted: {', '.join(FORMATS)}")
    refs = json.loads((study.out / "benchmarks.json").read_text())
    all_runs = study.trajectories()
    if not all_runs:
        raise ConfigError(f"{study.out} has no finished runs yet")
    single = len(all_runs) == 1
    out: dict = {}
    for key, runs in all_runs.items():
        folder = study.out if single else study.out / key
        out[key] = _report_one(folder, key, runs, refs.get(key, {}), formats, seed, plots, not single)
    summary = next(iter(out.values())) if single else out
    atomic_write(study.out / "summary.json", json.dumps(summary, indent=2).encode())
    return summary


def _report_one(folder: Path, key: str, runs: dict[str, list[Trajectory]], ref: dict, formats: Sequence[str],
                seed: int, plots: bool, own_summary: bool) -> dict:
    summary = summarize(runs)
    higher = bool(ref.get("report_higher_is_better", True))
    has_test = ref.get("report_metric") is not None
    key_final = f"final_{ref.get('report_metric') or ref.get('search_metric', 'valid_acc')}"
    finals = {label: np.asarray(s[key_final], dtype=np.float64) for label, s in summary.items()}
    rows = final_table(finals, ref.get("random_mean"), higher)
    for row in rows:
        row["wall_s"] = summary[row["algorithm"]]["wall_s"]
    atomic_write(folder / "table.md", table_markdown(rows).encode())
    atomic_write(folder / "table.csv", table_csv(rows).encode())
    atomic_write(folder / "table.json", table_json(rows).encode())
    atomic_write(folder / "stats.json", json.dumps({"metric": key_final, **_stats(finals, higher)}, indent=2).encode())
    if own_summary:
        atomic_write(folder / "summary.json", json.dumps(summary, indent=2).encode())
    if plots:
        rng = np.random.default_rng(seed)
        title = f"{key}: mean over seeds, 95% bootstrap band"
        plots_to_draw = PLOTS if has_test else (("valid", "queries", False, False), ("valid", "time", True, False))
        for y, x, log_x, log_y in plots_to_draw:
            curves = {label: anytime_curve(trajs, x=x, y=y, optimum=ref.get("optimum"))
                      for label, trajs in runs.items() if any(len(t) for t in trajs)}
            for fmt in formats:
                plot_curves(curves, folder / "plots" / f"{y}_vs_{x}.{fmt}", rng=rng, title=title,
                            log_x=log_x, log_y=log_y, zoom=y == "test")
        for fmt in formats:
            plot_final_box(finals, folder / "plots" / f"final_{'test' if has_test else 'valid'}.{fmt}", title=key,
                           y_label=f"final {ref.get('report_metric') or _fallback_label(ref)}")
    return summary


def _stats(finals: dict[str, np.ndarray], higher: bool) -> dict:
    """Pairwise Wilcoxon (Holm) and, where random search ran, one-sided Mann-Whitney of each algorithm vs it."""
    out: dict = {"pairwise_wilcoxon_holm": [], "vs_random_search_mann_whitney": {}}
    finals = {k: v for k, v in finals.items() if np.isfinite(v).all()}
    if len({len(v) for v in finals.values()}) == 1 and len(finals) > 1:
        out["pairwise_wilcoxon_holm"] = pairwise_wilcoxon(finals)
    baseline = next((k for k in ("rs", "random_search") if k in finals), None)
    if baseline and len(finals[baseline]) > 1:
        for name, values in finals.items():
            if name != baseline and len(values) > 1:
                a, b = (values, finals[baseline]) if higher else (-values, -finals[baseline])
                out["vs_random_search_mann_whitney"][name] = {"alternative": f"{name} better than {baseline}",
                                                              "p": mann_whitney_greater(a, b)}
    return out
